/**
 * @module Service-account tokens (`agno_pat_…`, the GitHub PAT model) and the internal scheduler
 * token: minting, verification with a short cache, `last_used_at`, and the failed-lookup limiter.
 *
 * - A token is `agno_pat_` + 43 base62 characters (256 bits); only its SHA-256 is stored, with
 *   a 16-character display prefix. It is looked up by hash, so the secret is never compared
 *   directly, and the stored hash is checked again with `timingSafeEqual`.
 * - Successful verifications are cached for `cacheTtlMs` (default 30 s; 0 = every request hits
 *   the database, strict revocation). Expiry is re-checked on every hit; `invalidate` evicts an
 *   entry at once (the revoke handler calls it), other instances converge within the TTL.
 * - Failed lookups (unknown, revoked, expired) are counted per client address: after 20 in
 *   60 s the failure answer becomes 429 `Too many failed authentication attempts`. A valid token
 *   is never refused by the limiter. Database errors answer 503 and are not counted.
 *
 * Research: agno-api.md §3 (error strings), §6 (tokens, default scopes, expiry, names).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { JWTPayload } from 'jose';
import type { Db } from '../db/index.js';
import { serviceAccounts } from '../db/repos/index.js';
import type { ServiceAccountRow } from '../db/schema.js';
import { AuthError, HttpError } from './errors.js';
import type { TokenVerifier } from './verify.js';

/** Every service-account token starts with this (greppable by secret scanners). */
export const PAT_PREFIX = 'agno_pat_';
/** Characters of the token kept for display: the prefix plus 7. */
export const TOKEN_DISPLAY_PREFIX_LENGTH = 16;
/** Run and read, nothing else: what a token gets when the request names no scopes. */
export const DEFAULT_SERVICE_ACCOUNT_SCOPES: readonly string[] = Object.freeze([
  'agents:run',
  'teams:run',
  'workflows:run',
  'sessions:read',
  'config:read',
]);
export const DEFAULT_EXPIRY_DAYS = 90;
/** Lowercase slug: no `:` (cannot spoof `sa:`), no leading `_` (cannot collide with `__scheduler__`). */
export const SERVICE_ACCOUNT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The principal (`user_id`) of requests made with a service-account token. */
export const principalOf = (name: string) => `sa:${name}`;

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

export const INVALID_SERVICE_ACCOUNT_TOKEN = 'Invalid or expired service account token';
export const TOO_MANY_FAILED_ATTEMPTS = 'Too many failed authentication attempts';
export const AUTHENTICATION_UNAVAILABLE = 'Authentication is temporarily unavailable';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits. */
const TOKEN_RANDOM_LENGTH = 43;
const TOKEN_SHAPE = /^agno_pat_[0-9A-Za-z]{20,200}$/;

/** `length` uniformly random base62 characters (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes at or above it would favour the first characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Hex SHA-256 of a token: the only form ever stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token with its stored forms. */
export function generateServiceAccountToken(): { token: string; sha256: string; prefix: string } {
  const token = PAT_PREFIX + randomBase62(TOKEN_RANDOM_LENGTH);
  return { token, sha256: hashToken(token), prefix: token.slice(0, TOKEN_DISPLAY_PREFIX_LENGTH) };
}

/** True for a credential that must be verified as a service-account token, not as a JWT. */
export function isServiceAccountToken(token: string): boolean {
  return token.startsWith(PAT_PREFIX);
}

/** Who a verified service-account token is. */
export interface ServiceAccountPrincipal {
  /** `sa:<name>`: the caller's user id. */
  readonly principal: string;
  readonly scopes: readonly string[];
  readonly serviceAccountId: string;
  readonly name: string;
  /** Null for a token without expiry. */
  readonly expiresAt: Date | null;
}

export interface ServiceAccountVerifierOptions {
  /** The Kysely handle (`ctx.database.db`). */
  readonly db: Db;
  /** The clock (default `() => new Date()`); also drives the cache TTL and the limiter window. */
  readonly now?: (() => Date) | undefined;
  /** How long a successful verification is reused (default 30 000; 0 = never, strict revocation). */
  readonly cacheTtlMs?: number | undefined;
  /** Failed lookups per client address within the window before 429 (default 20). */
  readonly maxFailures?: number | undefined;
  /** The limiter window (default 60 000). */
  readonly failureWindowMs?: number | undefined;
  /** At most one `last_used_at` write per account within this time (default 60 000; 0 = every use). */
  readonly lastUsedIntervalMs?: number | undefined;
  /** Bound of the cache, the limiter and the last-used memory (default 2048 each). */
  readonly maxEntries?: number | undefined;
}

