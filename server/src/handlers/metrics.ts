/**
 * @module Metrics: daily usage metrics aggregated from the `sessions` and `runs` tables, their
 * refresh (synchronous, or in the background with `background=true`) and the refresh state
 * (persisted in `metrics_refresh` and claimed atomically, so every instance sees it and a
 * background refresh answers `already_running` while any instance runs one). Research §1.9.
 *
 * One user's metrics (agno 3.1, contract.md §5): with `user_id`, and always for a scoped caller
 * under user isolation (its own; `user_id` cannot widen it), the days count only that user's
 * sessions and their runs, with ids `<day>_<user>_daily` as agno's. They are computed from the
 * stored sessions and runs when asked for (agno stores them per user at refresh); the stored
 * days are the workspace's.
 *
 * Per UTC day: runs counted by the type of their session (member runs of a team are part of the
 * team run, not counted again), sessions by the day they were created, distinct users of those
 * runs and sessions, token counts summed from the runs' `metrics`, and runs per model (the run
 * output's `model` / `model_provider`).
 */

import type { DailyMetricsRow } from '../db/index.js';
import { metrics as metricsRepo } from '../db/repos/index.js';
import type { DayAggregate } from '../db/repos/metrics.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { readScope } from './isolation.js';
import { iso, isoRequired, type Schemas } from './wire.js';

export type MetricsHandlers = Pick<Handlers, 'getMetrics' | 'refreshMetrics' | 'getMetricsRefreshStatus'>;

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

/** One user's day as answered (agno 3.1's per-owner id), stamped `at`. */
function userDay(d: DayAggregate, userId: string, at: Date): Schemas['DayAggregatedMetrics'] {
  const { date, ...counts } = d;
  return toDayMetrics({
    id: `${date}_${userId}_daily`,
    date,
    ...counts,
    created_at: at,
    updated_at: at,
  } as unknown as DailyMetricsRow);
}

/**
 * Creates the Metrics handlers.
 * @example createMetricsHandlers(ctx).getMetrics
 */
export function createMetricsHandlers(ctx: ServerContext): MetricsHandlers {
  const db = () => ctx.database.db;
  /** The background refresh this process is running, if any. */
  let background: Promise<void> | null = null;

  /**
   * Runs a refresh, with its state recorded in `metrics_refresh` when this call could claim it
   * (the repository's atomic claim: one recorded refresh at a time across instances).
   */
  async function refresh(claimed: boolean): Promise<DailyMetricsRow[]> {
    try {
      const rows = await metricsRepo.replaceDays(db(), await metricsRepo.aggregate(db()), ctx.now());
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
    async getMetrics({ query, caller }) {
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) {
        const days = (await metricsRepo.aggregate(db(), { userId })).filter(
          (d) =>
            (!query.starting_date || d.date >= query.starting_date) &&
            (!query.ending_date || d.date <= query.ending_date),
        );
        const at = ctx.now();
        return {
          status: 200,
          body: { metrics: days.map((d) => userDay(d, userId, at)), updated_at: iso(at) },
        };
      }
      const rows = await metricsRepo.list(db(), {
        ...(query.starting_date ? { startingDate: query.starting_date } : {}),
        ...(query.ending_date ? { endingDate: query.ending_date } : {}),
      });
      let updated: Date | null = null;
      for (const r of rows) if (!updated || r.updated_at > updated) updated = r.updated_at;
      updated ??= (await metricsRepo.getRefreshStatus(db())).finished_at;
      return { status: 200, body: { metrics: rows.map(toDayMetrics), updated_at: iso(updated) } };
    },

    async refreshMetrics({ query, caller }) {
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
      // One user's days (agno 3.1): a scoped caller's own, or those named by user_id.
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) {
        const at = ctx.now();
        const days = await metricsRepo.aggregate(db(), { userId });
        return { status: 200, body: days.map((d) => userDay(d, userId, at)) };
      }
      return { status: 200, body: rows.map(toDayMetrics) };
    },

    async getMetricsRefreshStatus() {
      const state = await metricsRepo.getRefreshStatus(db());
      return {
        status: 200,
        body: {
          status: state.status,
          started_at: iso(state.started_at),
          finished_at: iso(state.finished_at),
          error: state.error,
        },
      };
    },
  };
}
