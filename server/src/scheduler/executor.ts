/**
 * @module Fires one schedule: calls `method endpoint` on this AgentOS with the internal scheduler
 * token, records one run row per attempt, retries per `max_retries` / `retry_delay_seconds`.
 *
 * Run endpoints (`POST /agents|teams|workflows/{id}/runs`) take form fields, so the payload is
 * sent as `application/x-www-form-urlencoded` (objects and arrays as JSON strings, as the Python
 * AgentOS does) with `stream=false`; the answer's `status` decides success (`COMPLETED`), paused
 * (`PAUSED`, with its requirements) or failure. A background answer (`202 {run_id, session_id}`)
 * is polled until the run ends. Other endpoints get the payload as JSON and succeed on any 2xx.
 */

import type { ScheduleRow, ScheduleRunRow } from '../db/schema.js';
import type { ServerContext } from '../server-context.js';
import { type AttemptOutcome, completeRun, insertRun } from './store.js';

/** `POST /agents|teams|workflows/{id}/runs` (also with a trailing slash). */
export const RUN_ENDPOINT = /^\/(agents|teams|workflows)\/([^/?#]+)\/runs\/?$/;

const TERMINAL = new Set(['COMPLETED', 'PAUSED', 'CANCELLED', 'ERROR']);
const MAX_ERROR_LENGTH = 2000;

export interface ExecutorOptions {
  readonly ctx: ServerContext;
  /** Where this AgentOS listens, e.g. `http://127.0.0.1:7777` (a path prefix is kept). */
  readonly baseUrl: string;
  /** The internal scheduler token (`createInternalToken().token`). */
  readonly internalToken: string;
  /** Default the global fetch. */
  readonly fetch?: typeof fetch | undefined;
  /** Waits between attempts and polls (tests shorten it). Must reject when `signal` aborts. */
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** How often a background run is polled (default 2 s). */
  readonly pollIntervalMs?: number | undefined;
  /**
   * Re-checks the schedule's owner before each firing (contract.md §10.4): answers why the owner
   * may not fire it (disabled, no longer authorized, unknown), or null. A refusal is recorded as a
   * failed run (status code 403); nothing is called. A throw refuses too (fail closed).
   */
  readonly authorize?: ((schedule: ScheduleRow) => Promise<string | null>) | undefined;
}

export interface ScheduleExecutor {
  /**
   * Runs every attempt of the schedule and answers the last attempt's run record.
   * @param signal aborting it (shutdown) records the attempt in flight as `cancelled`
   */
  execute(schedule: ScheduleRow, signal: AbortSignal): Promise<ScheduleRunRow>;
}

/** Resolves after `ms`, or rejects with the abort reason. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A form value as the Python AgentOS sends it (`_to_form_value`). */
function formValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const truncate = (s: string) => (s.length > MAX_ERROR_LENGTH ? `${s.slice(0, MAX_ERROR_LENGTH)}…` : s);

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

function failed(
  statusCode: number | null,
  error: string,
  extra: Partial<AttemptOutcome> = {},
): AttemptOutcome {
  return {
    status: 'failed',
    statusCode,
    runId: null,
    sessionId: null,
    error: truncate(error),
    input: null,
    output: null,
    requirements: null,
    ...extra,
  };
}

/** The outcome of a finished run from its `RunOutput`. */
function runOutcome(statusCode: number, data: Record<string, unknown>): AttemptOutcome {
  const runStatus = typeof data.status === 'string' ? data.status : 'COMPLETED';
  const base = {
    statusCode,
    runId: str(data.run_id),
    sessionId: str(data.session_id),
    input: isObject(data.input) ? data.input : null,
    output:
      data.content === undefined || data.content === null
        ? null
        : { content: data.content, content_type: data.content_type ?? null },
  };
  if (runStatus === 'PAUSED') {
    return {
      ...base,
      status: 'paused',
      error: null,
      requirements: Array.isArray(data.requirements) ? data.requirements : null,
    };
  }
  if (runStatus === 'ERROR' || runStatus === 'CANCELLED') {
    const message =
      str(data.error) ??
      (runStatus === 'CANCELLED' ? 'Run was cancelled' : `Run failed with status ${runStatus}`);
    return { ...base, status: 'failed', error: truncate(message), requirements: null };
  }
  return { ...base, status: 'success', error: null, requirements: null };
}

/**
 * Creates the executor.
 * @throws {TypeError} when `baseUrl` is not an http(s) URL
 */
export function createScheduleExecutor(options: ExecutorOptions): ScheduleExecutor {
  const { ctx, internalToken } = options;
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`scheduler baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  }
  const baseText = base.href.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const pollInterval = options.pollIntervalMs ?? 2000;
  const db = ctx.database.db;

  /** The URL of an endpoint of this AgentOS; never another origin. */
  function urlOf(endpoint: string): URL {
    const url = new URL(`${baseText}${endpoint}`);
    if (url.origin !== base.origin)
      throw new Error(`endpoint ${JSON.stringify(endpoint)} leaves this AgentOS`);
    return url;
  }

  const authHeaders = { authorization: `Bearer ${internalToken}`, accept: 'application/json' };

  async function readJson(res: Response): Promise<{ text: string; data: unknown }> {
    const text = await res.text();
    try {
      return { text, data: text ? JSON.parse(text) : null };
    } catch {
      return { text, data: null };
    }
  }

  async function pollRun(
    kind: string,
    id: string,
    runId: string,
    sessionId: string,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    const url = urlOf(`/${kind}/${encodeURIComponent(id)}/runs/${encodeURIComponent(runId)}`);
    url.searchParams.set('session_id', sessionId);
    for (;;) {
      await sleep(pollInterval, signal);
      const res = await doFetch(url, { headers: authHeaders, signal });
      const { text, data } = await readJson(res);
      if (res.status === 404) continue;
      if (res.status >= 400) return failed(res.status, text, { runId, sessionId });
      if (isObject(data) && typeof data.status === 'string' && TERMINAL.has(data.status)) {
        return runOutcome(res.status, data);
      }
    }
  }

  async function attempt(schedule: ScheduleRow, signal: AbortSignal): Promise<AttemptOutcome> {
    const method = (schedule.method || 'POST').toUpperCase();
    const url = urlOf(schedule.endpoint);
    const payload = isObject(schedule.payload) ? schedule.payload : {};
    const run = method === 'POST' ? RUN_ENDPOINT.exec(schedule.endpoint) : null;
    if (run) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) {
        if (k === 'stream' || k === 'background' || v === undefined || v === null) continue;
        form.set(k, formValue(v));
      }
      form.set('stream', 'false');
      const res = await doFetch(url, {
        method: 'POST',
        headers: { ...authHeaders, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal,
      });
      const { text, data } = await readJson(res);
      if (res.status >= 400 || res.status < 200) return failed(res.status, text);
      if (!isObject(data)) return failed(res.status, `Invalid JSON in run response: ${text.slice(0, 500)}`);
      const status = typeof data.status === 'string' ? data.status : null;
      if (status !== null && !TERMINAL.has(status)) {
        // A background answer: poll until the run ends.
        const runId = str(data.run_id);
        const sessionId = str(data.session_id);
        if (!runId || !sessionId) {
          return failed(
            res.status,
            `Missing run_id or session_id in background run response: ${text.slice(0, 500)}`,
          );
        }
        return pollRun(run[1]!, decodeURIComponent(run[2]!), runId, sessionId, signal);
      }
      return runOutcome(res.status, data);
    }
    const hasBody = method !== 'GET' && method !== 'HEAD' && Object.keys(payload).length > 0;
    const res = await doFetch(url, {
      method,
      headers: hasBody ? { ...authHeaders, 'content-type': 'application/json' } : authHeaders,
      ...(hasBody ? { body: JSON.stringify(payload) } : {}),
      signal,
    });
    const { text, data } = await readJson(res);
    if (res.status >= 200 && res.status < 300) {
      return {
        status: 'success',
        statusCode: res.status,
        runId: isObject(data) ? str(data.run_id) : null,
        sessionId: isObject(data) ? str(data.session_id) : null,
        error: null,
        input: null,
        output: null,
        requirements: null,
      };
    }
    return failed(res.status, text);
  }

  /** The recorded refusal of a firing the owner may not make (contract.md §10.4): nothing is called. */
  async function refuse(schedule: ScheduleRow, reason: string): Promise<ScheduleRunRow> {
    const record = await insertRun(db, {
      scheduleId: schedule.id,
      attempt: 1,
      now: ctx.now(),
      instanceId: ctx.instanceId,
    });
    const outcome = failed(403, `Schedule owner is not authorized to run this target: ${reason}`);
    const done = (await completeRun(db, record.id, outcome, ctx.now())) ?? record;
    ctx.logger.warn({ scheduleId: schedule.id, reason }, `schedule "${schedule.name}" refused`);
    return done;
  }

  return {
    async execute(schedule, signal) {
      if (options.authorize) {
        let refusal: string | null;
        try {
          refusal = await options.authorize(schedule);
        } catch (err) {
          ctx.logger.error({ err, scheduleId: schedule.id }, 'schedule owner could not be checked');
          refusal = "the owner's authority could not be checked";
        }
        if (refusal !== null) return refuse(schedule, refusal);
      }
      const attempts = Math.max(1, schedule.max_retries + 1);
      let last: ScheduleRunRow | undefined;
      for (let n = 1; n <= attempts; n++) {
        const record = await insertRun(db, {
          scheduleId: schedule.id,
          attempt: n,
          now: ctx.now(),
          instanceId: ctx.instanceId,
        });
        let outcome: AttemptOutcome;
        const timeout = AbortSignal.timeout(schedule.timeout_seconds * 1000);
        try {
          outcome = await attempt(schedule, AbortSignal.any([signal, timeout]));
        } catch (e) {
          if (signal.aborted)
            outcome = { ...failed(null, 'Execution cancelled during shutdown'), status: 'cancelled' };
          else if (timeout.aborted) outcome = failed(null, `Timed out after ${schedule.timeout_seconds}s`);
          else outcome = failed(null, (e as Error)?.message ?? String(e));
        }
        last = (await completeRun(db, record.id, outcome, ctx.now())) ?? record;
        if (outcome.status !== 'failed') break;
        if (n < attempts) {
          ctx.logger.info(
            { scheduleId: schedule.id, attempt: n, of: attempts },
            `schedule "${schedule.name}" failed, retrying in ${schedule.retry_delay_seconds}s`,
          );
          try {
            await sleep(schedule.retry_delay_seconds * 1000, signal);
          } catch {
            break;
          }
        }
      }
      return last!;
    },
  };
}
