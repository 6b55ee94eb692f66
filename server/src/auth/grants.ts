/**
 * @module What a principal may do: its compiled grants, read once per request (HTTP) or per
 * authentication (the workflow WebSocket) with core's claim reader, roles and deny, so that REST and
 * the socket grant one token the same scopes.
 */
import {
  compileGrants,
  compileRoles,
  type Grants,
  readRolesClaim,
  readScopesClaim,
  resolveGrants,
} from '@agentos/core';
import type { ResolvedAuthConfig } from '../config/options.js';
import type { Principal } from './principal.js';

/** The roles stored for a subject, asked only when roles are configured and the token names none. */
export type AssignedRoles = (subject: string) => Promise<readonly string[]>;

/**
 * Compiles the configured roles once and returns the resolver of a principal's grants: a JWT's
 * from its scopes and roles claims (and stored assignments); a service account's, the scheduler's
 * or the security key's are the scopes stored for it, which roles never change.
 * @throws whatever `assignedRoles` throws (the caller answers 503: fail closed)
 */
export function createGrantResolver(
  config: Pick<
    ResolvedAuthConfig,
    'adminScope' | 'roles' | 'trustTokenScopes' | 'rolesClaim' | 'scopesClaim'
  >,
  assignedRoles?: AssignedRoles | undefined,
): (principal: Principal) => Promise<Grants> {
  const scopeOptions = { adminScope: config.adminScope };
  const roles = compileRoles(config.roles, scopeOptions);
  const grantOptions = { ...scopeOptions, roles, trustTokenScopes: config.trustTokenScopes };
  const rolesClaim = config.rolesClaim ?? undefined;
  return async function grantsOf(principal: Principal): Promise<Grants> {
    if (principal.kind !== 'jwt') return compileGrants(principal.scopes, scopeOptions);
    const { claims, subject: sub } = principal;
    const scopes = readScopesClaim(claims, config.scopesClaim);
    const named = readRolesClaim(claims, rolesClaim);
    const assigned =
      roles.size > 0 && named.length === 0 && sub !== null && assignedRoles ? await assignedRoles(sub) : [];
    return resolveGrants({ scopes, roles: named, assigned }, grantOptions);
  };
}
