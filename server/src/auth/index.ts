/**
 * @module The auth layer of the reference server: token extraction, jose verification, the
 * scope decision middleware and its errors.
 */
export { anonymousCallerContext, buildCallerContext } from './claims.js';
export {
  AuthError,
  type AuthErrorCode,
  HttpError,
  insufficientScope,
  invalidRequest,
  invalidToken,
  keysUnavailable,
  missingTokenDetail,
  reservedSubject,
  tokenExpired,
  tokenMissing,
  wrongAudience,
} from './errors.js';
export { createPathExcluder } from './excluded.js';
export { type ImportedKeys, importKeys, type LocalKey } from './keys.js';
export { type AuthDecisionLog, type AuthMiddlewareOptions, createAuthMiddleware } from './middleware.js';
export type { CredentialVerifier, Principal } from './principal.js';
export type { AgentOSRouteMatch, CallerContext } from './request-state.js';
export {
  bindClientAddress,
  createCredentialVerifier,
  createInternalToken,
  createServiceAccountVerifier,
  type ServiceAccountStore,
} from './service-accounts.js';
export { extractToken, type TokenSourceOptions } from './token.js';
export {
  createTokenVerifier,
  isReservedSubject,
  MAX_TOKEN_LENGTH,
  type TokenVerifier,
  type VerifierDeps,
} from './verify.js';
