/**
 * @module Schedules operations: cron schedules that call an endpoint of this AgentOS, their
 * enable/disable state, an immediate trigger through the running scheduler, and their run records.
 *
 * The cron expression and IANA time zone are validated (422 with what is wrong and how to write
 * it) and `next_run_at` is computed in the schedule's zone. Who may schedule, update, enable or
 * trigger which endpoint is not decided here: the operations' `x-scope-target` is enforced by the
 * authority layer before these handlers run (contract.md §8.2; a `POST /agents|teams|workflows/
 * {id}/runs` target needs `<family>:<id>:run`, any other the admin scope).
 */

import { epochSeconds, isUniqueViolation } from '../db/index.js';
import { schedules } from '../db/repos/index.js';
import type { ScheduleRow, ScheduleRunRow } from '../db/schema.js';
import type { Handlers } from '../generated/server.js';
import { cronError, nextRunAt, timezoneError } from '../scheduler/cron.js';
import { type Scheduler, schedulerFor } from '../scheduler/index.js';
import type { ServerContext } from '../server-context.js';

type ScheduleOperations =
  | 'listSchedules'
  | 'createSchedule'
  | 'getSchedule'
  | 'updateSchedule'
  | 'deleteSchedule'
  | 'enableSchedule'
  | 'disableSchedule'
  | 'triggerSchedule'
  | 'listScheduleRuns'
  | 'getScheduleRun';

export interface ScheduleHandlerOptions {
  /** The running scheduler (default: the one `startScheduler` registered for this context). */
  readonly scheduler?: (() => Scheduler | undefined) | undefined;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const NOT_FOUND = { status: 404, body: { detail: 'Schedule not found' } } as const;

const unprocessable = (detail: string) => ({ status: 422, body: { detail } }) as const;
const conflict = (name: string) =>
  ({ status: 409, body: { detail: `Schedule with name '${name}' already exists` } }) as const;

const asObject = (v: unknown) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

export function scheduleResponse(r: ScheduleRow) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    method: r.method,
    endpoint: r.endpoint,
    payload: asObject(r.payload),
    cron_expr: r.cron_expr,
    timezone: r.timezone,
    timeout_seconds: r.timeout_seconds,
    max_retries: r.max_retries,
    retry_delay_seconds: r.retry_delay_seconds,
    enabled: r.enabled,
    next_run_at: epochSeconds(r.next_run_at),
    created_at: epochSeconds(r.created_at),
    updated_at: epochSeconds(r.updated_at),
  };
}

export function scheduleRunResponse(r: ScheduleRunRow) {
  return {
    id: r.id,
    schedule_id: r.schedule_id,
    attempt: r.attempt,
    triggered_at: epochSeconds(r.triggered_at),
    completed_at: epochSeconds(r.completed_at),
    status: r.status,
    status_code: r.status_code,
    run_id: r.run_id,
    session_id: r.session_id,
    error: r.error,
    input: asObject(r.input),
    output: asObject(r.output),
    requirements: Array.isArray(r.requirements) ? (r.requirements as Record<string, unknown>[]) : null,
    created_at: epochSeconds(r.created_at),
  };
}

/** Why an endpoint cannot be called as a path of this AgentOS, or null. */
function endpointError(endpoint: string): string | null {
  // A path only: `//host` or a backslash could make a client resolve another origin.
  const unsafe = [...endpoint].some(
    (c) => c === '\\' || c === '#' || c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f,
  );
  if (!endpoint.startsWith('/') || endpoint.startsWith('//') || unsafe) {
    return `Invalid endpoint: ${JSON.stringify(endpoint)}. Use a path of this AgentOS such as "/agents/research-agent/runs"`;
  }
  return null;
}

