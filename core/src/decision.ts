/**
 * @module The scope decision for one request (contract.md §2–§3) and its RFC 6750 presentation.
 */
import {
  type AccessibleIds,
  accessibleIds,
  type GrantPlane,
  type Grants,
  planeSatisfies,
  type Requirement,
  renderRequirement,
  satisfies,
} from './scopes.js';
import type { ScopeFilter } from './types.js';

export type Decision =
  /** Every requirement is met. `accessibleIds` is `'*'` on filterable lists, else null. */
  | { readonly effect: 'allow'; readonly accessibleIds: '*' | null }
  /** A filterable list: answer 200 with only the items whose id is accessible. */
  | { readonly effect: 'filter'; readonly accessibleIds: Exclude<AccessibleIds, '*'> }
  /**
   * Answer 403 `ERR_SCOPE_INSUFFICIENT`. `required` are the route's scopes rendered with the
   * request's path values (the 403's wording); `missing` those the caller lacks.
   */
  | { readonly effect: 'deny'; readonly required: readonly string[]; readonly missing: readonly string[] };

/** What `decide` needs of a route: its compiled requirements and optional list filter. */
export interface DecisionInput {
  readonly requirements: readonly Requirement[];
  readonly filter?: ScopeFilter | undefined;
  /** Alternative exact scope sets (`RouteSpec.anyOf`); when present they decide alone. */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
}

/**
 * Decides whether the caller may call the operation. A plane (contract.md §2, roles) allows the
 * request when it satisfies every requirement; on a filterable list, a plane that lacks only the
 * filter's requirement contributes the ids it grants, and denied ids are carved out.
 * @param route the compiled route (a `CompiledRoute` is one), or a runtime override
 * @param params decoded path parameters
 * @param grants the caller's compiled grants
 * @example decide(index.byOperationId('listAgents')!, {}, compileGrants(['agents:a1:read']))
 * // { effect: 'filter', accessibleIds: Set { 'a1' } }
 */
export function decide(
  route: DecisionInput,
  params: Readonly<Record<string, string>>,
  grants: Grants,
): Decision {
  if (route.anyOf) return decideAnyOf(route.anyOf, grants, route.filter ? '*' : null);
  const reqs = route.requirements;
  const filter = route.filter;
  const planes = grants.planes;
  // The list is filtered only where the route requires the filter's scope (a `scopeMappings`
  // override may require another one: then the override decides alone, as for any route).
  let filtered = false;
  if (filter) {
    for (let i = 0; i < reqs.length; i++) {
      if (filters(reqs[i]!, filter)) {
        filtered = true;
        break;
      }
    }
  }
  if (filtered) {
    const passing = planes.filter((plane) => planePasses(plane, reqs, params, filter));
    const ids = accessibleIds(grants, filter!.resource, filter!.action, passing);
    if (ids === '*') return { effect: 'allow', accessibleIds: ids };
    // No plane passes, or the passing ones grant no id: 403 (contract.md §3).
    if (!(ids instanceof Set) || ids.size > 0) return { effect: 'filter', accessibleIds: ids };
  } else {
    for (let i = 0; i < planes.length; i++) {
      if (planePasses(planes[i]!, reqs, params, undefined)) {
        return { effect: 'allow', accessibleIds: filter ? '*' : null };
      }
    }
  }
  const required = new Array<string>(reqs.length);
  const missing: string[] = [];
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i]!;
    required[i] = renderRequirement(r, params);
    if (!satisfies(grants, r, params)) missing.push(required[i]!);
  }
  // One plane may meet some requirements and another the rest: then every one is "missing".
  return { effect: 'deny', required, missing: missing.length > 0 ? missing : [...required] };
}

/** Whether `r` is the requirement a list filter stands for. */
function filters(r: Requirement, filter: ScopeFilter): boolean {
  return r.kind !== 'admin' && r.resource === filter.resource && r.action === filter.action;
}

/**
 * Whether one plane meets every requirement; with `filter`, the filter's own requirement counts as
 * met (the plane then contributes the ids it grants).
 */
function planePasses(
  plane: GrantPlane,
  reqs: readonly Requirement[],
  params: Readonly<Record<string, string>>,
  filter: ScopeFilter | undefined,
): boolean {
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i]!;
    if (!planeSatisfies(plane, r, params) && !(filter && filters(r, filter))) return false;
  }
  return true;
}

/**
 * OpenAPI Security Requirement semantics (OpenAPI 3.1 §4.8.30): allowed when every scope of one set
 * is held, compared exactly. A set with no scopes only needs a verified token. The 403 names the
 * first set, as `scopes` does.
 */
function decideAnyOf(
  anyOf: readonly (readonly string[])[],
  grants: Grants,
  accessibleIds: '*' | null,
): Decision {
  const held = new Set(grants.scopes);
  for (const set of anyOf) if (set.every((s) => held.has(s))) return { effect: 'allow', accessibleIds };
  const first = anyOf[0] ?? [];
  return { effect: 'deny', required: [...first], missing: first.filter((s) => !held.has(s)) };
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
