/**
 * @module Reading the scopes and roles claims of a token (contract.md §1; RFC 9068 §2.2.3 for the
 * `scope` string form): the one claim reader of the server, the SDK's `can()` and the mocks.
 */

/** Claim names whose string value is the RFC 6749 §3.3 / RFC 9068 space-delimited list. */
const SPACE_DELIMITED: ReadonlySet<string> = new Set(['scope', 'scp']);

/** The default scopes claim (the seeds' `scopes`). */
export const DEFAULT_SCOPES_CLAIM = 'scopes';

/** Claims read when no scopes claim is configured: `scopes`, then the RFC 9068 `scope` / `scp`. */
const FALLBACK_CLAIMS = [DEFAULT_SCOPES_CLAIM, 'scope', 'scp'] as const;

/**
 * The scopes a token carries.
 * - `scope` / `scp` (RFC 9068 form): a string is split on spaces; an array is taken as is.
 * - any other claim name (the seeds' `scopes`): an array; a lone string is one scope.
 * - anything else is no scope; non-string members are dropped.
 * @param claims the token's claims (verified, or decoded for a local hint)
 * @param claimName the configured claim; when undefined, the first of `scopes`, `scope`, `scp` present
 * @example readScopesClaim({ scp: 'agents:read agents:a1:run' }, 'scp') // ['agents:read', 'agents:a1:run']
 */
export function readScopesClaim(
  claims: Readonly<Record<string, unknown>> | null | undefined,
  claimName?: string,
): string[] {
  for (const name of claimName === undefined ? FALLBACK_CLAIMS : [claimName]) {
    const value = claims?.[name];
    // Only SP separates (RFC 6749 §3.3): a tab or newline never makes two scopes out of one.
    if (typeof value === 'string')
      return SPACE_DELIMITED.has(name) ? value.split(' ').filter(Boolean) : [value];
    if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  }
  return [];
}

/**
 * The role names a token carries (agno 3.1 `roles_claim`): a string is one role (identity
 * providers such as WorkOS send one `role`), an array is a list; anything else is none.
 * @example readRolesClaim({ role: 'reader' }, 'role') // ['reader']
 */
export function readRolesClaim(
  claims: Readonly<Record<string, unknown>> | null | undefined,
  claimName: string | undefined,
): string[] {
  const value = claimName === undefined ? undefined : claims?.[claimName];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}
