/**
 * @module The run operations of agents, teams and workflows (spec tags Agents, Teams, Workflows,
 * except the config-only list/get): create, cancel, continue, resume, get, list, checkpoints and
 * session fork, over the run engine (`runtime/`).
 *
 * Isolation (contract.md §5, research §5), with `caller.scopedUserId` non-null when it applies:
 * a run is attributed to the scoped user (else the token subject, else the form `user_id`) and
 * never enters another user's session; cancel, continue and resume need `session_id` (400
 * `session_id is required for this action`) and the session must be the caller's (404 `Run not
 * found`); reads only reach the caller's sessions, another user's run answering exactly like a
 * missing one. Approval gate (contract.md §7, §8.4): a run that waits on a pending required
 * approval is not continued, whoever calls (403, from the authority layer and again from the
 * engine): the approval is resolved first.
 */
import { randomUUID } from 'node:crypto';
import type { CallerContext } from '@agentos/core';
import type { Request, Response } from 'express';
import type { RunRow, SessionRow } from '../db/index.js';
import { runs, sessions } from '../db/repos/index.js';
import { type HandlerResponse, type Handlers, HttpError } from '../generated/server.js';
import { findEntity } from '../runtime/entities.js';
import { RunRuntimeError, type RunRuntimeErrorCode } from '../runtime/errors.js';
import {
  checkpointSnapshot,
  type Dict,
  listCheckpoints,
  publicOutput,
  toRunSchema,
  toWorkflowRunSchema,
} from '../runtime/output.js';
import { newRunId } from '../runtime/records.js';
import { sessionEntityId } from '../runtime/store.js';
import { type EntityKind, isRunEngine, type RunEngine, type RunHandle } from '../runtime/types.js';
import type { ServerContext } from '../server-context.js';
import {
  flag,
  formOf,
  integer,
  jsonList,
  jsonObject,
  requirementDecisions,
  stepDecisions,
  text,
  toolDecisions,
  uploadedFiles,
} from './runs-form.js';

type RunOperation =
  | 'createAgentRun'
  | 'cancelAgentRun'
  | 'continueAgentRun'
  | 'resumeAgentRun'
  | 'forkAgentSession'
  | 'compactAgentSession'
  | 'getAgentRun'
  | 'listAgentRunCheckpoints'
  | 'getAgentRunCheckpoint'
  | 'listAgentRuns'
  | 'createTeamRun'
  | 'cancelTeamRun'
  | 'continueTeamRun'
  | 'resumeTeamRun'
  | 'forkTeamSession'
  | 'getTeamRun'
  | 'listTeamRunCheckpoints'
  | 'getTeamRunCheckpoint'
  | 'listTeamRuns'
  | 'createWorkflowRun'
  | 'cancelWorkflowRun'
  | 'continueWorkflowRun'
  | 'resumeWorkflowRun'
  | 'getWorkflowRun'
  | 'listWorkflowRuns';

/** The handlers this module implements. */
export type RunHandlers = Pick<Handlers, RunOperation>;

/** What every run handler reads from the generated router's request. */
interface RunRequest {
  readonly path: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly caller: CallerContext;
  readonly req: Request;
  readonly res: Response;
}

type AnyResult =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: number; readonly sse: AsyncIterable<{ event: string; data: unknown }> };

const LABEL: Record<EntityKind, string> = { agent: 'Agent', team: 'Team', workflow: 'Workflow' };
const PARAM: Record<EntityKind, string> = { agent: 'agent_id', team: 'team_id', workflow: 'workflow_id' };

/** Heartbeat comments keep idle resume streams open through proxies (research §2). */
const HEARTBEAT_MS = 30_000;

function fail(status: number, detail: string): never {
  throw new HttpError(status, detail);
}

const STATUS_OF: Record<RunRuntimeErrorCode, number> = {
  ERR_RUN_ENTITY_NOT_FOUND: 404,
  ERR_RUN_NOT_FOUND: 404,
  ERR_RUN_SESSION_NOT_FOUND: 404,
  ERR_RUN_SESSION_MISMATCH: 400,
  ERR_RUN_REQUIREMENTS_UNRESOLVED: 400,
  ERR_RUN_ENTITY_INVALID: 400,
  ERR_RUN_APPROVAL_PENDING: 403,
  ERR_RUN_NOT_CONTINUABLE: 409,
  ERR_RUN_CLOSED: 503,
};

