/**
 * @module Service-account tokens and the internal scheduler token, by concern: minting
 * (`service-account-token.ts`), verifying (`service-account-verifier.ts`), rate limiting
 * (`failure-limiter.ts`), the scheduler's token (`internal-token.ts`) and the middleware glue
 * (`credentials.ts`). This module gathers them for the handlers and the app.
 */
export {
  bindClientAddress,
  type CredentialVerifierOptions,
  createCredentialVerifier,
} from './credentials.js';
export { createFailureLimiter, type FailureLimiter } from './failure-limiter.js';
export {
  createInternalToken,
  INTERNAL_SCHEDULER_SCOPES,
  INTERNAL_SCHEDULER_USER_ID,
  type InternalToken,
} from './internal-token.js';
export {
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_SERVICE_ACCOUNT_SCOPES,
  generateServiceAccountToken,
  hashToken,
  isServiceAccountToken,
  PAT_PREFIX,
  principalOf,
  randomBase62,
  SERVICE_ACCOUNT_NAME_PATTERN,
  TOKEN_DISPLAY_PREFIX_LENGTH,
} from './service-account-token.js';
export {
  AUTHENTICATION_UNAVAILABLE,
  createServiceAccountVerifier,
  INVALID_SERVICE_ACCOUNT_TOKEN,
  type ServiceAccountPrincipal,
  type ServiceAccountStore,
  type ServiceAccountVerifier,
  type ServiceAccountVerifierOptions,
  type StoredServiceAccount,
  TOO_MANY_FAILED_ATTEMPTS,
} from './service-account-verifier.js';
