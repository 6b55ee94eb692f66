/**
 * Runs, their event log (for replay / resume of background runs) and cancel intents.
 *
 * Events: `appendEvent` assigns `event_index` atomically by bumping `runs.event_count` in the same
 * statement as the insert, so concurrent appends (from any instance) get distinct, gapless,
 * 0-based indices in commit order. A writer that numbers its events itself (the run engine, the
 * only writer of its run) uses `insertEvents`. Resume = `listEvents(db, runId, { after: lastEventIndex })`.
 */
import { sql } from 'kysely';
import type { EntityType, RunEventRow, RunRow, RunStatus } from '../schema.js';
import { type Db, dbNow, defined, json, jsonPatch, newId } from '../util.js';

export interface NewRun {
  /** Default: a new UUID. */
  run_id?: string;
  session_id: string;
  parent_run_id?: string | null;
  entity_type: EntityType;
  entity_id: string;
  user_id?: string | null;
  /** Default `PENDING`. */
  status?: RunStatus | string;
  input?: unknown;
  content?: unknown;
  content_type?: string | null;
  output?: unknown;
  metrics?: unknown;
  requirements?: unknown;
  background?: boolean;
  instance_id?: string | null;
  created_at?: Date;
  /** Default: `created_at` when given, else the database clock. */
  updated_at?: Date;
}

export interface RunPatch {
  status?: RunStatus | string;
  input?: unknown;
  content?: unknown;
  content_type?: string | null;
  output?: unknown;
  metrics?: unknown;
  requirements?: unknown;
  instance_id?: string | null;
  user_id?: string | null;
  /** Default: the database clock. */
  updated_at?: Date;
}

export interface RunScope {
  userId?: string;
  sessionId?: string;
  entityType?: EntityType;
  entityId?: string;
}

function values(run: NewRun) {
  const updatedAt = run.updated_at ?? run.created_at;
  return {
    run_id: run.run_id ?? newId(),
    session_id: run.session_id,
    parent_run_id: run.parent_run_id ?? null,
    entity_type: run.entity_type,
    entity_id: run.entity_id,
    user_id: run.user_id ?? null,
    ...(run.status ? { status: run.status } : {}),
    input: json(run.input),
    content: json(run.content),
    content_type: run.content_type ?? null,
    output: json(run.output),
    metrics: json(run.metrics),
    requirements: json(run.requirements),
    background: run.background ?? false,
    instance_id: run.instance_id ?? null,
    ...(run.created_at ? { created_at: run.created_at } : {}),
    ...(updatedAt ? { updated_at: updatedAt } : {}),
  };
}

/** Inserts a run (its session must exist). A duplicate `run_id` throws a unique violation. */
export async function create(db: Db, run: NewRun): Promise<RunRow> {
  return db.insertInto('runs').values(values(run)).returningAll().executeTakeFirstOrThrow();
}

/**
 * Inserts a run, or, when one with its id exists, overwrites that run's state with the given one:
 * `status`, `content`, `content_type`, `output`, `metrics`, `requirements` and `updated_at` (its
 * identity, input, owner and `created_at` stay).
 */
