/**
 * @module The run engine's persistence, in its own terms: sessions, runs, run events and cancel
 * intents, approvals and traces through the storage repositories (`db/repos`), in the terms of
 * the engine (read, and created on pause / at the end of a run). Every function takes the
 * database or a transaction.
 */
import type { ApprovalRow, Db, EntityType, RunRow, SessionRow } from '../db/index.js';
import { approvals, runs, sessions, traces } from '../db/repos/index.js';
import type { RunFrame } from './types.js';

/** Statuses after which a run executes nothing more until continued (or never). */
export const SETTLED_STATUSES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'PAUSED',
  'CANCELLED',
  'ERROR',
  'REGENERATED',
]);

// -------------------------------------------------------------------------------- sessions

/** The session, or undefined. */
export async function getSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  return sessions.get(db, sessionId);
}

export interface NewSession {
  readonly sessionId: string;
  readonly kind: EntityType;
  readonly entityId: string;
  readonly userId: string | null;
  readonly sessionState: Record<string, unknown>;
  readonly entityData: Record<string, unknown>;
  readonly now: Date;
}

/** Creates a session; answers false when it already exists (another request created it first). */
export async function insertSession(db: Db, s: NewSession): Promise<boolean> {
  const created = await sessions.createIfAbsent(db, {
    session_id: s.sessionId,
    session_type: s.kind,
    agent_id: s.kind === 'agent' ? s.entityId : null,
    team_id: s.kind === 'team' ? s.entityId : null,
    workflow_id: s.kind === 'workflow' ? s.entityId : null,
    user_id: s.userId,
    session_state: s.sessionState,
    agent_data: s.kind === 'agent' ? s.entityData : null,
    team_data: s.kind === 'team' ? s.entityData : null,
    workflow_data: s.kind === 'workflow' ? s.entityData : null,
    created_at: s.now,
    updated_at: s.now,
  });
  return created !== undefined;
}

/** The entity a session belongs to. */
export function sessionEntityId(session: SessionRow): string | null {
  return session.session_type === 'agent'
    ? session.agent_id
    : session.session_type === 'team'
      ? session.team_id
      : session.workflow_id;
}

// ------------------------------------------------------------------------------------ runs

/** The run, or undefined. */
export async function getRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return runs.get(db, runId);
}

export interface NewRun {
  readonly runId: string;
  readonly sessionId: string;
  readonly parentRunId: string | null;
  readonly kind: EntityType;
  readonly entityId: string;
  readonly userId: string | null;
  readonly status: string;
  readonly input: unknown;
  readonly output: Record<string, unknown>;
  readonly background: boolean;
  readonly instanceId: string;
  readonly now: Date;
}

/** Inserts a run (created and updated at `now`). */
export async function insertRun(db: Db, r: NewRun): Promise<void> {
  await runs.create(db, {
    run_id: r.runId,
    session_id: r.sessionId,
    parent_run_id: r.parentRunId,
    entity_type: r.kind,
    entity_id: r.entityId,
    user_id: r.userId,
    status: r.status,
    input: r.input,
    output: r.output,
    background: r.background,
    instance_id: r.instanceId,
    created_at: r.now,
    updated_at: r.now,
  });
}

/** Moves a run from one of `from` to `to` atomically; false when its status was not in `from`. */
export async function transitionRun(
  db: Db,
  runId: string,
  from: readonly string[],
  to: string,
  set: { instanceId?: string; output?: Record<string, unknown>; now: Date },
): Promise<boolean> {
  const moved = await runs.update(
    db,
    runId,
    { status: to, instance_id: set.instanceId, output: set.output, updated_at: set.now },
    { fromStatus: from },
  );
  return moved !== undefined;
}

export interface RunUpdate {
  readonly runId: string;
  readonly status: string;
  readonly output: Record<string, unknown>;
  readonly content: unknown;
  readonly metrics: Record<string, unknown> | null;
  readonly requirements: unknown;
  readonly now: Date;
}

/** Writes a run's state (the top-level run, or a member/step run, inserted if missing). */
export async function saveRun(
  db: Db,
  u: RunUpdate,
  insert?: Omit<NewRun, 'status' | 'output' | 'now'>,
): Promise<void> {
  // Every state column is written, an absent value as null (the repository leaves `undefined` alone).
  const state = {
    status: u.status,
    output: u.output,
    content: u.content ?? null,
    content_type:
      u.content === undefined || u.content === null ? null : typeof u.content === 'string' ? 'str' : 'json',
    metrics: u.metrics ?? null,
    requirements: u.requirements ?? null,
  };
  if (!insert) {
    await runs.update(db, u.runId, { ...state, updated_at: u.now });
    return;
  }
  await runs.upsert(db, {
    run_id: insert.runId,
    session_id: insert.sessionId,
    parent_run_id: insert.parentRunId,
    entity_type: insert.kind,
    entity_id: insert.entityId,
    user_id: insert.userId,
    input: insert.input,
    background: insert.background,
    instance_id: insert.instanceId,
    created_at: u.now,
    ...state,
  });
}

// ---------------------------------------------------------------------------------- events

