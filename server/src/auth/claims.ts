/**
 * @module Principal → caller context (contract.md §1: configurable claim names). The claims are
 * read with `@agentos/core`'s claim reader, never here.
 */
import type { CallerContext, Grants } from '@agentos/core';
import { compileGrants } from '@agentos/core';
import type { JWTPayload } from 'jose';

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
  /** The caller's user id (the JWT's user id claim, or the service account's principal). */
  readonly userId: string | null;
  readonly grants: Grants;
  readonly sessionIdClaim: string;
  readonly dependenciesClaims: readonly string[];
  readonly sessionStateClaims: readonly string[];
  readonly accessibleIds: CallerContext['accessibleIds'];
  /** User isolation applies: the flag is on and the operation is `x-user-owned`. */
  readonly isolate: boolean;
}

/** What a caller context holds that depends only on the credential (claims, grants), not on the operation. */
export type CallerBase = Pick<
  CallerContext,
  | 'userId'
  | 'sessionId'
  | 'scopes'
  | 'grants'
  | 'roles'
  | 'claims'
  | 'dependencies'
  | 'sessionState'
  | 'isAdmin'
>;

/** The credential's part of a caller context, frozen: computed once per cached token by the middleware. */
export function buildCallerBase(
  input: Pick<
    CallerInput,
    'claims' | 'grants' | 'userId' | 'sessionIdClaim' | 'dependenciesClaims' | 'sessionStateClaims'
  >,
): CallerBase {
  const { claims, grants } = input;
  return Object.freeze({
    userId: input.userId,
    sessionId: str(claims[input.sessionIdClaim]),
    scopes: Object.freeze([...grants.scopes]),
    grants,
    roles: grants.roles,
    claims: Object.freeze({ ...claims }),
    dependencies: pick(claims, input.dependenciesClaims),
    sessionState: pick(claims, input.sessionStateClaims),
    isAdmin: grants.admin,
  });
}

/**
 * The context of an authenticated caller.
 * @param base the credential's part when already built (`buildCallerBase` of the same input)
 */
export function buildCallerContext(
  input: CallerInput,
  base: CallerBase = buildCallerBase(input),
): CallerContext {
  return Object.freeze({
    operationId: input.operationId,
    authenticated: true,
    userId: base.userId,
    sessionId: base.sessionId,
    scopes: base.scopes,
    grants: base.grants,
    roles: base.roles,
    claims: base.claims,
    dependencies: base.dependencies,
    sessionState: base.sessionState,
    isAdmin: base.isAdmin,
    accessibleIds: input.accessibleIds,
    scopedUserId: input.isolate && !base.isAdmin ? base.userId : null,
  });
}

const EMPTY = Object.freeze({});
const NO_GRANTS = compileGrants([]);

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
    grants: NO_GRANTS,
    roles: NO_GRANTS.roles,
    claims: EMPTY,
    dependencies: EMPTY,
    sessionState: EMPTY,
    isAdmin: false,
    accessibleIds,
    scopedUserId: null,
  });
}