/** Maps the engine's domain errors to HTTP answers. */
function toHttp(err: unknown, kind: EntityKind): never {
  if (!(err instanceof RunRuntimeError)) throw err;
  const detail =
    err.code === 'ERR_RUN_ENTITY_NOT_FOUND'
      ? `${LABEL[kind]} not found`
      : err.code === 'ERR_RUN_NOT_FOUND'
        ? 'Run not found'
        : err.code === 'ERR_RUN_SESSION_NOT_FOUND'
          ? 'Session not found'
          : err.message;
  throw new HttpError(STATUS_OF[err.code], detail);
}

/**
 * Creates the run handlers.
 * @param ctx the server context; `ctx.runtime` must be the full engine (`createRunRuntime`)
 * @example const handlers = { ...createRunHandlers(ctx), ...others } satisfies Handlers
 */
export function createRunHandlers(ctx: ServerContext): RunHandlers {
  const db = () => ctx.database.db;

  function engine(): RunEngine {
    if (!isRunEngine(ctx.runtime)) fail(501, 'The run engine is not available in this server');
    return ctx.runtime;
  }

  function entityId(kind: EntityKind, request: RunRequest): string {
    const id = String(request.path[PARAM[kind]] ?? '');
    if (!findEntity(ctx.config, kind, id)) fail(404, `${LABEL[kind]} not found`);
    return id;
  }

  /** The session if it belongs to the entity (and, when isolated, to the caller). */
  async function ownedSession(
    kind: EntityKind,
    id: string,
    sessionId: string,
    caller: CallerContext,
  ): Promise<SessionRow | undefined> {
    const s = await sessions.get(db(), sessionId);
    if (!s || s.session_type !== kind || sessionEntityId(s) !== id) return undefined;
    if (caller.scopedUserId !== null && s.user_id !== caller.scopedUserId) return undefined;
    return s;
  }

  /** The top-level run of the entity in the caller's session (research §5 `verify_run_in_session`). */
  async function ownedRun(
    kind: EntityKind,
    id: string,
    runId: string,
    sessionId: string,
    caller: CallerContext,
  ): Promise<RunRow | undefined> {
    if (!(await ownedSession(kind, id, sessionId, caller))) return undefined;
    const run = await runs.get(db(), runId);
    if (!run || run.session_id !== sessionId || run.entity_type !== kind || run.entity_id !== id)
      return undefined;
    return run;
  }

  /** The run output as answered: the stored output with the row's current status. */
  function outputOf(run: RunRow): Dict {
    const out = publicOutput(run.output);
    out.status = run.status;
    out.run_id ??= run.run_id;
    out.session_id ??= run.session_id;
    return out;
  }

  /** Answers a started or continued run in the mode asked for. */
  async function answer(
    kind: EntityKind,
    handle: RunHandle,
    stream: boolean,
    background: boolean,
    accepted: boolean,
  ): Promise<AnyResult> {
    if (stream) {
      // Inline streams are cancelled when the client goes away; background ones survive it.
      return { status: 200, sse: handle.events({ withIndex: background, cancelOnClose: !background }) };
    }
    if (background && accepted) {
      return {
        status: 202,
        body: { run_id: handle.runId, session_id: handle.sessionId, status: handle.initialStatus },
      };
    }
    const result = await handle.done;
    // The output the run just stored, without reading it back; the stored row when the final
    // state could not be stored (the answer then says what the store holds).
    if (result.persisted && result.output) {
      const out: Dict = { ...result.output, status: result.status };
      out.run_id ??= result.runId;
      out.session_id ??= result.sessionId;
      return { status: 200, body: out };
    }
    const run = await runs.get(db(), handle.runId);
    if (!run) toHttp(new RunRuntimeError('ERR_RUN_NOT_FOUND', 'Run not found'), kind);
    return { status: 200, body: outputOf(run) };
  }

  async function create(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const form = formOf(request.body);
    const { caller } = request;
    const stream = flag(form.stream, true);
    const background = flag(form.background, false);
    const claimsState = Object.keys(caller.sessionState).length > 0 ? { ...caller.sessionState } : undefined;
    const claimsDeps = Object.keys(caller.dependencies).length > 0 ? { ...caller.dependencies } : undefined;
    const sessionState = claimsState ?? jsonObject(form.session_state, 'session_state');
    const dependencies = claimsDeps ?? jsonObject(form.dependencies, 'dependencies');
    const metadata = jsonObject(form.metadata, 'metadata');
    const files = kind === 'workflow' ? [] : uploadedFiles(request.req as { files?: unknown });
    try {
      const handle = await engine().start({
        kind,
        id,
        message: typeof form.message === 'string' ? form.message : '',
        // Isolated callers always run as themselves; a token subject replaces the form value.
        userId: caller.scopedUserId ?? caller.userId ?? text(form.user_id) ?? null,
        sessionId: caller.sessionId ?? text(form.session_id),
        sessionOwner: caller.scopedUserId ?? undefined,
        sessionState,
        dependencies,
        metadata,
        files,
        background,
      });
      return await answer(kind, handle, stream, background, true);
    } catch (err) {
      toHttp(err, kind);
    }
  }

  async function cancel(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const runId = String(request.path.run_id ?? '');
    const sessionId = text(request.query.session_id);
    const { caller } = request;
    if (caller.scopedUserId !== null) {
      if (!sessionId) fail(400, 'session_id is required for this action');
      if (!(await ownedRun(kind, id, runId, sessionId, caller))) fail(404, 'Run not found');
    }
    await engine().cancel(runId, { sessionId: sessionId ?? null, requestedBy: caller.userId });
    return { status: 200, body: {} };
  }

  async function continueRun(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const runId = String(request.path.run_id ?? '');
    const form = formOf(request.body);
    const { caller } = request;
    let sessionId = caller.sessionId ?? text(form.session_id);
    if (!sessionId && (kind !== 'workflow' || caller.scopedUserId !== null)) {
      fail(400, 'session_id is required for this action');
    }
    const toolDecisionList =
      kind === 'agent'
        ? toolDecisions(jsonList(form.tools, 'tools'))
        : kind === 'team'
          ? requirementDecisions(jsonList(form.requirements, 'requirements'))
          : [];
    const stepDecisionList =
      kind === 'workflow' ? stepDecisions(jsonList(form.step_requirements, 'step_requirements')) : [];
    if (kind !== 'workflow') {
      const from = text(form.continue_from);
      if (from !== undefined && from !== 'end' && from !== 'last_user' && integer(from) === undefined) {
        fail(
          400,
          `Invalid continue_from "${from}": use "end", "last_user" or a message index from the checkpoints`,
        );
      }
      if (
        (from !== undefined && from !== 'end') ||
        flag(form.fork, false) ||
        flag(form.regenerate, false) ||
        text(form.input) !== undefined
      ) {
        fail(
          400,
          'This server continues PAUSED runs only: continue_from other than "end", fork, regenerate and input are not supported',
        );
      }
    }
    if (sessionId) {
      if (caller.scopedUserId !== null && !(await ownedRun(kind, id, runId, sessionId, caller))) {
        fail(404, 'Run not found');
      }
    } else {
      // Workflows, unscoped caller without session_id: the run's own session.
      const run = await runs.get(db(), runId);
      if (!run || run.entity_type !== kind || run.entity_id !== id) fail(404, 'Run not found');
      sessionId = run.session_id;
    }
    const stream = flag(form.stream, true);
    const background = flag(form.background, false);
    try {
      const handle = await engine().continue({
        kind,
        id,
        runId,
        sessionId,
        toolDecisions: toolDecisionList,
        stepDecisions: stepDecisionList,
        background,
      });
      return await answer(kind, handle, stream, background && stream, false);
    } catch (err) {
      toHttp(err, kind);
    }
  }

  async function resume(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const runId = String(request.path.run_id ?? '');
    const form = formOf(request.body);
    const { caller } = request;
    const sessionId = text(form.session_id);
    const lastEventIndex = integer(form.last_event_index);
    if (caller.scopedUserId !== null) {
      if (!sessionId) fail(400, 'session_id is required for this action');
      if (!(await ownedRun(kind, id, runId, sessionId, caller))) fail(404, 'Run not found');
    } else {
      const run = await runs.get(db(), runId);
      if (
        run &&
        (run.entity_type !== kind || run.entity_id !== id || (sessionId && run.session_id !== sessionId))
      ) {
        fail(404, 'Run not found');
      }
    }
    const events = engine().resume({ runId, lastEventIndex, kind });
    const { res } = request;
    const timer = setInterval(() => {
      if (res.headersSent && !res.writableEnded) res.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    timer.unref();
    res.on('close', () => {
      clearInterval(timer);
      events.close();
    });
    return { status: 200, sse: events };
  }

  async function getOne(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const run = await ownedRun(
      kind,
      id,
      String(request.path.run_id ?? ''),
      String(request.query.session_id ?? ''),
      request.caller,
    );
    if (!run) fail(404, 'Run not found');
    return { status: 200, body: outputOf(run) };
  }

  async function list(kind: EntityKind, request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const sessionId = String(request.query.session_id ?? '');
    if (!(await ownedSession(kind, id, sessionId, request.caller))) fail(404, 'Session not found');
    const status = typeof request.query.status === 'string' ? request.query.status : undefined;
    const rows = await runs.listBySession(db(), sessionId, {
      entityType: kind,
      entityId: id,
      parentRunId: null,
      status,
    });
    return {
      status: 200,
      body: rows.map((r) =>
        kind === 'workflow' ? toWorkflowRunSchema(outputOf(r)) : toRunSchema(outputOf(r), kind),
      ),
    };
  }

  async function checkpoints(kind: 'agent' | 'team', request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const sessionId = String(request.query.session_id ?? '');
    const run = await ownedRun(kind, id, String(request.path.run_id ?? ''), sessionId, request.caller);
    if (!run) fail(404, 'Run not found');
    return {
      status: 200,
      body: {
        run_id: run.run_id,
        session_id: sessionId,
        checkpoints: listCheckpoints(outputOf(run), sessionId),
      },
    };
  }

  async function checkpoint(kind: 'agent' | 'team', request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const sessionId = String(request.query.session_id ?? '');
    const run = await ownedRun(kind, id, String(request.path.run_id ?? ''), sessionId, request.caller);
    if (!run) fail(404, 'Run not found');
    const index = integer(request.path.message_index) ?? -1;
    const output = outputOf(run);
    const snap = checkpointSnapshot(output, sessionId, index);
    if (!snap) {
      const n = Array.isArray(output.messages) ? output.messages.length : 0;
      fail(400, `message_index must be between 0 and ${n}`);
    }
    return { status: 200, body: snap };
  }

  async function fork(kind: 'agent' | 'team', request: RunRequest): Promise<AnyResult> {
    const id = entityId(kind, request);
    const sourceId = String(request.path.session_id ?? '');
    const { caller } = request;
    const queryUser = text(request.query.user_id);
    const readUser = caller.scopedUserId ?? queryUser;
    const source = await sessions.get(db(), sourceId);
    const sourceRuns =
      source &&
      source.session_type === kind &&
      sessionEntityId(source) === id &&
      (readUser === undefined || source.user_id === readUser)
        ? await runs.listBySession(db(), sourceId)
        : [];
    // A missing, foreign or empty session all read the same (the Python AgentOS's wording).
    if (!source || sourceRuns.length === 0) fail(400, 'Source session has no runs to fork.');
    const newSessionId = randomUUID();
    const now = ctx.now();
    const owner = caller.scopedUserId ?? caller.userId ?? queryUser ?? source.user_id;
    // Time-ordered ids, made in list order: the copies list in the same order as the originals.
    const ids = new Map(sourceRuns.map((r) => [r.run_id, newRunId(now)]));
    const remap = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(remap);
      if (typeof v !== 'object' || v === null) return v;
      const out: Dict = {};
      for (const [k, x] of Object.entries(v as Dict)) {
        if (typeof x === 'string' && k.endsWith('run_id') && ids.has(x)) out[k] = ids.get(x);
        else if (typeof x === 'string' && k === 'session_id' && x === sourceId) out[k] = newSessionId;
        else out[k] = remap(x);
      }
      return out;
    };
    const sessionData = {
      ...(typeof source.session_data === 'object' && source.session_data ? source.session_data : {}),
      forked_from_session_id: sourceId,
    };
    await db()
      .transaction()
      .execute(async (trx) => {
        await sessions.create(trx, {
          session_id: newSessionId,
          session_type: source.session_type,
          agent_id: source.agent_id,
          team_id: source.team_id,
          workflow_id: source.workflow_id,
          user_id: owner,
          session_name: source.session_name,
          session_state: source.session_state,
          session_data: sessionData,
          agent_data: source.agent_data,
          team_data: source.team_data,
          workflow_data: source.workflow_data,
          metadata: source.metadata,
          summary: source.summary,
          metrics: source.metrics,
          created_at: now,
          updated_at: now,
        });
        for (const r of sourceRuns) {
          const output = remap(r.output) as Dict | null;
          if (output && output.forked_from_session_id === undefined) output.forked_from_session_id = sourceId;
          await runs.create(trx, {
            run_id: ids.get(r.run_id)!,
            session_id: newSessionId,
            parent_run_id: r.parent_run_id ? (ids.get(r.parent_run_id) ?? r.parent_run_id) : null,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            user_id: r.user_id,
            status: r.status,
            input: r.input,
            content: r.content,
            content_type: r.content_type,
            output,
            metrics: r.metrics,
            requirements: remap(r.requirements),
            background: false,
            instance_id: null,
            created_at: r.created_at,
            updated_at: now,
          });
        }
      });
    return { status: 200, body: { session_id: newSessionId, forked_from_session_id: sourceId } };
  }

  /**
   * `POST /agents/{agent_id}/sessions/{session_id}/compact` (agno 3.1). The session must be the
   * agent's (and the caller's, when isolated): otherwise 404 like a missing one. No agent of this
   * server has compaction configured, so the answer is agno's for such an agent: 200, `not_enabled`.
   */
  async function compact(request: RunRequest): Promise<AnyResult> {
    const id = entityId('agent', request);
    const { caller } = request;
    const session = await ownedSession('agent', id, String(request.path.session_id ?? ''), caller);
    const queryUser = text(request.query.user_id);
    if (
      !session ||
      (caller.scopedUserId === null && queryUser !== undefined && session.user_id !== queryUser)
    )
      fail(404, 'Session not found');
    return {
      status: 200,
      body: {
        status: 'not_enabled',
        message: 'Compaction is not enabled on this agent.',
        compacted: false,
        record: null,
        metrics: null,
      },
    };
  }

  // Each operation, typed: the generated request in, the generated response out.
  const op =
    <K extends RunOperation>(fn: (request: RunRequest) => Promise<AnyResult>) =>
    (request: unknown): Promise<HandlerResponse<K>> =>
      fn(request as RunRequest) as unknown as Promise<HandlerResponse<K>>;

  return {
    createAgentRun: op<'createAgentRun'>((r) => create('agent', r)),
    cancelAgentRun: op<'cancelAgentRun'>((r) => cancel('agent', r)),
    continueAgentRun: op<'continueAgentRun'>((r) => continueRun('agent', r)),
    resumeAgentRun: op<'resumeAgentRun'>((r) => resume('agent', r)),
    forkAgentSession: op<'forkAgentSession'>((r) => fork('agent', r)),
    compactAgentSession: op<'compactAgentSession'>(compact),
    getAgentRun: op<'getAgentRun'>((r) => getOne('agent', r)),
    listAgentRunCheckpoints: op<'listAgentRunCheckpoints'>((r) => checkpoints('agent', r)),
    getAgentRunCheckpoint: op<'getAgentRunCheckpoint'>((r) => checkpoint('agent', r)),
    listAgentRuns: op<'listAgentRuns'>((r) => list('agent', r)),
    createTeamRun: op<'createTeamRun'>((r) => create('team', r)),
    cancelTeamRun: op<'cancelTeamRun'>((r) => cancel('team', r)),
    continueTeamRun: op<'continueTeamRun'>((r) => continueRun('team', r)),
    resumeTeamRun: op<'resumeTeamRun'>((r) => resume('team', r)),
    forkTeamSession: op<'forkTeamSession'>((r) => fork('team', r)),
    getTeamRun: op<'getTeamRun'>((r) => getOne('team', r)),
    listTeamRunCheckpoints: op<'listTeamRunCheckpoints'>((r) => checkpoints('team', r)),
    getTeamRunCheckpoint: op<'getTeamRunCheckpoint'>((r) => checkpoint('team', r)),
    listTeamRuns: op<'listTeamRuns'>((r) => list('team', r)),
    createWorkflowRun: op<'createWorkflowRun'>((r) => create('workflow', r)),
    cancelWorkflowRun: op<'cancelWorkflowRun'>((r) => cancel('workflow', r)),
    continueWorkflowRun: op<'continueWorkflowRun'>((r) => continueRun('workflow', r)),
    resumeWorkflowRun: op<'resumeWorkflowRun'>((r) => resume('workflow', r)),
    getWorkflowRun: op<'getWorkflowRun'>((r) => getOne('workflow', r)),
    listWorkflowRuns: op<'listWorkflowRuns'>((r) => list('workflow', r)),
  };
}