export async function upsert(db: Db, run: NewRun): Promise<void> {
  await db
    .insertInto('runs')
    .values(values(run))
    .onConflict((oc) =>
      oc.column('run_id').doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        content: eb.ref('excluded.content'),
        content_type: eb.ref('excluded.content_type'),
        output: eb.ref('excluded.output'),
        metrics: eb.ref('excluded.metrics'),
        requirements: eb.ref('excluded.requirements'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** The run, or undefined when there is none in `scope`. */
export async function get(db: Db, runId: string, scope: RunScope = {}): Promise<RunRow | undefined> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('run_id', '=', runId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .$if(scope.sessionId !== undefined, (q) => q.where('session_id', '=', scope.sessionId!))
    .$if(scope.entityType !== undefined, (q) => q.where('entity_type', '=', scope.entityType!))
    .$if(scope.entityId !== undefined, (q) => q.where('entity_id', '=', scope.entityId!))
    .executeTakeFirst();
}

export interface ListRunsOptions {
  userId?: string;
  entityType?: EntityType;
  entityId?: string;
  status?: RunStatus | string;
  /** Only runs created at or after this time. */
  createdAfter?: Date;
  /** Only runs created strictly before this time. */
  createdBefore?: Date;
  /** `null`: top-level runs only; a string: the children of that run. */
  parentRunId?: string | null;
}

/** The runs of a session, oldest first. */
export async function listBySession(
  db: Db,
  sessionId: string,
  opts: ListRunsOptions = {},
): Promise<RunRow[]> {
  const { parentRunId } = opts;
  return db
    .selectFrom('runs')
    .selectAll()
    .where('session_id', '=', sessionId)
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .$if(opts.entityType !== undefined, (q) => q.where('entity_type', '=', opts.entityType!))
    .$if(opts.entityId !== undefined, (q) => q.where('entity_id', '=', opts.entityId!))
    .$if(opts.status !== undefined, (q) => q.where('status', '=', opts.status!))
    .$if(opts.createdAfter !== undefined, (q) => q.where('created_at', '>=', opts.createdAfter!))
    .$if(opts.createdBefore !== undefined, (q) => q.where('created_at', '<', opts.createdBefore!))
    .$if(parentRunId === null, (q) => q.where('parent_run_id', 'is', null))
    .$if(typeof parentRunId === 'string', (q) => q.where('parent_run_id', '=', parentRunId!))
    .orderBy('created_at', 'asc')
    .orderBy('run_id', 'asc')
    .execute();
}

/**
 * Applies `patch` and sets `updated_at` (to `patch.updated_at`, else the database clock). With
 * `fromStatus`, only a run currently in one of those statuses is changed (an atomic state
 * transition, e.g. PAUSED → RUNNING on continue): undefined means no run matched.
 */
export async function update(
  db: Db,
  runId: string,
  patch: RunPatch,
  opts: { fromStatus?: readonly string[]; userId?: string; sessionId?: string } = {},
): Promise<RunRow | undefined> {
  const set = defined({
    status: patch.status,
    input: jsonPatch(patch.input),
    content: jsonPatch(patch.content),
    content_type: patch.content_type,
    output: jsonPatch(patch.output),
    metrics: jsonPatch(patch.metrics),
    requirements: jsonPatch(patch.requirements),
    instance_id: patch.instance_id,
    user_id: patch.user_id,
  });
  const { fromStatus } = opts;
  if (fromStatus && fromStatus.length === 0) return undefined;
  return db
    .updateTable('runs')
    .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
    .where('run_id', '=', runId)
    .$if(fromStatus !== undefined, (q) => q.where('status', 'in', fromStatus!))
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .$if(opts.sessionId !== undefined, (q) => q.where('session_id', '=', opts.sessionId!))
    .returningAll()
    .executeTakeFirst();
}

// ------------------------------------------------------------------------------------- events

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`run not found: ${runId}`);
    this.name = 'RunNotFoundError';
  }
}

/**
 * Appends one event and answers its `event_index` (0 for the first event of a run). Throws
 * RunNotFoundError if the run does not exist.
 */
export async function appendEvent(db: Db, runId: string, event: string, data?: unknown): Promise<number> {
  const r = await sql<{ event_index: number }>`
    with c as (
      update runs set event_count = event_count + 1 where run_id = ${runId}
      returning event_count - 1 as idx
    )
    insert into run_events (run_id, event_index, event, data)
    select ${runId}::text, c.idx, ${event}::text, ${json(data)}::jsonb from c
    returning event_index`.execute(db);
  const row = r.rows[0];
  if (!row) throw new RunNotFoundError(runId);
  return row.event_index;
}

