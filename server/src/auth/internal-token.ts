/**
 * @module The scheduler's credential: a random bearer token known only to this process (or shared
 * by the instances behind one load balancer), compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from './service-account-token.js';

/** The user id of requests made by the scheduler with the internal token. */
export const INTERNAL_SCHEDULER_USER_ID = '__scheduler__';
/** What the scheduler may call: run and read agents, teams and workflows, and manage schedules. */
export const INTERNAL_SCHEDULER_SCOPES: readonly string[] = Object.freeze([
  'agents:read',
  'agents:run',
  'teams:read',
  'teams:run',
  'workflows:read',
  'workflows:run',
  'schedules:read',
  'schedules:write',
  'schedules:delete',
]);

/** The scheduler's credential. */
export interface InternalToken {
  /** Send as `Authorization: Bearer <token>`. Never logged, never stored. */
  readonly token: string;
  readonly userId: typeof INTERNAL_SCHEDULER_USER_ID;
  readonly scopes: readonly string[];
  /** Constant-time comparison with a presented credential. */
  matches(candidate: string): boolean;
}

/**
 * Creates the internal scheduler token (random per process; pass `token` to share one between
 * instances behind a load balancer, where a schedule may call another instance).
 * @throws {TypeError} when a given token is shorter than 32 characters
 */
export function createInternalToken(options: { token?: string | undefined } = {}): InternalToken {
  const token = options.token ?? `agentos_internal_${randomBase62(43)}`;
  if (token.length < 32) throw new TypeError('createInternalToken: the token must be at least 32 characters');
  const expected = createHash('sha256').update(token).digest();
  return Object.freeze({
    token,
    userId: INTERNAL_SCHEDULER_USER_ID,
    scopes: INTERNAL_SCHEDULER_SCOPES,
    matches(candidate: string) {
      // The length is no secret (every internal token has one fixed length): a JWT, hundreds of
      // characters long, is not hashed on every request.
      if (candidate.length !== token.length) return false;
      // Hashing first gives equal-length buffers, so the comparison time never depends on the input.
      const got = createHash('sha256').update(candidate).digest();
      return timingSafeEqual(got, expected);
    },
  });
}
