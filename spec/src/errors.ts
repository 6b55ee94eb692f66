/** @module Errors thrown by the spec package: one class, with a stable `code`. */

export type SpecErrorCode =
  /** A file could not be read. */
  | 'ERR_SPEC_READ'
  /** A file is not valid YAML/JSON, or not an object. */
  | 'ERR_SPEC_PARSE'
  /** A source fragment has a top-level key other than `paths` and `components`. */
  | 'ERR_SPEC_FRAGMENT_INVALID'
  /** Two source files define the same path or component. */
  | 'ERR_SPEC_DUPLICATE_KEY';

export class SpecError extends Error {
  override name = 'SpecError';
  readonly code: SpecErrorCode;
  /** The file the error is about. */
  readonly file: string | undefined;

  constructor(code: SpecErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }
}
