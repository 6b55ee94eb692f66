/**
 * @module The Python AgentOS route+scope decision, reproduced in TypeScript for the benchmark:
 * `agno/os/scopes.py` (agno 2.9.0, mirror HEAD 9644f229) `check_route_scopes` →
 * `get_required_scopes_for_route` (exact key, then a linear `fnmatch` scan over every
 * `"METHOD /pattern"` key in dict order, first match wins) → `get_resource_context_from_path` →
 * `has_required_scopes` (caller scopes parsed on every call) → the list fallback with
 * `get_accessible_resource_ids`.
 *
 * Faithful in cost as well as in result: the same per-pattern work (split on the first space,
 * `{param}` rewrite when present, `fnmatch`), `fnmatch.translate`'s regular expression (atomic
 * groups emulated with `(?=(…))\1`) compiled once per pattern and cached as `functools.lru_cache`
 * does in CPython, and the same per-call scope parsing. Only the interpreter differs.
 */

/** A caller scope as `parse_scope` reads it. */
interface PyParsedScope {
  readonly scopeType: 'admin' | 'global' | 'per_resource' | 'unknown';
  readonly resource: string | null;
  readonly resourceId: string | null;
  readonly action: string | null;
  readonly isWildcardResource: boolean;
}

const DEFAULT_ADMIN = 'agent_os:admin';
const LEGACY_RESOURCE_ALIASES: Readonly<Record<string, string>> = { system: 'config' };
const alias = (r: string): string => LEGACY_RESOURCE_ALIASES[r] ?? r;

/** `parse_scope(scope, admin_scope)`. */
export function parseScopePy(scope: string, adminScope: string | null = null): PyParsedScope {
  if (scope === (adminScope || DEFAULT_ADMIN)) {
    return { scopeType: 'admin', resource: null, resourceId: null, action: null, isWildcardResource: false };
  }
  const parts = scope.split(':');
  if (parts.length === 2) {
    return {
      scopeType: 'global',
      resource: alias(parts[0]!),
      resourceId: null,
      action: parts[1]!,
      isWildcardResource: false,
    };
  }
  if (parts.length === 3) {
    return {
      scopeType: 'per_resource',
      resource: alias(parts[0]!),
      resourceId: parts[1]!,
      action: parts[2]!,
      isWildcardResource: parts[1] === '*',
    };
  }
  return { scopeType: 'unknown', resource: null, resourceId: null, action: null, isWildcardResource: false };
}

/** `matches_scope(user_scope, required_scope, resource_id)`. */
function matchesScope(user: PyParsedScope, required: PyParsedScope, resourceId: string | null): boolean {
  if (user.scopeType === 'admin') return true;
  if (user.scopeType === 'unknown' || required.scopeType === 'unknown') return false;
  if (user.resource !== required.resource) return false;
  if (user.action !== required.action) return false;
  if (required.resourceId) {
    if (user.isWildcardResource) return true;
    if (!user.resourceId) return true;
    return user.resourceId === resourceId;
  }
  return !user.resourceId || user.isWildcardResource;
}

/** `has_required_scopes(user_scopes, required_scopes, resource_type, resource_id, admin_scope)`. */
export function hasRequiredScopesPy(
  userScopes: readonly string[],
  requiredScopes: readonly string[],
  resourceType: string | null,
  resourceId: string | null,
  adminScope: string | null = null,
): boolean {
  if (requiredScopes.length === 0) return true;
  const parsed = userScopes.map((s) => parseScopePy(s, adminScope));
  if (parsed.some((s) => s.scopeType === 'admin')) return true;
  for (const requiredStr of requiredScopes) {
    const parts = requiredStr.split(':');
    let required: PyParsedScope;
    if (parts.length === 2) {
      const full = resourceId && resourceType ? `${resourceType}:<resource-id>:${parts[1]}` : requiredStr;
      required = parseScopePy(full, adminScope);
    } else {
      required = parseScopePy(requiredStr, adminScope);
    }
    let matched = false;
    for (const u of parsed) {
      if (matchesScope(u, required, resourceId)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

/** `get_accessible_resource_ids(user_scopes, resource_type, admin_scope, action)`. */
export function accessibleResourceIdsPy(
  userScopes: readonly string[],
  resourceType: string,
  adminScope: string | null,
  action: string | null,
): Set<string> {
  const allowed = action ? [action] : ['read', 'run'];
  const parsed = userScopes.map((s) => parseScopePy(s, adminScope));
  for (const s of parsed) {
    if (s.scopeType === 'admin') return new Set(['*']);
    if (s.resource === resourceType) {
      if (!s.resourceId && s.action !== null && allowed.includes(s.action)) return new Set(['*']);
      if (s.isWildcardResource && s.action !== null && allowed.includes(s.action)) return new Set(['*']);
    }
  }
  const ids = new Set<string>();
  for (const s of parsed) {
    if (
      s.resource === resourceType &&
      s.resourceId &&
      !s.isWildcardResource &&
      s.action !== null &&
      allowed.includes(s.action)
    ) {
      ids.add(s.resourceId);
    }
  }
  return ids;
}

// ------------------------------------------------------------------------------------- fnmatch

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;
const escapeRe = (c: string) => c.replace(REGEX_SPECIAL, '\\$&');
const STAR = Symbol('star');

/**
 * `fnmatch.translate` (CPython 3.11) to a JavaScript RegExp source. `*` → `.*` (also across `/`),
 * `?` → `.`, `[seq]` / `[!seq]` character classes, everything else literal; interior
 * `STAR fixed` pairs become atomic `(?>.*?fixed)`, emulated as `(?=(.*?fixed))\N`.
 */
export function fnmatchTranslate(pat: string): string {
  const res: (string | typeof STAR)[] = [];
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i]!;
    i++;
    if (c === '*') {
      if (res.length === 0 || res[res.length - 1] !== STAR) res.push(STAR);
    } else if (c === '?') {
      res.push('.');
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        res.push('\\[');
      } else {
        let stuff = pat.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (stuff.length === 0) res.push('(?!)');
        else if (stuff === '!') res.push('.');
        else {
          if (stuff[0] === '!') stuff = `^${stuff.slice(1)}`;
          else if (stuff[0] === '^' || stuff[0] === '[') stuff = `\\${stuff}`;
          res.push(`[${stuff}]`);
        }
      }
    } else {
      res.push(escapeRe(c));
    }
  }
  const out: string[] = [];
  let k = 0;
  let group = 0;
  while (k < res.length && res[k] !== STAR) out.push(res[k++] as string);
  while (k < res.length) {
    k++; // the STAR
    if (k === res.length) {
      out.push('.*');
      break;
    }
    let fixed = '';
    while (k < res.length && res[k] !== STAR) fixed += res[k++] as string;
    if (k === res.length) {
      out.push('.*', fixed);
    } else {
      group++;
      out.push(`(?=(.*?${fixed}))\\${group}`);
    }
  }
  return `^(?:${out.join('')})$`;
}

/** `functools.lru_cache(maxsize=32768)` around `re.compile(translate(pat)).match`. */
const compiled = new Map<string, RegExp>();
function compilePattern(pat: string): RegExp {
  let re = compiled.get(pat);
  if (!re) {
    re = new RegExp(fnmatchTranslate(pat), 's');
    if (compiled.size >= 32768) compiled.clear();
    compiled.set(pat, re);
  }
  return re;
}

/** `fnmatch.fnmatch(name, pat)` on POSIX (`os.path.normcase` is the identity). */
export function fnmatch(name: string, pat: string): boolean {
  return compilePattern(pat).test(name);
}

// ------------------------------------------------------------------------------ route lookup

/** Scope mappings in dict (insertion) order, as Python iterates them. */
export type PyScopeMappings = Readonly<Record<string, readonly string[]>>;

const PARAM = /\{[^}]+\}/g;

