/**
 * @module `x-required-scopes` (design.md "The contract vocabulary"): the scopes an operation
 * requires, all of them; `[]` means public. `resource:{param}:action` names a path parameter.
 */
import { compileRequirement } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import type { TransformContext } from './reference.js';

/**
 * Reads and checks `x-required-scopes` of one Operation Object.
 * @param at JSON Pointer of the Operation Object
 * @param pathParams the `{name}` expressions of the path template
 * @param adminScopes scopes that mean "admin" in this document
 * @throws {GenerationError} `ERR_GEN_REQUIRED_SCOPES` when the value is absent or malformed
 */
export function transformRequiredScopes(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
  pathParams: readonly string[],
  adminScopes: readonly string[],
): string[] {
  const value = operation['x-required-scopes'];
  const fail = (pointer: string, message: string): never => {
    throw new GenerationError('ERR_GEN_REQUIRED_SCOPES', { file: ctx.file, pointer, message });
  };
  if (value === undefined) {
    return fail(
      at,
      'operation has no "x-required-scopes"; every operation needs one ([] for a public operation), see `agentos-spec lint`',
    );
  }
  if (!Array.isArray(value)) {
    return fail(
      `${at}/x-required-scopes`,
      `"x-required-scopes" must be an array of scope strings, got ${JSON.stringify(value)}`,
    );
  }
  return value.map((scope, i) => {
    const here = `${at}/x-required-scopes/${i}`;
    if (typeof scope !== 'string') return fail(here, `scope must be a string, got ${JSON.stringify(scope)}`);
    if (adminScopes.includes(scope)) return scope;
    let req: ReturnType<typeof compileRequirement>;
    try {
      req = compileRequirement(scope);
    } catch (e) {
      return fail(here, (e as Error).message);
    }
    if (req.kind === 'param' && !pathParams.includes(req.param)) {
      return fail(
        here,
        `scope "${scope}" names the path parameter "${req.param}", but the path has ${
          pathParams.length ? pathParams.map((p) => `"${p}"`).join(', ') : 'no parameters'
        }`,
      );
    }
    return scope;
  });
}
