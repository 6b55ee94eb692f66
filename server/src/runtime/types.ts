/**
 * @module The contract between the run engine and the rest of the server.
 * The engine (`runtime/index.ts`, `createRunRuntime`) implements it; the run handlers
 * (`handlers/runs.ts`) drive it over HTTP, evals and the scheduler use `runOnce`.
 */

export type EntityKind = 'agent' | 'team' | 'workflow';

/** PENDING | RUNNING | COMPLETED | PAUSED | CANCELLED | ERROR | REGENERATED (spec `RunStatus`). */
export type RunStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'PAUSED'
  | 'CANCELLED'
  | 'ERROR'
  | 'REGENERATED';

export interface RunOnceInput {
  readonly kind: EntityKind;
  readonly id: string;
  readonly message: string;
  readonly userId: string | null;
  readonly sessionId?: string | undefined;
  /** Initial session state, merged over the entity's and the stored session's. */
  readonly sessionState?: Readonly<Record<string, unknown>> | undefined;
}

export interface RunOnceResult {
  readonly runId: string;
  readonly sessionId: string;
  /** PENDING | RUNNING | COMPLETED | PAUSED | CANCELLED | ERROR */
  readonly status: string;
  readonly content: unknown;
  /** The whole run output (`RunOutput`, `TeamRunOutput` or `WorkflowRunOutput` as the API answers it). */
  readonly output?: Readonly<Record<string, unknown>> | undefined;
  /** True when `output` is what the store holds (the final transaction committed). */
  readonly persisted?: boolean | undefined;
}

