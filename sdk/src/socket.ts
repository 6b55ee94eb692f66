/**
 * @module `@agentos/sdk/socket`: a typed client of the workflow WebSocket `GET /workflows/ws`
 * (`spec/agentos.asyncapi.yaml`), a separate entry point so the main SDK stays within its size
 * budget. The token goes in the `authenticate` message, never in the URL. Runs stream as async
 * iterators of their events; `reconnect` resumes after the last event this socket saw of a run
 * (or a `lastEventIndex` you kept), so a client that lost its connection misses nothing.
 * Uses the global `WebSocket` (browsers, Node ≥ 22) or the constructor you pass (e.g. `ws`).
 *
 * @example
 * import { workflowSocket } from '@agentos/sdk/socket';
 *
 * const socket = await workflowSocket({ baseUrl: 'http://localhost:7777', getToken: () => token });
 * let runId = '';
 * for await (const ev of socket.startWorkflow({ workflowId: 'content-pipeline', message: 'hi' })) {
 *   runId = ev.run_id ?? runId;
 * }
 * // later, on a new socket: everything after the last event received
 * for await (const ev of again.reconnect({ runId, workflowId, sessionId, lastEventIndex: 7 })) ...
 */

/** A frame from the server: an `event` name and its JSON fields. */
export interface WorkflowSocketEvent {
  readonly event: string;
  readonly run_id?: string;
  readonly session_id?: string;
  readonly workflow_id?: string;
  /** 0-based position of a run event in its run. */
  readonly event_index?: number;
  /** On the events of a step's agent or team: the workflow run they belong to. */
  readonly workflow_run_id?: string;
  readonly [field: string]: unknown;
}

/** What `connected` and `authenticated` said when the socket opened. */
export interface WorkflowSocketHello {
  readonly requiresAuth: boolean;
  /** The token subject or service-account principal, when authenticated with one. */
  readonly userId?: string | undefined;
}

/** A refusal from the server (`error`, `auth_error`, `auth_required`) or a closed socket. */
export class WorkflowSocketError extends Error {
  /** `error` | `auth_error` | `auth_required` | `closed`. */
  readonly event: string;
  /** `expired` | `invalid_token` | `server_error` on `auth_error`. */
  readonly errorType: string | undefined;
  /** The close code when the socket closed (1008 policy, 1009 frame too big, ...). */
  readonly code: number | undefined;

  constructor(event: string, message: string, options: { errorType?: string; code?: number } = {}) {
    super(message);
    this.name = 'WorkflowSocketError';
    this.event = event;
    this.errorType = options.errorType;
    this.code = options.code;
  }
}

/** The part of the WHATWG `WebSocket` this client uses (global in browsers and Node ≥ 22, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (ev: any) => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WorkflowSocketOptions {
  /** The AgentOS base URL (`http(s)://…` or `ws(s)://…`); `/workflows/ws` is appended. */
  readonly baseUrl: string;
  /** The credential: a JWT, a service-account token or the security key. None for an open server. */
  readonly getToken?: (() => string | null | undefined | Promise<string | null | undefined>) | undefined;
  /** Default `globalThis.WebSocket`. */
  readonly WebSocket?: WebSocketConstructor | undefined;
}

export interface StartWorkflowInput {
  readonly workflowId: string;
  readonly message: string;
  readonly sessionId?: string | undefined;
  /** Honoured for admins only: everyone else runs as themselves. */
  readonly userId?: string | undefined;
  readonly sessionState?: Record<string, unknown> | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
}

export interface ReconnectInput {
  readonly runId: string;
  /** Required (with `sessionId`) under user isolation for non-admins. */
  readonly workflowId?: string | undefined;
  readonly sessionId?: string | undefined;
  /** The last event index received; default the last one this socket saw of the run, else all events. */
  readonly lastEventIndex?: number | undefined;
}

export interface StepRequirementDecision {
  readonly step_id?: string;
  readonly step_index?: number;
  readonly confirmed?: boolean;
  readonly confirmation_note?: string;
  readonly executor_requirements?: readonly Record<string, unknown>[];
}

export interface ContinueWorkflowInput {
  readonly workflowId: string;
  readonly runId: string;
  readonly sessionId?: string | undefined;
  readonly stepRequirements?: readonly StepRequirementDecision[] | undefined;
}

export interface WorkflowSocket {
  readonly hello: WorkflowSocketHello;
  /** (Re-)authenticates; rejects with a `WorkflowSocketError` (`auth_error`). */
  authenticate(token: string): Promise<WorkflowSocketHello>;
  /** Resolves on `pong`. */
  ping(): Promise<void>;
  /** Starts a run; yields its events until it completes, pauses, fails or is cancelled. */
  startWorkflow(input: StartWorkflowInput): AsyncIterableIterator<WorkflowSocketEvent>;
  /** Replays a run's events after `lastEventIndex`, then follows it while it runs. */
  reconnect(input: ReconnectInput): AsyncIterableIterator<WorkflowSocketEvent>;
  /** Continues a paused run with step decisions; yields its events. */
  continueWorkflow(input: ContinueWorkflowInput): AsyncIterableIterator<WorkflowSocketEvent>;
  /** The last `event_index` this socket received for a run. */
  lastEventIndex(runId: string): number | undefined;
  close(): void;
}