export interface ServiceAccountVerifier {
  /**
   * Verifies a token.
   * @param options `ip`: the client address the limiter counts failures against
   * @returns the principal, or null for an unknown, revoked or expired token
   * @throws {HttpError} 429 when the address has too many recent failures (and this one failed too),
   *   503 when the database cannot be asked
   */
  verify(token: string, options?: { ip?: string | undefined }): Promise<ServiceAccountPrincipal | null>;
  /**
   * Like `verify`, but a failure is an error the auth layer renders.
   * @throws {AuthError} 401 `Invalid or expired service account token`; {HttpError} 429, 503
   */
  authenticate(token: string, options?: { ip?: string | undefined }): Promise<ServiceAccountPrincipal>;
  /** Evicts the cached verification of a token hash (revocation on this instance). Idempotent. */
  invalidate(tokenSha256: string): void;
}

/** A bounded insertion-ordered map: the oldest entry goes first. */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

/**
 * Creates the service-account verifier.
 * @example
 * const accounts = createServiceAccountVerifier({ db: ctx.database.db, now: ctx.now });
 * const who = await accounts.authenticate(token, { ip: req.ip }); // { principal: 'sa:ci', scopes, … }
 */
export function createServiceAccountVerifier(options: ServiceAccountVerifierOptions): ServiceAccountVerifier {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const ttl = Math.max(0, options.cacheTtlMs ?? 30_000);
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.failureWindowMs ?? 60_000;
  const lastUsedInterval = options.lastUsedIntervalMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 2048;
  const cache = new Map<string, { principal: ServiceAccountPrincipal; at: number }>();
  const failures = new Map<string, number[]>();
  const lastUsedWrites = new Map<string, number>();

  function isLimited(key: string, t: number): boolean {
    const fresh = (failures.get(key) ?? []).filter((at) => at > t - windowMs);
    if (fresh.length === 0) failures.delete(key);
    else failures.set(key, fresh);
    return fresh.length >= maxFailures;
  }

  async function touch(p: ServiceAccountPrincipal, t: number): Promise<void> {
    const last = lastUsedWrites.get(p.serviceAccountId);
    if (last !== undefined && t - last < lastUsedInterval && lastUsedInterval > 0) return;
    boundedSet(lastUsedWrites, p.serviceAccountId, t, maxEntries);
    try {
      await serviceAccounts.touch(db, p.serviceAccountId, new Date(t));
    } catch {
      // Bookkeeping only: a failed write never fails the request.
    }
  }

  async function verify(
    token: string,
    opts: { ip?: string | undefined } = {},
  ): Promise<ServiceAccountPrincipal | null> {
    const t = now().getTime();
    const key = opts.ip ?? 'unknown';
    const sha256 = hashToken(token);
    if (ttl > 0) {
      const hit = cache.get(sha256);
      if (
        hit &&
        t - hit.at <= ttl &&
        (hit.principal.expiresAt === null || hit.principal.expiresAt.getTime() > t)
      ) {
        await touch(hit.principal, t);
        return hit.principal;
      }
      if (hit) cache.delete(sha256);
    }
    let found: ServiceAccountPrincipal | null = null;
    if (TOKEN_SHAPE.test(token)) {
      let row: ServiceAccountRow | undefined;
      try {
        row = await serviceAccounts.findByTokenHash(db, sha256);
      } catch (cause) {
        throw new HttpError(503, AUTHENTICATION_UNAVAILABLE, { 'Retry-After': '5' }, { cause });
      }
      const stored = Buffer.from(row?.token_sha256 ?? '', 'utf8');
      const computed = Buffer.from(sha256, 'utf8');
      const same = stored.length === computed.length && timingSafeEqual(stored, computed);
      if (
        row &&
        same &&
        row.revoked_at === null &&
        (row.expires_at === null || row.expires_at.getTime() > t)
      ) {
        found = Object.freeze({
          principal: row.principal,
          scopes: Object.freeze(
            Array.isArray(row.scopes) ? row.scopes.filter((s) => typeof s === 'string') : [],
          ),
          serviceAccountId: row.id,
          name: row.name,
          expiresAt: row.expires_at,
        });
      }
    }
    if (found) {
      if (ttl > 0) boundedSet(cache, sha256, { principal: found, at: t }, maxEntries);
      await touch(found, t);
      return found;
    }
    // The limiter shapes only the failure answer, so a flood of bad tokens from an address
    // shared with a legitimate client never locks that client out.
    if (isLimited(key, t)) {
      throw new HttpError(429, TOO_MANY_FAILED_ATTEMPTS, {
        'Retry-After': String(Math.ceil(windowMs / 1000)),
      });
    }
    const list = failures.get(key) ?? [];
    list.push(t);
    boundedSet(failures, key, list, maxEntries);
    return null;
  }

  return {
    verify,
    async authenticate(token, opts) {
      const p = await verify(token, opts);
      if (!p) {
        throw new AuthError(
          'ERR_JWT_INVALID',
          401,
          INVALID_SERVICE_ACCOUNT_TOKEN,
          { error: 'invalid_token' },
          'service_account_invalid',
        );
      }
      return p;
    },
    invalidate(sha256) {
      cache.delete(sha256);
    },
  };
}

