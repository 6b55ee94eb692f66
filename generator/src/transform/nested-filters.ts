/**
 * @module `x-nested-filters` (docs/contract.md "Nested filters"): arrays inside a response whose
 * items are filtered by the caller's per-resource scopes, like an `x-scope-filter` list.
 */
import type { NestedFilter } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, type TransformContext } from './reference.js';

/** A non-empty JSON pointer (RFC 6901); `~` only as `~0` or `~1`. */
export const NESTED_POINTER = /^(\/([^~/]|~[01])*)+$/;

/**
 * Reads `x-nested-filters: [{resource, action, id, at}]` of one Operation Object.
 * Several entries may share a pointer when the array mixes kinds (a team's `members` are agents
 * and teams): each item is checked in the family of its own kind (docs/contract.md §8.5).
 * @throws {GenerationError} `ERR_GEN_NESTED_FILTERS` on a malformed entry or pointer, or two
 *   entries for one pointer and one resource
 */
export function transformNestedFilters(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
): NestedFilter[] | undefined {
  const value = operation['x-nested-filters'];
  if (value === undefined) return undefined;
  const here = `${at}/x-nested-filters`;
  const fail = (pointer: string, message: string): never => {
    throw new GenerationError('ERR_GEN_NESTED_FILTERS', { file: ctx.file, pointer, message });
  };
  if (!Array.isArray(value) || value.length === 0) {
    return fail(here, '"x-nested-filters" must be a non-empty array of { resource, action, id, at }');
  }
  const seen = new Set<string>();
  return value.map((entry, i): NestedFilter => {
    const item = `${here}/${i}`;
    if (!isObject(entry)) return fail(item, 'entry must be an object { resource, action, id, at }');
    for (const key of Object.keys(entry)) {
      if (!['resource', 'action', 'id', 'at'].includes(key)) fail(`${item}/${key}`, `unknown key "${key}"`);
    }
    for (const key of ['resource', 'action', 'id'] as const) {
      const v = entry[key];
      if (typeof v !== 'string' || v.length === 0) {
        fail(`${item}/${key}`, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
      }
    }
    const pointer = entry.at;
    if (typeof pointer !== 'string' || !NESTED_POINTER.test(pointer)) {
      fail(
        `${item}/at`,
        `"at" must be a JSON pointer into the response body like "/members", got ${JSON.stringify(pointer)}`,
      );
    }
    const key = `${entry.resource as string} ${pointer as string}`;
    if (seen.has(key)) fail(`${item}/at`, `"${pointer}" is filtered twice for "${entry.resource as string}"`);
    seen.add(key);
    return {
      resource: entry.resource as string,
      action: entry.action as string,
      id: entry.id as string,
      at: pointer as string,
    };
  });
}
