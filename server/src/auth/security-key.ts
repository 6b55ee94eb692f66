/**
 * @module Security-key mode (the Python AgentOS's `OS_SECURITY_KEY`, research agentos-3.1.md §6):
 * with no JWT key source configured, every non-public route requires
 * `Authorization: Bearer <key>`. A valid key is a trusted root: the admin scope, no user.
 * Service-account tokens (`agno_pat_…`) and the scheduler's internal token keep working with
 * their own scopes, as in the Python AgentOS.
 *
 * Answers as the Python AgentOS (`auth.py`, `get_authentication_dependency`): no token → 401
 * `Authorization header required`; a wrong one → 401 `Invalid authentication token`; both with
 * our RFC 6750 challenge. The comparison is constant time (agno compares with `!=`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';
import type { CredentialVerifier, Principal } from './principal.js';
import { isServiceAccountToken } from './service-account-token.js';

/** 401 body when no credential is sent in security-key mode (the Python AgentOS's wording). */
export const SECURITY_KEY_MISSING = 'Authorization header required';
/** 401 body for any credential that is not the key, a service-account token or the internal token. */
export const SECURITY_KEY_INVALID = 'Invalid authentication token';

/** The configured key, compared in constant time. */
export interface SecurityKey {
  /** True when `candidate` is the key. Time independent of where the two differ and of their lengths. */
  matches(candidate: string): boolean;
}

/**
 * Prepares the key for comparison.
 * @throws {TypeError} when the key is empty
 */
export function createSecurityKey(key: string): SecurityKey {
  if (key.length === 0) throw new TypeError('createSecurityKey: the key must not be empty');
  // SHA-256 digests have equal lengths, so timingSafeEqual never throws and never reveals the
  // key's length through an early return.
  const expected = createHash('sha256').update(key, 'utf8').digest();
  return Object.freeze({
    matches(candidate: string) {
      const got = createHash('sha256').update(candidate, 'utf8').digest();
      return timingSafeEqual(got, expected);
    },
  });
}

/** 401 for a missing credential in security-key mode. */
export const securityKeyMissing = () =>
  new AuthError('ERR_AUTH_TOKEN_MISSING', 401, SECURITY_KEY_MISSING, {}, 'token_missing');

/** 401 for a wrong credential in security-key mode. */
export const securityKeyInvalid = () =>
  new AuthError(
    'ERR_JWT_INVALID',
    401,
    SECURITY_KEY_INVALID,
    { error: 'invalid_token' },
    'security_key_invalid',
  );

/** Options of `withSecurityKey`. */
export interface WithSecurityKeyOptions {
  readonly key: SecurityKey;
  /** The admin scope the key stands for. */
  readonly adminScope: string;
  /** The scheduler's internal token check (the wrapped verifier accepts it). */
  readonly isInternalToken?: ((token: string) => boolean) | undefined;
}

/**
 * Wraps the verifier of service-account and internal tokens (`withServiceAccounts`) for
 * security-key mode: the key becomes a principal holding the admin scope and no user id; service-account
 * and internal tokens go to the wrapped verifier; anything else is refused without reaching the
 * JWT verifier (which has no key in this mode).
 * @example
 * const verifier = withSecurityKey(createCredentialVerifier(jwt, { serviceAccounts, internal }),
 *   { key: createSecurityKey(config.auth.securityKey), adminScope: config.auth.adminScope,
 *     isInternalToken: (t) => internal.matches(t) });
 */
export function withSecurityKey(
  inner: CredentialVerifier,
  options: WithSecurityKeyOptions,
): CredentialVerifier {
  const { key, adminScope, isInternalToken } = options;
  const scopes = Object.freeze([adminScope]);
  return {
    get warnings() {
      return inner.warnings;
    },
    warmUp: async () => true,
    async authenticate(token: string): Promise<Principal> {
      // The key is compared first, always: a key that happens to start with agno_pat_ still works.
      if (key.matches(token)) return { kind: 'security_key', subject: null, scopes };
      if (isServiceAccountToken(token) || isInternalToken?.(token)) return inner.authenticate(token);
      throw securityKeyInvalid();
    },
  };
}

/** In security-key mode a missing credential answers with the Python AgentOS's wording. */
export function securityKeyError(e: unknown): unknown {
  return e instanceof AuthError && e.code === 'ERR_AUTH_TOKEN_MISSING' ? securityKeyMissing() : e;
}
