/**
 * @module Domain errors of the run engine: one class, a stable `code` per failure. The run
 * handlers turn them into HTTP answers (`handlers/runs.ts`).
 */

export type RunRuntimeErrorCode =
  /** No agent/team/workflow with that id is configured (404). */
  | 'ERR_RUN_ENTITY_NOT_FOUND'
  /** The run does not exist, or not in that session / for that entity (404 `Run not found`). */
  | 'ERR_RUN_NOT_FOUND'
  /** An existing session belongs to another user (404 `Session not found`). */
  | 'ERR_RUN_SESSION_NOT_FOUND'
  /** An existing session belongs to another agent, team or workflow (400). */
  | 'ERR_RUN_SESSION_MISMATCH'
  /** A pending required approval blocks the continue (403, contract.md §7). */
  | 'ERR_RUN_APPROVAL_PENDING'
  /** The run is not PAUSED (409). */
  | 'ERR_RUN_NOT_CONTINUABLE'
  /** A paused tool or step has no decision (400). */
  | 'ERR_RUN_REQUIREMENTS_UNRESOLVED'
  /** The entity configuration cannot be run (members, steps, tools) (500 at run time). */
  | 'ERR_RUN_ENTITY_INVALID'
  /** The runtime is closed. */
  | 'ERR_RUN_CLOSED';

/** A run engine failure with a stable code and a message fit for a `{detail}` answer. */
export class RunRuntimeError extends Error {
  override readonly name = 'RunRuntimeError';
  readonly code: RunRuntimeErrorCode;
  constructor(code: RunRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Raised inside a run when a cancel intent is seen; ends the run with status CANCELLED. */
export class RunCancelledSignal extends Error {
  override readonly name = 'RunCancelledSignal';
  readonly reason: string;
  constructor(reason = 'Run cancelled by user') {
    super(reason);
    this.reason = reason;
  }
}

/** A model provider failed (HTTP error, bad answer, missing key). */
export class ModelProviderError extends Error {
  override readonly name = 'ModelProviderError';
  readonly status: number | null;
  constructor(message: string, status: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
