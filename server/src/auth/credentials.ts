/**
 * @module The credential middleware glue: one `CredentialVerifier` that accepts JWTs,
 * service-account tokens and the internal scheduler token, each as its own `Principal` (no fake
 * JWT claims), and the client address the failure limiter counts against.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import type { JWTPayload } from 'jose';
import { AuthError } from './errors.js';
import type { InternalToken } from './internal-token.js';
import type { CredentialVerifier, Principal } from './principal.js';
import { isServiceAccountToken } from './service-account-token.js';
import type { ServiceAccountVerifier } from './service-account-verifier.js';
import type { TokenVerifier } from './verify.js';

const clientAddress = new AsyncLocalStorage<string | undefined>();

/**
 * Records the client address for `createCredentialVerifier` (mount before the auth middleware):
 * the verifier only sees the token, the limiter needs the address.
 */
export function bindClientAddress() {
  return function agentosClientAddress(req: Request, _res: Response, next: NextFunction): void {
    clientAddress.run(req.ip ?? req.socket.remoteAddress, next);
  };
}

export interface CredentialVerifierOptions {
  /** Verifies `agno_pat_…` tokens; without it they answer 401 `Service accounts are not enabled…`. */
  readonly serviceAccounts?: ServiceAccountVerifier | undefined;
  /** The scheduler's token. */
  readonly internal?: InternalToken | undefined;
  /** The claim naming the user id of a JWT (default `sub`). */
  readonly userIdClaim?: string | undefined;
}

/**
 * Verifies every kind of credential the server accepts. JWTs still go through `jwt.verify`
 * (which refuses the reserved subjects `sa:…` and `__scheduler__`, so a JWT cannot pose as either).
 * @example
 * app.use(bindClientAddress());
 * app.use(createAuthMiddleware({ config: config.auth, index, logger,
 *   verifier: createCredentialVerifier(jwtVerifier, { serviceAccounts, internal, userIdClaim: 'sub' }) }));
 */
export function createCredentialVerifier(
  jwt: TokenVerifier,
  options: CredentialVerifierOptions = {},
): CredentialVerifier {
  const { serviceAccounts, internal } = options;
  const userIdClaim = options.userIdClaim ?? 'sub';
  // One principal per cached claims object (frozen, as the claims are).
  const principals = new WeakMap<JWTPayload, Principal>();
  const principalOf = (claims: JWTPayload): Principal => {
    let p = principals.get(claims);
    if (p === undefined) {
      const sub = claims[userIdClaim];
      p = Object.freeze({ kind: 'jwt', subject: typeof sub === 'string' ? sub : null, claims });
      if (Object.isFrozen(claims)) principals.set(claims, p);
    }
    return p;
  };
  return {
    get warnings() {
      return jwt.warnings;
    },
    warmUp: () => jwt.warmUp(),
    async authenticate(token: string): Promise<Principal> {
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
        return { kind: 'service_account', subject: p.principal, scopes: p.scopes };
      }
      if (internal?.matches(token))
        return { kind: 'internal', subject: internal.userId, scopes: internal.scopes };
      return principalOf(await jwt.verify(token));
    },
    cached(token: string): Principal | undefined {
      // Service-account and internal tokens are never in the JWT cache: `verify` never saw them.
      if (isServiceAccountToken(token) || internal?.matches(token)) return undefined;
      const claims = jwt.cached(token);
      return claims === undefined ? undefined : principalOf(claims);
    },
  };
}
