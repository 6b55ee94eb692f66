/**
 * @module `x-user-owned` (design.md "The contract vocabulary"): the operation reads or writes
 * per-user rows, so user isolation applies to it.
 */
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import type { TransformContext } from './reference.js';

/**
 * Reads `x-user-owned` of one Operation Object; absent means `false`.
 * @throws {GenerationError} `ERR_GEN_USER_OWNED` when present and not a boolean
 */
export function transformUserOwned(operation: JsonObject, ctx: TransformContext, at: string): boolean {
  const value = operation['x-user-owned'];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new GenerationError('ERR_GEN_USER_OWNED', {
      file: ctx.file,
      pointer: `${at}/x-user-owned`,
      message: `"x-user-owned" must be true or false, got ${JSON.stringify(value)}`,
    });
  }
  return value;
}
