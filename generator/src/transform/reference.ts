/**
 * @module Reference Object (OpenAPI 3.1 §4.8.23): following local `$ref`s with their JSON Pointers.
 */
import { GenerationError } from '../errors.js';
import { getByPointer } from '../lib/pointer.js';
import type { JsonObject } from '../model.js';

/** What every transform receives: the bundled document and the file name for messages. */
export interface TransformContext {
  readonly document: JsonObject;
  readonly file: string;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Follows `$ref`s until a value that is not a reference.
 * @param at the JSON Pointer of `value`, for messages
 * @returns the value and the pointer where it actually lives
 * @throws {GenerationError} `ERR_GEN_REF` when a reference does not resolve, loops or is not local
 */
export function resolveReference(
  ctx: TransformContext,
  value: unknown,
  at: string,
): { value: unknown; pointer: string } {
  const seen = new Set<string>();
  let current = value;
  let where = at;
  while (isObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (!ref.startsWith('#')) {
      throw new GenerationError('ERR_GEN_REF', {
        file: ctx.file,
        pointer: `${where}/$ref`,
        message: `reference "${ref}" is not local after bundling; bundle the document first (agentos-spec bundle)`,
      });
    }
    if (seen.has(ref)) {
      throw new GenerationError('ERR_GEN_REF', {
        file: ctx.file,
        pointer: `${where}/$ref`,
        message: `reference "${ref}" loops`,
      });
    }
    seen.add(ref);
    const target = decodeURIComponent(ref.slice(1));
    const next = getByPointer(ctx.document, target);
    if (next === undefined) {
      throw new GenerationError('ERR_GEN_REF', {
        file: ctx.file,
        pointer: `${where}/$ref`,
        message: `reference "${ref}" does not resolve`,
      });
    }
    current = next;
    where = target;
  }
  return { value: current, pointer: where };
}
