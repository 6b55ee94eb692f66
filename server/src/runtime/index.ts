/**
 * @module The run engine: `createRunRuntime` implements `RunRuntime` (start, continue, cancel,
 * resume, runOnce) over the database and an in-process event bus.
 *
 * Lifecycle of a run: the session is created if missing and the run row written (PENDING for
 * background runs, else RUNNING); the run executes in-process (see `engine.ts`), every event is
 * stored with a gapless `event_index`; at the end (COMPLETED, PAUSED, CANCELLED or ERROR) the
 * final state, nested runs, session state and metrics, approvals and the trace are written in one
 * transaction. A PAUSED run is continued by any instance (the state is in the database); resume
 * follows a run live in this instance, or polls `run_events` when another instance runs it.
 */
import { randomUUID } from 'node:crypto';
import type { AgentOSConfig } from '../config/options.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../log.js';
import { LiveRun, RunRegistry } from './bus.js';
import { cancelPausedRun } from './cancel.js';
import { applyStepDecisions, applyToRun, approvalIdsOf, notContinuable } from './decisions.js';
import { checkEntities, compileEntity, type EntitySpec } from './entities.js';
import { RunRuntimeError } from './errors.js';
import { executeSegment, makeHandle } from './execute.js';
import type { ModelProviderOptions } from './model.js';
import {
  type AgentRunRec,
  type AnyRunRec,
  type Dict,
  isWorkflowRec,
  publicOutput,
  type TeamRunRec,
} from './output.js';
import { agentBase, newAgentRec, newRunId, newTeamRec, newWorkflowRec, teamBase } from './records.js';
import { createResume } from './resume.js';
import { type EngineDeps, Segment, type TopInfo } from './segment.js';
import {
  countEvents,
  getApprovals,
  getRun,
  getSession,
  insertCancelIntent,
  insertRun,
  insertSession,
  pendingRequiredApprovals,
  sessionEntityId,
  transitionRun,
} from './store.js';
import type {
  ContinueRunInput,
  EntityKind,
  RunEngine,
  RunHandle,
  RunOnceInput,
  RunOnceResult,
  RunStatus,
  StartRunInput,
} from './types.js';

export { checkEntities, compileEntity } from './entities.js';
export { ModelProviderError, RunRuntimeError, type RunRuntimeErrorCode } from './errors.js';
export { type ModelProviderOptions, modelProvidersFromEnv, type OpenAIProviderOptions } from './model.js';
export { BUILTIN_TOOLS } from './tools.js';
export type * from './types.js';
export { isRunEngine } from './types.js';

/** What `createRunRuntime` needs (the parts of the server context the engine uses). */
export interface RunRuntimeOptions {
  readonly config: AgentOSConfig;
  readonly database: Database;
  readonly logger: Logger;
  /** The clock (default `() => new Date()`). */
  readonly now?: (() => Date) | undefined;
  /** This server instance (default a random UUID). */
  readonly instanceId?: string | undefined;
  /** Model providers (`modelProvidersFromEnv(env)` at the entry point). */
  readonly models?: ModelProviderOptions | undefined;
  /** How long a finished run's events stay in memory for resume (ms, default 10 minutes). */
  readonly bufferTtlMs?: number | undefined;
  /** Model calls an agent may make in one segment (default 10). */
  readonly maxSteps?: number | undefined;
  /** Poll interval of a resume stream following a run of another instance (ms, default 250). */
  readonly pollIntervalMs?: number | undefined;
  /**
   * How often a running run looks for a cancel intent stored by another instance (ms, default
   * 500); it also looks between steps. A cancel received by this instance acts at once.
   */
  readonly cancelPollMs?: number | undefined;
  /**
   * How long a running run's events wait to be stored together (ms, default 25): a run that ends
   * sooner stores them with its final state, in one transaction. Live streams are not delayed.
   */
  readonly eventFlushMs?: number | undefined;
}

const ENTITY_LABEL: Record<EntityKind, string> = { agent: 'agent', team: 'team', workflow: 'workflow' };

