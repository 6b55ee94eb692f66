/**
 * Daily usage metrics and the state of their refresh. `aggregate` computes the per-day numbers
 * from `runs` and `sessions` (UTC days); `replaceDays` stores them; the refresh state is one row
 * that `tryStartRefresh` claims atomically, so one refresh runs at a time across instances.
 */
import { type RawBuilder, sql } from 'kysely';
import type { DailyMetricsRow, MetricsRefreshRow } from '../schema.js';
import { type Db, dbNow, json, newId } from '../util.js';

/** A day as `YYYY-MM-DD` (UTC). */
export type Day = string;

/** The token counts summed per day from the runs' `metrics` (every key present, 0 when unused). */
export const TOKEN_KEYS = [
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'audio_tokens',
  'input_audio_tokens',
  'output_audio_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
] as const;

export interface ModelMetric {
  model_id: string;
  /** Absent when the run output names no provider. */
  model_provider?: string;
  count: number;
}

/** One UTC day's usage, as `aggregate` computes it. */
export interface DayAggregate {
  date: Day;
  agent_runs_count: number;
  agent_sessions_count: number;
  team_runs_count: number;
  team_sessions_count: number;
  workflow_runs_count: number;
  workflow_sessions_count: number;
  users_count: number;
  /** Each of TOKEN_KEYS, summed (rounded) over the day's top-level runs. */
  token_metrics: Record<string, number>;
  /** Top-level runs per model (`output.model`, `output.model_provider`), by model id. */
  model_metrics: ModelMetric[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The stored daily metrics between two days (inclusive), oldest first. */
export async function list(
  db: Db,
  opts: { startingDate?: Day; endingDate?: Day } = {},
): Promise<DailyMetricsRow[]> {
  for (const d of [opts.startingDate, opts.endingDate])
    if (d !== undefined && !DAY.test(d)) throw new Error(`not a YYYY-MM-DD day: ${d}`);
  return db
    .selectFrom('daily_metrics')
    .selectAll()
    .$if(opts.startingDate !== undefined, (q) => q.where('date', '>=', opts.startingDate!))
    .$if(opts.endingDate !== undefined, (q) => q.where('date', '<=', opts.endingDate!))
    .orderBy('date')
    .execute();
}

/** Sums a numeric key of the runs' `metrics` JSON, ignoring values that are not numbers. */
function tokenSum(key: string): RawBuilder<number> {
  return sql<number>`coalesce(sum(case when jsonb_typeof(r.metrics -> ${key}) = 'number' then (r.metrics ->> ${key})::numeric else 0 end), 0)`;
}

/**
 * Every UTC day that has top-level runs or new sessions, oldest first: runs counted by the type
 * of their session (member runs of a team are part of the team run, not counted again), sessions
 * by the day they were created, distinct users of those runs and sessions, TOKEN_KEYS summed from
 * the runs' `metrics`, and runs per model.
 * @param opts `userId`: one user's days only (agno 3.1's per-user metrics): the sessions that user
 *   owns and their runs (a run belongs to its session's owner)
 */
export async function aggregate(db: Db, opts: { userId?: string } = {}): Promise<DayAggregate[]> {
  const user = opts.userId;
  const ownSession = (alias: string) =>
    user === undefined ? sql`true` : sql`${sql.ref(`${alias}.user_id`)} = ${user}`;
  const days = new Map<Day, DayAggregate & { users: Set<string> }>();
  const day = (date: Day) => {
    let a = days.get(date);
    if (!a) {
      a = {
        date,
        agent_runs_count: 0,
        agent_sessions_count: 0,
        team_runs_count: 0,
        team_sessions_count: 0,
        workflow_runs_count: 0,
        workflow_sessions_count: 0,
        users_count: 0,
        users: new Set(),
        token_metrics: Object.fromEntries(TOKEN_KEYS.map((k) => [k, 0])),
        model_metrics: [],
      };
      days.set(date, a);
    }
    return a;
  };

  const runs = await sql<Record<string, unknown> & { day: string; session_type: string; runs: number }>`
    select to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, s.session_type, count(*) as runs,
      ${sql.join(TOKEN_KEYS.map((k) => sql`${tokenSum(k)} as ${sql.ref(k)}`))}
    from runs r join sessions s on s.session_id = r.session_id
    where r.parent_run_id is null and ${ownSession('s')}
    group by 1, 2`.execute(db);
  for (const r of runs.rows) {
    const a = day(r.day);
    const n = Number(r.runs);
    if (r.session_type === 'agent') a.agent_runs_count += n;
    else if (r.session_type === 'team') a.team_runs_count += n;
    else if (r.session_type === 'workflow') a.workflow_runs_count += n;
    for (const k of TOKEN_KEYS)
      a.token_metrics[k] = (a.token_metrics[k] ?? 0) + Math.round(Number(r[k] ?? 0));
  }

  const sessions = await sql<{ day: string; session_type: string; n: number }>`
    select to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, s.session_type, count(*) as n
    from sessions s where ${ownSession('s')} group by 1, 2`.execute(db);
  for (const s of sessions.rows) {
    const a = day(s.day);
    const n = Number(s.n);
    if (s.session_type === 'agent') a.agent_sessions_count += n;
    else if (s.session_type === 'team') a.team_sessions_count += n;
    else if (s.session_type === 'workflow') a.workflow_sessions_count += n;
  }

  const users = await sql<{ day: string; user_id: string }>`
    select distinct to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, r.user_id from runs r
    join sessions s on s.session_id = r.session_id
    where r.user_id is not null and r.parent_run_id is null and ${ownSession('s')}
    union
    select distinct to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, s.user_id from sessions s
    where s.user_id is not null and ${ownSession('s')}`.execute(db);
  for (const u of users.rows) day(u.day).users.add(u.user_id);

  const models = await sql<{ day: string; model_id: string; model_provider: string | null; n: number }>`
    select to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, r.output ->> 'model' as model_id,
      r.output ->> 'model_provider' as model_provider, count(*) as n
    from runs r join sessions s on s.session_id = r.session_id
    where r.parent_run_id is null and jsonb_typeof(r.output -> 'model') = 'string' and ${ownSession('s')}
    group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  for (const m of models.rows) {
    const entry: ModelMetric = { model_id: m.model_id, count: Number(m.n) };
    if (m.model_provider !== null) entry.model_provider = m.model_provider;
    day(m.day).model_metrics.push(entry);
  }
  return [...days.values()]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map(({ users: seen, ...a }) => ({ ...a, users_count: seen.size }));
}

/**
 * Makes the stored days exactly `days` in one transaction: other days are deleted, known days
 * updated in place (keeping their id and creation time), new ones inserted; `now` stamps the
 * writes. Answers the stored rows.
 */
export async function replaceDays(
  db: Db,
  days: readonly DayAggregate[],
  now: Date,
): Promise<DailyMetricsRow[]> {
  return db.transaction().execute(async (trx) => {
    const dates = days.map((d) => d.date);
    let del = trx.deleteFrom('daily_metrics');
    if (dates.length > 0) del = del.where('date', 'not in', dates);
    await del.execute();
    const out: DailyMetricsRow[] = [];
    for (const d of days) {
      const values = {
        agent_runs_count: d.agent_runs_count,
        agent_sessions_count: d.agent_sessions_count,
        team_runs_count: d.team_runs_count,
        team_sessions_count: d.team_sessions_count,
        workflow_runs_count: d.workflow_runs_count,
        workflow_sessions_count: d.workflow_sessions_count,
        users_count: d.users_count,
        token_metrics: json(d.token_metrics)!,
        model_metrics: json(d.model_metrics)!,
        updated_at: now,
      };
      out.push(
        await trx
          .insertInto('daily_metrics')
          .values({ id: newId(), date: d.date, created_at: now, ...values })
          .onConflict((oc) => oc.column('date').doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
    return out;
  });
}

// -------------------------------------------------------------------------------- refresh state

/** The refresh state (one row, created by the first migration). */
export async function getRefreshStatus(db: Db): Promise<MetricsRefreshRow> {
  return db.selectFrom('metrics_refresh').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
}

/**
 * Marks a refresh as running unless one already is (a `running` state older than `staleAfterMs`,
 * default 1 hour, counts as crashed). Answers true if this caller may run the refresh.
 */
export async function tryStartRefresh(
  db: Db,
  opts: { instanceId?: string; staleAfterMs?: number } = {},
): Promise<boolean> {
  const staleSeconds = (opts.staleAfterMs ?? 3_600_000) / 1000;
  const r = await db
    .updateTable('metrics_refresh')
    .set({
      status: 'running',
      started_at: dbNow(),
      finished_at: null,
      error: null,
      instance_id: opts.instanceId ?? null,
      updated_at: dbNow(),
    })
    .where('id', '=', 1)
    .where((eb) =>
      eb.or([
        eb('status', '<>', 'running'),
        eb('started_at', 'is', null),
        eb('started_at', '<=', sql<Date>`now() - make_interval(secs => ${staleSeconds}::float8)`),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Ends the running refresh as `completed` or `failed` (with the error message). */
export async function finishRefresh(
  db: Db,
  result: { status: 'completed' | 'failed'; error?: string | null },
): Promise<MetricsRefreshRow> {
  return db
    .updateTable('metrics_refresh')
    .set({ status: result.status, finished_at: dbNow(), error: result.error ?? null, updated_at: dbNow() })
    .where('id', '=', 1)
    .returningAll()
    .executeTakeFirstOrThrow();
}
