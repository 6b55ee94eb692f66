/**
 * @module The scheduler's queries: claiming due schedules so that each due occurrence fires once
 * across every instance sharing the database, releasing them with their next fire time, and the
 * run records (one row per attempt).
 *
 * Claiming is the storage repo's one statement: an `UPDATE … WHERE id IN (SELECT … FOR UPDATE
 * SKIP LOCKED)` whose outer `WHERE` repeats the due/unlocked guard. On PostgreSQL two instances
 * never pick the same row (the second skips the locked row, and once the first commits the guard
 * no longer matches); on PGlite the single connection serialises the statements. A claim holds
 * the row until `locked_until`, after which a crashed instance's claim can be taken over.
 */
import type { Db } from '../db/index.js';
import { schedules } from '../db/repos/index.js';
import type { ScheduleRow, ScheduleRunRow } from '../db/schema.js';
import { nextRunAt } from './cron.js';

export interface ClaimOptions {
  readonly now: Date;
  readonly instanceId: string;
  /** At most this many schedules per claim. */
  readonly limit: number;
}

/**
 * Claims the due, enabled, unclaimed (or stale-claimed) schedules for this instance (the storage
 * repo's guarded `UPDATE … FOR UPDATE SKIP LOCKED`; the claim lasts the schedule's worst case,
 * attempts × (timeout + delay) + 60 s).
 * @returns the claimed rows, with `claimed_by` and `locked_until` set
 */
export function claimDue(db: Db, options: ClaimOptions): Promise<ScheduleRow[]> {
  return schedules.claimDue(db, options.now, options.instanceId, options.limit);
}

/**
 * Ends this instance's claim and sets the next fire time from the schedule's current cron
 * expression and time zone (re-read, so an update made while it ran is honoured). A schedule
 * whose expression no longer computes is disabled rather than left to fire in a loop.
 * @returns the next fire time, or null
 */
export async function releaseClaim(
  db: Db,
  scheduleId: string,
  instanceId: string,
  now: Date,
): Promise<Date | null> {
  const row = await schedules.get(db, scheduleId);
  if (!row) return null;
  let next: Date | null = null;
  try {
    next = nextRunAt(row.cron_expr, row.timezone, now);
  } catch {
    next = null;
  }
  await schedules.complete(db, scheduleId, instanceId, next, { disable: next === null });
  return next;
}

/** A new run record in state `running` (timestamps from the server clock, like the rest of the record). */
export function insertRun(
  db: Db,
  values: { scheduleId: string; attempt: number; now: Date; instanceId: string },
): Promise<ScheduleRunRow> {
  return schedules.createRun(db, {
    schedule_id: values.scheduleId,
    attempt: values.attempt,
    triggered_at: values.now,
    status: 'running',
    instance_id: values.instanceId,
    created_at: values.now,
  });
}

/** The outcome of one attempt. */
export interface AttemptOutcome {
  readonly status: 'success' | 'paused' | 'failed' | 'cancelled';
  readonly statusCode: number | null;
  readonly runId: string | null;
  readonly sessionId: string | null;
  readonly error: string | null;
  readonly input: Record<string, unknown> | null;
  readonly output: Record<string, unknown> | null;
  readonly requirements: unknown[] | null;
}

export function completeRun(
  db: Db,
  id: string,
  outcome: AttemptOutcome,
  now: Date,
): Promise<ScheduleRunRow | undefined> {
  return schedules.updateRun(db, id, {
    completed_at: now,
    status: outcome.status,
    status_code: outcome.statusCode,
    run_id: outcome.runId,
    session_id: outcome.sessionId,
    error: outcome.error,
    input: outcome.input,
    output: outcome.output,
    requirements: outcome.requirements,
  });
}
