/**
 * @module The run engine's queries (Kysely, both PGlite and PostgreSQL): sessions, runs, run
 * events, cancel intents, approvals (read, and created on pause), traces and spans. The run
 * handlers use the read functions too.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type ApprovalRow,
  type EntityType,
  json,
  type RunRow,
  type Schema,
  type SessionRow,
} from '../db/index.js';
import type { RunFrame } from './types.js';

export type Db = Kysely<Schema> | Transaction<Schema>;

/** Statuses after which a run executes nothing more until continued (or never). */
export const SETTLED_STATUSES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'PAUSED',
  'CANCELLED',
  'ERROR',
  'REGENERATED',
]);

// -------------------------------------------------------------------------------- sessions

export async function getSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
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
  const res = await db
    .insertInto('sessions')
    .values({
      session_id: s.sessionId,
      session_type: s.kind,
      agent_id: s.kind === 'agent' ? s.entityId : null,
      team_id: s.kind === 'team' ? s.entityId : null,
      workflow_id: s.kind === 'workflow' ? s.entityId : null,
      user_id: s.userId,
      session_state: json(s.sessionState),
      agent_data: s.kind === 'agent' ? json(s.entityData) : null,
      team_data: s.kind === 'team' ? json(s.entityData) : null,
      workflow_data: s.kind === 'workflow' ? json(s.entityData) : null,
      created_at: s.now,
      updated_at: s.now,
    })
    .onConflict((oc) => oc.column('session_id').doNothing())
    .returning('session_id')
    .executeTakeFirst();
  return res !== undefined;
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

export async function getRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
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

export async function insertRun(db: Db, r: NewRun): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      run_id: r.runId,
      session_id: r.sessionId,
      parent_run_id: r.parentRunId,
      entity_type: r.kind,
      entity_id: r.entityId,
      user_id: r.userId,
      status: r.status,
      input: json(r.input),
      output: json(r.output),
      background: r.background,
      instance_id: r.instanceId,
      created_at: r.now,
      updated_at: r.now,
    })
    .execute();
}

/** Moves a run from one of `from` to `to` atomically; false when its status was not in `from`. */
export async function transitionRun(
  db: Db,
  runId: string,
  from: readonly string[],
  to: string,
  set: { instanceId?: string; output?: Record<string, unknown>; now: Date },
): Promise<boolean> {
  const res = await db
    .updateTable('runs')
    .set({
      status: to,
      updated_at: set.now,
      ...(set.instanceId !== undefined ? { instance_id: set.instanceId } : {}),
      ...(set.output !== undefined ? { output: json(set.output) } : {}),
    })
    .where('run_id', '=', runId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
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
  const values = {
    status: u.status,
    output: json(u.output),
    content: json(u.content),
    content_type:
      u.content === undefined || u.content === null ? null : typeof u.content === 'string' ? 'str' : 'json',
    metrics: json(u.metrics),
    requirements: json(u.requirements),
    updated_at: u.now,
  };
  if (!insert) {
    await db.updateTable('runs').set(values).where('run_id', '=', u.runId).execute();
    return;
  }
  await db
    .insertInto('runs')
    .values({
      run_id: insert.runId,
      session_id: insert.sessionId,
      parent_run_id: insert.parentRunId,
      entity_type: insert.kind,
      entity_id: insert.entityId,
      user_id: insert.userId,
      input: json(insert.input),
      background: insert.background,
      instance_id: insert.instanceId,
      created_at: u.now,
      ...values,
    })
    .onConflict((oc) => oc.column('run_id').doUpdateSet(values))
    .execute();
}

/** The top-level runs of one entity in one session, oldest first, optionally with one status. */
export async function listEntityRuns(
  db: Db,
  q: { sessionId: string; kind: EntityType; entityId: string; status?: string | undefined },
): Promise<RunRow[]> {
  let query = db
    .selectFrom('runs')
    .selectAll()
    .where('session_id', '=', q.sessionId)
    .where('entity_type', '=', q.kind)
    .where('entity_id', '=', q.entityId)
    .where('parent_run_id', 'is', null);
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  return query.orderBy('created_at', 'asc').orderBy('run_id', 'asc').execute();
}

/** Every run of a session (top-level and nested), oldest first. */
export async function listSessionRuns(db: Db, sessionId: string): Promise<RunRow[]> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('created_at', 'asc')
    .orderBy('run_id', 'asc')
    .execute();
}

// ---------------------------------------------------------------------------------- events

/** Appends events (their indexes are assigned by the caller, gapless) and bumps `event_count`. */
export async function appendEvents(
  db: Db,
  runId: string,
  frames: readonly RunFrame[],
  now: Date,
): Promise<void> {
  if (frames.length === 0) return;
  await db
    .insertInto('run_events')
    .values(
      frames.map((f) => ({
        run_id: runId,
        event_index: f.index,
        event: f.event,
        data: json(f.data),
        created_at: now,
      })),
    )
    .execute();
  const next = frames[frames.length - 1]!.index + 1;
  await db
    .updateTable('runs')
    .set({ event_count: sql<number>`greatest(event_count, ${next})` })
    .where('run_id', '=', runId)
    .execute();
}

