/**
 * @module A `Segment`: one execution of a run (its start, or one continue). It numbers events
 * gaplessly, publishes them on the in-process bus, persists them in batches, checks cancel intents
 * between steps, records spans, and writes everything that changed in one transaction when it
 * ends; and the terminal event of a segment that failed or was cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/index.js';
import type { Logger } from '../log.js';
import type { LiveRun, RunRegistry } from './bus.js';
import type { BuiltinSettings } from './entities.js';
import { RunCancelledSignal } from './errors.js';
import type { Model, ModelProviderOptions, ModelRef } from './model.js';
import { createBuiltinModel } from './model-builtin.js';
import { createOpenAIModel } from './model-openai.js';
import { type AnyRunRec, type Dict, isTeamRec, isWorkflowRec, nestedRuns, publicOutput } from './output.js';
import { defined, epoch, topBase } from './records.js';
import {
  appendEvents,
  hasCancelIntent,
  insertApproval,
  insertTrace,
  type NewApproval,
  saveRun,
  updateSessionAfterRun,
} from './store.js';
import type { ToolContext } from './tools.js';
import { type OpenSpan, spanName, TraceRecorder } from './trace.js';
import type { EntityKind, RunFrame, RunStatus } from './types.js';

/** What the engine runs with (resolved once by `createRunRuntime`). */
export interface EngineDeps {
  readonly db: Kysely<Schema>;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly instanceId: string;
  readonly models: ModelProviderOptions;
  readonly registry: RunRegistry;
  /** Model calls an agent may make in one segment before the run errors. */
  readonly maxSteps: number;
  /** Interval of the background look for cancel intents stored by other instances (ms). */
  readonly cancelPollMs: number;
  /**
   * How long emitted events wait to be stored together (ms; 0: a write as soon as the last one
   * ended). Live subscribers get every event at once from the run's in-memory buffer; the store
   * serves other instances and reads after the buffer expired.
   */
  readonly eventFlushMs: number;
}

/** The top-level run of a segment. */
export interface TopInfo {
  readonly kind: EntityKind;
  readonly runId: string;
  readonly sessionId: string;
  readonly userId: string | null;
  readonly entityId: string;
  readonly entityName: string;
  readonly input: string;
}

/** How a runner's segment ended (an error is thrown). */
export type Outcome = 'completed' | 'paused' | 'cancelled';

/** One execution of a run (its start or a continue). */
export class Segment {
  readonly deps: EngineDeps;
  readonly live: LiveRun;
  readonly top: TopInfo;
  /** The run's own session state (a private copy, contract.md §6). */
  readonly sessionState: Dict;
  readonly dependencies: Readonly<Dict>;
  readonly trace: TraceRecorder;
  readonly startedAt: Date;
  readonly usage = { input: 0, output: 0, total: 0 };
  readonly approvals: NewApproval[] = [];
  rootSpan: OpenSpan | null = null;
  private nextIndex: number;
  private pending: RunFrame[] = [];
  private held: RunFrame[] = [];
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushBroken = false;
  private readonly modelCache = new Map<string, Model>();

  constructor(deps: EngineDeps, live: LiveRun, top: TopInfo, sessionState: Dict, dependencies: Dict) {
    this.deps = deps;
    this.live = live;
    this.top = top;
    this.sessionState = sessionState;
    this.dependencies = dependencies;
    this.trace = new TraceRecorder(deps.now);
    this.startedAt = deps.now();
    this.nextIndex = live.baseIndex;
  }

  /** True once the segment's last event (completed, paused, cancelled, error) was emitted. */
  get ended(): boolean {
    return this.held.length > 0;
  }

