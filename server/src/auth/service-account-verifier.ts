/**
 * @module Verifying service-account tokens, with a short cache, `last_used_at` bookkeeping and the
 * failed-lookup limiter. Storage is reached through a port the server provides
 * (`ServiceAccountStore`), so the auth layer knows nothing of the database.
 *
 * - A token is looked up by its SHA-256, so the secret is never compared directly, and the stored
 *   hash is checked again with `timingSafeEqual`.
 * - Successful verifications are cached for `cacheTtlMs` (default 30 s; 0 = every request asks the
 *   store, strict revocation). Expiry is re-checked on every hit; `invalidate` evicts an entry at
 *   once (the revoke handler calls it), other instances converge within the TTL.
 * - Failed lookups (unknown, revoked, expired) are counted per client address (`failure-limiter.ts`):
 *   after 20 in 60 s the failure answer becomes 429. Store errors answer 503 and are not counted.
 *
 * Research: agno-api.md §3 (error strings), §6.
 */
import { timingSafeEqual } from 'node:crypto';
import { AuthError, HttpError } from './errors.js';
import { boundedSet, createFailureLimiter } from './failure-limiter.js';
import { hashToken, TOKEN_SHAPE } from './service-account-token.js';

export const INVALID_SERVICE_ACCOUNT_TOKEN = 'Invalid or expired service account token';
export const TOO_MANY_FAILED_ATTEMPTS = 'Too many failed authentication attempts';
export const AUTHENTICATION_UNAVAILABLE = 'Authentication is temporarily unavailable';

/** A stored service account, as the verifier needs it. */
export interface StoredServiceAccount {
  readonly id: string;
  readonly name: string;
  /** The caller's user id, fixed at creation (`sa:<name>`, or `sa:<name>.<id>` for a reused name). */
  readonly principal: string;
  readonly token_sha256: string;
  /** The granted scopes (a JSON array as stored; non-strings are ignored). */
  readonly scopes: unknown;
  readonly revoked_at: Date | null;
  readonly expires_at: Date | null;
}

/** The storage port: the server implements it over its repository. */
export interface ServiceAccountStore {
  findByTokenHash(sha256: string): Promise<StoredServiceAccount | undefined>;
  /** Records a use; failures are ignored (bookkeeping only). */
  touch(id: string, at: Date): Promise<void>;
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
  /** Where the accounts are stored. */
  readonly store: ServiceAccountStore;
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
   *   503 when the store cannot be asked
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

/**
 * Creates the service-account verifier.
 * @example
 * const accounts = createServiceAccountVerifier({ store: createServiceAccountStore(db), now: ctx.now });
 * const who = await accounts.authenticate(token, { ip: req.ip }); // { principal: 'sa:ci', scopes, … }
 */
export function createServiceAccountVerifier(options: ServiceAccountVerifierOptions): ServiceAccountVerifier {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const ttl = Math.max(0, options.cacheTtlMs ?? 30_000);
  const lastUsedInterval = options.lastUsedIntervalMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 2048;
  const limiter = createFailureLimiter({
    maxFailures: options.maxFailures,
    windowMs: options.failureWindowMs,
    maxEntries,
  });
  const cache = new Map<string, { principal: ServiceAccountPrincipal; at: number }>();
  const lastUsedWrites = new Map<string, number>();

  async function touch(p: ServiceAccountPrincipal, t: number): Promise<void> {
    const last = lastUsedWrites.get(p.serviceAccountId);
    if (last !== undefined && t - last < lastUsedInterval && lastUsedInterval > 0) return;
    boundedSet(lastUsedWrites, p.serviceAccountId, t, maxEntries);
    try {
      await store.touch(p.serviceAccountId, new Date(t));
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
      let row: StoredServiceAccount | undefined;
      try {
        row = await store.findByTokenHash(sha256);
      } catch (cause) {
        throw new HttpError(503, AUTHENTICATION_UNAVAILABLE, { headers: { 'Retry-After': '5' }, cause });
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
            Array.isArray(row.scopes) ? row.scopes.filter((s): s is string => typeof s === 'string') : [],
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
    if (limiter.isLimited(key, t)) {
      throw new HttpError(429, TOO_MANY_FAILED_ATTEMPTS, {
        headers: { 'Retry-After': String(Math.ceil(limiter.windowMs / 1000)) },
      });
    }
    limiter.record(key, t);
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
