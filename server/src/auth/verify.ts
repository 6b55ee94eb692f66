/**
 * @module Token verification with jose (contract.md §1, RFC 8725): algorithm allow-list, key by
 * `kid` with rotation, JWKS URL with caching and OpenID discovery, required `exp`, `nbf`/`iat`
 * with leeway, audience and issuer. Every failure becomes a fixed, short `AuthError`; an
 * unreachable key source becomes 503, never a 401 for a possibly good token.
 *
 * The signature of a key imported at start is checked by node:crypto (`signature.ts`), jose
 * judging the header before and validating the claims after, as `jwtVerify` does; remote JWKS keys
 * and tokens with `crit` go through `jwtVerify` itself.
 */
import {
  base64url,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  UnsecuredJWT,
} from 'jose';
import type { Logger } from 'pino';
import type { ResolvedAuthConfig } from '../config/options.js';
import {
  type AuthError,
  invalidToken,
  keysUnavailable,
  reservedSubject,
  tokenExpired,
  wrongAudience,
} from './errors.js';
import { isCanonicalCompactJws, isCanonicalSegment } from './jws-canonical.js';
import { importKeys, type LocalKey } from './keys.js';
import { TokenCache } from './token-cache.js';

/** Tokens longer than this are refused before any decoding (Node's default header limit is 16 KiB). */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** 9999-12-31T23:59:59Z: NumericDates beyond it (e.g. 1e300) are refused rather than trusted. */
const MAX_NUMERIC_DATE = 253402300799;

/** The protected header `{"alg":"none"}` under which jose validates a payload already authenticated here. */
const NONE_HEADER = base64url.encode('{"alg":"none"}');

/**
 * The claims of a token whose signature node:crypto has just checked (`signature.ts`), validated by
 * jose exactly as `jwtVerify` validates them after its own signature check: `UnsecuredJWT.decode`
 * is jose's public entry to that validation (`validateClaimsSet`: JSON object, required claims,
 * `iss`, `aud`, `nbf`, `exp` with the clock tolerance). It reads the protected header only for
 * the `typ` option, which is never set here; the real header was checked before the signature.
 */
function validatedClaims(token: string, options: JWTVerifyOptions): JWTPayload {
  const payload = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
  return UnsecuredJWT.decode(`${NONE_HEADER}.${payload}.`, options).payload;
}

/** Verifies tokens; built once at start. */
export interface TokenVerifier {
  /**
   * Verifies a compact JWS and its claims.
   * @throws {AuthError} 401 for every token fault, 503 when the key source is unreachable
   */
  verify(token: string): Promise<JWTPayload>;
  /**
   * The claims of a token `verify` accepted and still holds in its cache (frozen, the same object
   * on every hit), read synchronously; undefined when it must be verified (`verify`).
   * @throws {AuthError} 401 "Token has expired" when the cached token's `exp` has passed
   */
  cached(token: string): JWTPayload | undefined;
  /** Fetches remote keys now (discovery + JWKS) so the first request does not wait; never throws. */
  warmUp(): Promise<boolean>;
  /** Warnings from importing the keys. */
  readonly warnings: readonly string[];
}

export interface VerifierDeps {
  readonly clock: () => Date;
  readonly logger: Logger;
  /** For discovery; default the global fetch. */
  readonly fetch?: typeof fetch | undefined;
}

/** Thrown by the remote key source when it cannot be reached; mapped to 503. */
class KeySourceError extends Error {
  constructor(
    message: string,
    readonly publicDetail: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeySourceError';
  }
}

const JWKS_UNAVAILABLE =
  'Token verification is temporarily unavailable: the signing keys could not be fetched. Try again later.';
const DISCOVERY_UNAVAILABLE =
  'Token verification is temporarily unavailable: OpenID discovery at the configured issuer failed. Try again later.';

/** Subjects the server reserves for itself (research agno-api.md §3, `is_reserved_principal`). */
export function isReservedSubject(sub: unknown): boolean {
  return (
    typeof sub === 'string' &&
    (sub.startsWith('sa:') || sub.startsWith('__oauth__:') || sub === '__scheduler__')
  );
}