/**
 * `get_required_scopes_for_route`: exact key, then every pattern in order, first match wins.
 * Unmapped routes answer `[]` (allowed).
 */
export function requiredScopesForRoutePy(
  mappings: PyScopeMappings,
  entries: readonly (readonly [string, readonly string[]])[],
  method: string,
  path: string,
): readonly string[] {
  const routeKey = `${method} ${path}`;
  const exact = mappings[routeKey];
  if (exact !== undefined) return exact;
  for (const [pattern, scopes] of entries) {
    const space = pattern.indexOf(' ');
    const patternMethod = pattern.slice(0, space);
    const patternPath = pattern.slice(space + 1);
    if (patternMethod !== method) continue;
    let normalized = patternPath;
    if (normalized.includes('{')) normalized = normalized.replace(PARAM, '*');
    if (fnmatch(path, normalized)) return scopes;
  }
  return [];
}

const TYPE_RE = /^\/(?:a2a\/)?(agents|teams|workflows)(?:\/|$)/;
const ID_RE: Readonly<Record<string, RegExp>> = {
  agents: /^\/(?:a2a\/)?agents\/([^/]+)/,
  teams: /^\/(?:a2a\/)?teams\/([^/]+)/,
  workflows: /^\/(?:a2a\/)?workflows\/([^/]+)/,
};

/** `get_resource_context_from_path` (Python compiles `rf"…{resource_type}…"` per call; cached here). */
export function resourceContextFromPathPy(path: string): [string | null, string | null] {
  const t = TYPE_RE.exec(path);
  if (!t) return [null, null];
  const type = t[1]!;
  const id = ID_RE[type]!.exec(path);
  return id ? [type, id[1]!] : [type, null];
}

/** `RouteScopeCheck`. */
export interface PyRouteScopeCheck {
  readonly allowed: boolean;
  readonly requiredScopes: readonly string[];
  readonly accessibleResourceIds: Set<string> | null;
}

/** `check_route_scopes(user_scopes, scope_mappings, method, path, admin_scope)`. */
export function checkRouteScopesPy(
  userScopes: readonly string[],
  mappings: PyScopeMappings,
  entries: readonly (readonly [string, readonly string[]])[],
  method: string,
  path: string,
  adminScope: string | null = null,
): PyRouteScopeCheck {
  const required = requiredScopesForRoutePy(mappings, entries, method, path);
  if (required.length === 0) return { allowed: true, requiredScopes: required, accessibleResourceIds: null };
  const [resourceType, resourceId] = resourceContextFromPathPy(path);
  let allowed = hasRequiredScopesPy(userScopes, required, resourceType, resourceId, adminScope);
  let ids: Set<string> | null = null;
  const first = required[0]!;
  const family = first.includes(':') ? first.split(':', 1)[0] : null;
  if (!allowed && method === 'GET' && !resourceId && resourceType && family === resourceType) {
    const action = first.includes(':') ? first.slice(first.lastIndexOf(':') + 1) : null;
    ids = accessibleResourceIdsPy(userScopes, resourceType, adminScope, action);
    allowed = true;
  }
  return { allowed, requiredScopes: required, accessibleResourceIds: ids };
}

/** Prepares the mappings as Python holds them: the dict and its items in insertion order. */
export function prepareMappings(mappings: PyScopeMappings): {
  mappings: PyScopeMappings;
  entries: (readonly [string, readonly string[]])[];
} {
  return { mappings, entries: Object.entries(mappings) };
}
