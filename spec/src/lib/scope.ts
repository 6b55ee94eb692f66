/**
 * @module The scope grammar of `x-required-scopes` (contract.md §2 "Scopes", design.md "The contract
 * vocabulary"): the admin scope, `resource:action`, `resource:{param}:action`, `resource:*:action`.
 */
import type { OpenAPIDocument } from './document.js';

/** The admin scope when the document declares no `x-admin-scope`. */
export const DEFAULT_ADMIN_SCOPE = 'agent_os:admin';

export type ParsedScope =
  | { kind: 'admin'; scope: string }
  | { kind: 'global'; scope: string; resource: string; action: string }
  | { kind: 'wildcard'; scope: string; resource: string; action: string }
  | { kind: 'param'; scope: string; resource: string; param: string; action: string };

/** Human-readable grammar, quoted by the messages of the scope rules. */
export const SCOPE_GRAMMAR =
  '"resource:action", "resource:{param}:action" or "resource:*:action" (resource and action made of ' +
  'lowercase letters, digits, "_" and "-"; "{param}" names a path parameter)';

const SEGMENT = /^[a-z0-9_-]+$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/** `agent_os:admin` plus any `x-admin-scope` (a string or a list of strings) at the document root. */
export function adminScopes(document: OpenAPIDocument): string[] {
  const declared = document['x-admin-scope'];
  const extra = (Array.isArray(declared) ? declared : [declared]).filter(
    (s): s is string => typeof s === 'string',
  );
  return [DEFAULT_ADMIN_SCOPE, ...extra];
}

/** Parses a required scope; `undefined` when it does not follow the grammar. */
export function parseScope(scope: string, admin: readonly string[]): ParsedScope | undefined {
  if (admin.includes(scope)) return { kind: 'admin', scope };
  const parts = scope.split(':');
  const resource = parts[0] ?? '';
  const action = parts[parts.length - 1] ?? '';
  if (!SEGMENT.test(resource) || !SEGMENT.test(action)) return undefined;
  if (parts.length === 2) return { kind: 'global', scope, resource, action };
  if (parts.length !== 3) return undefined;
  const middle = parts[1]!;
  if (middle === '*') return { kind: 'wildcard', scope, resource, action };
  const param = PARAM.exec(middle)?.[1];
  return param === undefined ? undefined : { kind: 'param', scope, resource, param, action };
}
