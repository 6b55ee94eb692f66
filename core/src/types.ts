/**
 * @module Types of the AgentOS contract shared by the generated route table, the server, the SDK and the mocks.
 */

/** HTTP methods an OpenAPI path item can hold (OpenAPI 3.1 §4.8.8). */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';

/** `x-scope-filter`: list items filtered by the caller's per-resource scopes instead of a 403. */
export interface ScopeFilter {
  /** Resource family of the scopes, e.g. `agents`. */
  readonly resource: string;
  /** Action the per-resource scopes must grant, e.g. `read`. */
  readonly action: string;
  /** Property of each list item that holds the resource id, e.g. `id`. */
  readonly id: string;
}

/** One operation of the route→scope table, as the generator emits it from the OpenAPI document. */
export interface RouteSpec {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** OpenAPI path template, e.g. `/agents/{agent_id}/runs`. */
  readonly path: string;
  /** `x-required-scopes`: scope templates, all required. Empty means public. */
  readonly scopes: readonly string[];
  /** `x-scope-filter`, when the operation lists filterable items. */
  readonly filter?: ScopeFilter | undefined;
  /** `x-user-owned`: the operation reads or writes per-user rows. */
  readonly userOwned: boolean;
  /** True when `scopes` is empty: no token is needed. */
  readonly public: boolean;
}

/** Options shared by everything that interprets scopes. */
export interface ScopeOptions {
  /** The admin scope, an exact string. Default `agent_os:admin`. */
  readonly adminScope?: string | undefined;
}

/**
 * What a handler knows of its caller once the auth middleware has decided (`req.auth`).
 * Public operations get `authenticated: false` and empty scopes.
 */
export interface CallerContext {
  /** The operation the request resolved to. */
  readonly operationId: string;
  /** A verified token was presented. */
  readonly authenticated: boolean;
  /** The user id claim (`sub` by default), or null. */
  readonly userId: string | null;
  /** The session id claim (`session_id` by default), or null. */
  readonly sessionId: string | null;
  /** The scopes of the token, as carried. */
  readonly scopes: readonly string[];
  /** Every verified claim of the token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Claims named by `dependenciesClaims`, copied for run dependencies. */
  readonly dependencies: Readonly<Record<string, unknown>>;
  /** Claims named by `sessionStateClaims`, copied into the run's session state. */
  readonly sessionState: Readonly<Record<string, unknown>>;
  /** The caller holds the admin scope. */
  readonly isAdmin: boolean;
  /**
   * On operations with `x-scope-filter`: `'*'` for every item, or the ids the caller may see.
   * Null on other operations.
   */
  readonly accessibleIds: '*' | ReadonlySet<string> | null;
  /**
   * With user isolation on, on `x-user-owned` operations, for non-admin callers: the user id
   * every read is limited to and every write is attributed to. Null otherwise.
   */
  readonly scopedUserId: string | null;
}
