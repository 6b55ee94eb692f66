/**
 * @module Deterministic JSON: keys in a fixed order, two-space indent, trailing newline.
 */

/** Serialises `value` with object keys sorted (arrays keep their order). */
export function stableStringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(sortKeys(value), null, indent)}\n`;
}

/** A deep copy of `value` with object keys sorted by code unit. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Serialises keeping the insertion order of keys (for formats where order is meaning). */
export function orderedStringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(value, null, indent)}\n`;
}
