/**
 * @module `x-approval-gate` (docs/contract.md "The approval gate"): the operation continues the
 * run named by a path parameter, which must not have an unresolved required approval.
 */
import type { ApprovalGate } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import { isObject, type TransformContext } from './reference.js';

/**
 * Reads `x-approval-gate: {param}` of one Operation Object.
 * @param pathParams the `{name}` expressions of the path template
 * @throws {GenerationError} `ERR_GEN_APPROVAL_GATE` when not `{param}` with `param` a path parameter
 */
export function transformApprovalGate(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
  pathParams: readonly string[],
): ApprovalGate | undefined {
  const value = operation['x-approval-gate'];
  if (value === undefined) return undefined;
  const here = `${at}/x-approval-gate`;
  if (!isObject(value) || Object.keys(value).some((k) => k !== 'param')) {
    throw new GenerationError('ERR_GEN_APPROVAL_GATE', {
      file: ctx.file,
      pointer: here,
      message: `"x-approval-gate" must be an object { param }, got ${JSON.stringify(value)}`,
    });
  }
  if (typeof value.param !== 'string' || !pathParams.includes(value.param)) {
    throw new GenerationError('ERR_GEN_APPROVAL_GATE', {
      file: ctx.file,
      pointer: `${here}/param`,
      message: `"x-approval-gate.param" must be the path parameter naming the run (the path has ${
        pathParams.length ? pathParams.map((p) => `"${p}"`).join(', ') : 'no parameters'
      }), got ${JSON.stringify(value.param)}`,
    });
  }
  return { param: value.param };
}
