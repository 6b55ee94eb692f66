/**
 * @module HTTP errors of the auth layer (contract.md §3, RFC 6750 §3): a coded domain error that
 * carries its status, `detail` and `WWW-Authenticate` challenge, rendered by one error handler.
 */
import {
  bearerChallenge,
  type ChallengeError,
  type ContractErrorCode,
  ERR_SCOPE_INSUFFICIENT,
  insufficientScopeDetail,
} from '@agentos/core';
import { HttpError } from '@agentos/runtime/http';

/** Stable codes of every answer the auth layer gives instead of running the handler. */
export type AuthErrorCode =
  /** No token at all: 401 without an `error` attribute (RFC 6750 §3.1). */
  | 'ERR_AUTH_TOKEN_MISSING'
  /** An Authorization scheme other than Bearer: 401 without an `error` attribute. */
  | 'ERR_AUTH_SCHEME_UNSUPPORTED'
  /** A malformed credential (`Bearer` alone, spaces in the token, two headers, two methods): 400 invalid_request. */
  | 'ERR_AUTH_INVALID_REQUEST'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_AUDIENCE'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_SUBJECT_RESERVED'
  /** The contract's codes (core): valid token, scopes insufficient is `ERR_SCOPE_INSUFFICIENT`. */
  | ContractErrorCode
  /** The keys cannot be fetched (JWKS URL or discovery down): 503. */
  | 'ERR_KEYS_UNAVAILABLE';

/** The one HTTP error type (`@agentos/runtime/http`), rendered by the one error handler as `{detail}`. */
export { HttpError };

/** An authentication or authorization failure. `reason` is a short code for logs. */
export class AuthError extends HttpError {
  override readonly name: string = 'AuthError';
  readonly code: AuthErrorCode;
  readonly reason: string;

  constructor(
    code: AuthErrorCode,
    status: number,
    detail: string,
    challenge: { error?: ChallengeError; scope?: readonly string[] } | null,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (challenge) headers['WWW-Authenticate'] = bearerChallenge({ realm: 'agentos', ...challenge });
    super(status, detail, { headers, cause: options?.cause });
    this.code = code;
    this.reason = reason;
  }
}

/** The `detail` of a missing token, per token source (research agno-api.md §3). */
export function missingTokenDetail(source: 'header' | 'cookie' | 'both', cookieName: string): string {
  if (source === 'cookie') return `JWT cookie '${cookieName}' missing`;
  if (source === 'both') return `JWT token missing from both Authorization header and '${cookieName}' cookie`;
  return 'Authorization header missing';
}

/** 401, no token. */
export const tokenMissing = (detail: string) =>
  new AuthError('ERR_AUTH_TOKEN_MISSING', 401, detail, {}, 'token_missing');

/** 401 `invalid_token` with `Invalid token: <reason>`. */
export const invalidToken = (reason: string, code: string, options?: { cause?: unknown }) =>
  new AuthError(
    'ERR_JWT_INVALID',
    401,
    `Invalid token: ${reason}`,
    { error: 'invalid_token' },
    code,
    options,
  );

/** 400 `invalid_request`. */
export const invalidRequest = (detail: string, reason: string) =>
  new AuthError('ERR_AUTH_INVALID_REQUEST', 400, detail, { error: 'invalid_request' }, reason);

/** 401 expired. */
export const tokenExpired = () =>
  new AuthError('ERR_JWT_EXPIRED', 401, 'Token has expired', { error: 'invalid_token' }, 'expired');

/** 401 wrong audience. */
export const wrongAudience = () =>
  new AuthError(
    'ERR_JWT_AUDIENCE',
    401,
    'Invalid token audience - token not valid for this AgentOS instance',
    { error: 'invalid_token' },
    'audience',
  );

/** 401 reserved subject (`sa:…`, `__oauth__:…`, `__scheduler__`). */
export const reservedSubject = () =>
  new AuthError(
    'ERR_JWT_SUBJECT_RESERVED',
    401,
    'Invalid token subject',
    { error: 'invalid_token' },
    'subject_reserved',
  );

/** 403 with the required scopes rendered for this request. */
export const insufficientScope = (required: readonly string[]) =>
  new AuthError(
    ERR_SCOPE_INSUFFICIENT,
    403,
    insufficientScopeDetail(required),
    { error: 'insufficient_scope', scope: required },
    'insufficient_scope',
  );

/** 503: the verification keys cannot be fetched right now. Never a 401 for a possibly good token. */
export const keysUnavailable = (detail: string, options?: { cause?: unknown }) => {
  const e = new AuthError('ERR_KEYS_UNAVAILABLE', 503, detail, null, 'keys_unavailable', options);
  (e.headers as Record<string, string>)['Retry-After'] = '5';
  return e;
};
