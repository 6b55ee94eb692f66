/**
 * @module Request Body Object (OpenAPI 3.1 §4.8.13).
 */
import type { RequestBodyModel } from '../model.js';
import { transformContent } from './media-type-object.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

export function transformRequestBodyObject(
  ctx: TransformContext,
  raw: unknown,
  at: string,
): RequestBodyModel | undefined {
  if (raw === undefined) return undefined;
  const { value, pointer } = resolveReference(ctx, raw, at);
  if (!isObject(value)) return undefined;
  return { required: value.required === true, content: transformContent(ctx, value.content, pointer) };
}
