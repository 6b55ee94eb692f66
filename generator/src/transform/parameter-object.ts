/**
 * @module Parameter Object (OpenAPI 3.1 §4.8.12): name, location, requiredness and primitive type.
 */
import type { ParameterModel } from '../model.js';
import { isObject, resolveReference, type TransformContext } from './reference.js';

const LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);
const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);

/** The one non-null JSON Schema type of a schema, or `unknown`. */
export function primitiveType(ctx: TransformContext, schema: unknown, at: string): ParameterModel['type'] {
  const { value } = resolveReference(ctx, schema, at);
  if (!isObject(value)) return 'unknown';
  const raw = value.type;
  const types = (Array.isArray(raw) ? raw : [raw]).filter((t) => t !== 'null');
  if (types.length === 1 && typeof types[0] === 'string' && TYPES.has(types[0])) {
    return types[0] as ParameterModel['type'];
  }
  return 'unknown';
}

/** Transforms one parameter; `undefined` for entries that are not parameters (the lint reports them). */
export function transformParameterObject(
  ctx: TransformContext,
  raw: unknown,
  at: string,
): ParameterModel | undefined {
  const { value, pointer } = resolveReference(ctx, raw, at);
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.in !== 'string') return undefined;
  if (!LOCATIONS.has(value.in)) return undefined;
  return {
    name: value.name,
    in: value.in as ParameterModel['in'],
    // OpenAPI 3.1 §4.8.12.2: path parameters are always required.
    required: value.in === 'path' || value.required === true,
    type: value.schema === undefined ? 'unknown' : primitiveType(ctx, value.schema, `${pointer}/schema`),
    pointer,
  };
}