  /**
   * Emits an event: `{ created_at, event, ...base, ...fields }` with the next index. Terminal
   * events are held back until the final transaction has committed, so that a client that sees
   * the run end reads its final state.
   */
  emit(event: string, base: Dict, fields: Dict = {}, terminal = false): void {
    const data = structuredClone({ created_at: epoch(this.deps.now()), event, ...base, ...defined(fields) });
    const frame: RunFrame = { index: this.nextIndex++, event, data };
    if (terminal) {
      this.held.push(frame);
      return;
    }
    this.live.publish(frame);
    this.pending.push(frame);
    this.scheduleFlush();
  }

  /**
   * Stores the pending events `eventFlushMs` after the first of them (one write for all that
   * came meanwhile); a run that ends sooner stores them in its final transaction instead.
   */
  private scheduleFlush(): void {
    if (this.flushing || this.flushTimer || this.flushBroken) return;
    const flush = () => {
      this.flushTimer = null;
      this.flushing = this.flushAll().finally(() => {
        this.flushing = null;
        if (this.pending.length > 0 && !this.flushBroken) this.scheduleFlush();
      });
    };
    if (this.deps.eventFlushMs > 0) this.flushTimer = setTimeout(flush, this.deps.eventFlushMs);
    else flush();
  }

  private async flushAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await appendEvents(this.deps.db, this.top.runId, batch, this.deps.now());
      } catch (err) {
        // Keep the batch: the final transaction retries it, so indexes stay gapless.
        this.pending.unshift(...batch);
        this.flushBroken = true;
        this.deps.logger.error(
          { err, runId: this.top.runId },
          'run events could not be stored; retrying at the end',
        );
        return;
      }
    }
  }

  /**
   * Throws `RunCancelledSignal` when a cancel was requested here, or a cancel intent is stored for
   * the run or one of `runIds` (another instance received it).
   */
  async checkCancel(runIds: readonly string[] = []): Promise<void> {
    if (this.live.cancelReason !== null) throw new RunCancelledSignal(this.live.cancelReason);
    if (await hasCancelIntent(this.deps.db, [this.top.runId, ...runIds])) {
      this.live.requestCancel('Run cancelled by user');
      throw new RunCancelledSignal(this.live.cancelReason ?? 'Run cancelled by user');
    }
  }

  /**
   * Looks for a stored cancel intent every `cancelPollMs` while the segment runs, so that a
   * cancel received by another instance also interrupts a long model call. Answers the stop.
   */
  watchCancelIntents(): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.live.ended || this.live.cancelReason !== null) return;
      busy = true;
      hasCancelIntent(this.deps.db, [this.top.runId])
        .then((found) => {
          if (found) this.live.requestCancel('Run cancelled by user');
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    }, this.deps.cancelPollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The model of an entity; clients are shared, they hold no per-run state. */
  modelFor(ref: ModelRef, builtin: BuiltinSettings): Model {
    const key =
      ref.provider === 'openai' ? `openai:${ref.id}` : `builtin:${builtin.chunks}:${builtin.delayMs}`;
    let m = this.modelCache.get(key);
    if (!m) {
      m =
        ref.provider === 'openai'
          ? createOpenAIModel(ref.id, this.deps.models.openai, this.deps.models.fetch)
          : createBuiltinModel(builtin);
      this.modelCache.set(key, m);
    }
    return m;
  }

  toolContext(runId: string): ToolContext {
    return {
      sessionState: this.sessionState,
      dependencies: this.dependencies,
      runId,
      sessionId: this.top.sessionId,
      userId: this.top.userId,
      now: this.deps.now,
    };
  }

  /**
   * Writes the run's final state, nested runs, session state and metrics, approvals, events and
   * trace in one transaction, then releases the held terminal event and ends the live run.
   * Answers whether that transaction committed (a failure is logged, not thrown).
   */
  async finalize(status: RunStatus, rec: AnyRunRec, error: string | null): Promise<boolean> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    while (this.flushing) await this.flushing;
    const frames = [...this.pending.splice(0), ...this.held];
    const now = this.deps.now();
    const output = publicOutput(rec);
    const { db, instanceId } = this.deps;
    let stored = true;
    try {
      await db.transaction().execute(async (trx) => {
        await appendEvents(trx, this.top.runId, frames, now);
        await saveRun(trx, {
          runId: this.top.runId,
          status,
          output,
          content: rec.content ?? null,
          metrics: rec.metrics,
          requirements:
            status === 'PAUSED' ? (isWorkflowRec(rec) ? rec.step_requirements : rec.requirements) : null,
          now,
        });
        for (const child of nestedRuns(rec)) {
          await saveRun(
            trx,
            {
              runId: child.run_id,
              status: child.status,
              output: publicOutput(child),
              content: child.content ?? null,
              metrics: child.metrics,
              requirements: child.status === 'PAUSED' ? (child.requirements ?? null) : null,
              now,
            },
            {
              runId: child.run_id,
              sessionId: child.session_id,
              parentRunId: child.parent_run_id ?? null,
              kind: isTeamRec(child) ? 'team' : 'agent',
              entityId: isTeamRec(child) ? child.team_id : child.agent_id,
              userId: child.user_id ?? null,
              input: child.input,
              background: false,
              instanceId,
            },
          );
        }
        await updateSessionAfterRun(trx, this.top.sessionId, {
          sessionState: this.sessionState,
          input: this.usage.input,
          output: this.usage.output,
          total: this.usage.total,
          now,
        });
        for (const a of this.approvals) await insertApproval(trx, a);
        const contentText =
          rec.content === undefined || rec.content === null
            ? null
            : typeof rec.content === 'string'
              ? rec.content
              : JSON.stringify(rec.content);
        const root = this.trace.spans.find((s) => s.parentSpanId === null);
        await insertTrace(
          trx,
          {
            traceId: this.trace.traceId,
            name: root?.name ?? `${spanName(this.top.entityName)}.run`,
            status: status === 'ERROR' || status === 'CANCELLED' ? 'ERROR' : 'OK',
            startTime: this.startedAt,
            endTime: now,
            input: this.top.input,
            output: contentText,
            error: error ?? (status === 'CANCELLED' ? 'Run cancelled' : null),
            runId: this.top.runId,
            sessionId: this.top.sessionId,
            userId: this.top.userId,
            agentId: this.top.kind === 'agent' ? this.top.entityId : null,
            teamId: this.top.kind === 'team' ? this.top.entityId : null,
            workflowId: this.top.kind === 'workflow' ? this.top.entityId : null,
          },
          this.trace.spans,
        );
      });
    } catch (err) {
      this.deps.logger.error({ err, runId: this.top.runId }, 'the final state of a run could not be stored');
      stored = false;
    }
    for (const f of this.held) this.live.publish(f);
    this.held = [];
    this.live.finish(status);
    return stored;
  }
}

/** Marks the runs still in progress (nested included) with the final status. */
export function markUnfinished(rec: AnyRunRec, status: RunStatus): void {
  for (const r of [rec, ...nestedRuns(rec)]) {
    if (r.status === 'RUNNING' || r.status === 'PENDING') r.status = status;
  }
}

/** Emits the terminal cancelled / error event of the top-level run. */
export function emitTopTerminal(
  seg: Segment,
  rec: AnyRunRec,
  status: 'CANCELLED' | 'ERROR',
  message: string,
  errorType?: string,
): void {
  const base = topBase(rec);
  if (status === 'CANCELLED') {
    const event = isWorkflowRec(rec)
      ? 'WorkflowCancelled'
      : isTeamRec(rec)
        ? 'TeamRunCancelled'
        : 'RunCancelled';
    seg.emit(event, base, { reason: message }, true);
    return;
  }
  const fields = {
    error_type: errorType ?? 'Error',
    error_id: randomUUID(),
  };
  if (isWorkflowRec(rec)) seg.emit('WorkflowError', base, { error: message, ...fields }, true);
  else seg.emit(isTeamRec(rec) ? 'TeamRunError' : 'RunError', base, { content: message, ...fields }, true);
}