/** Appends several events in order, atomically; answers their indices. */
export async function appendEvents(
  db: Db,
  runId: string,
  events: ReadonlyArray<{ event: string; data?: unknown }>,
): Promise<number[]> {
  if (events.length === 0) return [];
  const items = events.map((e) => ({ event: e.event, data: e.data ?? null }));
  const r = await sql<{ event_index: number }>`
    with c as (
      update runs set event_count = event_count + ${items.length}::int where run_id = ${runId}
      returning event_count - ${items.length}::int as first
    )
    insert into run_events (run_id, event_index, event, data)
    select ${runId}::text, c.first + (e.ord::int - 1), e.item ->> 'event', nullif(e.item -> 'data', 'null'::jsonb)
    from c, jsonb_array_elements(${json(items)}::jsonb) with ordinality as e(item, ord)
    returning event_index`.execute(db);
  if (r.rows.length === 0) throw new RunNotFoundError(runId);
  return r.rows.map((x) => x.event_index).sort((a, b) => a - b);
}

/** An event whose index its writer assigned. */
export interface IndexedEvent {
  event_index: number;
  event: string;
  data?: unknown;
  /** Default: the database clock. */
  created_at?: Date;
}

/**
 * Stores events numbered by their writer, given in index order, and raises `runs.event_count` to
 * one past the last index (never lowers it), in one statement (atomic). A taken index throws a
 * unique violation; an unknown run, a foreign-key violation.
 */
export async function insertEvents(db: Db, runId: string, events: readonly IndexedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const next = events[events.length - 1]!.event_index + 1;
  // Outside a transaction, one statement is one commit: one WAL sync on PGlite instead of two.
  await db
    .with('appended', (qb) =>
      qb
        .insertInto('run_events')
        .values(
          events.map((e) => ({
            run_id: runId,
            event_index: e.event_index,
            event: e.event,
            data: json(e.data),
            ...(e.created_at ? { created_at: e.created_at } : {}),
          })),
        )
        .returning('event_index'),
    )
    .updateTable('runs')
    .set({ event_count: sql<number>`greatest(event_count, ${next})` })
    .where('run_id', '=', runId)
    .execute();
}

/**
 * The events of a run in index order. `after`: only events with a greater index (the client's
 * `last_event_index`); `limit`: at most that many.
 */
export async function listEvents(
  db: Db,
  runId: string,
  opts: { after?: number; limit?: number } = {},
): Promise<RunEventRow[]> {
  return db
    .selectFrom('run_events')
    .selectAll()
    .where('run_id', '=', runId)
    .$if(opts.after !== undefined, (q) => q.where('event_index', '>', opts.after!))
    .orderBy('event_index', 'asc')
    .$if(opts.limit !== undefined, (q) => q.limit(opts.limit!))
    .execute();
}

/**
 * Number of stored events of a run (0 for an unknown run). Counts the `run_events` rows, so it
 * holds even where `runs.event_count` lags behind (events stored outside a transaction).
 */
export async function countEvents(db: Db, runId: string): Promise<number> {
  const row = await db
    .selectFrom('run_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ------------------------------------------------------------------------------- cancellation

/**
 * Records a cancel intent (idempotent: the first one stays; the run need not exist yet, nor on
 * this instance). `createdAt` defaults to the database clock.
 */
export async function requestCancel(
  db: Db,
  runId: string,
  opts: { sessionId?: string | null; requestedBy?: string | null; createdAt?: Date } = {},
): Promise<void> {
  await db
    .insertInto('run_cancellations')
    .values({
      run_id: runId,
      session_id: opts.sessionId ?? null,
      requested_by: opts.requestedBy ?? null,
      ...(opts.createdAt ? { created_at: opts.createdAt } : {}),
    })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

/** True when a cancel intent is recorded for any of the runs (a run and its member runs). */
export async function isCancelRequested(db: Db, runIds: readonly string[]): Promise<boolean> {
  if (runIds.length === 0) return false;
  const row = await db
    .selectFrom('run_cancellations')
    .select('run_id')
    .where('run_id', 'in', runIds)
    .executeTakeFirst();
  return row !== undefined;
}
