/**
 * @module Runtime `scopeMappings` overrides (contract.md §4), in the seed's `"METHOD /path": [scopes]` form.
 *
 * `{param}` matches one path segment and binds it; `*` matches any run of characters including
 * `/` (as Python's fnmatch does, so mappings written for the Python AgentOS mean the same here).
 * An exact path beats a pattern; among patterns, the longer literal prefix wins; ties go to the
 * mapping declared first. `[]` makes the route public.
 */
import { splitPath } from './routes.js';
import { compileRequirement, type Requirement } from './scopes.js';
import type { ScopeOptions } from './types.js';

export interface ScopeOverride {
  readonly key: string;
  readonly requirements: readonly Requirement[];
  readonly public: boolean;
  readonly params: Record<string, string>;
}

export interface ScopeOverrides {
  readonly size: number;
  find(method: string, path: string): ScopeOverride | undefined;
}

interface Entry {
  key: string;
  method: string;
  exact?: string;
  regex?: RegExp;
  names: string[];
  prefix: number;
  order: number;
  requirements: Requirement[];
}

const KEY = /^([A-Z]+|\*)\s+(\/\S*)$/;

/**
 * Compiles `scopeMappings`.
 * @throws {TypeError} naming the key when a key or a scope is malformed
 * @example compileScopeMappings({ 'GET /agents': ['custom:list_agents'], 'GET /public/health': [] })
 */
export function compileScopeMappings(
  mappings: Readonly<Record<string, readonly string[]>>,
  options: ScopeOptions = {},
): ScopeOverrides {
  const entries: Entry[] = [];
  let order = 0;
  for (const [key, scopes] of Object.entries(mappings)) {
    const m = KEY.exec(key.trim());
    if (!m) {
      throw new TypeError(
        `scopeMappings key "${key}" must look like "GET /path" ({param} or * as wildcards)`,
      );
    }
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string')) {
      throw new TypeError(`scopeMappings["${key}"] must be an array of scope strings`);
    }
    const [, method, rawPath] = m as unknown as [string, string, string];
    const path = rawPath.length > 1 ? rawPath.replace(/\/$/, '') : rawPath;
    let requirements: Requirement[];
    try {
      requirements = scopes.map((s) => compileRequirement(s, options));
    } catch (e) {
      throw new TypeError(`scopeMappings["${key}"]: ${(e as Error).message}`);
    }
    const entry: Entry = { key, method, names: [], prefix: 0, order: order++, requirements };
    if (!/[*{]/.test(path)) {
      entry.exact = path;
    } else {
      let source = '^';
      const re = /\{([^}/]+)\}|\*|[^*{]+/g;
      let first = true;
      for (const tok of path.match(re) ?? []) {
        if (tok === '*') {
          source += '.*';
          first = false;
        } else if (tok.startsWith('{')) {
          entry.names.push(tok.slice(1, -1));
          source += '([^/]+)';
          first = false;
        } else {
          if (first) entry.prefix += tok.length;
          source += tok.replace(/[.+?^$()|[\]\\]/g, '\\$&');
        }
      }
      entry.regex = new RegExp(`${source}$`);
    }
    entries.push(entry);
  }
  // Specific before general, so `find` can stop at the first hit.
  entries.sort((a, b) => {
    if ((a.exact !== undefined) !== (b.exact !== undefined)) return a.exact !== undefined ? -1 : 1;
    return b.prefix - a.prefix || a.order - b.order;
  });

  return {
    size: entries.length,
    find(method, path) {
      if (entries.length === 0) return undefined;
      const segs = splitPath(path);
      if (!segs) return undefined;
      const normalized = `/${segs.join('/')}`;
      for (const e of entries) {
        if (e.method !== method && e.method !== '*') continue;
        if (e.exact !== undefined) {
          if (e.exact === normalized) {
            return {
              key: e.key,
              requirements: e.requirements,
              public: e.requirements.length === 0,
              params: {},
            };
          }
          continue;
        }
        const m = e.regex!.exec(normalized);
        if (!m) continue;
        const params: Record<string, string> = {};
        e.names.forEach((n, i) => {
          params[n] = m[i + 1]!;
        });
        return { key: e.key, requirements: e.requirements, public: e.requirements.length === 0, params };
      }
      return undefined;
    },
  };
}
