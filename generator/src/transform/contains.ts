/**
 * @module `x-contains` (docs/contract.md "Containment"): path objects that must belong to their
 * parent in the path and, with `owned` under user isolation, to the caller; otherwise the answer
 * is the 404 a missing object gets.
 */
import type { Containment } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, type TransformContext } from './reference.js';

const KIND = /^[a-z][a-z0-9_]*$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads `x-contains: [{param, object, parent?: {param, field}, owned?}]` of one Operation Object.
 * @param pathParams the `{name}` expressions of the path template
 * @throws {GenerationError} `ERR_GEN_CONTAINS` on a malformed entry, a `param` that is not a path
 *   parameter, a parameter listed twice, or an entry with neither `parent` nor `owned: true`
 */
export function transformContains(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
  pathParams: readonly string[],
): Containment[] | undefined {
  const value = operation['x-contains'];
  if (value === undefined) return undefined;
  const here = `${at}/x-contains`;
  const fail = (pointer: string, message: string): never => {
    throw new GenerationError('ERR_GEN_CONTAINS', { file: ctx.file, pointer, message });
  };
  const params = pathParams.length ? pathParams.map((p) => `"${p}"`).join(', ') : 'no parameters';
  if (!Array.isArray(value) || value.length === 0) {
    return fail(here, '"x-contains" must be a non-empty array of { param, object, parent?, owned? }');
  }
  const seen = new Set<string>();
  return value.map((entry, i): Containment => {
    const item = `${here}/${i}`;
    if (!isObject(entry)) return fail(item, 'entry must be an object { param, object, parent?, owned? }');
    for (const key of Object.keys(entry)) {
      if (!['param', 'object', 'parent', 'owned'].includes(key))
        fail(`${item}/${key}`, `unknown key "${key}"`);
    }
    const { param, object, parent, owned } = entry;
    if (typeof param !== 'string' || !pathParams.includes(param)) {
      return fail(
        `${item}/param`,
        `"param" must be a path parameter (the path has ${params}), got ${JSON.stringify(param)}`,
      );
    }
    if (seen.has(param)) fail(`${item}/param`, `"${param}" is listed twice`);
    seen.add(param);
    if (typeof object !== 'string' || !KIND.test(object)) {
      fail(
        `${item}/object`,
        `"object" must be an object kind like "run" or "session", got ${JSON.stringify(object)}`,
      );
    }
    if (owned !== undefined && typeof owned !== 'boolean')
      fail(`${item}/owned`, '"owned" must be true or false');
    let parentOut: Containment['parent'];
    if (parent !== undefined) {
      if (!isObject(parent)) return fail(`${item}/parent`, '"parent" must be an object { param, field }');
      if (typeof parent.param !== 'string' || !pathParams.includes(parent.param) || parent.param === param) {
        fail(
          `${item}/parent/param`,
          `"parent.param" must be another path parameter (the path has ${params}), got ${JSON.stringify(parent.param)}`,
        );
      }
      if (typeof parent.field !== 'string' || !FIELD.test(parent.field)) {
        fail(
          `${item}/parent/field`,
          `"parent.field" must name a field of the stored object, got ${JSON.stringify(parent.field)}`,
        );
      }
      parentOut = { param: parent.param as string, field: parent.field as string };
    }
    if (parentOut === undefined && owned !== true) {
      fail(item, `entry for "${param}" has neither "parent" nor "owned: true", so it checks nothing`);
    }
    return {
      param,
      object: object as string,
      ...(parentOut ? { parent: parentOut } : {}),
      ...(owned === true ? { owned: true } : {}),
    };
  });
}
