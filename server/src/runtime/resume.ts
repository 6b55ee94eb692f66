/**
 * @module Resume: follow a run's events from `last_event_index`. A run live in this instance is
 * followed on the bus (catch-up from the database first); a finished one is replayed from the
 * database; one another instance runs is followed by polling its stored events until it settles.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/index.js';
import type { Logger } from '../log.js';
import { EventQueue, type RunRegistry } from './bus.js';
import { countEvents, getRun, readEvents, SETTLED_STATUSES } from './store.js';
import type { EntityKind, ResumeRunInput, RunEventStream, RunFrame, RunSseEvent } from './types.js';

const ENTITY_LABEL: Record<EntityKind, string> = { agent: 'agent', team: 'team', workflow: 'workflow' };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** An SSE event of a stored frame; with `event_index` (and `run_id`) when asked. */
export function toSse(frame: RunFrame, withIndex: boolean, runId: string): RunSseEvent {
  if (!withIndex) return { event: frame.event, data: frame.data };
  return {
    event: frame.event,
    data: { ...frame.data, event_index: frame.index, run_id: frame.data.run_id ?? runId },
  };
}

export interface ResumeOptions {
  readonly db: () => Kysely<Schema>;
  readonly registry: RunRegistry;
  readonly logger: Logger;
  readonly instanceId: string;
  /** Poll interval when another instance runs the run (ms). */
  readonly pollIntervalMs: number;
  /** True once the engine is shut down (a poll loop stops). */
  readonly isClosed: () => boolean;
  /** Keeps the stream's producer among the engine's in-flight work (awaited by `close`). */
  readonly track: <T>(p: Promise<T>) => Promise<T>;
}

/** Creates the engine's `resume`. */
export function createResume(o: ResumeOptions): (input: ResumeRunInput) => RunEventStream {
  return function resume(input: ResumeRunInput): RunEventStream {
    const q = new EventQueue();
    const frameOf = (f: RunFrame) => toSse(f, true, input.runId);
    const label = ENTITY_LABEL[input.kind];
    const last = input.lastEventIndex ?? -1;
    const replay = (status: string, frames: RunFrame[], total: number) => {
      q.push({
        event: 'replay',
        data: {
          event: 'replay',
          run_id: input.runId,
          status,
          total_events: frames.length,
          total_buffered: total,
          last_event_index_requested: last,
          message:
            total === 0
              ? 'Run completed but no events stored.'
              : `Run ${status}. Replaying ${frames.length} missed events (of ${total} total).`,
        },
      });
      for (const f of frames) q.push(frameOf(f));
      q.end();
    };
    const produce = async () => {
      const live = o.registry.get(input.runId);
      if (live && live.runId === input.runId) {
        const older = last + 1 < live.baseIndex ? await readEvents(o.db(), input.runId, last) : [];
        const fromDb = older.filter((f) => f.index < live.baseIndex);
        if (live.ended) {
          replay(live.status, [...fromDb, ...live.frames.filter((f) => f.index > last)], live.nextIndex);
          return;
        }
        // Subscribe first: the buffer replays synchronously, so nothing falls between catch-up and live.
        const missed: RunFrame[] = [...fromDb];
        let following = false;
        let ended = false;
        const unsubscribe = live.subscribe(Math.max(last + 1, live.baseIndex), (f) => {
          if (!following) {
            if (f === null) ended = true;
            else missed.push(f);
          } else if (f === null) q.end();
          else q.push(frameOf(f));
        });
        q.onFinally(unsubscribe);
        const current = live.nextIndex;
        if (missed.length > 0) {
          q.push({
            event: 'catch_up',
            data: {
              event: 'catch_up',
              run_id: input.runId,
              status: 'running',
              missed_events: missed.length,
              current_event_count: current,
              message: `Catching up on ${missed.length} missed events.`,
            },
          });
          for (const f of missed) q.push(frameOf(f));
        }
        q.push({
          event: 'subscribed',
          data: {
            event: 'subscribed',
            run_id: input.runId,
            status: 'running',
            current_event_count: current,
            message: `Subscribed to ${label} run. Receiving live events.`,
          },
        });
        following = true;
        if (ended) q.end();
        return;
      }
      const row = await getRun(o.db(), input.runId);
      if (!row || row.entity_type !== input.kind) {
        q.push({
          event: 'error',
          data: { event: 'error', error: `Run ${input.runId} not found in buffer or database` },
        });
        q.end();
        return;
      }
      if (SETTLED_STATUSES.has(row.status) || row.instance_id === o.instanceId) {
        const frames = await readEvents(o.db(), input.runId, last);
        replay(row.status, frames, await countEvents(o.db(), input.runId));
        return;
      }
      // Another instance runs it: follow its stored events until it settles.
      let sent = last;
      const first = await readEvents(o.db(), input.runId, sent);
      const total = await countEvents(o.db(), input.runId);
      if (first.length > 0) {
        q.push({
          event: 'catch_up',
          data: {
            event: 'catch_up',
            run_id: input.runId,
            status: 'running',
            missed_events: first.length,
            current_event_count: total,
            message: `Catching up on ${first.length} missed events.`,
          },
        });
        for (const f of first) q.push(frameOf(f));
        sent = first[first.length - 1]!.index;
      }
      q.push({
        event: 'subscribed',
        data: {
          event: 'subscribed',
          run_id: input.runId,
          status: 'running',
          current_event_count: total,
          message: `Subscribed to ${label} run. Receiving live events.`,
        },
      });
      const interval = input.pollIntervalMs ?? o.pollIntervalMs;
      while (!q.isClosed && !o.isClosed()) {
        await sleep(interval);
        const current = await getRun(o.db(), input.runId);
        const settled = !current || SETTLED_STATUSES.has(current.status);
        for (const f of await readEvents(o.db(), input.runId, sent)) {
          q.push(frameOf(f));
          sent = f.index;
        }
        if (settled) break;
      }
      q.end();
    };
    void o.track(
      produce().catch((err) => {
        o.logger.error({ err, runId: input.runId }, 'resume stream failed');
        q.push({ event: 'error', data: { event: 'error', error: 'stream failed' } });
        q.end();
      }),
    );
    return q;
  };
}