/**
 * Creates the verifier: imports every local key once, prepares the remote JWKS.
 *
 * Verified tokens are cached for `tokenCacheSeconds` (exact token string → its claims), so a
 * client sending the same token does not pay a signature check per request. Only successes are
 * cached; `exp` is checked against the clock on every hit with the same rule and leeway as jose;
 * everything else a verification checks (signature, algorithm, audience, issuer, `nbf`, `iat`,
 * subject) cannot change while the token and the configuration stay the same. A key removed from
 * a JWKS stops validating cached tokens within `tokenCacheSeconds` (the JWKS itself is cached
 * for `jwksCacheMaxAgeSeconds`, longer by default).
 * @throws {ConfigError} when a configured key cannot be used
 */
export async function createTokenVerifier(
  config: ResolvedAuthConfig,
  deps: VerifierDeps,
): Promise<TokenVerifier> {
  const { keys, warnings } = await importKeys(config);
  const fetchImpl = deps.fetch ?? fetch;
  const timeoutMs = Math.round(config.jwksTimeoutSeconds * 1000);
  const remoteOptions = {
    cacheMaxAge: Math.round(config.jwksCacheMaxAgeSeconds * 1000),
    cooldownDuration: Math.round(config.jwksCooldownSeconds * 1000),
    timeoutDuration: timeoutMs,
  };

  let remote: ReturnType<typeof createRemoteJWKSet> | null = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), remoteOptions)
    : null;
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;

  async function discover(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: unknown;
    try {
      const res = await fetchImpl(url, {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (res.status !== 200) throw new Error(`answered HTTP ${res.status}`);
      doc = await res.json();
    } catch (e) {
      throw new KeySourceError(
        `OpenID discovery at ${url} failed: ${(e as Error).message}`,
        DISCOVERY_UNAVAILABLE,
        { cause: e },
      );
    }
    const d = doc as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must equal the configured one.
    if (d.issuer !== issuer) {
      throw new KeySourceError(
        `OpenID discovery at ${url}: the document's issuer ${JSON.stringify(d.issuer)} is not the configured issuer ${JSON.stringify(issuer)}`,
        DISCOVERY_UNAVAILABLE,
      );
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(String(d.jwks_uri));
      if (jwksUri.protocol !== 'https:' && jwksUri.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new KeySourceError(`OpenID discovery at ${url}: no usable jwks_uri`, DISCOVERY_UNAVAILABLE);
    }
    deps.logger.info({ jwksUri: jwksUri.href }, 'OpenID discovery found the JWKS');
    return createRemoteJWKSet(jwksUri, remoteOptions);
  }

  async function getRemote(): Promise<ReturnType<typeof createRemoteJWKSet> | null> {
    if (remote) return remote;
    if (!config.discovery || !config.issuer) return null;
    // One discovery at a time; a failure is not cached, so the next request retries.
    discovering ??= discover(config.issuer).finally(() => {
      discovering = null;
    });
    remote = await discovering;
    return remote;
  }

  /** The remote set, with fetch failures turned into KeySourceError so they are told apart from token faults. */
  function wrapRemote(set: ReturnType<typeof createRemoteJWKSet>): JWTVerifyGetKey {
    return async (header, token) => {
      try {
        return await set(header, token);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (
          code === 'ERR_JWKS_NO_MATCHING_KEY' ||
          code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' ||
          code === 'ERR_JOSE_NOT_SUPPORTED'
        ) {
          throw e;
        }
        throw new KeySourceError(`JWKS fetch failed: ${(e as Error).message}`, JWKS_UNAVAILABLE, {
          cause: e,
        });
      }
    };
  }

  // A token without a subject is valid; under user isolation the authority layer refuses it (403)
  // on the user-owned operations, where it would otherwise see the unscoped view (AgentOS 3.1).
  const requiredClaims = ['exp'];

  function options(): JWTVerifyOptions {
    const o: JWTVerifyOptions = {
      algorithms: [...config.algorithms],
      clockTolerance: config.leewaySeconds,
      currentDate: deps.clock(),
      requiredClaims,
    };
    if (config.verifyAudience) o.audience = [...config.audience];
    if (config.issuer) o.issuer = config.issuer;
    return o;
  }

  function candidates(alg: string, kid: string | undefined): LocalKey[] {
    const usable = keys.filter((k) => k.alg === alg);
    const byKid = kid === undefined ? [] : usable.filter((k) => k.kid === kid);
    // JWKS-file keys are chosen by kid, the kid-less ones being the default; verificationKeys
    // are all tried (rotation), the one whose kid matches first.
    const fallback = usable.filter((k) => !byKid.includes(k) && (k.pool === 'keys' || k.kid === null));
    const jwksDefault = byKid.some((k) => k.pool === 'jwks')
      ? fallback.filter((k) => k.pool === 'keys')
      : fallback;
    return [...byKid, ...jwksDefault];
  }

  async function verifySignatureAndClaims(
    token: string,
    alg: string,
    kid: string | undefined,
    crit: unknown,
  ): Promise<JWTPayload> {
    let lastError: unknown = null;
    // Extensions (`crit`) are jose's to judge: such a token takes jose's path for every key.
    const ownCheck = crit === undefined;
    let input: Buffer | undefined;
    let signature: Buffer | undefined;
    for (const k of candidates(alg, kid)) {
      if (ownCheck && k.check) {
        // The token is canonical base64url (checked by the caller), so ASCII: its bytes are its characters.
        const dot = token.lastIndexOf('.');
        input ??= Buffer.from(token.slice(0, dot), 'latin1');
        signature ??= Buffer.from(token.slice(dot + 1), 'base64url');
        if (await k.check(input, signature)) return validatedClaims(token, options());
        lastError = new errors.JWSSignatureVerificationFailed();
        continue;
      }
      try {
        return (await jwtVerify(token, k.key, options())).payload;
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw e;
        lastError = e;
      }
    }
    const set = await getRemote();
    if (set) {
      try {
        return (await jwtVerify(token, wrapRemote(set), options())).payload;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' && e instanceof errors.JWKSMultipleMatchingKeys) {
          for await (const key of e) {
            try {
              return (await jwtVerify(token, key, options())).payload;
            } catch (inner) {
              if ((inner as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw inner;
              lastError = inner;
            }
          }
          throw lastError ?? e;
        }
        // A local key already refused the signature: say so rather than "no matching key".
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' && lastError) throw lastError;
        throw e;
      }
    }
    throw lastError ?? new errors.JWKSNoMatchingKey();
  }

  function checkNumericDates(payload: JWTPayload): void {
    for (const claim of ['exp', 'nbf', 'iat'] as const) {
      const v = payload[claim];
      if (
        v !== undefined &&
        (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_NUMERIC_DATE)
      ) {
        throw invalidToken(`invalid "${claim}" claim`, `claim_invalid:${claim}`);
      }
    }
    const now = Math.floor(deps.clock().getTime() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + config.leewaySeconds) {
      throw invalidToken('token issued in the future', 'iat_future');
    }
  }

  const cache = new TokenCache({
    ttlMs: Math.round(config.tokenCacheSeconds * 1000),
    leewaySeconds: config.leewaySeconds,
    clock: deps.clock,
  });

  return {
    warnings,
    async warmUp() {
      try {
        const set = await getRemote();
        if (set) await set.reload();
        return true;
      } catch (e) {
        deps.logger.warn(
          { err: { message: (e as Error).message } },
          'could not fetch the verification keys yet; will retry on the first request',
        );
        return false;
      }
    },
    cached(token) {
      const hit = cache.get(token);
      if (hit === 'expired') throw tokenExpired();
      return hit;
    },
    async verify(token) {
      const cached = cache.get(token);
      if (cached === 'expired') throw tokenExpired();
      if (cached) return cached;
      if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('token too large', 'too_large');
      // A compact JWS has exactly three parts; a 5-part JWE or anything else is malformed here.
      if (token.split('.').length !== 3) throw invalidToken('malformed token', 'malformed');
      let alg: unknown;
      let kid: unknown;
      let crit: unknown;
      try {
        ({ alg, kid, crit } = decodeProtectedHeader(token));
      } catch (e) {
        throw invalidToken('malformed token', 'malformed', { cause: e });
      }
      if (typeof alg !== 'string') throw invalidToken('malformed token', 'malformed');
      if (!(config.algorithms as readonly string[]).includes(alg)) {
        throw invalidToken('algorithm not allowed', 'alg_not_allowed');
      }
      // One token, one spelling (checked once the header reads as one): padded or non-canonical
      // base64url is refused before jose, which would decode it to the same bytes (RFC 7515 §2:
      // base64url without padding). A signature spelled another way is not the signature that was
      // made: it fails as one.
      if (!isCanonicalCompactJws(token)) {
        const sig = token.slice(token.lastIndexOf('.') + 1);
        throw isCanonicalSegment(sig)
          ? invalidToken('malformed token', 'non_canonical')
          : invalidToken('signature verification failed', 'signature_non_canonical');
      }
      let payload: JWTPayload;
      try {
        payload = await verifySignatureAndClaims(token, alg, typeof kid === 'string' ? kid : undefined, crit);
      } catch (e) {
        throw mapVerifyError(e, config, deps.logger);
      }
      checkNumericDates(payload);
      const userId = payload[config.userIdClaim];
      if (userId !== undefined && typeof userId !== 'string') {
        throw invalidToken(`invalid "${config.userIdClaim}" claim`, 'claim_invalid:user_id');
      }
      if (isReservedSubject(userId)) throw reservedSubject();
      cache.set(token, payload);
      return payload;
    },
  };
}

const KNOWN_CLAIMS = new Set(['exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'typ']);

/**
 * Maps a jose (or key source) failure to its fixed answer. Claim values, jose messages and key
 * details never reach the client; the claim name does only when it is a registered or configured one.
 */
export function mapVerifyError(e: unknown, config: ResolvedAuthConfig, logger: Logger): AuthError {
  if (e instanceof KeySourceError) {
    logger.error({ err: { message: e.message } }, 'verification keys unavailable');
    return keysUnavailable(e.publicDetail, { cause: e });
  }
  const err = e as { code?: string; claim?: string; reason?: string };
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return tokenExpired();
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = err.claim ?? '';
      const name = KNOWN_CLAIMS.has(claim) || claim === config.userIdClaim ? claim : 'claim';
      if (claim === 'aud' && err.reason === 'check_failed') return wrongAudience();
      // contract.md §9.3: agno 3.1's texts for the issuer, never echoing the expected one.
      if (claim === 'iss' && err.reason === 'missing')
        return invalidToken('Token is missing the "iss" claim', 'claim_missing:iss');
      if (claim === 'iss' && err.reason === 'check_failed') return invalidToken('Invalid issuer', 'issuer');
      if (err.reason === 'missing') return invalidToken(`missing "${name}" claim`, `claim_missing:${name}`);
      if (err.reason === 'invalid') return invalidToken(`invalid "${name}" claim`, `claim_invalid:${name}`);
      if (claim === 'nbf') return invalidToken('token not yet valid', 'nbf');
      if (claim === 'iat') return invalidToken('token issued in the future', 'iat_future');
      if (claim === 'iss') return invalidToken('issuer not accepted', 'issuer');
      return invalidToken(`"${name}" claim check failed`, `claim_check_failed:${name}`);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('signature verification failed', 'signature');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken('algorithm not allowed', 'alg_not_allowed');
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalidToken('unsupported token header', 'not_supported');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalidToken('no matching verification key', 'no_matching_key');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JWE_INVALID':
      return invalidToken('malformed token', 'malformed');
    default:
      // Not a token fault we know: refuse, and leave the details to the server log only.
      logger.error(
        { err: { name: (e as Error)?.name, code: err.code, message: (e as Error)?.message } },
        'unexpected token verification error',
      );
      return invalidToken('verification failed', 'unexpected');
  }
}
