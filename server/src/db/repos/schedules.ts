/**
 * Cron schedules and their run records. Not user-owned.
 *
 * Firing across instances: `claimDue` is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
 * LOCKED) … RETURNING`, so of several instances claiming at once each due schedule goes to
 * exactly one; the claim (`claimed_by`, `locked_until`) keeps others off until `complete` moves
 * `next_run_at` on (computed by the caller from the cron expression) or the lease runs out (the
 * claimer crashed). Computing fire times is the scheduler's job, not this module's.
 */
import { sql } from 'kysely';
import type { ScheduleRow, ScheduleRunRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  json,
  jsonPatch,
  newId,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
} from '../util.js';

export interface NewSchedule {
  id?: string;
  name: string;
  cron_expr: string;
  endpoint: string;
  method?: string;
  description?: string | null;
  payload?: unknown;
  timezone?: string;
  timeout_seconds?: number;
  max_retries?: number;
  retry_delay_seconds?: number;
  enabled?: boolean;
  next_run_at?: Date | null;
  /** The owner (contract.md §5, §10.4): the creator's subject. */
  user_id?: string | null;
  /** Default: the database's time (also for `updated_at`). */
  created_at?: Date;
}

export interface SchedulePatch {
  name?: string;
  cron_expr?: string;
  endpoint?: string;
  method?: string;
  description?: string | null;
  payload?: unknown;
  timezone?: string;
  timeout_seconds?: number;
  max_retries?: number;
  retry_delay_seconds?: number;
  enabled?: boolean;
  next_run_at?: Date | null;
  /** Default: the database's time. */
  updated_at?: Date;
}

