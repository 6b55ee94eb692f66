/**
 * @module Minting service-account tokens (`agno_pat_…`, the GitHub PAT model): the token, the
 * only form of it ever stored (its SHA-256) and its display prefix; the names and defaults of
 * service accounts. Research: agno-api.md §6 (tokens, default scopes, expiry, names).
 */
import { createHash, randomBytes } from 'node:crypto';

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

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits. */
const TOKEN_RANDOM_LENGTH = 43;
/** What a presented token must look like before storage is asked about it. */
export const TOKEN_SHAPE = /^agno_pat_[0-9A-Za-z]{20,200}$/;

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