function isObject(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The model a run record names. */
function modelLabel(spec: EntitySpec): { id: string; provider: string } {
  if (spec.kind === 'workflow') return { id: 'builtin', provider: 'builtin' };
  return spec.model.provider === 'openai'
    ? { id: spec.model.id, provider: 'OpenAI' }
    : { id: 'builtin', provider: 'builtin' };
}

/** What a segment knows of its top-level run. */
function topInfo(
  spec: EntitySpec,
  runId: string,
  sessionId: string,
  userId: string | null,
  input: string,
): TopInfo {
  return { kind: spec.kind, runId, sessionId, userId, entityId: spec.id, entityName: spec.name, input };
}

/**
 * Creates the run engine.
 * @param options `config`, `database`, `logger`; optional `now`, `instanceId`, `models`
 *   (default: no OpenAI key), `bufferTtlMs` (600000), `maxSteps` (10), `pollIntervalMs` (250)
 * @example
 * const runtime = createRunRuntime({ config, database, logger, models: modelProvidersFromEnv(env) });
 * const { runId, content } = await runtime.runOnce({ kind: 'agent', id: 'research-agent', message: 'hi', userId: null });
 */
export function createRunRuntime(options: RunRuntimeOptions): RunEngine {
  const { config, database, logger } = options;
  const now = options.now ?? (() => new Date());
  const instanceId = options.instanceId ?? randomUUID();
  const registry = new RunRegistry(options.bufferTtlMs ?? 600_000);
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const deps: EngineDeps = {
    db: database.db,
    logger,
    now,
    instanceId,
    models: options.models ?? {},
    registry,
    maxSteps: options.maxSteps ?? 10,
    cancelPollMs: options.cancelPollMs ?? 500,
    eventFlushMs: options.eventFlushMs ?? 25,
  };
  const inflight = new Set<Promise<unknown>>();
  let closed = false;

  for (const problem of checkEntities(config)) logger.warn(`run engine: ${problem}`);

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  }

  async function start(input: StartRunInput): Promise<RunHandle> {
    if (closed) throw new RunRuntimeError('ERR_RUN_CLOSED', 'The run engine is shut down');
    const spec = compileEntity(config, input.kind, input.id);
    const t0 = now();
    const sessionId = input.sessionId || randomUUID();
    const checkSession = (s: Awaited<ReturnType<typeof getSession>>) => {
      if (!s) return;
      if (input.sessionOwner !== undefined && s.user_id !== input.sessionOwner) {
        throw new RunRuntimeError('ERR_RUN_SESSION_NOT_FOUND', 'Session not found');
      }
      if (s.session_type !== input.kind || sessionEntityId(s) !== input.id) {
        throw new RunRuntimeError(
          'ERR_RUN_SESSION_MISMATCH',
          `Session ${sessionId} belongs to another ${s.session_type}; start a new session or use one of this ${ENTITY_LABEL[input.kind]}`,
        );
      }
    };
    let session = await getSession(deps.db, sessionId);
    checkSession(session);
    const stored = isObject(session?.session_state) ? session.session_state : {};
    const sessionState: Dict = structuredClone({
      ...spec.sessionState,
      ...stored,
      ...(input.sessionState ?? {}),
    });
    const runId = newRunId(t0);
    const recInput = { runId, sessionId, userId: input.userId, input: input.message, now: t0 };
    const rec: AnyRunRec =
      spec.kind === 'agent'
        ? newAgentRec(spec, modelLabel(spec), recInput)
        : spec.kind === 'team'
          ? newTeamRec(spec, modelLabel(spec), recInput)
          : newWorkflowRec(spec, recInput);
    if (input.metadata && Object.keys(input.metadata).length > 0) rec.metadata = { ...input.metadata };
    if (input.files && input.files.length > 0 && !isWorkflowRec(rec)) {
      rec.input.files = input.files.map((f) => ({
        filename: f.filename,
        mime_type: f.mimeType,
        size: f.size,
        type: f.kind,
      }));
    }
    const background = input.background === true;
    const initialStatus: RunStatus = background ? 'PENDING' : 'RUNNING';
    rec.status = initialStatus;
    // The new session (if any) and the run are stored together: one commit.
    await deps.db.transaction().execute(async (trx) => {
      if (!session) {
        const created = await insertSession(trx, {
          sessionId,
          kind: input.kind,
          entityId: input.id,
          userId: input.userId,
          sessionState,
          entityData:
            spec.kind === 'workflow'
              ? { workflow_id: spec.id, name: spec.name }
              : {
                  [`${spec.kind}_id`]: spec.id,
                  name: spec.name,
                  model: { id: spec.model.id, provider: spec.model.provider },
                },
          now: t0,
        });
        if (!created) {
          // Another request created it in between: it must pass the same checks.
          session = await getSession(trx, sessionId);
          checkSession(session);
        }
      }
      await insertRun(trx, {
        runId,
        sessionId,
        parentRunId: null,
        kind: input.kind,
        entityId: input.id,
        userId: input.userId,
        status: initialStatus,
        input: isWorkflowRec(rec) ? input.message : rec.input,
        output: publicOutput(rec),
        background,
        instanceId,
        now: t0,
      });
    });
    const live = new LiveRun(runId, sessionId, input.kind, 0);
    registry.add(live);
    const seg = new Segment(
      deps,
      live,
      topInfo(spec, runId, sessionId, input.userId, input.message),
      sessionState,
      structuredClone({ ...(input.dependencies ?? {}) }),
    );
    const done = track(executeSegment(seg, spec, rec, false, background));
    return makeHandle(live, done, initialStatus);
  }

  async function continueRun(input: ContinueRunInput): Promise<RunHandle> {
    if (closed) throw new RunRuntimeError('ERR_RUN_CLOSED', 'The run engine is shut down');
    const row = await getRun(deps.db, input.runId);
    if (
      !row ||
      row.session_id !== input.sessionId ||
      row.entity_type !== input.kind ||
      row.entity_id !== input.id ||
      row.parent_run_id !== null
    ) {
      throw new RunRuntimeError('ERR_RUN_NOT_FOUND', 'Run not found');
    }
    const spec = compileEntity(config, input.kind, input.id);
    if ((await pendingRequiredApprovals(deps.db, row.run_id)).length > 0) {
      throw new RunRuntimeError(
        'ERR_RUN_APPROVAL_PENDING',
        'This run requires admin approval before it can be continued',
      );
    }
    if (row.status !== 'PAUSED')
      throw new RunRuntimeError('ERR_RUN_NOT_CONTINUABLE', notContinuable(row.status));
    if (!isObject(row.output))
      throw new RunRuntimeError('ERR_RUN_NOT_CONTINUABLE', 'run has no stored state');
    const rec = structuredClone(row.output) as unknown as AnyRunRec;
    const approvals = new Map((await getApprovals(deps.db, approvalIdsOf(rec))).map((a) => [a.id, a]));
    if ([...approvals.values()].some((a) => a.status === 'pending' && a.approval_type === 'required')) {
      // The approval stamped on the paused tools (a copied run, e.g. a forked session, still waits on it).
      throw new RunRuntimeError(
        'ERR_RUN_APPROVAL_PENDING',
        'This run requires admin approval before it can be continued',
      );
    }
    const unresolved = isWorkflowRec(rec)
      ? applyStepDecisions(rec, input.stepDecisions ?? [], approvals)
      : applyToRun(rec, input.toolDecisions ?? [], approvals);
    if (unresolved.length > 0) {
      throw new RunRuntimeError(
        'ERR_RUN_REQUIREMENTS_UNRESOLVED',
        `Run has unresolved requirements: confirm or reject ${unresolved.join(', ')}`,
      );
    }
    const session = await getSession(deps.db, row.session_id);
    const stored = isObject(session?.session_state)
      ? session.session_state
      : isObject(rec.session_state)
        ? rec.session_state
        : {};
    const sessionState: Dict = structuredClone(stored);
    rec.status = 'RUNNING';
    // Nothing appends to a PAUSED run's events but its own continue (or a cancel, which moves it
    // out of PAUSED first), so the count read here is where this segment starts.
    const baseIndex = Math.max(row.event_count, await countEvents(deps.db, row.run_id));
    if (!(await transitionRun(deps.db, row.run_id, ['PAUSED'], 'RUNNING', { instanceId, now: now() }))) {
      throw new RunRuntimeError('ERR_RUN_NOT_CONTINUABLE', 'run is already running');
    }
    const live = new LiveRun(row.run_id, row.session_id, input.kind, baseIndex);
    registry.add(live);
    const message = isWorkflowRec(rec) ? rec.input : (rec as AgentRunRec | TeamRunRec).input.input_content;
    const seg = new Segment(
      deps,
      live,
      topInfo(spec, row.run_id, row.session_id, row.user_id, message),
      sessionState,
      {},
    );
    const done = track(executeSegment(seg, spec, rec, true, false));
    return makeHandle(live, done, 'RUNNING');
  }

  async function cancel(
    runId: string,
    opts: { sessionId?: string | null; requestedBy?: string | null } = {},
  ) {
    await insertCancelIntent(deps.db, runId, opts.sessionId ?? null, opts.requestedBy ?? null, now());
    const live = registry.get(runId);
    if (live && !live.ended) {
      live.requestCancel('Run cancelled by user');
      return;
    }
    await cancelPausedRun(deps.db, runId, now());
    registry.forget(runId);
  }

  const resume = createResume({
    db: () => deps.db,
    registry,
    logger,
    instanceId,
    pollIntervalMs,
    isClosed: () => closed,
    track,
  });

  return {
    async runOnce(input: RunOnceInput): Promise<RunOnceResult> {
      const handle = await start({
        kind: input.kind,
        id: input.id,
        message: input.message,
        userId: input.userId,
        sessionId: input.sessionId,
        sessionState: input.sessionState,
      });
      return handle.done;
    },
    start,
    continue: continueRun,
    cancel,
    resume,
    async close() {
      closed = true;
      for (const live of registry.active()) live.requestCancel('Server shutting down');
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      registry.clear();
    },
  };
}

export { agentBase, teamBase };
