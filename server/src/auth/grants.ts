/**
 * @module What a principal may do: its compiled grants, read once per request (HTTP) or per
 * authentication (the workflow WebSocket) with core's claim reader, roles and deny, so that REST and
 * the socket grant one token the same scopes.
 */
import {
  type CompiledRoles,
  compileGrants,
  type Grants,
  type RoleDefinition,
  readRolesClaim,
  readScopesClaim,
  resolveGrants,
} from '@agentos/core';
import type { ResolvedAuthConfig } from '../config/options.js';
import { createManagedRoles, type ManagedRoles } from './managed-roles.js';
import type { Principal } from './principal.js';

/** A principal's grants: `grantsOf(principal)`; `grantsOf.now(principal)` when they are known without waiting. */
export interface GrantResolver {
  (principal: Principal): Promise<Grants>;
  /**
   * The grants of a JWT principal whose claims are frozen (a cached token's, the same object on
   * every hit) when the roles never change (no role store): computed once per claims object and
   * reused, frozen. Undefined otherwise (use the call).
   */
  now(principal: Principal): Grants | undefined;
}

/** Freezes compiled grants and their lists (the sets inside are typed read-only), to share them between requests. */
function freezeGrants(grants: Grants): Grants {
  for (const plane of grants.planes) Object.freeze(plane);
  Object.freeze(grants.planes);
  Object.freeze(grants.scopes);
  Object.freeze(grants.roles);
  return Object.freeze(grants);
}

/**
 * Returns the resolver of a principal's grants: a JWT's from its scopes and roles claims, else its
 * stored assignments (configured and managed roles, contract.md §9.1); a service account's, the
 * scheduler's or the security key's are the scopes stored for it, which roles never change.
 * @param managed the configured and stored roles (default: the configured roles only)
 * @throws whatever the role store throws (the caller answers 503: fail closed)
 */
export function createGrantResolver(
  config: Pick<
    ResolvedAuthConfig,
    'adminScope' | 'roles' | 'trustTokenScopes' | 'rolesClaim' | 'scopesClaim'
  >,
  managed?: ManagedRoles | undefined,
): GrantResolver {
  const scopeOptions = { adminScope: config.adminScope };
  const source =
    managed ??
    createManagedRoles({
      configured: config.roles as Readonly<Record<string, RoleDefinition | readonly string[]>>,
      adminScope: config.adminScope,
    });
  const rolesClaim = config.rolesClaim ?? undefined;
  const resolveOptions = (roles: CompiledRoles) => ({
    ...scopeOptions,
    roles,
    trustTokenScopes: config.trustTokenScopes,
  });
  async function grantsOf(principal: Principal): Promise<Grants> {
    if (principal.kind !== 'jwt') return compileGrants(principal.scopes, scopeOptions);
    const { claims, subject: sub } = principal;
    const scopes = readScopesClaim(claims, config.scopesClaim);
    const roles = await source.roles();
    const named = readRolesClaim(claims, rolesClaim);
    // agno: roles carried by the token take precedence; stored assignments apply to a token naming none.
    // A subject named like a role holds no stored role (subjects and roles share one namespace, as agno).
    const assigned =
      roles.size > 0 && named.length === 0 && sub !== null && roles.get(sub) === undefined
        ? await source.assigned(sub)
        : [];
    return resolveGrants({ scopes, roles: named, assigned }, resolveOptions(roles));
  }
  // Without a role store the grants are a function of the claims alone (no stored assignment
  // exists): a cached token's frozen claims object keys them for as long as it lives.
  const fixed = source.fixed;
  const memo = new WeakMap<object, Grants>();
  function now(principal: Principal): Grants | undefined {
    if (fixed === null || principal.kind !== 'jwt' || !Object.isFrozen(principal.claims)) return undefined;
    const { claims } = principal;
    let grants = memo.get(claims);
    if (grants === undefined) {
      grants = freezeGrants(
        resolveGrants(
          {
            scopes: readScopesClaim(claims, config.scopesClaim),
            roles: readRolesClaim(claims, rolesClaim),
            assigned: [],
          },
          resolveOptions(fixed),
        ),
      );
      memo.set(claims, grants);
    }
    return grants;
  }
  return Object.assign(grantsOf, { now });
}