const TERMINAL = new Set(['WorkflowCompleted', 'WorkflowError', 'WorkflowCancelled', 'WorkflowPaused']);
const META = new Set(['replay', 'catch_up', 'subscribed']);

/** One pending command: it takes the first `error`, or the first frame of a run it may claim. */
interface Pending {
  readonly runId: string | undefined;
  readonly push: (f: WorkflowSocketEvent) => void;
  readonly fail: (e: WorkflowSocketError) => void;
}

/** A queue of frames read as an async iterator. */
function channel() {
  const items: WorkflowSocketEvent[] = [];
  let waiting: ((r: IteratorResult<WorkflowSocketEvent>) => void) | null = null;
  let failWaiting: ((e: unknown) => void) | null = null;
  let done = false;
  let failure: WorkflowSocketError | null = null;
  const iterator: AsyncIterableIterator<WorkflowSocketEvent> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    next() {
      if (items.length > 0) return Promise.resolve({ value: items.shift()!, done: false });
      if (failure) return Promise.reject(failure);
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
    async return() {
      done = true;
      return { value: undefined, done: true };
    },
  };
  return {
    iterator,
    push(f: WorkflowSocketEvent) {
      if (done) return;
      if (waiting) {
        const w = waiting;
        waiting = failWaiting = null;
        w({ value: f, done: false });
      } else items.push(f);
    },
    end() {
      done = true;
      if (waiting) {
        const w = waiting;
        waiting = failWaiting = null;
        w({ value: undefined, done: true });
      }
    },
    fail(e: WorkflowSocketError) {
      if (done) return;
      failure = e;
      done = true;
      if (failWaiting) {
        const f = failWaiting;
        waiting = failWaiting = null;
        f(e);
      }
    },
  };
}

function socketUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/workflows/ws`;
  u.search = '';
  return u.toString();
}

/**
 * Opens the socket, waits for the greeting and, with `getToken`, authenticates.
 * @throws {WorkflowSocketError} when the socket cannot open or the token is refused
 */
export async function workflowSocket(options: WorkflowSocketOptions): Promise<WorkflowSocket> {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor)
    throw new TypeError('workflowSocket: no WebSocket available; pass options.WebSocket (e.g. from "ws")');
  const ws = new Ctor(socketUrl(options.baseUrl));
  const pending: Pending[] = [];
  const runs = new Map<
    string,
    { push: (f: WorkflowSocketEvent) => void; fail: (e: WorkflowSocketError) => void }
  >();
  const indexes = new Map<string, number>();
  const waiters: {
    match: (f: WorkflowSocketEvent) => boolean;
    resolve: (f: WorkflowSocketEvent) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let closed: WorkflowSocketError | null = null;

  const expect = (match: (f: WorkflowSocketEvent) => boolean) =>
    new Promise<WorkflowSocketEvent>((resolve, reject) => {
      if (closed) reject(closed);
      else waiters.push({ match, resolve, reject });
    });

  function onFrame(f: WorkflowSocketEvent): void {
    const w = waiters.findIndex((x) => x.match(f));
    if (w >= 0) {
      waiters.splice(w, 1)[0]!.resolve(f);
      return;
    }
    // Events of a step's agent or team carry their own run_id and the workflow's in workflow_run_id.
    const runId =
      typeof f.workflow_run_id === 'string'
        ? f.workflow_run_id
        : typeof f.run_id === 'string'
          ? f.run_id
          : undefined;
    if (runId !== undefined && typeof f.event_index === 'number') indexes.set(runId, f.event_index);
    if (runId !== undefined && runs.has(runId)) {
      runs.get(runId)!.push(f);
      return;
    }
    // The oldest pending command claims an error, or the first frame of a run it started.
    const p = pending[0];
    if (!p) return;
    if (f.event === 'error' || f.event === 'auth_required' || f.event === 'auth_error') {
      pending.shift();
      p.fail(
        new WorkflowSocketError(f.event, String(f.error ?? 'refused'), {
          errorType: typeof f.error_type === 'string' ? f.error_type : undefined,
        }),
      );
      return;
    }
    if (runId !== undefined && (p.runId === undefined || p.runId === runId)) {
      pending.shift();
      runs.set(runId, p);
      p.push(f);
    }
  }

  ws.addEventListener('message', (ev: { data: unknown }) => {
    // Plain JSON, or the SSE text the Python AgentOS sends for live run events (`event: X\ndata: {…}`).
    const text = String(ev.data);
    let f: unknown;
    try {
      f = JSON.parse(text.startsWith('event:') ? text.replace(/^[\s\S]*?^data: ?/m, '') : text);
    } catch {
      return;
    }
    if (f && typeof f === 'object' && typeof (f as WorkflowSocketEvent).event === 'string')
      onFrame(f as WorkflowSocketEvent);
  });
  ws.addEventListener('close', (ev: { code?: number; reason?: string }) => {
    closed = new WorkflowSocketError(
      'closed',
      `socket closed (${ev.code ?? 1006}${ev.reason ? `: ${ev.reason}` : ''})`,
      {
        code: ev.code,
      },
    );
    for (const w of waiters.splice(0)) w.reject(closed);
    for (const p of pending.splice(0)) p.fail(closed);
    for (const r of runs.values()) r.fail(closed);
    runs.clear();
  });

  const connected = expect((f) => f.event === 'connected');
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new WorkflowSocketError('closed', 'socket could not open')));
  });
  const greeting = await connected;
  let hello: WorkflowSocketHello = { requiresAuth: greeting.requires_auth === true };

  const send = (m: Record<string, unknown>) => {
    if (closed) throw closed;
    ws.send(JSON.stringify(m));
  };

  async function authenticate(token: string): Promise<WorkflowSocketHello> {
    const answer = expect((f) => f.event === 'authenticated' || f.event === 'auth_error');
    send({ action: 'authenticate', token });
    const f = await answer;
    if (f.event === 'auth_error') {
      throw new WorkflowSocketError('auth_error', String(f.error), {
        errorType: typeof f.error_type === 'string' ? f.error_type : undefined,
      });
    }
    hello = {
      requiresAuth: hello.requiresAuth,
      userId: typeof f.user_id === 'string' ? f.user_id : undefined,
    };
    return hello;
  }

  // Commands go one at a time: the next is sent once the previous one has its first answer (a
  // refusal carries no run id, so it can only belong to the one command in flight).
  let gate: Promise<void> = Promise.resolve();

  /** Sends a run command; the iterator ends after a terminal event or the replay's last frame. */
  function command(
    message: Record<string, unknown>,
    runId?: string,
  ): AsyncIterableIterator<WorkflowSocketEvent> {
    const ch = channel();
    let replayLeft: number | null = null;
    let claimed: string | undefined;
    let acknowledge: () => void = () => {};
    const acknowledged = new Promise<void>((resolve) => {
      acknowledge = resolve;
    });
    const finish = () => {
      if (claimed) runs.delete(claimed);
      ch.end();
    };
    const entry: Pending = {
      runId,
      push(f) {
        acknowledge();
        claimed ??= typeof f.workflow_run_id === 'string' ? f.workflow_run_id : f.run_id;
        if (f.event === 'replay') {
          replayLeft = typeof f.total_events === 'number' ? f.total_events : 0;
          if (replayLeft === 0) finish();
          return;
        }
        if (META.has(f.event)) return;
        ch.push(f);
        if (replayLeft !== null && --replayLeft <= 0) finish();
        else if (TERMINAL.has(f.event)) finish();
      },
      fail(e) {
        acknowledge();
        if (claimed) runs.delete(claimed);
        ch.fail(e);
      },
    };
    const previous = gate;
    gate = acknowledged;
    void previous.then(() => {
      pending.push(entry);
      try {
        send(message);
      } catch (e) {
        pending.splice(pending.indexOf(entry), 1);
        entry.fail(e as WorkflowSocketError);
      }
    });
    return ch.iterator;
  }

  const token = options.getToken ? await options.getToken() : undefined;
  if (token) await authenticate(token);

  return {
    get hello() {
      return hello;
    },
    authenticate,
    async ping() {
      const pong = expect((f) => f.event === 'pong' || f.event === 'auth_required');
      send({ action: 'ping' });
      const f = await pong;
      if (f.event !== 'pong') throw new WorkflowSocketError(f.event, String(f.error));
    },
    startWorkflow(input) {
      return command({
        action: 'start-workflow',
        workflow_id: input.workflowId,
        message: input.message,
        session_id: input.sessionId,
        user_id: input.userId,
        session_state: input.sessionState,
        metadata: input.metadata,
      });
    },
    reconnect(input) {
      return command(
        {
          action: 'reconnect',
          run_id: input.runId,
          workflow_id: input.workflowId,
          session_id: input.sessionId,
          last_event_index: input.lastEventIndex ?? indexes.get(input.runId),
        },
        input.runId,
      );
    },
    continueWorkflow(input) {
      return command(
        {
          action: 'continue-workflow',
          workflow_id: input.workflowId,
          run_id: input.runId,
          session_id: input.sessionId,
          step_requirements: input.stepRequirements,
        },
        input.runId,
      );
    },
    lastEventIndex: (runId) => indexes.get(runId),
    close: () => ws.close(1000),
  };
}
