/**
 * @module `x-scope-filter` (design.md "The contract vocabulary"): list operations whose items are
 * filtered by the caller's per-resource scopes instead of answering 403.
 */
import type { ScopeFilter } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, type TransformContext } from './reference.js';

/**
 * Reads `x-scope-filter: { resource, action, id }` of one Operation Object.
 * @throws {GenerationError} `ERR_GEN_SCOPE_FILTER` when present but not three non-empty strings
 */
export function transformScopeFilter(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
): ScopeFilter | undefined {
  const value = operation['x-scope-filter'];
  if (value === undefined) return undefined;
  const here = `${at}/x-scope-filter`;
  if (!isObject(value)) {
    throw new GenerationError('ERR_GEN_SCOPE_FILTER', {
      file: ctx.file,
      pointer: here,
      message: '"x-scope-filter" must be an object { resource, action, id }',
    });
  }
  for (const key of ['resource', 'action', 'id'] as const) {
    const v = value[key];
    if (typeof v !== 'string' || v.length === 0) {
      throw new GenerationError('ERR_GEN_SCOPE_FILTER', {
        file: ctx.file,
        pointer: `${here}/${key}`,
        message: `"x-scope-filter.${key}" must be a non-empty string, got ${JSON.stringify(v)}`,
      });
    }
  }
  return { resource: value.resource as string, action: value.action as string, id: value.id as string };
}
