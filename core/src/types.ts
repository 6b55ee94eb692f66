/**
 * @module Types of the AgentOS contract shared by the generated route table, the server, the SDK and the mocks.
 */
import type { AccessibleIds, Grants } from './scopes.js';

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
  /**
   * Alternative scope sets, from a standard OpenAPI `security` list (OpenAPI 3.1 §4.8.30: the
   * requirement objects are alternatives, the scopes inside one are all required). When present it
   * replaces `scopes` in the decision: the caller must hold every scope of at least one set, compared
   * exactly (no admin, wildcard or per-resource reading). `scopes` then holds the first set, so a
   * consumer that ignores `anyOf` stays stricter, never looser. Emitted by `agentos-gen` for
   * documents without `x-required-scopes`.
   */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
  /** `x-scope-filter`, when the operation lists filterable items. */
  readonly filter?: ScopeFilter | undefined;
  /** `x-user-owned`: the operation reads or writes per-user rows. */
  readonly userOwned: boolean;
  /** True when `scopes` is empty: no token is needed. */
  readonly public: boolean;
  /**
   * `x-body-scopes`: scope templates bound to top-level request-body fields, e.g.
   * `agents:{body.agent_id}:run`. Each applies when its field is present and not null; all that
   * apply are required (AND), checked after the body is parsed, before the handler runs.
   */
  readonly bodyScopes?: readonly string[] | undefined;
  /** `x-scope-target`: the operation makes the server call another operation later (schedules). */
  readonly target?: ScopeTarget | undefined;
  /** `x-contains`: path objects that must belong to their parent (and, under isolation, the caller). */
  readonly contains?: readonly Containment[] | undefined;
  /** `x-approval-gate`: the operation continues a run that pending required approvals block. */
  readonly approvalGate?: ApprovalGate | undefined;
  /** `x-nested-filters`: arrays inside the response filtered by the caller's per-resource scopes. */
  readonly nestedFilters?: readonly NestedFilter[] | undefined;
  /** `x-agentos-feature`: mounted only when this optional feature is configured (`authz`, `users`, ...). */
  readonly feature?: string | undefined;
  /** `x-agentos-since`: first AgentOS version serving the operation, e.g. `3.0`. */
  readonly since?: string | undefined;
  /** `x-agentos-until`: first AgentOS version no longer serving it, e.g. `3.0` for `GET /models`. */
  readonly until?: string | undefined;
}

/**
 * `x-scope-target`: the request names an operation the server will call on the caller's behalf
 * (a schedule's `method` + `endpoint`). The caller must satisfy that operation's own requirement,
 * bound to the endpoint's path parameters; an endpoint that is not a run operation needs the admin scope.
 */
export interface ScopeTarget {
  /** Body field holding the target path, e.g. `endpoint`. */
  readonly endpoint: string;
  /** Body field holding the target method, e.g. `method` (default `POST` when absent). */
  readonly method: string;
  /**
   * `body`: the target is read from the request body (create). `stored`: from the stored object the
   * path names, with body fields overriding it (update, enable, trigger).
   */
  readonly source: 'body' | 'stored';
  /** With `source: stored`: the path parameter naming the stored object, e.g. `schedule_id`. */
  readonly param?: string | undefined;
}

/**
 * `x-contains`: the object named by path parameter `param` is of kind `object` and must belong to
 * the path's parent (`parent.param`'s value equals the object's `parent.field`) and, with `owned`
 * under user isolation for non-admin callers, to the caller. Otherwise the answer is the same 404 a
 * missing object gets.
 */
export interface Containment {
  /** Path parameter naming the contained object, e.g. `run_id`. */
  readonly param: string;
  /** Kind of stored object: `run`, `session`, `approval`, `schedule`, ... (the server maps it to storage). */
  readonly object: string;
  /** The parent in the path the object must belong to, e.g. `{ param: 'agent_id', field: 'agent_id' }`. */
  readonly parent?: { readonly param: string; readonly field: string } | undefined;
  /** Under user isolation, a non-admin caller must own the object (`user_id` equals the caller). */
  readonly owned?: boolean | undefined;
}

/** `x-approval-gate`: the run named by `param` continues only when no required approval is pending. */
export interface ApprovalGate {
  /** Path parameter naming the run, e.g. `run_id`. */
  readonly param: string;
}

/** `x-nested-filters`: an array in the response body whose items are filtered like a list. */
export interface NestedFilter extends ScopeFilter {
  /** JSON pointer to the array in the response body, e.g. `/members` or `/agents`. */
  readonly at: string;
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
  /**
   * The caller's compiled grants (token scopes, roles, denies): what every later check (body
   * scopes, targets, can-resolve-approvals) asks with `satisfies`, never recompiling.
   */
  readonly grants: Grants;
  /** The roles that applied (roles claim, else stored assignments); empty without roles. */
  readonly roles: readonly string[];
  /** Every verified claim of the token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Claims named by `dependenciesClaims`, copied for run dependencies. */
  readonly dependencies: Readonly<Record<string, unknown>>;
  /** Claims named by `sessionStateClaims`, copied into the run's session state. */
  readonly sessionState: Readonly<Record<string, unknown>>;
  /** The caller holds the admin scope. */
  readonly isAdmin: boolean;
  /**
   * On operations with `x-scope-filter`: `'*'` for every item, the ids the caller may see, or
   * `{ except }` every id but the denied ones (test one with `isAccessible`). Null on other operations.
   */
  readonly accessibleIds: AccessibleIds | null;
  /**
   * With user isolation on, on `x-user-owned` operations, for non-admin callers: the user id
   * every read is limited to and every write is attributed to. Null otherwise.
   */
  readonly scopedUserId: string | null;
}
