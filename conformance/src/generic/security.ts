/**
 * @module generic/security — the suite's own reading of standard OpenAPI `security` (independent of
 * the generator and of core, on purpose: the oracle must not share a bug with what it tests).
 *
 * OpenAPI 3.1 §4.8.10.1 / 3.0 §4.7.10: the operation's `security` replaces the root one, `[]`
 * removes it. §4.8.30: the listed objects are alternatives (OR), the schemes in one object are all
 * required (AND). Only oauth2, openIdConnect and http bearer schemes are met by a bearer JWT, so an
 * alternative of other schemes alone (an API key) is noted, not probed.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What one operation asks of a bearer token. */
export type TokenRequirement =
  /** No token needed (`security: []`, an empty alternative `{}`, or no security anywhere). */
  | { kind: 'public' }
  /** A token with every scope of at least one set (a set may be empty: any valid token). */
  | { kind: 'scopes'; anyOf: string[][] }
  /** Only credentials the suite cannot mint (API keys, basic auth, mutual TLS). */
  | { kind: 'other'; schemes: string[] };

function bearerLike(scheme: unknown): boolean {
  if (!isObj(scheme)) return false;
  if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') return true;
  return scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer';
}

/** Reads the requirement of the operation at `paths[path][method]`. */
export function tokenRequirement(document: Obj, operation: Obj): TokenRequirement {
  const list = operation.security !== undefined ? operation.security : document.security;
  if (!Array.isArray(list) || list.length === 0) return { kind: 'public' };
  const components = isObj(document.components) ? document.components : {};
  const schemes = isObj(components.securitySchemes) ? components.securitySchemes : {};
  const sets: string[][] = [];
  const others = new Set<string>();
  for (const requirement of list) {
    if (!isObj(requirement)) continue;
    const names = Object.keys(requirement);
    if (names.length === 0) return { kind: 'public' };
    if (!names.some((n) => bearerLike(schemes[n]))) {
      for (const n of names) others.add(n);
      continue;
    }
    const set = new Set<string>();
    for (const n of names) {
      const scopes = requirement[n];
      if (Array.isArray(scopes)) for (const s of scopes) if (typeof s === 'string') set.add(s);
    }
    sets.push([...set].sort());
  }
  if (sets.length === 0) return { kind: 'other', schemes: [...others] };
  const unique = [...new Map(sets.map((s) => [s.join(' '), s])).values()];
  return { kind: 'scopes', anyOf: unique };
}

/** Whether holding `scopes` meets one of the sets (exact comparison). */
export function meets(anyOf: readonly (readonly string[])[], scopes: readonly string[]): boolean {
  const held = new Set(scopes);
  return anyOf.some((set) => set.every((s) => held.has(s)));
}