/** The stored events of a run with an index above `afterIndex` (all when undefined), in order. */
export async function readEvents(db: Db, runId: string, afterIndex?: number): Promise<RunFrame[]> {
  let q = db.selectFrom('run_events').select(['event_index', 'event', 'data']).where('run_id', '=', runId);
  if (afterIndex !== undefined) q = q.where('event_index', '>', afterIndex);
  const rows = await q.orderBy('event_index', 'asc').execute();
  return rows.map((r) => ({
    index: r.event_index,
    event: r.event,
    data: (r.data ?? {}) as Record<string, unknown>,
  }));
}

export async function countEvents(db: Db, runId: string): Promise<number> {
  const row = await db
    .selectFrom('run_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
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
  await db
    .insertInto('run_cancellations')
    .values({ run_id: runId, session_id: sessionId, requested_by: requestedBy, created_at: now })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

export async function hasCancelIntent(db: Db, runIds: readonly string[]): Promise<boolean> {
  if (runIds.length === 0) return false;
  const row = await db
    .selectFrom('run_cancellations')
    .select('run_id')
    .where('run_id', 'in', [...runIds])
    .executeTakeFirst();
  return row !== undefined;
}

/** Clears a cancel intent (a continued run starts afresh). */
export async function deleteCancelIntent(db: Db, runId: string): Promise<void> {
  await db.deleteFrom('run_cancellations').where('run_id', '=', runId).execute();
}

// ------------------------------------------------------------------------------- approvals

/** The `required` approvals of a run still pending. */
export async function pendingRequiredApprovals(db: Db, runId: string): Promise<ApprovalRow[]> {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .where('approval_type', '=', 'required')
    .execute();
}

export async function getApprovals(db: Db, ids: readonly string[]): Promise<ApprovalRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
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
  await db
    .insertInto('approvals')
    .values({
      id: a.id,
      run_id: a.runId,
      session_id: a.sessionId,
      status: 'pending',
      source_type: a.sourceType,
      approval_type: 'required',
      pause_type: 'confirmation',
      tool_name: a.toolName,
      tool_args: json(a.toolArgs),
      agent_id: a.agentId,
      team_id: a.teamId,
      workflow_id: a.workflowId,
      user_id: a.userId,
      source_name: a.sourceName,
      requirements: json(a.requirements),
      context: json(a.context),
      created_at: a.now,
      updated_at: null,
    })
    .execute();
}

// -------------------------------------------------------------------------------- sessions

/** Saves a session's state and adds a segment's token counts to its metrics. */
export async function updateSessionAfterRun(
  db: Db,
  sessionId: string,
  u: { sessionState: Record<string, unknown>; input: number; output: number; total: number; now: Date },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      session_state: json(u.sessionState),
      metrics: sql`jsonb_build_object(
        'input_tokens', coalesce((metrics->>'input_tokens')::bigint, 0) + ${u.input},
        'output_tokens', coalesce((metrics->>'output_tokens')::bigint, 0) + ${u.output},
        'total_tokens', coalesce((metrics->>'total_tokens')::bigint, 0) + ${u.total}
      )`,
      updated_at: u.now,
    })
    .where('session_id', '=', sessionId)
    .execute();
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

export async function insertTrace(db: Db, t: TraceRecord, spans: readonly SpanRecord[]): Promise<void> {
  await db
    .insertInto('traces')
    .values({
      trace_id: t.traceId,
      name: t.name,
      status: t.status,
      start_time: t.startTime,
      end_time: t.endTime,
      duration_ms: Math.max(0, t.endTime.getTime() - t.startTime.getTime()),
      input: t.input,
      output: t.output,
      error: t.error,
      run_id: t.runId,
      session_id: t.sessionId,
      user_id: t.userId,
      agent_id: t.agentId,
      team_id: t.teamId,
      workflow_id: t.workflowId,
      created_at: t.startTime,
    })
    .execute();
  if (spans.length === 0) return;
  await db
    .insertInto('spans')
    .values(
      spans.map((s) => ({
        span_id: s.spanId,
        trace_id: t.traceId,
        parent_span_id: s.parentSpanId,
        name: s.name,
        span_kind: s.kind,
        status: s.status,
        start_time: s.startTime,
        end_time: s.endTime,
        duration_ms: Math.max(0, s.endTime.getTime() - s.startTime.getTime()),
        input: s.input,
        output: s.output,
        error: s.error,
        step_type: s.stepType,
        metadata: json(s.metadata),
        created_at: s.startTime,
      })),
    )
    .execute();
}