/** One event of a run: its name, its JSON payload (a `RunEvent`) and its 0-based index in the run. */
export interface RunFrame {
  readonly index: number;
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A frame as the SSE writer takes it (the generated router's `SseEvent`). */
export interface RunSseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** An event stream that the consumer may stop early (`return()` unsubscribes at once). */
export interface RunEventStream extends AsyncIterable<RunSseEvent> {
  /** Stops the stream; pending `next()` calls resolve `done`. */
  close(): void;
}

/** Input of `start`: a new run of an agent, team or workflow. */
export interface StartRunInput {
  readonly kind: EntityKind;
  /** The entity id (`agent_id`, `team_id`, `workflow_id`). */
  readonly id: string;
  readonly message: string;
  /** The user the run (and a new session) is attributed to. */
  readonly userId: string | null;
  /** An existing or new session id; a UUID is generated when absent. */
  readonly sessionId?: string | undefined;
  /**
   * When set (user isolation), an existing session must belong to exactly this user, else the
   * start fails with `ERR_RUN_SESSION_NOT_FOUND`: a run never enters another user's session.
   */
  readonly sessionOwner?: string | null | undefined;
  readonly sessionState?: Readonly<Record<string, unknown>> | undefined;
  readonly dependencies?: Readonly<Record<string, unknown>> | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Attached files (only their description is kept: name, type, size). */
  readonly files?: readonly RunFileInput[] | undefined;
  /** Detached run: survives the client, frames carry `event_index`, starts PENDING. */
  readonly background?: boolean | undefined;
}

export interface RunFileInput {
  readonly filename: string;
  readonly mimeType: string;
  readonly size: number;
  readonly kind: 'image' | 'audio' | 'video' | 'document';
}

/** A decision on one paused tool call (agents: `tools`; teams: `requirements`). */
export interface ToolDecision {
  /** Matches the paused tool execution by `tool_call_id`… */
  readonly toolCallId?: string | undefined;
  /** …or the requirement by `id`. */
  readonly requirementId?: string | undefined;
  /** True runs the tool, false tells the model it was rejected. */
  readonly confirmed?: boolean | undefined;
  readonly note?: string | undefined;
  /** The result of an externally executed tool. */
  readonly result?: string | undefined;
}

/** A decision on one workflow step requirement (`step_requirements`). */
export interface StepDecision {
  readonly stepId?: string | undefined;
  readonly stepIndex?: number | undefined;
  readonly confirmed?: boolean | undefined;
  readonly note?: string | undefined;
  /** Decisions on the executor's paused tools (an agent or team step). */
  readonly executorDecisions?: readonly ToolDecision[] | undefined;
}

/**
 * Input of `continue`: resume a PAUSED run with human decisions. A run that waits on a pending
 * `required` approval is refused (`ERR_RUN_APPROVAL_PENDING`) whoever continues it (contract.md
 * §8.4: no bypass); resolved approvals count as decisions, a rejection winning over the caller's.
 */
export interface ContinueRunInput {
  readonly kind: EntityKind;
  readonly id: string;
  readonly runId: string;
  readonly sessionId: string;
  readonly toolDecisions?: readonly ToolDecision[] | undefined;
  readonly stepDecisions?: readonly StepDecision[] | undefined;
  readonly background?: boolean | undefined;
}

/** A run in progress (or finished), as `start` and `continue` answer it. */
export interface RunHandle {
  readonly runId: string;
  readonly sessionId: string;
  readonly kind: EntityKind;
  /** The status when the handle was made (PENDING for background runs, else RUNNING). */
  readonly initialStatus: RunStatus;
  /**
   * The events of this segment from its first one, then live ones, until the run ends or pauses.
   * @param options `withIndex` adds `event_index` (background runs); `cancelOnClose` cancels the
   *   run when the consumer stops early (inline streams: a client disconnect cancels the run)
   */
  events(options?: { withIndex?: boolean; cancelOnClose?: boolean }): RunEventStream;
  /** Resolves once the segment has ended and everything is persisted, with the run output. */
  readonly done: Promise<RunOnceResult>;
  /** Asks the run to stop at its next cancellation check. */
  cancel(reason?: string): void;
}

/** Input of `resume`: reconnect to the event stream of a run after `lastEventIndex`. */
export interface ResumeRunInput {
  readonly runId: string;
  /** The 0-based index of the last event received; omit for every event. */
  readonly lastEventIndex?: number | undefined;
  readonly kind: EntityKind;
  /** Poll interval when another instance owns the run (ms, default 250). */
  readonly pollIntervalMs?: number | undefined;
}

/**
 * What the rest of the server needs from the run engine. `runOnce` and `close` are all that evals
 * and the scheduler use; the run handlers also need the optional members, which the engine made
 * by `createRunRuntime` always has (`RunEngine`). They are optional so that test doubles that only
 * run things once stay valid.
 */
export interface RunRuntime {
  /** Runs an entity to completion (or pause) without streaming; persists like any run. */
  runOnce(input: RunOnceInput): Promise<RunOnceResult>;
  /** Cancels background work and waits for in-flight persistence. */
  close(): Promise<void>;
  /**
   * Starts a run: creates the session if missing and the run row, then executes in-process.
   * @throws {RunRuntimeError} `ERR_RUN_ENTITY_NOT_FOUND`, `ERR_RUN_SESSION_NOT_FOUND`,
   *   `ERR_RUN_SESSION_MISMATCH`, `ERR_RUN_CLOSED`
   */
  start?(input: StartRunInput): Promise<RunHandle>;
  /**
   * Continues a PAUSED run with the decisions given (and any resolved approval).
   * @throws {RunRuntimeError} `ERR_RUN_NOT_FOUND`, `ERR_RUN_APPROVAL_PENDING`,
   *   `ERR_RUN_NOT_CONTINUABLE`, `ERR_RUN_REQUIREMENTS_UNRESOLVED`
   */
  continue?(input: ContinueRunInput): Promise<RunHandle>;
  /**
   * Stores a cancel intent (even for unknown runs) and stops the run if this instance runs it.
   * A PAUSED run becomes CANCELLED at once.
   */
  cancel?(runId: string, options?: { sessionId?: string | null; requestedBy?: string | null }): Promise<void>;
  /**
   * The resume stream: meta frames (`catch_up`, `subscribed`, `replay`, `error`) and the events
   * after `lastEventIndex`, then live events while the run is active (polling the database when
   * another instance runs it). Each run event frame carries `event_index` and `run_id`.
   */
  resume?(input: ResumeRunInput): RunEventStream;
}

/** The full engine, as `createRunRuntime` makes it. */
export interface RunEngine extends RunRuntime {
  start(input: StartRunInput): Promise<RunHandle>;
  continue(input: ContinueRunInput): Promise<RunHandle>;
  cancel(runId: string, options?: { sessionId?: string | null; requestedBy?: string | null }): Promise<void>;
  resume(input: ResumeRunInput): RunEventStream;
}

/** True when a runtime has the members the run handlers need. */
export function isRunEngine(runtime: RunRuntime): runtime is RunEngine {
  return (
    typeof runtime.start === 'function' &&
    typeof runtime.continue === 'function' &&
    typeof runtime.cancel === 'function' &&
    typeof runtime.resume === 'function'
  );
}
