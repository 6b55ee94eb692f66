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

const NOT_FOUND_DETAIL: Readonly<Record<string, string>> = {
  run: 'Run not found',
  session: 'Session not found',
  approval: 'Approval not found',
  schedule: 'Schedule not found',
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
        'Retry-After': '5',
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
      if (c.owned && userIsolation && !caller.isAdmin && found.user_id !== caller.userId) {
        throw notFound(c.object);
      }
    }
  }

  async function gate(plan: Plan, request: HandlerRequest): Promise<void> {
    const g = plan.spec.approvalGate;
    if (!g) return;
    const runId = paramOf(request, g.param);
    if (runId === undefined) return;
    const pending = await read(`approvals of run ${runId}`, () => store.pendingRequiredApprovals(runId));
    if (pending.length > 0) {
      throw new HttpError(
        403,
        `This run requires approval before it can be continued: approval ${pending.join(', ')} is pending. ` +
          'A caller allowed to resolve approvals must resolve it first (POST /approvals/{approval_id}/resolve)',
      );
    }
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
    const d = decideTarget(index, grants, method, endpoint, { adminScope });
    if (d.effect === 'deny') throw deny(d);
  }

  function members(plan: Plan, request: HandlerRequest, grants: Grants): void {
    if (!plan.memberRun) return;
    const id = paramOf(request, plan.memberRun.param);
    if (id === undefined) return;
    const d = decideMembers(grants, store.members(plan.memberRun.resource, id));
    if (d.effect === 'deny') throw deny({ ...d, reason: 'the run executes members the caller may not run' });
  }

  function wrapOne(operationId: string, handler: Handler): Handler {
    const plan = plans.get(operationId);
    if (!plan) return handler;
    const spec = plan.spec;
    const needsGrants =
      rbac &&
      (plan.bodyScopes.length > 0 ||
        spec.target !== undefined ||
        plan.memberRun !== null ||
        (spec.nestedFilters?.length ?? 0) > 0);
    const checks =
      needsGrants ||
      (spec.contains?.length ?? 0) > 0 ||
      spec.approvalGate !== undefined ||
      (userIsolation && spec.userOwned);
    if (!checks) return handler;
    return (async (request: HandlerRequest) => {
      // U+0000 cannot be looked up (PostgreSQL refuses it): the guarded handler answers 422 first.
      if (Object.values(request.path).some((v) => typeof v === 'string' && v.includes('\u0000'))) {
        return (handler as (r: HandlerRequest) => unknown)(request);
      }
      const caller = request.caller;
      if (
        userIsolation &&
        spec.userOwned &&
        caller.authenticated &&
        !caller.isAdmin &&
        caller.userId === null
      ) {
        throw new HttpError(
          403,
          'This operation reads or writes per-user data: the token must name its user (sub claim)',
        );
      }
      await contain(plan, request);
      await gate(plan, request);
      const grants = needsGrants ? compileGrants(caller.scopes, { adminScope }) : null;
      if (grants) {
        const b = decideBodyScopes(grants, plan.bodyScopes, request.body);
        if (b.effect === 'deny') throw deny(b);
        await target(plan, request, grants);
        members(plan, request, grants);
      }
      const result = (await (handler as (r: HandlerRequest) => unknown)(request)) as
        | { status: number; body?: unknown }
        | undefined;
      if (grants && spec.nestedFilters?.length && result && 'body' in result && result.status < 300) {
        return { ...result, body: filterNested(result.body, spec.nestedFilters, grants) };
      }
      return result;
    }) as Handler;
  }

  return {
    /** Wraps every handler whose operation has object-level rules; the others are returned as they are. */
    wrap<T extends object>(handlers: T): T {
      const out: Record<string, unknown> = {};
      for (const [id, h] of Object.entries(handlers)) {
        out[id] = typeof h === 'function' ? wrapOne(id, h as Handler) : h;
      }
      return out as T;
    },
  };
}

export type Authority = ReturnType<typeof createAuthority>;
