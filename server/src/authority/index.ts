/**
 * @module The object-level authority layer (contract.md §8): what the route gate cannot decide
 * because it depends on the request body or on stored objects, enforced once for every operation
 * from its route-table entry, after the body is parsed and validated and before the handler runs.
 *
 * In order, for the operation's `RouteSpec`:
 * 1. user isolation: a non-admin caller without a user id (`sub`) is refused (403) on `x-user-owned`
 *    operations, where it would otherwise see the unscoped view;
 * 2. `contains`: each object a path parameter names must exist, belong to the path's parent and,
 *    under isolation, to the caller; otherwise the same 404 a missing object gets;
 * 3. `approvalGate`: a run with a pending required approval is not continued, whoever calls (the
 *    approval is resolved first, by a caller allowed to resolve it); storage errors → 503;
 * 4. `bodyScopes`: scopes bound to body fields (`agents:{body.agent_id}:run`);
 * 5. `target`: the operation the request makes the server call later (`method` + `endpoint` of the
 *    body, or of the stored object with body overrides): the caller must be able to call it;
 * 6. member runs: a run of a team or workflow needs run permission on every member it executes;
 * then the handler runs, and 7. `nestedFilters` filter arrays of its JSON answer.
 *
 * Steps 4–7 are scope decisions and apply with RBAC on; 1–3 always apply. Handlers carry none of
 * these checks.
 */
import {
  type BodyScope,
  type CallerContext,
  type CompiledRoute,
  compileBodyScope,
  compileGrants,
  decideBodyScopes,
  decideMembers,
  decideTarget,
  filterNested,
  type Grants,
  isRunOperation,
  type ObjectDecision,
  type RouteIndex,
  type RouteSpec,
} from '@agentos/core';
import type { Logger } from 'pino';
import { HttpError, insufficientScope } from '../auth/errors.js';
import type { DecisionAudit } from './audit.js';
import { depthError, tooDeep } from './body-limits.js';
import type { AuthorityStore, StoredFields } from './store.js';

export { type AuthorityStore, createDatabaseAuthorityStore, type StoredFields } from './store.js';

export interface AuthorityOptions {
  readonly index: RouteIndex;
  readonly store: AuthorityStore;
  readonly logger: Logger;
  /** Scopes are enforced (`mode: rbac`). */
  readonly rbac: boolean;
  readonly userIsolation: boolean;
  readonly adminScope: string;
  /** The clock (expiry of stored principals). Default `new Date()`. */
  readonly now?: (() => Date) | undefined;
  /** The decision audit: object-level refusals are recorded as denials (contract.md §9.6). */
  readonly audit?: Pick<DecisionAudit, 'record'> | undefined;
}

/** What a wrapped handler receives (the generated router's and the dispatcher's request). */
interface HandlerRequest {
  readonly path: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly caller: CallerContext;
}

type Handler = (request: never) => unknown;

/** What one operation needs checked, compiled once. */
interface Plan {
  readonly spec: RouteSpec;
  readonly bodyScopes: readonly BodyScope[];
  /** The run requirement's resource and parameter when a run executes members (`teams`, `team_id`). */
  readonly memberRun: { readonly resource: string; readonly param: string } | null;
}

/**
 * The resource family of an item this server built (contract.md §10.2): a team has `members`, a
 * workflow `steps`, anything else with an id is an agent.
 */
function kindOfItem(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  if (Array.isArray((item as { members?: unknown }).members)) return 'teams';
  if (Array.isArray((item as { steps?: unknown }).steps)) return 'workflows';
  return 'agents';
}

/** The collection whose POST creates sessions (`createSession`). */
const SESSIONS_PATH = '/sessions';

const NOT_FOUND_DETAIL: Readonly<Record<string, string>> = {
  run: 'Run not found',
  session: 'Session not found',
  approval: 'Approval not found',
  schedule: 'Schedule not found',
  schedule_run: 'Schedule run not found',
};

/** 404 exactly as a missing object of that kind answers. */
const notFound = (kind: string) =>
  new HttpError(404, NOT_FOUND_DETAIL[kind] ?? `${kind[0]!.toUpperCase()}${kind.slice(1)} not found`);

function deny(decision: Extract<ObjectDecision, { effect: 'deny' }>): HttpError {
  const e = insufficientScope(decision.required);
  if (!decision.reason) return e;
  return new HttpError(403, `${e.detail} (${decision.reason})`, { ...e.headers });
}

