/**
 * @module Path Item Object (OpenAPI 3.1 §4.8.9): its operations, with shared parameters merged in.
 */
import type { HttpMethod } from '@agentos/core';
import { pointer } from '../lib/pointer.js';
import type { OperationModel, ParameterModel } from '../model.js';
import { transformOperationObject } from './operation-object.js';
import { transformParameterObject } from './parameter-object.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

/** The fixed fields of a Path Item Object that hold operations, in the order the specification lists them. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export function transformPathItemObject(
  ctx: TransformContext,
  path: string,
  raw: unknown,
  adminScopes: readonly string[],
): OperationModel[] {
  const { value: item, pointer: at } = resolveReference(ctx, raw, pointer('paths', path));
  if (!isObject(item)) return [];
  const shared: ParameterModel[] = [];
  if (Array.isArray(item.parameters)) {
    item.parameters.forEach((p, i) => {
      const param = transformParameterObject(ctx, p, `${at}/parameters/${i}`);
      if (param) shared.push(param);
    });
  }
  const out: OperationModel[] = [];
  for (const method of HTTP_METHODS) {
    const operation = item[method];
    if (!isObject(operation)) continue;
    out.push(
      transformOperationObject(ctx, {
        path,
        method: method.toUpperCase() as HttpMethod,
        operation,
        pathItemParameters: shared,
        pointer: `${at}/${method}`,
        adminScopes,
      }),
    );
  }
  return out;
}