/** Creates the Schedules handlers. */
export function createScheduleHandlers(
  ctx: ServerContext,
  options: ScheduleHandlerOptions = {},
): Pick<Handlers, ScheduleOperations> {
  const db = ctx.database.db;
  const currentScheduler = options.scheduler ?? (() => schedulerFor(ctx));

  const load = (id: string) => schedules.get(db, id);

  function stateResponse(r: ScheduleRow) {
    return {
      id: r.id,
      name: r.name,
      enabled: r.enabled,
      next_run_at: epochSeconds(r.next_run_at),
      updated_at: epochSeconds(r.updated_at),
    };
  }

  return {
    async listSchedules({ query, caller }) {
      const { rows, total } = await schedules.list(db, {
        enabled: query.enabled,
        // Under isolation a caller lists its own schedules (contract.md §5).
        ...(caller.scopedUserId !== null ? { userId: caller.scopedUserId } : {}),
        limit: query.limit,
        page: query.page,
        sortOrder: 'desc',
      });
      const limit = query.limit ?? 100;
      return {
        status: 200,
        body: {
          data: rows.map(scheduleResponse),
          meta: { page: query.page ?? 1, limit, total_pages: Math.ceil(total / limit), total_count: total },
        },
      };
    },

    async createSchedule({ body, caller }) {
      const method = (body.method ?? 'POST').toUpperCase();
      const timezone = body.timezone ?? 'UTC';
      const problem =
        cronError(body.cron_expr) ??
        timezoneError(timezone) ??
        (METHODS.has(method)
          ? null
          : `Invalid method: ${body.method}. Use GET, POST, PUT, PATCH or DELETE`) ??
        endpointError(body.endpoint);
      if (problem) return unprocessable(problem);
      if (await schedules.getByName(db, body.name)) return conflict(body.name);
      const now = ctx.now();
      try {
        const row = await schedules.create(db, {
          name: body.name,
          description: body.description ?? null,
          method,
          endpoint: body.endpoint,
          payload: body.payload,
          cron_expr: body.cron_expr,
          timezone,
          timeout_seconds: body.timeout_seconds ?? 3600,
          max_retries: body.max_retries ?? 0,
          retry_delay_seconds: body.retry_delay_seconds ?? 60,
          enabled: true,
          next_run_at: nextRunAt(body.cron_expr, timezone, now),
          user_id: caller.scopedUserId ?? caller.userId ?? null,
          created_at: now,
        });
        ctx.logger.info({ scheduleId: row.id, name: row.name, by: caller.userId }, 'schedule created');
        return { status: 201, body: scheduleResponse(row) };
      } catch (e) {
        if (isUniqueViolation(e)) return conflict(body.name);
        throw e;
      }
    },

    async getSchedule({ path }) {
      const row = await load(path.schedule_id);
      return row ? { status: 200, body: scheduleResponse(row) } : NOT_FOUND;
    },

    async updateSchedule({ path, body }) {
      const existing = await load(path.schedule_id);
      if (!existing) return NOT_FOUND;
      const b = body ?? {};
      const present = (k: keyof typeof b) => Object.hasOwn(b, k) && b[k] !== undefined;
      if (Object.keys(b).filter((k) => present(k as keyof typeof b)).length === 0) {
        return { status: 200, body: scheduleResponse(existing) };
      }
      const method = present('method') ? b.method!.toUpperCase() : existing.method;
      const endpoint = present('endpoint') ? b.endpoint! : existing.endpoint;
      const cron = present('cron_expr') ? b.cron_expr! : existing.cron_expr;
      const timezone = present('timezone') ? b.timezone! : existing.timezone;
      const problem =
        (present('cron_expr') ? cronError(cron) : null) ??
        (present('timezone') ? timezoneError(timezone) : null) ??
        (present('method') && !METHODS.has(method)
          ? `Invalid method: ${b.method}. Use GET, POST, PUT, PATCH or DELETE`
          : null) ??
        (present('endpoint') ? endpointError(endpoint) : null);
      if (problem) return unprocessable(problem);
      if (present('name') && b.name !== existing.name) {
        const dup = await schedules.getByName(db, b.name!);
        if (dup && dup.id !== existing.id) return conflict(b.name!);
      }
      const now = ctx.now();
      const rescheduled = (present('cron_expr') || present('timezone')) && existing.enabled;
      try {
        const row = await schedules.update(db, existing.id, {
          ...(present('name') ? { name: b.name! } : {}),
          ...(Object.hasOwn(b, 'description') ? { description: b.description ?? null } : {}),
          ...(present('method') ? { method } : {}),
          ...(present('endpoint') ? { endpoint } : {}),
          ...(Object.hasOwn(b, 'payload') ? { payload: b.payload ?? null } : {}),
          ...(present('cron_expr') ? { cron_expr: cron } : {}),
          ...(present('timezone') ? { timezone } : {}),
          ...(present('timeout_seconds') ? { timeout_seconds: b.timeout_seconds! } : {}),
          ...(present('max_retries') ? { max_retries: b.max_retries! } : {}),
          ...(present('retry_delay_seconds') ? { retry_delay_seconds: b.retry_delay_seconds! } : {}),
          ...(rescheduled ? { next_run_at: nextRunAt(cron, timezone, now) } : {}),
          updated_at: now,
        });
        return row ? { status: 200, body: scheduleResponse(row) } : NOT_FOUND;
      } catch (e) {
        if (isUniqueViolation(e)) return conflict(b.name ?? existing.name);
        throw e;
      }
    },

    async deleteSchedule({ path }) {
      return (await schedules.remove(db, path.schedule_id)) ? { status: 204 } : NOT_FOUND;
    },

    async enableSchedule({ path }) {
      const existing = await load(path.schedule_id);
      if (!existing) return NOT_FOUND;
      const now = ctx.now();
      const row = await schedules.update(db, existing.id, {
        enabled: true,
        next_run_at: nextRunAt(existing.cron_expr, existing.timezone, now),
        updated_at: now,
      });
      return row ? { status: 200, body: stateResponse(row) } : NOT_FOUND;
    },

    async disableSchedule({ path }) {
      const row = await schedules.update(db, path.schedule_id, { enabled: false, updated_at: ctx.now() });
      return row ? { status: 200, body: stateResponse(row) } : NOT_FOUND;
    },

    async triggerSchedule({ path }) {
      const existing = await load(path.schedule_id);
      if (!existing) return NOT_FOUND;
      if (!existing.enabled) return { status: 409, body: { detail: 'Schedule is disabled' } };
      const scheduler = currentScheduler();
      if (!scheduler) return { status: 503, body: { detail: 'Scheduler is not running' } };
      const run = await scheduler.trigger(existing);
      return { status: 200, body: scheduleRunResponse(run) };
    },

    async listScheduleRuns({ path, query }) {
      if (!(await load(path.schedule_id))) return NOT_FOUND;
      const { rows, total } = await schedules.listRuns(db, path.schedule_id, {
        limit: query.limit,
        page: query.page,
      });
      const limit = query.limit ?? 100;
      return {
        status: 200,
        body: {
          data: rows.map(scheduleRunResponse),
          meta: { page: query.page ?? 1, limit, total_pages: Math.ceil(total / limit), total_count: total },
        },
      };
    },

    async getScheduleRun({ path }) {
      const row = await schedules.getRun(db, path.schedule_id, path.run_id);
      return row
        ? { status: 200, body: scheduleRunResponse(row) }
        : { status: 404, body: { detail: 'Schedule run not found' } };
    },
  };
}