// ------------------------------------------------------------------------------ internal token

/** The scheduler's credential: a random bearer token known only to this process. */
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

// --------------------------------------------------------------------------- auth integration

/** The claim names a principal is rendered into (the resolved auth config has them). */
export interface ClaimNames {
  /** Default `sub`. */
  readonly userIdClaim?: string | undefined;
  /** Default `scopes`. An array is read as is for any claim name. */
  readonly scopesClaim?: string | undefined;
}

/** Claims standing for a non-JWT principal, for the middleware's `buildCallerContext`. */
export function principalClaims(
  userId: string,
  scopes: readonly string[],
  names: ClaimNames = {},
): JWTPayload {
  return { [names.userIdClaim ?? 'sub']: userId, [names.scopesClaim ?? 'scopes']: [...scopes] };
}

const clientAddress = new AsyncLocalStorage<string | undefined>();

/**
 * Records the client address for `withServiceAccounts` (mount before the auth middleware):
 * the token verifier only sees the token, the limiter needs the address.
 */
export function bindClientAddress() {
  return function agentosClientAddress(req: Request, _res: Response, next: NextFunction): void {
    clientAddress.run(req.ip ?? req.socket.remoteAddress, next);
  };
}

export interface WithServiceAccountsOptions {
  /** Verifies `agno_pat_…` tokens; without it they answer 401 `Service accounts are not enabled…`. */
  readonly serviceAccounts?: ServiceAccountVerifier | undefined;
  /** The scheduler's token. */
  readonly internal?: InternalToken | undefined;
  readonly claims?: ClaimNames | undefined;
}

/**
 * Wraps the JWT verifier so that the auth middleware accepts service-account tokens and the
 * internal scheduler token too, without other changes: they become claims with the principal
 * as user id and their scopes. JWTs still go through `jwt.verify` (which refuses the reserved
 * subjects `sa:…` and `__scheduler__`, so a JWT cannot pose as either).
 * @example
 * app.use(bindClientAddress());
 * app.use(createAuthMiddleware({ config: config.auth, index, logger,
 *   verifier: withServiceAccounts(jwtVerifier, { serviceAccounts, internal, claims: config.auth }) }));
 */
export function withServiceAccounts(jwt: TokenVerifier, options: WithServiceAccountsOptions): TokenVerifier {
  const { serviceAccounts, internal, claims } = options;
  return {
    get warnings() {
      return jwt.warnings;
    },
    warmUp: () => jwt.warmUp(),
    async verify(token: string) {
      if (isServiceAccountToken(token)) {
        if (!serviceAccounts) {
          throw new AuthError(
            'ERR_JWT_INVALID',
            401,
            'Service accounts are not enabled on this AgentOS instance',
            { error: 'invalid_token' },
            'service_accounts_disabled',
          );
        }
        const p = await serviceAccounts.authenticate(token, { ip: clientAddress.getStore() });
        return principalClaims(p.principal, p.scopes, claims);
      }
      if (internal?.matches(token)) return principalClaims(internal.userId, internal.scopes, claims);
      return jwt.verify(token);
    },
  };
}
