/**
 * @module The schedule poller: every `intervalMs` it claims the due schedules (once across every
 * instance sharing the database), fires each through the executor, and releases it with its
 * next fire time computed in the schedule's time zone. `trigger` runs one schedule now (the
 * `POST /schedules/{id}/trigger` operation finds the running scheduler through `schedulerFor`).
 */

import type { ScheduleRow, ScheduleRunRow } from '../db/schema.js';
import type { ServerContext } from '../server-context.js';
import { abortableSleep, createScheduleExecutor, type ExecutorOptions } from './executor.js';
import { claimDue, releaseClaim } from './store.js';

export { cronError, nextRunAt, timezoneError } from './cron.js';
export { abortableSleep, createScheduleExecutor, RUN_ENDPOINT, type ScheduleExecutor } from './executor.js';
export { claimDue, releaseClaim } from './store.js';

export interface SchedulerOptions {
  readonly ctx: ServerContext;
  /** Where this AgentOS listens (the scheduler calls its own API), e.g. `http://127.0.0.1:7777`. */
  readonly baseUrl: string;
  /** The internal scheduler token, or the object `createInternalToken()` returns. */
  readonly internalToken: string | { readonly token: string };
  /** Poll interval (default 15 s). 0 = no timer: call `tick()` yourself (tests). */
  readonly intervalMs?: number | undefined;
  /** Most schedules claimed per tick (default 10). */
  readonly batchSize?: number | undefined;
  readonly fetch?: ExecutorOptions['fetch'];
  readonly sleep?: ExecutorOptions['sleep'];
  readonly pollIntervalMs?: number | undefined;
  readonly authorize?: ExecutorOptions['authorize'];
}

export interface Scheduler {
  /** This instance's id (`claimed_by` of the rows it holds). */
  readonly instanceId: string;
  /**
   * Claims the due schedules and fires them.
   * @returns when every schedule fired by this tick has finished: the last run record of each
   */
  tick(): Promise<ScheduleRunRow[]>;
  /** Runs a schedule now, with its retries, without touching its claim or next fire time. */
  trigger(schedule: ScheduleRow): Promise<ScheduleRunRow>;
  /** Stops polling, cancels runs in flight (recorded as `cancelled`) and waits for them. Idempotent. */
  stop(): Promise<void>;
}

const running = new WeakMap<ServerContext, Scheduler>();

/** The scheduler started on this context, if any (used by `triggerSchedule`). */
export function schedulerFor(ctx: ServerContext): Scheduler | undefined {
  return running.get(ctx);
}

/**
 * Starts the scheduler.
 * @param options `ctx`, `baseUrl`, `internalToken`; `intervalMs` default 15000, `batchSize` default 10
 * @example
 * const scheduler = startScheduler({ ctx, baseUrl: 'http://127.0.0.1:7777', internalToken });
 * // on shutdown
 * await scheduler.stop();
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { ctx } = options;
  const token =
    typeof options.internalToken === 'string' ? options.internalToken : options.internalToken.token;
  const intervalMs = options.intervalMs ?? 15_000;
  const batchSize = options.batchSize ?? 10;
  const instanceId = ctx.instanceId;
  const db = ctx.database.db;
  const executor = createScheduleExecutor({
    ctx,
    baseUrl: options.baseUrl,
    internalToken: token,
    fetch: options.fetch,
    sleep: options.sleep ?? abortableSleep,
    pollIntervalMs: options.pollIntervalMs,
    authorize: options.authorize,
  });
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let claiming: Promise<void> | null = null;
  let stopped = false;

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  }

  async function fire(schedule: ScheduleRow): Promise<ScheduleRunRow | null> {
    try {
      const run = await executor.execute(schedule, shutdown.signal);
      ctx.logger.info(
        { scheduleId: schedule.id, runId: run.id, status: run.status, statusCode: run.status_code },
        `schedule "${schedule.name}" fired: ${run.status}`,
      );
      return run;
    } catch (err) {
      ctx.logger.error({ err, scheduleId: schedule.id }, `schedule "${schedule.name}" could not be fired`);
      return null;
    } finally {
      try {
        await releaseClaim(db, schedule.id, instanceId, ctx.now());
      } catch (err) {
        ctx.logger.error({ err, scheduleId: schedule.id }, 'could not release the schedule claim');
      }
    }
  }

  async function claim(): Promise<ScheduleRow[]> {
    try {
      return await claimDue(db, { now: ctx.now(), instanceId, limit: batchSize });
    } catch (err) {
      ctx.logger.error({ err }, 'could not claim due schedules');
      return [];
    }
  }

  const scheduler: Scheduler = {
    instanceId,
    async tick() {
      if (stopped) return [];
      // Claims do not overlap (a slow claim makes the next wait); the runs they start do.
      const claimed = (claiming ?? Promise.resolve()).then(claim);
      const settled = claimed.then(
        () => {},
        () => {},
      );
      claiming = settled;
      void settled.then(() => {
        if (claiming === settled) claiming = null;
      });
      const runs = await Promise.all((await claimed).map((s) => track(fire(s))));
      return runs.filter((r): r is ScheduleRunRow => r !== null);
    },
    trigger(schedule) {
      if (stopped) return Promise.reject(new Error('the scheduler is stopped'));
      return track(executor.execute(schedule, shutdown.signal));
    },
    async stop() {
      if (stopped) {
        await Promise.allSettled([...inFlight]);
        return;
      }
      stopped = true;
      if (timer) clearInterval(timer);
      if (running.get(ctx) === scheduler) running.delete(ctx);
      shutdown.abort(new Error('scheduler stopped'));
      await Promise.allSettled([...inFlight]);
    },
  };

  let timer: ReturnType<typeof setInterval> | null = null;
  if (intervalMs > 0) {
    timer = setInterval(() => {
      // A tick still claiming is enough; do not queue another behind it.
      if (claiming === null) void scheduler.tick();
    }, intervalMs);
    timer.unref();
  }
  running.set(ctx, scheduler);
  return scheduler;
}