/** Appends events (their indexes are assigned by the caller, gapless) and bumps `event_count`. */
export async function appendEvents(
  db: Db,
  runId: string,
  frames: readonly RunFrame[],
  now: Date,
): Promise<void> {
  await runs.insertEvents(
    db,
    runId,
    frames.map((f) => ({ event_index: f.index, event: f.event, data: f.data, created_at: now })),
  );
}

/** The stored events of a run with an index above `afterIndex` (all when undefined), in order. */
export async function readEvents(db: Db, runId: string, afterIndex?: number): Promise<RunFrame[]> {
  const rows = await runs.listEvents(db, runId, { after: afterIndex });
  return rows.map((r) => ({
    index: r.event_index,
    event: r.event,
    data: (r.data ?? {}) as Record<string, unknown>,
  }));
}

/** The number of stored events of a run. */
export async function countEvents(db: Db, runId: string): Promise<number> {
  return runs.countEvents(db, runId);
}

// ---------------------------------------------------------------------------------- cancel

/** Stores a cancel intent (idempotent). */
export async function insertCancelIntent(
  db: Db,
  runId: string,
  sessionId: string | null,
  requestedBy: string | null,
  now: Date,
): Promise<void> {
  await runs.requestCancel(db, runId, { sessionId, requestedBy, createdAt: now });
}

/** True when a cancel intent is stored for any of the runs. */
export async function hasCancelIntent(db: Db, runIds: readonly string[]): Promise<boolean> {
  return runs.isCancelRequested(db, runIds);
}

// ------------------------------------------------------------------------------- approvals

/** The `required` approvals of a run still pending. */
/** Moves the pending approvals of a cancelled run to `cancelled` (nothing is left to approve). */
export function cancelPendingApprovals(db: Db, runId: string): Promise<number> {
  return approvals.cancelForRun(db, runId);
}

export function pendingRequiredApprovals(db: Db, runId: string): Promise<ApprovalRow[]> {
  return approvals.listPendingForRun(db, runId, { approvalType: 'required' });
}

export function getApprovals(db: Db, ids: readonly string[]): Promise<ApprovalRow[]> {
  return approvals.getMany(db, ids);
}

export interface NewApproval {
  readonly id: string;
  readonly runId: string;
  readonly sessionId: string;
  readonly sourceType: EntityType;
  readonly sourceName: string | null;
  readonly toolName: string | null;
  readonly toolArgs: unknown;
  readonly agentId: string | null;
  readonly teamId: string | null;
  readonly workflowId: string | null;
  readonly userId: string | null;
  readonly requirements: unknown;
  readonly context: Record<string, unknown> | null;
  readonly now: Date;
}

export async function insertApproval(db: Db, a: NewApproval): Promise<void> {
  await approvals.create(db, {
    id: a.id,
    run_id: a.runId,
    session_id: a.sessionId,
    status: 'pending',
    source_type: a.sourceType,
    approval_type: 'required',
    pause_type: 'confirmation',
    tool_name: a.toolName,
    tool_args: a.toolArgs,
    agent_id: a.agentId,
    team_id: a.teamId,
    workflow_id: a.workflowId,
    user_id: a.userId,
    source_name: a.sourceName,
    requirements: a.requirements,
    context: a.context,
    created_at: a.now,
  });
}

// -------------------------------------------------------------------------------- sessions

/** Saves a session's state and adds a segment's token counts to its metrics. */
export async function updateSessionAfterRun(
  db: Db,
  sessionId: string,
  u: { sessionState: Record<string, unknown>; input: number; output: number; total: number; now: Date },
): Promise<void> {
  await sessions.recordRun(db, sessionId, {
    sessionState: u.sessionState,
    inputTokens: u.input,
    outputTokens: u.output,
    totalTokens: u.total,
    updatedAt: u.now,
  });
}

// ---------------------------------------------------------------------------------- traces

export interface TraceRecord {
  readonly traceId: string;
  readonly name: string;
  readonly status: string;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly runId: string;
  readonly sessionId: string;
  readonly userId: string | null;
  readonly agentId: string | null;
  readonly teamId: string | null;
  readonly workflowId: string | null;
}

export interface SpanRecord {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly stepType: string | null;
  readonly metadata: Record<string, unknown>;
}

export function insertTrace(db: Db, t: TraceRecord, spans: readonly SpanRecord[]): Promise<void> {
  return traces.insert(
    db,
    {
      trace_id: t.traceId,
      name: t.name,
      status: t.status,
      start_time: t.startTime,
      end_time: t.endTime,
      input: t.input,
      output: t.output,
      error: t.error,
      run_id: t.runId,
      session_id: t.sessionId,
      user_id: t.userId,
      agent_id: t.agentId,
      team_id: t.teamId,
      workflow_id: t.workflowId,
    },
    spans.map((s) => ({
      span_id: s.spanId,
      parent_span_id: s.parentSpanId,
      name: s.name,
      span_kind: s.kind,
      status: s.status,
      start_time: s.startTime,
      end_time: s.endTime,
      input: s.input,
      output: s.output,
      error: s.error,
      step_type: s.stepType,
      metadata: s.metadata,
    })),
  );
}
