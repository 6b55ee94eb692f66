/**
 * @module Who a verified credential says the caller is: the auth layer's answer before the scope
 * decision. A JWT carries claims (scopes and roles are read from them with core's claim reader);
 * a service-account or scheduler token carries the scopes the server stored for it, which roles
 * never change (docs/contract.md §2 "Roles and deny").
 */
import type { JWTPayload } from 'jose';

export type Principal =
  | {
      readonly kind: 'jwt';
      /** The user id claim (`sub` by default), or null when the token has none. */
      readonly subject: string | null;
      /** Every verified claim. */
      readonly claims: JWTPayload;
    }
  | {
      /** `service_account`: an `agno_pat_…` token; `internal`: the scheduler's token. */
      readonly kind: 'service_account' | 'internal';
      /** `sa:<name>` or `__scheduler__`. */
      readonly subject: string;
      /** The scopes stored for the credential. */
      readonly scopes: readonly string[];
    }
  | {
      /** The configured security key (`OS_SECURITY_KEY`): the admin scope, no user. */
      readonly kind: 'security_key';
      readonly subject: null;
      readonly scopes: readonly string[];
    };

/** Turns a credential into a principal, or throws an `AuthError` (401/429/503) the error handler renders. */
export interface CredentialVerifier {
  authenticate(token: string): Promise<Principal>;
  /**
   * The principal of a JWT verified before and still cached, read synchronously (the same frozen
   * object on every hit); undefined when `authenticate` must run. Optional.
   * @throws {AuthError} 401 when the cached token has expired
   */
  cached?(token: string): Principal | undefined;
  /** Start-up warnings of the key sources. */
  readonly warnings: readonly string[];
  /** Fetches remote keys ahead of the first request; never throws. */
  warmUp(): Promise<boolean>;
}
