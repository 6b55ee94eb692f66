/**
 * @module `x-scope-target` (docs/contract.md "Scheduled targets"): the request names an operation
 * the server will call later on the caller's behalf (a schedule's `method` + `endpoint`); the
 * caller must satisfy that operation's requirement now.
 */
import type { ScopeTarget } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, type TransformContext } from './reference.js';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYS = ['endpoint', 'method', 'source', 'param'];

/**
 * Reads `x-scope-target: {endpoint, method, source: body|stored, param?}` of one Operation Object.
 * @param pathParams the `{name}` expressions of the path template
 * @throws {GenerationError} `ERR_GEN_SCOPE_TARGET` on a malformed value, an unknown key, a `stored`
 *   target without a path parameter `param`, or a `body` target with one
 */
export function transformScopeTarget(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
  pathParams: readonly string[],
): ScopeTarget | undefined {
  const value = operation['x-scope-target'];
  if (value === undefined) return undefined;
  const here = `${at}/x-scope-target`;
  const fail = (pointer: string, message: string): never => {
    throw new GenerationError('ERR_GEN_SCOPE_TARGET', { file: ctx.file, pointer, message });
  };
  if (!isObject(value)) {
    return fail(
      here,
      '"x-scope-target" must be an object { endpoint, method, source: body | stored, param? }',
    );
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) fail(`${here}/${key}`, `unknown key "${key}"; allowed: ${KEYS.join(', ')}`);
  }
  for (const key of ['endpoint', 'method'] as const) {
    const v = value[key];
    if (typeof v !== 'string' || !FIELD.test(v)) {
      fail(`${here}/${key}`, `"x-scope-target.${key}" must name a body field, got ${JSON.stringify(v)}`);
    }
  }
  const { source, param } = value;
  if (source !== 'body' && source !== 'stored') {
    return fail(
      `${here}/source`,
      `"x-scope-target.source" must be "body" or "stored", got ${JSON.stringify(source)}`,
    );
  }
  if (source === 'stored') {
    if (typeof param !== 'string' || !pathParams.includes(param)) {
      return fail(
        `${here}/param`,
        `a stored target needs "param", the path parameter naming the stored object; got ${JSON.stringify(param)}, the path has ${
          pathParams.length ? pathParams.map((p) => `"${p}"`).join(', ') : 'no parameters'
        }`,
      );
    }
    return { endpoint: value.endpoint as string, method: value.method as string, source, param };
  }
  if (param !== undefined) return fail(`${here}/param`, '"param" applies to `source: stored` only');
  return { endpoint: value.endpoint as string, method: value.method as string, source };
}