function planOf(route: CompiledRoute, adminScope: string): Plan {
  const spec = route.spec;
  const bodyScopes = (spec.bodyScopes ?? []).map((t) => compileBodyScope(t, { adminScope }));
  let memberRun: Plan['memberRun'] = null;
  // A run that executes the entity (create, or continue past an approval gate) executes its members.
  const executes = isRunOperation(route.requirements) && (!spec.contains?.length || spec.approvalGate);
  if (executes) {
    for (const r of route.requirements) {
      if (r.kind === 'param' && (r.resource === 'teams' || r.resource === 'workflows')) {
        memberRun = { resource: r.resource, param: r.param };
      }
    }
  }
  return { spec, bodyScopes, memberRun };
}

/**
 * Creates the authority layer for a route table.
 * @throws {TypeError} when an operation names an object kind the store does not know, or a malformed body scope
 * @example const handlers = createAuthority({ index, store, logger, rbac: true, userIsolation: false, adminScope }).wrap(all)
 */
export function createAuthority(options: AuthorityOptions) {
  const { index, store, logger, rbac, userIsolation, adminScope } = options;
  const now = options.now ?? (() => new Date());
  const plans = new Map<string, Plan>();
  for (const route of index.routes) {
    for (const c of route.spec.contains ?? []) {
      if (!store.kinds.has(c.object)) {
        throw new TypeError(
          `${route.spec.operationId}: x-contains names object "${c.object}", which the authority store does not know (${[...store.kinds].join(', ')})`,
        );
      }
    }
    if (route.spec.target?.source === 'stored' && !route.spec.target.param) {
      throw new TypeError(`${route.spec.operationId}: x-scope-target with source "stored" needs "param"`);
    }
    plans.set(route.spec.operationId, planOf(route, adminScope));
  }

  /** Reads the store; a storage failure refuses the request (503), never lets it through. */
  async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      logger.error({ err, what }, 'authority: storage unavailable, request refused');
      throw new HttpError(503, 'Service temporarily unavailable: authorization state could not be read', {
        headers: { 'Retry-After': '5' },
      });
    }
  }

  const paramOf = (request: HandlerRequest, name: string): string | undefined => {
    const v = request.path[name];
    return v === undefined || v === null ? undefined : String(v);
  };

  async function contain(plan: Plan, request: HandlerRequest): Promise<void> {
    const caller = request.caller;
    for (const c of plan.spec.contains ?? []) {
      const id = paramOf(request, c.param);
      if (id === undefined) throw notFound(c.object);
      const found: StoredFields | undefined = await read(`${c.object} ${id}`, () => store.find(c.object, id));
      if (!found) throw notFound(c.object);
      if (c.parent) {
        const parent = paramOf(request, c.parent.param);
        if (parent === undefined || found[c.parent.field] !== parent) throw notFound(c.object);
      }
      if (
        c.owned &&
        userIsolation &&
        plan.spec.userOwned &&
        !caller.isAdmin &&
        found.user_id !== caller.userId
      ) {
        throw notFound(c.object);
      }
    }
  }

  /**
   * Under isolation, a non-admin's writes to user-owned data are its own (contract.md §8.1, F5):
   * `user_id` of a create is the caller's (set when absent, so no ownerless row is made; another
   * user's id is refused), and a `session_id` the body names must not be another user's session
   * (404, as a missing one for reads): a record keyed by that session would claim its key.
   */
  async function own(spec: RouteSpec, request: HandlerRequest): Promise<void> {
    const caller = request.caller;
    if (!userIsolation || !spec.userOwned || caller.isAdmin || caller.userId === null) return;
    if (spec.method === 'GET' || spec.method === 'DELETE') return;
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const b = body as Record<string, unknown>;
    if (b.user_id !== undefined && b.user_id !== null && b.user_id !== caller.userId) {
      throw new HttpError(
        403,
        'Cannot write data for another user: user_id must be your own (the token subject)',
      );
    }
    if (spec.method === 'POST' || b.user_id !== undefined) b.user_id = caller.userId;
    if (typeof b.session_id !== 'string' || b.session_id.length === 0) return;
    const sid = b.session_id;
    // The operation that creates sessions: a chosen id would tell taken ids (409) from free ones
    // (201), whoever holds them (F9). The server chooses it.
    if (spec.path === SESSIONS_PATH && spec.method === 'POST') {
      throw new HttpError(
        422,
        'session_id cannot be chosen under user isolation: omit it, the server assigns one (answered in session_id)',
      );
    }
    // Elsewhere it names an existing session of the caller: another user's and a missing one
    // answer the same 404, so no answer tells them apart (F5, F9).
    const session = await read(`session ${sid}`, () => store.find('session', sid));
    if (!session || session.user_id !== caller.userId) throw notFound('session');
  }

  async function gate(plan: Plan, request: HandlerRequest): Promise<void> {
    const g = plan.spec.approvalGate;
    if (!g) return;
    const runId = paramOf(request, g.param);
    if (runId === undefined) return;
    let pending: readonly string[];
    try {
      pending = await store.pendingRequiredApprovals(runId);
    } catch (err) {
      // Fail closed, with agno 3.1's answer (contract.md §8.4).
      logger.error({ err, runId }, 'authority: approval state unreadable, continue refused');
      throw new HttpError(403, "This run's approval state could not be verified; try again");
    }
    if (pending.length > 0)
      throw new HttpError(403, 'This run requires admin approval before it can be continued');
  }

  async function target(plan: Plan, request: HandlerRequest, grants: Grants): Promise<void> {
    const t = plan.spec.target;
    if (!t) return;
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      unknown
    >;
    let stored: StoredFields | undefined;
    if (t.source === 'stored') {
      const id = paramOf(request, t.param!);
      if (id === undefined) return;
      stored = await read(`target ${id}`, () => store.find('schedule', id));
      // A missing object: the handler answers its own 404.
      if (!stored) return;
    }
    const pick = (field: string): unknown =>
      body[field] !== undefined && body[field] !== null ? body[field] : stored?.[field];
    const endpoint = pick(t.endpoint);
    const method = pick(t.method) ?? 'POST';
    // The handler refuses a malformed target with its own 422.
    if (typeof endpoint !== 'string' || typeof method !== 'string') return;
    const d = decideTarget(grants, method, endpoint, { adminScope });
    if (d.effect === 'deny') throw deny(d);
  }

  function members(plan: Plan, request: HandlerRequest, grants: Grants): void {
    if (!plan.memberRun) return;
    const id = paramOf(request, plan.memberRun.param);
    if (id === undefined) return;
    const d = decideMembers(grants, store.members(plan.memberRun.resource, id));
    if (d.effect === 'deny') throw deny({ ...d, reason: 'the run executes members the caller may not run' });
  }

  /**
   * After a target was authorized and stored: the caller becomes the authority a fired schedule
   * re-checks (its subject and the scopes it holds now), also with RBAC off (recorded, not checked).
   */
  async function recordOwner(
    spec: RouteSpec,
    request: HandlerRequest,
    result: { body?: unknown },
  ): Promise<void> {
    const t = spec.target!;
    // Only an answer that is the stored object itself (create, update, enable) changed what will be
    // fired; a trigger answers a run record and leaves the authority as it was.
    const id =
      typeof result.body === 'object' && result.body !== null
        ? (result.body as { id?: unknown }).id
        : undefined;
    if (typeof id !== 'string') return;
    if (t.source === 'stored' && id !== paramOf(request, t.param!)) return;
    await read(`owner of ${id}`, () =>
      store.recordOwner('schedule', id, { userId: request.caller.userId, scopes: request.caller.scopes }),
    );
  }

  /**
   * Whether the owner of a stored schedule may still have it fired (contract.md §8.2, §10.4), by the
   * same decision as when it was set: null when it may, else why not.
   */
  async function authorizeDeferred(schedule: {
    readonly endpoint: string;
    readonly method: string;
    readonly user_id: string | null;
    readonly owner_scopes: readonly string[] | null;
  }): Promise<string | null> {
    if (!rbac) return null;
    const owner = schedule.user_id;
    if (owner === null) return 'no owner on record';
    const current = await store.principalAuthority(owner, now());
    if (current?.disabled) return `owner "${owner}" is disabled (revoked or expired)`;
    const scopes = current ? current.scopes : (schedule.owner_scopes ?? []);
    const d = decideTarget(
      compileGrants(scopes, { adminScope }),
      schedule.method || 'POST',
      schedule.endpoint,
      {
        adminScope,
      },
    );
    if (d.effect === 'allow') return null;
    return `owner "${owner}" may no longer call ${schedule.method} ${schedule.endpoint} (requires ${d.required.join(', ')})`;
  }

  /** Whether an operation has anything for this layer to check, and whether it needs grants. */
  function needsOf(plan: Plan): { checks: boolean; needsGrants: boolean } {
    const spec = plan.spec;
    const needsGrants =
      rbac &&
      (plan.bodyScopes.length > 0 ||
        spec.target !== undefined ||
        plan.memberRun !== null ||
        (spec.nestedFilters?.length ?? 0) > 0);
    const checks =
      needsGrants ||
      spec.method !== 'GET' ||
      (spec.contains?.length ?? 0) > 0 ||
      spec.approvalGate !== undefined ||
      (userIsolation && spec.userOwned);
    return { checks, needsGrants };
  }

  /**
   * Steps 1–6 for one request (everything before the handler); throws the `HttpError` a refusal
   * answers, after recording it in the audit.
   */
  async function authorize(
    plan: Plan,
    request: HandlerRequest,
    grants: Grants | null,
    storage: boolean,
  ): Promise<void> {
    const spec = plan.spec;
    // Multipart fields reach here unchecked (JSON and form bodies were checked when parsed).
    const deep = request.body === undefined ? undefined : tooDeep(request.body);
    if (deep) throw depthError(deep);
    const caller = request.caller;
    if (
      userIsolation &&
      spec.userOwned &&
      caller.authenticated &&
      !caller.isAdmin &&
      (caller.userId === null || caller.userId === '')
    ) {
      // contract.md §9.5 (agno 3.1's text).
      throw new HttpError(403, 'Authenticated request is missing a user identity');
    }
    let stage = 'own';
    try {
      if (storage) await own(spec, request);
      // contract.md §8: body scopes → containment → scheduled target → approval gate.
      stage = 'body_scope';
      if (grants) {
        const b = decideBodyScopes(grants, plan.bodyScopes, request.body);
        if (b.effect === 'deny') throw deny(b);
      }
      if (storage) {
        stage = 'containment';
        await contain(plan, request);
        stage = 'scope_target';
        if (grants) await target(plan, request, grants);
        stage = 'approval_pending';
        await gate(plan, request);
      }
      stage = 'member_run';
      if (grants) members(plan, request, grants);
    } catch (err) {
      if (options.audit && caller.authenticated && err instanceof HttpError && err.status < 500) {
        options.audit.record({
          allowed: false,
          principal: caller.userId,
          method: spec.method,
          path: spec.path,
          operationId: spec.operationId,
          required: [],
          scopes: caller.scopes,
          reason: stage,
        });
      }
      throw err;
    }
  }

  const hasNul = (request: HandlerRequest) =>
    Object.values(request.path).some((v) => typeof v === 'string' && v.includes('\u0000'));

  function wrapOne(operationId: string, handler: Handler, storage: boolean): Handler {
    const plan = plans.get(operationId);
    if (!plan) return handler;
    const spec = plan.spec;
    const { checks, needsGrants } = needsOf(plan);
    if (!checks) return handler;
    return (async (request: HandlerRequest) => {
      // U+0000 cannot be looked up (PostgreSQL refuses it): the guarded handler answers 422 first.
      if (hasNul(request)) return (handler as (r: HandlerRequest) => unknown)(request);
      const grants = needsGrants ? request.caller.grants : null;
      await authorize(plan, request, grants, storage);
      const result = (await (handler as (r: HandlerRequest) => unknown)(request)) as
        | { status: number; body?: unknown }
        | undefined;
      if (storage && spec.target && result && result.status < 300) await recordOwner(spec, request, result);
      if (grants && spec.nestedFilters?.length && result && 'body' in result && result.status < 300) {
        return { ...result, body: filterNested(result.body, spec.nestedFilters, grants, kindOfItem) };
      }
      return result;
    }) as Handler;
  }

  return {
    authorizeDeferred,
    /**
     * Runs an operation's object-level rules for a request that does not come through the router
     * (the workflow WebSocket's actions, each the REST operation it mirrors), with the server's own
     * storage: the same checks, in the same order, with the same refusals as REST's.
     * @param operationId the mirrored operation (`continueWorkflowRun`)
     * @param request `path` parameters, the `body` REST would carry, the `caller`
     * @throws {HttpError} the refusal REST would answer (404 containment, 403 gate or scopes, 503 storage)
     * @example await authority.check('continueWorkflowRun', { path: { workflow_id, run_id }, body: { session_id }, caller })
     */
    async check(operationId: string, request: HandlerRequest): Promise<void> {
      const plan = plans.get(operationId);
      if (!plan) throw new TypeError(`authority: the route table has no operation "${operationId}"`);
      if (!needsOf(plan).checks) return;
      if (hasNul(request)) throw notFound(plan.spec.contains?.[0]?.object ?? 'object');
      const grants = needsOf(plan).needsGrants ? request.caller.grants : null;
      await authorize(plan, request, grants, true);
    },
    /**
     * Wraps every handler whose operation has object-level rules; the others are returned as they are.
     * @param options `storage` (default true): the handlers keep their objects in this server's
     *   store, so containment, the approval gate, stored targets and owners apply. Handlers an
     *   embedder supplies (with storage of their own) get only the rules that need no stored object.
     */
    wrap<T extends object>(handlers: T, options: { storage?: boolean } = {}): T {
      const out: Record<string, unknown> = {};
      const storage = options.storage !== false;
      for (const [id, h] of Object.entries(handlers)) {
        out[id] = typeof h === 'function' ? wrapOne(id, h as Handler, storage) : h;
      }
      return out as T;
    },
  };
}

export type Authority = ReturnType<typeof createAuthority>;
