/**
 * @module Claims → caller context (contract.md §1: configurable claim names; RFC 9068 §2.2.3 for
 * the `scope` string form).
 */
import type { CallerContext, Grants } from '@agentos/core';
import type { JWTPayload } from 'jose';

/** Claim names whose string value is the RFC 6749 §3.3 / RFC 9068 space-delimited list. */
const SPACE_DELIMITED = new Set(['scope', 'scp']);

/**
 * The scopes a token carries.
 * - `scope` / `scp` (RFC 9068 form): a string is split on spaces (only SP, RFC 6749 §3.3, so a
 *   tab or newline never separates two scopes); an array is taken as is.
 * - any other claim name (the seeds' `scopes`): an array; a lone string is one scope; anything else is none.
 * Non-string members are dropped.
 */
export function readScopes(claims: JWTPayload, claimName: string): string[] {
  const value = claims[claimName];
  if (typeof value === 'string') {
    if (SPACE_DELIMITED.has(claimName)) return value.split(' ').filter((s) => s.length > 0);
    return [value];
  }
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return [];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function pick(claims: JWTPayload, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (Object.hasOwn(claims, n)) out[n] = claims[n];
  return Object.freeze(out);
}

/** What `buildCallerContext` needs besides the claims. */
export interface CallerInput {
  readonly operationId: string;
  readonly claims: JWTPayload;
  readonly grants: Grants;
  readonly userIdClaim: string;
  readonly sessionIdClaim: string;
  readonly dependenciesClaims: readonly string[];
  readonly sessionStateClaims: readonly string[];
  readonly accessibleIds: CallerContext['accessibleIds'];
  /** User isolation applies: the flag is on and the operation is `x-user-owned`. */
  readonly isolate: boolean;
}

/** The context of an authenticated caller. */
export function buildCallerContext(input: CallerInput): CallerContext {
  const { claims, grants } = input;
  const userId = str(claims[input.userIdClaim]);
  return Object.freeze({
    operationId: input.operationId,
    authenticated: true,
    userId,
    sessionId: str(claims[input.sessionIdClaim]),
    scopes: Object.freeze([...grants.scopes]),
    claims: Object.freeze({ ...claims }),
    dependencies: pick(claims, input.dependenciesClaims),
    sessionState: pick(claims, input.sessionStateClaims),
    isAdmin: grants.admin,
    accessibleIds: input.accessibleIds,
    scopedUserId: input.isolate && !grants.admin ? userId : null,
  });
}

const EMPTY = Object.freeze({});

/** The context of a request that needs no token (public operation, excluded path, open mode). */
export function anonymousCallerContext(
  operationId: string,
  accessibleIds: CallerContext['accessibleIds'],
): CallerContext {
  return Object.freeze({
    operationId,
    authenticated: false,
    userId: null,
    sessionId: null,
    scopes: Object.freeze([]) as readonly string[],
    claims: EMPTY,
    dependencies: EMPTY,
    sessionState: EMPTY,
    isAdmin: false,
    accessibleIds,
    scopedUserId: null,
  });
}
