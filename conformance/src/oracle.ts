/**
 * @module oracle — the suite's own implementation of the AgentOS scope semantics
 * (shared/contract.md §1 claim reading, §2 grammar and matching, §3 decisions). It deliberately does
 * not import the reference server or @agentos/core: the oracle must be independent of the code
 * under test.
 */
import type { Operation } from './spec.js';

export const DEFAULT_ADMIN_SCOPE = 'agent_os:admin';

/** A caller scope as the contract grammar reads it (§2). Anything else grants nothing. */
export type ParsedScope =
  | { kind: 'admin' }
  | { kind: 'global'; resource: string; action: string }
  | { kind: 'wildcard'; resource: string; action: string }
  | { kind: 'resource'; resource: string; id: string; action: string }
  | { kind: 'unknown' };

/**
 * One part of a scope: RFC 6749 §3.3 scope-token characters (%x21 / %x23-5B / %x5D-7E) except
 * the `:` separator. A scope with a space, `"`, a backslash or a control or non-ASCII character is not
 * a scope and grants nothing (§2).
 */
const PART = /^[\x21\x23-\x39\x3B-\x5B\x5D-\x7E]+$/;

/**
 * Parses one caller scope. Exact comparison: case-sensitive, no trimming, no prefixes.
 * Legacy `system:` is read as `config:` (§2).
 */
export function parseScope(scope: string, adminScope = DEFAULT_ADMIN_SCOPE): ParsedScope {
  if (scope === adminScope) return { kind: 'admin' };
  const parts = scope.split(':');
  if (!parts.every((p) => PART.test(p))) return { kind: 'unknown' };
  const resource = parts[0] === 'system' ? 'config' : (parts[0] as string);
  if (parts.length === 2) return { kind: 'global', resource, action: parts[1] as string };
  if (parts.length === 3) {
    const [, id, action] = parts as [string, string, string];
    return id === '*' ? { kind: 'wildcard', resource, action } : { kind: 'resource', resource, id, action };
  }
  return { kind: 'unknown' };
}

/** A required scope from `x-required-scopes`, possibly bound to a path parameter. */
export interface RequiredScope {
  resource: string;
  action: string;
  /** Path parameter name for `res:{param}:act`. */
  param?: string;
  /** Literal id for a required `res:<id>:act` without a parameter (rare). */
  id?: string;
}

export function parseRequired(required: string): RequiredScope {
  const parts = required.split(':');
  if (parts.length === 3) {
    const m = /^\{(.+)\}$/.exec(parts[1] as string);
    return m
      ? { resource: parts[0] as string, action: parts[2] as string, param: m[1] as string }
      : { resource: parts[0] as string, action: parts[2] as string, id: parts[1] as string };
  }
  return { resource: parts[0] as string, action: parts[1] ?? '' };
}

/** Renders a required scope for concrete path values: `agents:{agent_id}:run` → `agents:a1:run`. */
export function renderRequired(required: string, values: Record<string, string>): string {
  return required.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? `{${name}}`);
}

/** Is required scope `req` (bound to `values`) satisfied by one caller scope (§2)? */
export function satisfies(req: RequiredScope, values: Record<string, string>, caller: ParsedScope): boolean {
  switch (caller.kind) {
    case 'admin':
      return true;
    case 'global':
    case 'wildcard':
      return caller.resource === req.resource && caller.action === req.action;
    case 'resource': {
      if (caller.resource !== req.resource || caller.action !== req.action) return false;
      const want = req.param !== undefined ? values[req.param] : req.id;
      return want !== undefined && want === caller.id;
    }
    default:
      return false;
  }
}

/**
 * Reads the scopes claim the way §1 says a server reads it: an array of strings; a single string
 * is one scope, except for the RFC 9068 claim names `scope`/`scp`, where it is split on spaces.
 * Any other type grants nothing.
 */
export function readScopesClaim(value: unknown, claimName: string): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') {
    if (claimName === 'scope' || claimName === 'scp') return value.split(' ').filter((s) => s !== '');
    return [value];
  }
  return [];
}

export type Decision =
  | { kind: 'public' }
  | { kind: 'allow' }
  /** List filtered to these ids (§3 x-scope-filter row). */
  | { kind: 'filter'; ids: string[] }
  | { kind: 'deny'; required: string[] };

/**
 * The decision of contract §3 for a valid token with `scopes` on `op` with path values `values`.
 * @example decide(op, { agent_id: 'a1' }, ['agents:a1:run']) // { kind: 'allow' }
 */
export function decide(
  op: Pick<Operation, 'requiredScopes' | 'scopeFilter'>,
  values: Record<string, string>,
  scopes: readonly string[],
  adminScope = DEFAULT_ADMIN_SCOPE,
): Decision {
  const required = op.requiredScopes ?? [];
  if (required.length === 0) return { kind: 'public' };
  const parsed = scopes.map((s) => parseScope(s, adminScope));
  const reqs = required.map(parseRequired);
  // A requirement that is the admin scope itself is met by the admin scope only: `agent_os:*:admin`
  // reads as a wildcard of resource `agent_os`, and a wildcard never mints the admin scope (§2).
  const met = (r: RequiredScope, i: number) =>
    required[i] === adminScope
      ? parsed.some((c) => c.kind === 'admin')
      : parsed.some((c) => satisfies(r, values, c));
  if (reqs.every(met)) return { kind: 'allow' };
  const f = op.scopeFilter;
  if (f) {
    const ids = parsed.flatMap((c) =>
      c.kind === 'resource' && c.resource === f.resource && c.action === f.action ? [c.id] : [],
    );
    if (ids.length > 0) return { kind: 'filter', ids: [...new Set(ids)] };
  }
  return { kind: 'deny', required: required.map((r) => renderRequired(r, values)) };
}

/** The 403 body detail of contract §3. */
export function insufficientDetail(required: readonly string[]): string {
  return required.length === 0
    ? 'Insufficient permissions'
    : `Insufficient permissions. Required scope(s): ${required.join(', ')}`;
}
