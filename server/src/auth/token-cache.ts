/**
 * @module The verified-token cache: exact token string → its verified claims, so a client
 * sending the same token does not pay a signature check on every request.
 *
 * Only tokens that passed every check are stored. What a verification checks cannot change while
 * the token and the configuration stay the same (signature, algorithm, audience, issuer, `nbf`,
 * `iat`, subject), except time: `exp` is checked on every hit with jose's rule and the same
 * leeway, and an entry is dropped after `ttlMs` so a key removed from a JWKS stops validating
 * cached tokens within that time. Bounded in entries and in token length (memory at most
 * `maxEntries × maxTokenLength` characters of token text plus the claims).
 */
import type { JWTPayload } from 'jose';
import { deepFreeze } from '../deep-freeze.js';

/** Verified tokens kept by default (least recently used dropped first). */
export const TOKEN_CACHE_ENTRIES = 1024;
/** Longer tokens are not cached (verified every time). */
export const MAX_CACHED_TOKEN_LENGTH = 4096;

export interface TokenCacheOptions {
  /** How long an entry is used, in ms; 0 turns the cache off. */
  readonly ttlMs: number;
  /** Clock skew tolerated on `exp`, in seconds (the verifier's leeway). */
  readonly leewaySeconds: number;
  readonly clock: () => Date;
  /** Default `TOKEN_CACHE_ENTRIES`. */
  readonly maxEntries?: number;
  /** Default `MAX_CACHED_TOKEN_LENGTH`. */
  readonly maxTokenLength?: number;
}

interface Entry {
  readonly payload: JWTPayload;
  readonly exp: number;
  /** Epoch ms after which the token is verified again. */
  readonly until: number;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<TokenCacheOptions>;

  constructor(options: TokenCacheOptions) {
    this.#options = {
      maxEntries: TOKEN_CACHE_ENTRIES,
      maxTokenLength: MAX_CACHED_TOKEN_LENGTH,
      ...options,
    };
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached claims of `token`; `'expired'` when it was cached and its `exp` has passed (the
   * caller answers "Token has expired" as for a fresh verification); undefined otherwise.
   */
  get(token: string): JWTPayload | 'expired' | undefined {
    const hit = this.#entries.get(token);
    if (!hit) return undefined;
    const nowMs = this.#options.clock().getTime();
    this.#entries.delete(token);
    if (nowMs >= hit.until) return undefined;
    // jose: expired when exp <= now - clockTolerance, now in whole seconds.
    if (hit.exp <= Math.floor(nowMs / 1000) - this.#options.leewaySeconds) return 'expired';
    // Most recently used last: a Map iterates in insertion order.
    this.#entries.set(token, hit);
    return hit.payload;
  }

  /** Stores the claims of a token that passed verification; they are frozen from now on. */
  set(token: string, payload: JWTPayload): void {
    const { ttlMs, maxEntries, maxTokenLength, clock } = this.#options;
    if (ttlMs <= 0 || maxEntries <= 0 || token.length > maxTokenLength || typeof payload.exp !== 'number')
      return;
    this.#entries.delete(token);
    while (this.#entries.size >= maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, {
      payload: deepFreeze(payload),
      exp: payload.exp,
      until: clock().getTime() + ttlMs,
    });
  }
}