/** Inserts a schedule; a duplicate name throws a unique violation (409). */
export async function create(db: Db, s: NewSchedule): Promise<ScheduleRow> {
  return db
    .insertInto('schedules')
    .values({
      user_id: s.user_id ?? null,
      id: s.id ?? newId(),
      name: s.name,
      cron_expr: s.cron_expr,
      endpoint: s.endpoint,
      ...defined({
        method: s.method,
        timezone: s.timezone,
        timeout_seconds: s.timeout_seconds,
        max_retries: s.max_retries,
        retry_delay_seconds: s.retry_delay_seconds,
        enabled: s.enabled,
      }),
      description: s.description ?? null,
      payload: json(s.payload),
      next_run_at: s.next_run_at ?? null,
      ...(s.created_at ? { created_at: s.created_at, updated_at: s.created_at } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function get(db: Db, id: string): Promise<ScheduleRow | undefined> {
  return db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getByName(db: Db, name: string): Promise<ScheduleRow | undefined> {
  return db.selectFrom('schedules').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Schedules, oldest first (`sortOrder` to reverse). */
export async function list(
  db: Db,
  opts: PageOptions & { enabled?: boolean; sortOrder?: string; userId?: string } = {},
): Promise<Page<ScheduleRow>> {
  const { limit, offset } = paging(opts, 100);
  const base = db
    .selectFrom('schedules')
    .$if(opts.enabled !== undefined, (q) => q.where('enabled', '=', opts.enabled!))
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!));
  return pageOf(
    base,
    (q) => q.selectAll().orderBy('created_at', order(opts.sortOrder, 'asc')).orderBy('id'),
    { limit, offset },
  );
}

/** Applies `patch`; undefined if the schedule does not exist. A duplicate name throws (409). */
export async function update(db: Db, id: string, patch: SchedulePatch): Promise<ScheduleRow | undefined> {
  const set = defined({
    name: patch.name,
    cron_expr: patch.cron_expr,
    endpoint: patch.endpoint,
    method: patch.method,
    description: patch.description,
    payload: jsonPatch(patch.payload),
    timezone: patch.timezone,
    timeout_seconds: patch.timeout_seconds,
    max_retries: patch.max_retries,
    retry_delay_seconds: patch.retry_delay_seconds,
    enabled: patch.enabled,
    next_run_at: patch.next_run_at,
  });
  return db
    .updateTable('schedules')
    .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes a schedule and its run records. */
/**
 * Records the schedule's owner and the scopes it holds (contract.md §10.4): the owner is set when
 * none is recorded; the scopes only when `userId` is (then) the owner.
 */
export async function setOwner(
  db: Db,
  id: string,
  owner: { userId: string | null; scopes: readonly string[] },
): Promise<void> {
  await db
    .updateTable('schedules')
    .set({
      user_id: sql<string | null>`coalesce(user_id, ${owner.userId})`,
      owner_scopes: json([...owner.scopes]),
    })
    .where('id', '=', id)
    .where((eb) =>
      owner.userId === null
        ? eb('user_id', 'is', null)
        : eb.or([eb('user_id', 'is', null), eb('user_id', '=', owner.userId)]),
    )
    .execute();
}

/** A schedule run by its id alone (containment reads its `schedule_id`). */
export async function getRunById(db: Db, runId: string): Promise<ScheduleRunRow | undefined> {
  return db.selectFrom('schedule_runs').selectAll().where('id', '=', runId).executeTakeFirst();
}

export async function remove(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Claims up to `limit` enabled schedules due at `now` that nobody holds (or whose lease expired)
 * for `instanceId`, and answers them. The lease lasts `leaseSeconds` if given, else the
 * schedule's worst case: (timeout + retry delay) × (retries + 1) + 60 s.
 */
export async function claimDue(
  db: Db,
  now: Date,
  instanceId: string,
  limit = 10,
  opts: { leaseSeconds?: number } = {},
): Promise<ScheduleRow[]> {
  const lease =
    opts.leaseSeconds !== undefined
      ? sql`${opts.leaseSeconds}::float8`
      : sql`((s.timeout_seconds + s.retry_delay_seconds) * (s.max_retries + 1) + 60)::float8`;
  const r = await sql<ScheduleRow>`
    update schedules as s
       set claimed_by = ${instanceId},
           locked_until = ${now}::timestamptz + make_interval(secs => ${lease}),
           last_run_at = ${now}::timestamptz
     where s.id in (
             select id from schedules
              where enabled
                and next_run_at is not null
                and next_run_at <= ${now}::timestamptz
                and (locked_until is null or locked_until <= ${now}::timestamptz)
              order by next_run_at, id
              limit ${limit}::int
              for update skip locked)
       and s.enabled
       and s.next_run_at <= ${now}::timestamptz
       and (s.locked_until is null or s.locked_until <= ${now}::timestamptz)
    returning s.*`.execute(db);
  return r.rows;
}

/**
 * Releases this instance's claim and sets the next fire time (null: none; `disable` also turns
 * the schedule off). Answers false if the claim was no longer this instance's (lease expired and
 * taken over), in which case nothing changes.
 */
export async function complete(
  db: Db,
  scheduleId: string,
  instanceId: string,
  nextRunAt: Date | null,
  opts: { disable?: boolean } = {},
): Promise<boolean> {
  const r = await db
    .updateTable('schedules')
    .set({
      claimed_by: null,
      locked_until: null,
      next_run_at: nextRunAt,
      ...(opts.disable ? { enabled: false } : {}),
    })
    .where('id', '=', scheduleId)
    .where('claimed_by', '=', instanceId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

// ----------------------------------------------------------------------------------- run records

export interface NewScheduleRun {
  id?: string;
  schedule_id: string;
  attempt?: number;
  triggered_at?: Date | null;
  status?: string;
  instance_id?: string | null;
  input?: unknown;
  /** Default: the database's time. */
  created_at?: Date;
}

export interface ScheduleRunPatch {
  status?: string;
  completed_at?: Date | null;
  status_code?: number | null;
  run_id?: string | null;
  session_id?: string | null;
  error?: string | null;
  input?: unknown;
  output?: unknown;
  requirements?: unknown;
}

export async function createRun(db: Db, r: NewScheduleRun): Promise<ScheduleRunRow> {
  return db
    .insertInto('schedule_runs')
    .values({
      id: r.id ?? newId(),
      schedule_id: r.schedule_id,
      attempt: r.attempt ?? 1,
      triggered_at: r.triggered_at ?? dbNow(),
      ...(r.status ? { status: r.status } : {}),
      instance_id: r.instance_id ?? null,
      input: json(r.input),
      ...(r.created_at ? { created_at: r.created_at } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateRun(
  db: Db,
  id: string,
  patch: ScheduleRunPatch,
): Promise<ScheduleRunRow | undefined> {
  const set = defined({
    status: patch.status,
    completed_at: patch.completed_at,
    status_code: patch.status_code,
    run_id: patch.run_id,
    session_id: patch.session_id,
    error: patch.error,
    input: jsonPatch(patch.input),
    output: jsonPatch(patch.output),
    requirements: jsonPatch(patch.requirements),
  });
  if (Object.keys(set).length === 0) {
    return db.selectFrom('schedule_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }
  return db.updateTable('schedule_runs').set(set).where('id', '=', id).returningAll().executeTakeFirst();
}

/** The run records of a schedule, newest first. */
export async function listRuns(
  db: Db,
  scheduleId: string,
  opts: PageOptions = {},
): Promise<Page<ScheduleRunRow>> {
  const { limit, offset } = paging(opts, 100);
  const base = db.selectFrom('schedule_runs').where('schedule_id', '=', scheduleId);
  return pageOf(base, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), {
    limit,
    offset,
  });
}

/** One run record, only if it belongs to the schedule. */
export async function getRun(db: Db, scheduleId: string, runId: string): Promise<ScheduleRunRow | undefined> {
  return db
    .selectFrom('schedule_runs')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

export { remove as delete };
