/**
 * Daily usage metrics and the state of their refresh. `aggregate` computes the per-day numbers
 * from `runs` and `sessions` (UTC days); `upsertDays` stores them; the refresh state is one row
 * that `tryStartRefresh` claims atomically, so one refresh runs at a time across instances.
 */
import { sql } from 'kysely';
import type { DailyMetricsRow, MetricsRefreshRow } from '../schema.js';
import { type Db, dbNow, json, newId } from '../util.js';

/** A day as `YYYY-MM-DD` (UTC). */
export type Day = string;

export interface ModelMetric {
  model_id: string;
  model_provider: string | null;
  count: number;
}

export interface DayAggregate {
  date: Day;
  agent_runs_count: number;
  agent_sessions_count: number;
  team_runs_count: number;
  team_sessions_count: number;
  workflow_runs_count: number;
  workflow_sessions_count: number;
  users_count: number;
  /** Sum of every numeric field of the runs' `metrics` (input_tokens, output_tokens, …). */
  token_metrics: Record<string, number>;
  /** Runs per model (`output.model`, `output.model_provider`), most used first. */
  model_metrics: ModelMetric[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function bounds(from?: Day, to?: Day): { start: Date | null; end: Date | null } {
  for (const d of [from, to])
    if (d !== undefined && !DAY.test(d)) throw new Error(`not a YYYY-MM-DD day: ${d}`);
  const start = from ? new Date(`${from}T00:00:00Z`) : null;
  const end = to ? new Date(new Date(`${to}T00:00:00Z`).getTime() + 86_400_000) : null;
  return { start, end };
}

/** The stored daily metrics between two days (inclusive), oldest first. */
export async function list(
  db: Db,
  opts: { startingDate?: Day; endingDate?: Day } = {},
): Promise<DailyMetricsRow[]> {
  bounds(opts.startingDate, opts.endingDate);
  return db
    .selectFrom('daily_metrics')
    .selectAll()
    .$if(opts.startingDate !== undefined, (q) => q.where('date', '>=', opts.startingDate!))
    .$if(opts.endingDate !== undefined, (q) => q.where('date', '<=', opts.endingDate!))
    .orderBy('date')
    .execute();
}

/** When the stored metrics were last written (null if never). */
export async function lastUpdatedAt(db: Db): Promise<Date | null> {
  const r = await db
    .selectFrom('daily_metrics')
    .select((eb) => eb.fn.max('updated_at').as('at'))
    .executeTakeFirst();
  return r?.at ?? null;
}

/** Computes the per-day metrics of the days (inclusive) that have runs or sessions. */
export async function aggregate(db: Db, opts: { from?: Day; to?: Day } = {}): Promise<DayAggregate[]> {
  const { start, end } = bounds(opts.from, opts.to);
  const inRange = (col: ReturnType<typeof sql.ref>) =>
    sql`(${start}::timestamptz is null or ${col} >= ${start}::timestamptz) and (${end}::timestamptz is null or ${col} < ${end}::timestamptz)`;
  const runDay = sql`(r.created_at at time zone 'UTC')::date`;
  const sessionDay = sql`(s.created_at at time zone 'UTC')::date`;
  const r = await sql<DayAggregate>`
    with run_counts as (
      select ${runDay} as day,
             count(*) filter (where r.entity_type = 'agent')::int as agent_runs_count,
             count(*) filter (where r.entity_type = 'team')::int as team_runs_count,
             count(*) filter (where r.entity_type = 'workflow')::int as workflow_runs_count
        from runs r where ${inRange(sql.ref('r.created_at'))} group by 1
    ),
    session_counts as (
      select ${sessionDay} as day,
             count(*) filter (where s.session_type = 'agent')::int as agent_sessions_count,
             count(*) filter (where s.session_type = 'team')::int as team_sessions_count,
             count(*) filter (where s.session_type = 'workflow')::int as workflow_sessions_count
        from sessions s where ${inRange(sql.ref('s.created_at'))} group by 1
    ),
    users as (
      select day, count(distinct user_id)::int as users_count from (
        select ${runDay} as day, r.user_id from runs r
         where r.user_id is not null and ${inRange(sql.ref('r.created_at'))}
        union all
        select ${sessionDay} as day, s.user_id from sessions s
         where s.user_id is not null and ${inRange(sql.ref('s.created_at'))}
      ) u group by day
    ),
    tokens as (
      select day, jsonb_object_agg(key, total) as token_metrics from (
        select ${runDay} as day, m.key, sum((m.value)::numeric)::float8 as total
          from runs r, jsonb_each(r.metrics) m
         where jsonb_typeof(r.metrics) = 'object' and jsonb_typeof(m.value) = 'number'
           and ${inRange(sql.ref('r.created_at'))}
         group by 1, 2
      ) t group by day
    ),
    models as (
      select day, jsonb_agg(jsonb_build_object('model_id', model_id, 'model_provider', model_provider, 'count', n)
                            order by n desc, model_id) as model_metrics from (
        select ${runDay} as day, r.output ->> 'model' as model_id, r.output ->> 'model_provider' as model_provider,
               count(*)::int as n
          from runs r
         where jsonb_typeof(r.output) = 'object' and r.output ->> 'model' is not null
           and ${inRange(sql.ref('r.created_at'))}
         group by 1, 2, 3
      ) x group by day
    ),
    days as (select day from run_counts union select day from session_counts)
    select to_char(d.day, 'YYYY-MM-DD') as date,
           coalesce(rc.agent_runs_count, 0) as agent_runs_count,
           coalesce(sc.agent_sessions_count, 0) as agent_sessions_count,
           coalesce(rc.team_runs_count, 0) as team_runs_count,
           coalesce(sc.team_sessions_count, 0) as team_sessions_count,
           coalesce(rc.workflow_runs_count, 0) as workflow_runs_count,
           coalesce(sc.workflow_sessions_count, 0) as workflow_sessions_count,
           coalesce(u.users_count, 0) as users_count,
           coalesce(t.token_metrics, '{}'::jsonb) as token_metrics,
           coalesce(m.model_metrics, '[]'::jsonb) as model_metrics
      from days d
      left join run_counts rc on rc.day = d.day
      left join session_counts sc on sc.day = d.day
      left join users u on u.day = d.day
      left join tokens t on t.day = d.day
      left join models m on m.day = d.day
     order by d.day`.execute(db);
  return r.rows;
}

/** Stores the given days (insert or replace by date); answers the stored rows. */
export async function upsertDays(db: Db, days: readonly DayAggregate[]): Promise<DailyMetricsRow[]> {
  const out: DailyMetricsRow[] = [];
  for (const d of days) {
    const v = {
      agent_runs_count: d.agent_runs_count,
      agent_sessions_count: d.agent_sessions_count,
      team_runs_count: d.team_runs_count,
      team_sessions_count: d.team_sessions_count,
      workflow_runs_count: d.workflow_runs_count,
      workflow_sessions_count: d.workflow_sessions_count,
      users_count: d.users_count,
      token_metrics: json(d.token_metrics ?? {})!,
      model_metrics: json(d.model_metrics ?? [])!,
    };
    out.push(
      await db
        .insertInto('daily_metrics')
        .values({ id: newId(), date: d.date, ...v })
        .onConflict((oc) => oc.column('date').doUpdateSet({ ...v, updated_at: dbNow() }))
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  }
  return out;
}

// -------------------------------------------------------------------------------- refresh state

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
