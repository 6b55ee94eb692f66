/**
 * @module A sample value for a JSON Schema, for mocks of operations the document gives no example for.
 * Prefers what the schema itself says (`examples`, `example`, `const`, `default`, `enum`).
 */
import { isObject, resolveReference, type TransformContext } from '../transform/reference.js';

const MAX_DEPTH = 4;

function sampleString(format: unknown): string {
  switch (format) {
    case 'date-time':
      return '2026-01-01T00:00:00Z';
    case 'date':
      return '2026-01-01';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    default:
      return 'string';
  }
}

/**
 * A value that fits `schema` as far as a simple walk can tell.
 * @param at JSON Pointer of the schema (for reference resolution)
 */
export function sampleFromSchema(
  ctx: TransformContext,
  schema: unknown,
  at: string,
  depth = 0,
  seen: ReadonlySet<string> = new Set(),
): unknown {
  let resolved: { value: unknown; pointer: string };
  try {
    resolved = resolveReference(ctx, schema, at);
  } catch {
    return null;
  }
  if (seen.has(resolved.pointer) && resolved.pointer !== at) return null;
  const inner = new Set(seen).add(resolved.pointer);
  const s = resolved.value;
  if (!isObject(s)) return null;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('example' in s) return s.example;
  if ('const' in s) return s.const;
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const here = resolved.pointer;
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((p, i) => sampleFromSchema(ctx, p, `${here}/allOf/${i}`, depth, inner));
    return parts.every(isObject) ? Object.assign({}, ...parts) : (parts[0] ?? null);
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = s[key];
    if (Array.isArray(list) && list.length > 0) {
      const i = list.findIndex((p) => !(isObject(p) && p.type === 'null'));
      return sampleFromSchema(ctx, list[Math.max(i, 0)], `${here}/${key}/${Math.max(i, 0)}`, depth, inner);
    }
  }
  const types = Array.isArray(s.type) ? s.type.filter((t) => t !== 'null') : [s.type];
  const type = types[0] ?? (isObject(s.properties) ? 'object' : s.items !== undefined ? 'array' : undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth < MAX_DEPTH && isObject(s.properties)) {
        for (const [name, prop] of Object.entries(s.properties)) {
          out[name] = sampleFromSchema(ctx, prop, `${here}/properties/${name}`, depth + 1, inner);
        }
      }
      return out;
    }
    case 'array':
      return depth < MAX_DEPTH && s.items !== undefined
        ? [sampleFromSchema(ctx, s.items, `${here}/items`, depth + 1, inner)]
        : [];
    case 'string':
      return sampleString(s.format);
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
