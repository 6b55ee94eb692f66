/**
 * @module The contract's error codes: one vocabulary for the server's errors, the SDK's `HttpError`
 * and the mocks (stable upper-case strings with a domain prefix, as jose's `ERR_JWT_EXPIRED`).
 */

/** Valid token, scopes insufficient: 403 `insufficient_scope` (RFC 6750 §3.1). */
export const ERR_SCOPE_INSUFFICIENT = 'ERR_SCOPE_INSUFFICIENT';

/** Codes of the contract's refusals (contract.md §3). */
export type ContractErrorCode =
  /** No token at all: 401 without an `error` attribute. */
  | 'ERR_AUTH_TOKEN_MISSING'
  /** A malformed credential: 400 `invalid_request`. */
  | 'ERR_AUTH_INVALID_REQUEST'
  /** A token that does not verify: 401 `invalid_token`. */
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_AUDIENCE'
  | 'ERR_JWT_SUBJECT_RESERVED'
  | typeof ERR_SCOPE_INSUFFICIENT;
