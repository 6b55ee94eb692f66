/**
 * @module The scope grammar of `x-required-scopes`, as the lint rules see it: `@agentos/core`'s
 * grammar (contract.md §2 "Scopes"), with the admin scopes the document declares. No grammar of
 * its own: what the lint accepts is exactly what the server compiles.
 */
import { adminScopesOf, DEFAULT_ADMIN_SCOPE, parseRequirement, SCOPE_GRAMMAR } from '@agentos/core';
import type { OpenAPIDocument } from './document.js';

export { DEFAULT_ADMIN_SCOPE, SCOPE_GRAMMAR };

export type ParsedScope =
  | { kind: 'admin'; scope: string }
  | { kind: 'global'; scope: string; resource: string; action: string }
  | { kind: 'wildcard'; scope: string; resource: string; action: string }
  | { kind: 'param'; scope: string; resource: string; param: string; action: string };

/** `agent_os:admin` plus any `x-admin-scope` (a string or a list of strings) at the document root. */
export function adminScopes(document: OpenAPIDocument): string[] {
  return adminScopesOf(document);
}

/** Parses a required scope with core's grammar; `undefined` when it does not follow it. */
export function parseScope(scope: string, admin: readonly string[]): ParsedScope | undefined {
  if (admin.includes(scope)) return { kind: 'admin', scope };
  const req = parseRequirement(scope, { adminScope: admin[0] ?? DEFAULT_ADMIN_SCOPE });
  if (!req) return undefined;
  if (req.kind === 'admin') return { kind: 'admin', scope };
  const { resource, action } = req;
  if (req.kind === 'param') return { kind: 'param', scope, resource, param: req.param, action };
  return { kind: scope.split(':').length === 3 ? 'wildcard' : 'global', scope, resource, action };
}

/**
 * Whether a valid scope's resource and action are lowercase, as every AgentOS scope is. The grammar
 * is case-sensitive and accepts capitals (RFC 6749 §3.3; identity providers issue `Files.Read`),
 * so this is a warning: `Agents:read` is a different scope from `agents:read`.
 */
export function isLowercaseScope(parsed: ParsedScope): boolean {
  return (
    parsed.kind === 'admin' ||
    (parsed.resource === parsed.resource.toLowerCase() && parsed.action === parsed.action.toLowerCase())
  );
}
