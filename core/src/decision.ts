/**
 * @module The scope decision for one request (contract.md §2–§3) and its RFC 6750 presentation.
 */
import type { CompiledRoute } from './routes.js';
import { accessibleIds, type Grants, type Requirement, renderRequirement, satisfies } from './scopes.js';
import type { ScopeFilter } from './types.js';

export type Decision =
  /** Every requirement is met. `accessibleIds` is `'*'` on filterable lists, else null. */
  | { readonly effect: 'allow'; readonly accessibleIds: '*' | null }
  /** A filterable list: answer 200 with only the items whose id is in the set. */
  | { readonly effect: 'filter'; readonly accessibleIds: ReadonlySet<string> }
  /** Answer 403; `required` are the route's scopes rendered with the request's path values. */
  | { readonly effect: 'deny'; readonly required: readonly string[] };

/** What `decide` needs of a route: its compiled requirements and optional list filter. */
export interface DecisionInput {
  readonly requirements: readonly Requirement[];
  readonly filter?: ScopeFilter | undefined;
  /** Alternative exact scope sets (`RouteSpec.anyOf`); when present they decide alone. */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
}

const ALLOW: Decision = { effect: 'allow', accessibleIds: null };
const ALLOW_ALL: Decision = { effect: 'allow', accessibleIds: '*' };

function isFilterRequirement(req: Requirement, filter: ScopeFilter): boolean {
  return req.kind !== 'admin' && req.resource === filter.resource && req.action === filter.action;
}

/**
 * Decides whether the caller may call the operation.
 * @param route the compiled route (or a runtime override with the same shape)
 * @param params decoded path parameters
 * @param grants the caller's compiled scopes
 * @example decide(index.byOperationId('listAgents')!, {}, compileGrants(['agents:a1:read']))
 * // { effect: 'filter', accessibleIds: Set { 'a1' } }
 */
export function decide(
  route: DecisionInput | CompiledRoute,
  params: Readonly<Record<string, string>>,
  grants: Grants,
): Decision {
  if (route.anyOf) return decideAnyOf(route.anyOf, grants);
  const reqs = route.requirements;
  const filter = 'spec' in route ? route.spec.filter : route.filter;
  let missingFilterOnly = filter !== undefined;
  let ok = true;
  for (const req of reqs) {
    if (satisfies(grants, req, params)) continue;
    ok = false;
    if (!filter || !isFilterRequirement(req, filter)) missingFilterOnly = false;
  }
  if (ok) return filter ? ALLOW_ALL : ALLOW;
  if (filter && missingFilterOnly) {
    const ids = accessibleIds(grants, filter.resource, filter.action);
    // '*' cannot happen here (the requirement would be met); an empty set is a 403.
    if (ids !== '*' && ids.size > 0) return { effect: 'filter', accessibleIds: ids };
  }
  return { effect: 'deny', required: reqs.map((r) => renderRequirement(r, params)) };
}

/**
 * OpenAPI Security Requirement semantics (OpenAPI 3.1 §4.8.30): allowed when every scope of one set
 * is held, compared exactly. A set with no scopes only needs a verified token. The 403 names the
 * first set, as `scopes` does.
 */
function decideAnyOf(anyOf: readonly (readonly string[])[], grants: Grants): Decision {
  const held = new Set(grants.scopes);
  for (const set of anyOf) if (set.every((s) => held.has(s))) return ALLOW;
  return { effect: 'deny', required: [...(anyOf[0] ?? [])] };
}

/** `Insufficient permissions. Required scope(s): a, b` (the Python AgentOS wording). */
export function insufficientScopeDetail(required: readonly string[]): string {
  return required.length === 0
    ? 'Insufficient permissions'
    : `Insufficient permissions. Required scope(s): ${required.join(', ')}`;
}

export type ChallengeError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * Formats an RFC 6750 §3 `WWW-Authenticate` challenge.
 * @param realm default `agentos`
 * @example bearerChallenge({ error: 'insufficient_scope', scope: ['agents:read'] })
 * // 'Bearer realm="agentos", error="insufficient_scope", scope="agents:read"'
 */
export function bearerChallenge(options: {
  realm?: string;
  error?: ChallengeError | undefined;
  scope?: readonly string[] | undefined;
}): string {
  // RFC 6750 §3: the values are quoted strings, and scope tokens are %x21 / %x23-5B / %x5D-7E.
  // Anything else can only come from a path value (a NUL, a quote): drop it rather than escape it,
  // so the header is always valid (Node refuses control characters in headers).
  const q = (v: string) => v.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
  let out = `Bearer realm="${q(options.realm ?? 'agentos')}"`;
  if (options.error) out += `, error="${options.error}"`;
  if (options.scope && options.scope.length > 0) out += `, scope="${q(options.scope.join(' '))}"`;
  return out;
}
