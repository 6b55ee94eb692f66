/**
 * @module Errors of the generator: one class with a stable `code`, the spec file and a JSON Pointer.
 */

/** Stable error codes (`Known | (string & {})` is not needed: the set is closed). */
export type GenerationErrorCode =
  | 'ERR_GEN_SPEC_READ'
  | 'ERR_GEN_SPEC_PARSE'
  | 'ERR_GEN_SPEC_VERSION'
  | 'ERR_GEN_REF'
  | 'ERR_GEN_OPERATION_ID'
  | 'ERR_GEN_REQUIRED_SCOPES'
  | 'ERR_GEN_SECURITY'
  | 'ERR_GEN_SCOPE_FILTER'
  | 'ERR_GEN_USER_OWNED'
  | 'ERR_GEN_BODY_SCOPES'
  | 'ERR_GEN_SCOPE_TARGET'
  | 'ERR_GEN_CONTAINS'
  | 'ERR_GEN_APPROVAL_GATE'
  | 'ERR_GEN_NESTED_FILTERS'
  | 'ERR_GEN_AGENTOS_FEATURE'
  | 'ERR_GEN_AGENTOS_VERSION'
  | 'ERR_GEN_DUPLICATE_ROUTE'
  | 'ERR_GEN_TARGET'
  | 'ERR_GEN_TYPES';

/**
 * A document the generator cannot turn into artefacts. The message names the file and the JSON
 * Pointer of the faulty value: `spec/agentos.openapi.yaml#/paths/~1agents/get: ...`.
 */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  readonly code: GenerationErrorCode;
  /** The spec file (or `specName` for in-memory documents). */
  readonly file: string;
  /** JSON Pointer of the faulty value; `''` for the whole document. */
  readonly pointer: string;

  constructor(
    code: GenerationErrorCode,
    details: { file: string; pointer?: string; message: string },
    options?: { cause?: unknown },
  ) {
    super(`${details.file}${details.pointer ? `#${details.pointer}` : ''}: ${details.message}`, options);
    this.code = code;
    this.file = details.file;
    this.pointer = details.pointer ?? '';
  }
}
