/**
 * @module What a principal may do: its compiled grants, read once per request (HTTP) or per
 * authentication (the workflow WebSocket) with core's claim reader, roles and deny, so that REST and
 * the socket grant one token the same scopes.
 */
import {
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
): (principal: Principal) => Promise<Grants> {
  const scopeOptions = { adminScope: config.adminScope };
  const source =
    managed ??
    createManagedRoles({
      configured: config.roles as Readonly<Record<string, RoleDefinition | readonly string[]>>,
      adminScope: config.adminScope,
    });
  const rolesClaim = config.rolesClaim ?? undefined;
  return async function grantsOf(principal: Principal): Promise<Grants> {
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
    return resolveGrants(
      { scopes, roles: named, assigned },
      { ...scopeOptions, roles, trustTokenScopes: config.trustTokenScopes },
    );
  };
}
