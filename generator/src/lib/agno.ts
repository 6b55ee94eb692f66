/**
 * @module The route→scope table in the Python AgentOS `scope_mappings` format
 * (`"METHOD /path/*": [scopes]`, agno `os/scopes.py`).
 *
 * Python looks a request up by its exact `"METHOD /path"` key first, then tries the keys in dict
 * order with `fnmatch` (where `*` also matches `/`) after turning `{param}` into `*`; the first
 * match wins. Keys are therefore written most specific first (`compareSpecificity`): a pattern
 * with more segments can only match paths with at least as many, and among patterns of the same
 * length every `*` stays inside one segment, so listing literals before parameters reaches the
 * same operation as the `@agentos/core` trie.
 *
 * Per-resource templates become global scopes (`agents:{agent_id}:run` → `agents:run`): the
 * format has no parameter binding, and Python derives the id from the path itself for
 * `/agents`, `/teams` and `/workflows`.
 */
import { compareMethods, compareSpecificity } from './sort.js';

/** `resource:{param}:action` and `resource:*:action` → `resource:action`; everything else unchanged. */
export function toAgnoScope(scope: string): string {
  const m = /^([^:]+):(?:\{[^}]+\}|\*):([^:]+)$/.exec(scope);
  return m ? `${m[1]}:${m[2]}` : scope;
}

/** A path template as an fnmatch pattern: `{param}` → `*`, fnmatch metacharacters escaped. */
export function toAgnoPattern(path: string): string {
  return path
    .split(/(\{[^{}]+\})/)
    .map((part) =>
      part.startsWith('{') && part.endsWith('}') ? '*' : part.replace(/[[*?]/g, (c) => `[${c}]`),
    )
    .join('');
}

export interface AgnoRoute {
  readonly method: string;
  readonly path: string;
  readonly scopes: readonly string[];
}

/** The mapping object, keys in first-match-wins order. */
export function agnoScopeMappings(routes: readonly AgnoRoute[]): Record<string, string[]> {
  const sorted = [...routes].sort(
    (a, b) => compareSpecificity(a.path, b.path) || compareMethods(a.method, b.method),
  );
  const out: Record<string, string[]> = {};
  for (const r of sorted) {
    out[`${r.method} ${toAgnoPattern(r.path)}`] = [...new Set(r.scopes.map(toAgnoScope))];
  }
  return out;
}
