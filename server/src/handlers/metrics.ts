/**
 * @module Metrics: daily usage metrics aggregated from the `sessions` and `runs` tables, their
 * refresh (synchronous, or in the background with `background=true`) and the refresh state
 * (persisted in `metrics_refresh` and claimed atomically, so every instance sees it and a
 * background refresh answers `already_running` while any instance runs one). Research §1.9; not
 * user-scoped.
 *
 * Per UTC day: runs counted by the type of their session (member runs of a team are part of the
 * team run, not counted again), sessions by the day they were created, distinct users of those
 * runs and sessions, token counts summed from the runs' `metrics`, and runs per model (the run
 * output's `model` / `model_provider`).
 */
import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { type DailyMetricsRow, json } from '../db/index.js';
import { metrics as metricsRepo } from '../db/repos/index.js';
import type { Handlers } from '../generated/server.js';
import { iso, isoRequired, type JsonRecord, type Schemas } from './_util.js';

export type MetricsHandlers = Pick<Handlers, 'getMetrics' | 'refreshMetrics' | 'getMetricsRefreshStatus'>;

const TOKEN_KEYS = [
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

/** Sums a numeric key of the runs' `metrics` JSON, ignoring values that are not numbers. */
function tokenSum(key: string): RawBuilder<number> {
  return sql<number>`coalesce(sum(case when jsonb_typeof(r.metrics -> ${key}) = 'number' then (r.metrics ->> ${key})::numeric else 0 end), 0)`;
}

interface DayAggregate {
  date: string;
  agent_runs_count: number;
  agent_sessions_count: number;
  team_runs_count: number;
  team_sessions_count: number;
  workflow_runs_count: number;
  workflow_sessions_count: number;
  users: Set<string>;
  token_metrics: JsonRecord;
  model_metrics: { model_id: string; model_provider?: string; count: number }[];
}

export function toDayMetrics(row: DailyMetricsRow): Schemas['DayAggregatedMetrics'] {
  return {
    id: row.id,
    agent_runs_count: row.agent_runs_count,
    agent_sessions_count: row.agent_sessions_count,
    team_runs_count: row.team_runs_count,
    team_sessions_count: row.team_sessions_count,
    workflow_runs_count: row.workflow_runs_count,
    workflow_sessions_count: row.workflow_sessions_count,
    users_count: row.users_count,
    token_metrics: (row.token_metrics ?? {}) as Schemas['DayAggregatedMetrics']['token_metrics'],
    model_metrics: (Array.isArray(row.model_metrics)
      ? row.model_metrics
      : []) as Schemas['DayAggregatedMetrics']['model_metrics'],
    date: `${String(row.date).slice(0, 10)}T00:00:00Z`,
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
  };
}

/**
 * Creates the Metrics handlers.
 * @example createMetricsHandlers(ctx).getMetrics
 */
export function createMetricsHandlers(ctx: ServerContext): MetricsHandlers {
  const db = () => ctx.database.db;
  /** The background refresh this process is running, if any. */
  let background: Promise<void> | null = null;

  /** Aggregates every day that has runs or new sessions. */
  async function aggregate(): Promise<DayAggregate[]> {
    const days = new Map<string, DayAggregate>();
    const day = (d: string): DayAggregate => {
      let a = days.get(d);
      if (!a) {
        a = {
          date: d,
          agent_runs_count: 0,
          agent_sessions_count: 0,
          team_runs_count: 0,
          team_sessions_count: 0,
          workflow_runs_count: 0,
          workflow_sessions_count: 0,
          users: new Set(),
          token_metrics: Object.fromEntries(TOKEN_KEYS.map((k) => [k, 0])),
          model_metrics: [],
        };
        days.set(d, a);
      }
      return a;
    };

    const runs = await sql<Record<string, unknown> & { day: string; session_type: string; runs: number }>`
      select to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, s.session_type, count(*) as runs,
        ${sql.join(TOKEN_KEYS.map((k) => sql`${tokenSum(k)} as ${sql.ref(k)}`))}
      from runs r join sessions s on s.session_id = r.session_id
      where r.parent_run_id is null
      group by 1, 2`.execute(db());
    for (const r of runs.rows) {
      const a = day(r.day);
      const n = Number(r.runs);
      if (r.session_type === 'agent') a.agent_runs_count += n;
      else if (r.session_type === 'team') a.team_runs_count += n;
      else if (r.session_type === 'workflow') a.workflow_runs_count += n;
      for (const k of TOKEN_KEYS)
        a.token_metrics[k] = Number(a.token_metrics[k] ?? 0) + Math.round(Number(r[k] ?? 0));
    }

    const sessions = await sql<{ day: string; session_type: string; n: number }>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, session_type, count(*) as n
      from sessions group by 1, 2`.execute(db());
    for (const s of sessions.rows) {
      const a = day(s.day);
      const n = Number(s.n);
      if (s.session_type === 'agent') a.agent_sessions_count += n;
      else if (s.session_type === 'team') a.team_sessions_count += n;
      else if (s.session_type === 'workflow') a.workflow_sessions_count += n;
    }

    const users = await sql<{ day: string; user_id: string }>`
      select distinct to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, user_id from runs
      where user_id is not null and parent_run_id is null
      union
      select distinct to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, user_id from sessions
      where user_id is not null`.execute(db());
    for (const u of users.rows) day(u.day).users.add(u.user_id);

    const models = await sql<{ day: string; model_id: string; model_provider: string | null; n: number }>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, output ->> 'model' as model_id,
        output ->> 'model_provider' as model_provider, count(*) as n
      from runs
      where parent_run_id is null and jsonb_typeof(output -> 'model') = 'string'
      group by 1, 2, 3 order by 1, 2, 3`.execute(db());
    for (const m of models.rows) {
      const entry: DayAggregate['model_metrics'][number] = { model_id: m.model_id, count: Number(m.n) };
      if (m.model_provider !== null) entry.model_provider = m.model_provider;
      day(m.day).model_metrics.push(entry);
    }
    return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Recomputes every day and stores it (keeping the id and creation time of known days). */
  async function recompute(): Promise<DailyMetricsRow[]> {
    const days = await aggregate();
    const now = ctx.now();
    return db()
      .transaction()
      .execute(async (trx) => {
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
            users_count: d.users.size,
            token_metrics: json(d.token_metrics) ?? undefined,
            model_metrics: json(d.model_metrics) ?? undefined,
            updated_at: now,
          };
          const row = await trx
            .insertInto('daily_metrics')
            .values({ id: randomUUID(), date: d.date, created_at: now, ...values })
            .onConflict((oc) => oc.column('date').doUpdateSet(values))
            .returningAll()
            .executeTakeFirstOrThrow();
          out.push(row);
        }
        return out;
      });
  }

  /**
   * Runs a refresh, with its state recorded in `metrics_refresh` when this call could claim it
   * (the repository's atomic claim: one recorded refresh at a time across instances).
   */
  async function refresh(claimed: boolean): Promise<DailyMetricsRow[]> {
    try {
      const rows = await recompute();
      if (claimed) await metricsRepo.finishRefresh(db(), { status: 'completed' });
      return rows;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (claimed)
        await metricsRepo.finishRefresh(db(), { status: 'failed', error: message }).catch(() => undefined);
      throw err;
    }
  }

  return {
    async getMetrics({ query }) {
      let q = db().selectFrom('daily_metrics').selectAll();
      if (query.starting_date) q = q.where('date', '>=', query.starting_date);
      if (query.ending_date) q = q.where('date', '<=', query.ending_date);
      const rows = await q.orderBy('date', 'asc').execute();
      let updated: Date | null = null;
      for (const r of rows) if (!updated || r.updated_at > updated) updated = r.updated_at;
      if (!updated) {
        const state = await db()
          .selectFrom('metrics_refresh')
          .select('finished_at')
          .where('id', '=', 1)
          .executeTakeFirst();
        updated = state?.finished_at ?? null;
      }
      return { status: 200, body: { metrics: rows.map(toDayMetrics), updated_at: iso(updated) } };
    },

    async refreshMetrics({ query }) {
      if (query.background === true) {
        // Refused while a refresh runs here or, per the persisted state, on another instance.
        if (background || !(await metricsRepo.tryStartRefresh(db(), { instanceId: ctx.instanceId })))
          return {
            status: 202,
            body: {
              status: 'already_running',
              message: 'A metrics refresh is already in progress for this database',
            },
          };
        background = refresh(true)
          .then(() => undefined)
          .catch((err: unknown) => ctx.logger.error({ err }, 'background metrics refresh failed'))
          .finally(() => {
            background = null;
          });
        return { status: 202, body: { status: 'started', message: 'Metrics refresh started in background' } };
      }
      // A synchronous refresh always runs (as in the Python AgentOS); it records its state only
      // when no other refresh is recorded as running, so it never overwrites that one's outcome.
      const claimed = await metricsRepo.tryStartRefresh(db(), { instanceId: ctx.instanceId });
      const rows = await refresh(claimed);
      return { status: 200, body: rows.map(toDayMetrics) };
    },

    async getMetricsRefreshStatus() {
      const state = await db()
        .selectFrom('metrics_refresh')
        .selectAll()
        .where('id', '=', 1)
        .executeTakeFirst();
      return {
        status: 200,
        body: {
          status: state?.status ?? 'idle',
          started_at: iso(state?.started_at),
          finished_at: iso(state?.finished_at),
          error: state?.error ?? null,
        },
      };
    },
  };
}
