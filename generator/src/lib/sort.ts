/**
 * @module Locale-independent ordering, so generated output is byte-identical on every machine.
 */

/** Compares by UTF-16 code units (never `localeCompare`, whose order depends on the ICU build). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The entries of an object sorted by key. */
export function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => compareStrings(a, b));
}

/** Order of HTTP methods in output (OpenAPI 3.1 §4.8.9.1 fixed fields order). */
export const METHOD_ORDER = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;

export function compareMethods(a: string, b: string): number {
  return (
    METHOD_ORDER.indexOf(a as (typeof METHOD_ORDER)[number]) -
      METHOD_ORDER.indexOf(b as (typeof METHOD_ORDER)[number]) || compareStrings(a, b)
  );
}

/** Splits a path template into segments; `/` has none. */
export function templateSegments(path: string): string[] {
  return path === '/' ? [] : path.replace(/^\//, '').split('/');
}

/**
 * Orders path templates from most to least specific: more segments first, then segment by
 * segment a literal before a `{param}` (OpenAPI 3.1 §4.8.8.1: concrete paths match before
 * templated ones; `@agentos/core` `compileRoutes` walks literal edges first). First-match-wins
 * matchers that list templates in this order reach the same operation as the core trie.
 */
export function compareSpecificity(a: string, b: string): number {
  const sa = templateSegments(a);
  const sb = templateSegments(b);
  if (sa.length !== sb.length) return sb.length - sa.length;
  for (let i = 0; i < sa.length; i++) {
    const x = sa[i]!;
    const y = sb[i]!;
    const px = x.includes('{');
    const py = y.includes('{');
    if (px !== py) return px ? 1 : -1;
    if (!px && x !== y) return compareStrings(x, y);
  }
  return compareStrings(a, b);
}
