/**
 * @module The in-process event bus: the live runs of this instance with their event buffers,
 * and the async event streams handed to SSE responses.
 */
import type { EntityKind, RunEventStream, RunFrame, RunSseEvent, RunStatus } from './types.js';

type Listener = (frame: RunFrame | null) => void;

/**
 * A run executing (or recently executed) in this instance. `frames` holds the frames of the
 * current segment from `baseIndex` (earlier ones are in the database).
 */
export class LiveRun {
  readonly runId: string;
  readonly sessionId: string;
  readonly kind: EntityKind;
  readonly baseIndex: number;
  readonly frames: RunFrame[] = [];
  ended = false;
  status: RunStatus = 'RUNNING';
  /** The reason given when a cancel was requested, else null. */
  cancelReason: string | null = null;
  readonly abort = new AbortController();
  private readonly listeners = new Set<Listener>();

  constructor(runId: string, sessionId: string, kind: EntityKind, baseIndex: number) {
    this.runId = runId;
    this.sessionId = sessionId;
    this.kind = kind;
    this.baseIndex = baseIndex;
  }

  /** The index the next frame gets. */
  get nextIndex(): number {
    return this.baseIndex + this.frames.length;
  }

  publish(frame: RunFrame): void {
    this.frames.push(frame);
    for (const l of this.listeners) l(frame);
  }

  finish(status: RunStatus): void {
    this.ended = true;
    this.status = status;
    for (const l of [...this.listeners]) l(null);
    this.listeners.clear();
  }

  requestCancel(reason: string): void {
    if (this.ended || this.cancelReason !== null) return;
    this.cancelReason = reason;
    this.abort.abort();
  }

  /**
   * Calls `listener` with every buffered frame whose index is at least `fromIndex`, then with each
   * new frame, then with null when the run ends. Answers the unsubscribe function.
   */
  subscribe(fromIndex: number, listener: Listener): () => void {
    for (const f of this.frames) if (f.index >= fromIndex) listener(f);
    if (this.ended) {
      listener(null);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The live runs of this instance, kept for a while after they end (resume of finished runs). */
export class RunRegistry {
  private readonly runs = new Map<string, LiveRun>();
  /** Nested run ids (team members, workflow steps) → their top-level live run, for cancel. */
  private readonly aliases = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId) ?? this.runs.get(this.aliases.get(runId) ?? '');
  }

  /** Registers a live run (replacing a finished one of the same id). */
  add(run: LiveRun): void {
    const t = this.timers.get(run.runId);
    if (t) clearTimeout(t);
    this.timers.delete(run.runId);
    this.runs.set(run.runId, run);
  }

  alias(nestedRunId: string, topRunId: string): void {
    this.aliases.set(nestedRunId, topRunId);
  }

  /** Forgets a finished run after the buffer time. */
  release(run: LiveRun): void {
    const t = setTimeout(() => {
      this.timers.delete(run.runId);
      if (this.runs.get(run.runId) !== run) return;
      this.runs.delete(run.runId);
      for (const [k, v] of this.aliases) if (v === run.runId) this.aliases.delete(k);
    }, this.ttlMs);
    t.unref();
    this.timers.set(run.runId, t);
  }

  /** Forgets a finished run now (its stored state changed: resume must read the database). */
  forget(runId: string): void {
    const run = this.runs.get(runId);
    if (!run?.ended) return;
    const t = this.timers.get(runId);
    if (t) clearTimeout(t);
    this.timers.delete(runId);
    this.runs.delete(runId);
  }

  active(): LiveRun[] {
    return [...this.runs.values()].filter((r) => !r.ended);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.runs.clear();
    this.aliases.clear();
  }
}

/**
 * A push-driven async stream of SSE events. `close()` (or `return()` from a `for await` or the
 * SSE writer) ends it at once, even while a `next()` is pending, and calls `onEarlyClose` if it
 * had not ended by itself.
 */
export class EventQueue implements RunEventStream {
  private queue: RunSseEvent[] = [];
  private waiter: ((r: IteratorResult<RunSseEvent>) => void) | null = null;
  private ended = false;
  private closed = false;
  private readonly onEarlyClose: (() => void) | undefined;
  private readonly onClose: (() => void)[] = [];

  constructor(onEarlyClose?: () => void) {
    this.onEarlyClose = onEarlyClose;
  }

  /** Runs `fn` once when the stream is closed or has been drained to its end. */
  onFinally(fn: () => void): void {
    this.onClose.push(fn);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(event: RunSseEvent): void {
    if (this.ended || this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: event, done: false });
    } else this.queue.push(event);
  }

  /** No more events: the consumer gets the queued ones, then `done`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiter && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: undefined, done: true });
      this.runFinally();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const early = !this.ended;
    this.queue = [];
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: undefined, done: true });
    }
    if (early) this.onEarlyClose?.();
    this.runFinally();
  }

  private finalized = false;
  private runFinally(): void {
    if (this.finalized) return;
    this.finalized = true;
    for (const fn of this.onClose) {
      try {
        fn();
      } catch {
        // cleanup must not throw into the consumer
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<RunSseEvent> {
    return {
      next: () => {
        const value = this.queue.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.ended || this.closed) {
          this.runFinally();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
