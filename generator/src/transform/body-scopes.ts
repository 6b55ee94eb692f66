/**
 * @module `x-body-scopes` (docs/contract.md "Scopes bound to the request body"): required scopes
 * whose `{body.field}` names a top-level field of the JSON request body, e.g.
 * `agents:{body.agent_id}:run` on `POST /eval-runs`. Each applies when its field is present and not
 * null; all that apply are required (AND). The template is a `resource:{param}:action` requirement
 * of `@agentos/core` whose parameter is `body.<field>`.
 */
import { compileRequirement } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import type { TransformContext } from './reference.js';

/** `body.<field>`: a top-level body field, named like a JSON property an identifier can hold. */
export const BODY_PARAM = /^body\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Reads `x-body-scopes` of one Operation Object.
 * @param at JSON Pointer of the Operation Object
 * @param hasRequestBody whether the operation declares a request body
 * @returns the templates in document order, or `undefined` when absent
 * @throws {GenerationError} `ERR_GEN_BODY_SCOPES` when not a non-empty array of
 *   `resource:{body.field}:action` templates, or when the operation has no request body
 */
export function transformBodyScopes(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
  hasRequestBody: boolean,
): string[] | undefined {
  const value = operation['x-body-scopes'];
  if (value === undefined) return undefined;
  const here = `${at}/x-body-scopes`;
  const fail = (pointer: string, message: string): never => {
    throw new GenerationError('ERR_GEN_BODY_SCOPES', { file: ctx.file, pointer, message });
  };
  if (!Array.isArray(value) || value.length === 0) {
    return fail(
      here,
      `"x-body-scopes" must be a non-empty array of templates like "agents:{body.agent_id}:run", got ${JSON.stringify(value)}`,
    );
  }
  if (!hasRequestBody)
    return fail(here, '"x-body-scopes" names body fields, but the operation has no requestBody');
  return value.map((template, i) => {
    const item = `${here}/${i}`;
    if (typeof template !== 'string')
      return fail(item, `template must be a string, got ${JSON.stringify(template)}`);
    let req: ReturnType<typeof compileRequirement> | undefined;
    try {
      req = compileRequirement(template);
    } catch {
      req = undefined;
    }
    if (req?.kind !== 'param' || !BODY_PARAM.test(req.param)) {
      return fail(
        item,
        `"${template}" is not a body-scope template: expected "resource:{body.field}:action", e.g. "agents:{body.agent_id}:run"`,
      );
    }
    return template;
  });
}
