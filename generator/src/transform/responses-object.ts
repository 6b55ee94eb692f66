/**
 * @module Responses Object and Response Object (OpenAPI 3.1 §4.8.16–17).
 */
import { compareStrings } from '../lib/sort.js';
import type { ResponseModel } from '../model.js';
import { transformContent } from './media-type-object.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

/** `200` < `201` < `2XX` < `404` < `4XX` < `default`. */
export function compareStatus(a: string, b: string): number {
  const rank = (s: string) => (s === 'default' ? 1000 : Number(s.replace(/xx$/i, '99')));
  return rank(a) - rank(b) || compareStrings(a, b);
}

export function transformResponsesObject(ctx: TransformContext, raw: unknown, at: string): ResponseModel[] {
  if (!isObject(raw)) return [];
  const out: ResponseModel[] = [];
  for (const [status, entry] of Object.entries(raw)) {
    if (status.startsWith('x-')) continue;
    if (!/^([1-5]\d\d|[1-5]XX|default)$/i.test(status)) continue;
    const { value, pointer } = resolveReference(ctx, entry, `${at}/${status}`);
    if (!isObject(value)) continue;
    out.push({
      // Kept as written: openapi-typescript keys `responses` by the same string.
      status,
      description: typeof value.description === 'string' ? value.description : '',
      content: transformContent(ctx, value.content, pointer),
      pointer,
    });
  }
  return out.sort((a, b) => compareStatus(a.status, b.status));
}
