/**
 * @module Scope grammar and satisfaction, per contract.md §2: the one grammar of the toolkit (the
 * spec lint, the generator, the server, the SDK and the mocks all parse scopes here).
 *
 * Grammar: the admin scope (exact string), global `resource:action`, per-resource
 * `resource:<id>:action`, wildcard `resource:*:action`; a required scope (`x-required-scopes`,
 * `scopeMappings`) writes the id as `{param}` or `*`. A scope is made of RFC 6749 §3.3 scope-token
 * characters; resource and action names of `A-Z a-z 0-9 _ . -` (case-sensitive: `Files.Read` is
 * a name, `Agents` is not `agents`). Legacy `system` reads as `config`. Anything else grants
 * nothing. Comparison is exact: case-sensitive, no prefixes, no trimming.
 */
import type { ScopeOptions } from './types.js';

export const DEFAULT_ADMIN_SCOPE = 'agent_os:admin';

/** Legacy resource names read as their current name (scopes.py `LEGACY_RESOURCE_ALIASES`). */
const LEGACY_RESOURCES: Readonly<Record<string, string>> = { system: 'config' };

export type ParsedScope =
  | { readonly kind: 'admin' }
  | { readonly kind: 'global'; readonly resource: string; readonly action: string }
  | { readonly kind: 'wildcard'; readonly resource: string; readonly action: string }
  | { readonly kind: 'resource'; readonly resource: string; readonly id: string; readonly action: string }
  | { readonly kind: 'unknown' };

const UNKNOWN: ParsedScope = { kind: 'unknown' };

/**
 * RFC 6749 §3.3 scope-token characters: %x21 / %x23-5B / %x5D-7E (no space, quote, backslash or
 * control character). A scope with any other character is not a scope and grants nothing.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A resource or action name: scope-token characters without the grammar's own `:`, `*`, `{`, `}`. */
const NAME = /^[A-Za-z0-9_.-]+$/;
/** A path parameter in a required scope, `{agent_id}`. */
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/** The grammar in words, for messages (spec lint, config errors). */
export const SCOPE_GRAMMAR =
  '"resource:action", "resource:{param}:action" or "resource:*:action" (resource and action made of ' +
  'letters, digits, "_", "." and "-", compared case-sensitively; "{param}" names a path parameter)';

function canonicalResource(resource: string): string {
  return LEGACY_RESOURCES[resource] ?? resource;
}

const isAdmin = (raw: string, options: ScopeOptions) => raw === (options.adminScope ?? DEFAULT_ADMIN_SCOPE);

/**
 * Parses one scope a caller holds.
 * @param raw the scope string, compared exactly
 * @param options `adminScope` (default `agent_os:admin`)
 * @example parseScope('agents:*:run') // { kind: 'wildcard', resource: 'agents', action: 'run' }
 */
export function parseScope(raw: string, options: ScopeOptions = {}): ParsedScope {
  if (typeof raw !== 'string' || !SCOPE_TOKEN.test(raw)) return UNKNOWN;
  if (isAdmin(raw, options)) return { kind: 'admin' };
  const p = split(raw);
  if (!p) return UNKNOWN;
  const [resource, id, action] = p;
  if (id === undefined) return { kind: 'global', resource, action };
  return id === '*' ? { kind: 'wildcard', resource, action } : { kind: 'resource', resource, id, action };
}

/** `resource:action` or `resource:id:action` with valid names (resource canonical), else undefined. */
function split(raw: string): [resource: string, id: string | undefined, action: string] | undefined {
  const parts = raw.split(':');
  const [resource, id] = parts;
  const action = parts[parts.length - 1]!;
  if (parts.length < 2 || parts.length > 3 || !NAME.test(resource!) || !NAME.test(action) || id === '')
    return undefined;
  return [canonicalResource(resource!), parts.length === 3 ? id : undefined, action];
}

/** A set of scopes compiled for constant-time checks (one side, allow or deny, of a grant plane). */
export interface ScopeSet {
  /** The set holds the admin scope. */
  readonly admin: boolean;
  /** `resource:action` pairs for every resource (global or wildcard form). */
  readonly all: ReadonlySet<string>;
  /** `resource:action` → ids one by one. */
  readonly byId: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * One source of grants: what it allows, minus what it denies (deny beats allow). A caller has one
 * plane (the token's scopes), or, with roles, the roles' plane and, with `trustTokenScopes`, the
 * token's scopes as a second plane; a request is allowed when one plane allows all of it.
 */
export interface GrantPlane {
  readonly allow: ScopeSet;
  /** Null when nothing is denied (token scopes never deny). */
  readonly deny: ScopeSet | null;
}

/** A caller's grants, compiled once per request (the caller context carries them). */
export interface Grants {
  /** Some plane allows the admin scope and does not deny it. */
  readonly admin: boolean;
  readonly planes: readonly GrantPlane[];
  /** The scopes as the token carried them (counted only without roles or with `trustTokenScopes`). */
  readonly scopes: readonly string[];
  /** The known roles that were applied (from the token's roles claim, else stored assignments). */
  readonly roles: readonly string[];
}

/**
 * Compiles scope strings into a set; unknown scopes are dropped (they grant nothing).
 * @param scopes scope strings; non-strings are ignored
 */
export function compileScopeSet(scopes: readonly unknown[], options: ScopeOptions = {}): ScopeSet {
  let admin = false;
  const all = new Set<string>();
  const byId = new Map<string, Set<string>>();
  for (const raw of scopes) {
    // parseScope's rules, without building its result objects (this runs for every token).
    if (typeof raw !== 'string' || !SCOPE_TOKEN.test(raw)) continue;
    if (isAdmin(raw, options)) {
      admin = true;
      continue;
    }
    const p = split(raw);
    if (!p) continue;
    const [resource, id, action] = p;
    const key = `${resource}:${action}`;
    if (id === undefined || id === '*') all.add(key);
    else byId.set(key, (byId.get(key) ?? new Set()).add(id));
  }
  return { admin, all, byId };
}

/**
 * Compiles the scopes of a token (no roles): one plane that allows them.
 * @param scopes the token's scopes; non-strings are ignored
 * @param options `adminScope` (default `agent_os:admin`)
 * @example satisfies(compileGrants(['agents:a1:run']), compileRequirement('agents:{agent_id}:run'), { agent_id: 'a1' }) // true
 */
export function compileGrants(scopes: readonly unknown[], options: ScopeOptions = {}): Grants {
  const kept = scopes.filter((s): s is string => typeof s === 'string');
  const allow = compileScopeSet(kept, options);
  return { admin: allow.admin, planes: [{ allow, deny: null }], scopes: kept, roles: [] };
}

/** A required scope from `x-required-scopes`, compiled. */
export type Requirement =
  | { readonly kind: 'admin'; readonly template: string }
  | {
      readonly kind: 'global';
      readonly template: string;
      readonly resource: string;
      readonly action: string;
      /** `resource:action`, precomputed by `parseRequirement` (computed when absent). */
      readonly key?: string | undefined;
    }
  | {
      readonly kind: 'param';
      readonly template: string;
      readonly resource: string;
      readonly action: string;
      /** Name of the path parameter whose decoded value is the resource id. */
      readonly param: string;
      /** `resource:action`, precomputed by `parseRequirement` (computed when absent). */
      readonly key?: string | undefined;
    };

/**
 * Parses one required scope (`x-required-scopes`, `scopeMappings`), or undefined when it does not
 * follow the grammar. `resource:*:action` is the global requirement.
 * @param options `adminScope`: the admin scope (default `agent_os:admin`)
 */
export function parseRequirement(template: string, options: ScopeOptions = {}): Requirement | undefined {
  if (isAdmin(template, options)) return { kind: 'admin', template };
  const p = split(template);
  if (!p) return undefined;
  const [resource, id, action] = p;
  const key = `${resource}:${action}`;
  // `res:*:act` required means every resource, which is what the global form says.
  if (id === undefined || id === '*') return { kind: 'global', template, resource, action, key };
  const m = PARAM.exec(id);
  return m ? { kind: 'param', template, resource, action, param: m[1]!, key } : undefined;
}

/**
 * Compiles one entry of `x-required-scopes`.
 * @throws {TypeError} when the entry is not a valid requirement (the spec lint refuses such documents)
 */
export function compileRequirement(template: string, options: ScopeOptions = {}): Requirement {
  const req = parseRequirement(template, options);
  if (req) return req;
  throw new TypeError(`Invalid required scope "${template}": expected the admin scope or ${SCOPE_GRAMMAR}`);
}

/** Whether a scope set holds what a requirement needs (allow side) or names it (deny side). */
function holds(set: ScopeSet, req: Requirement, params: Readonly<Record<string, string>>): boolean {
  if (set.admin) return true;
  if (req.kind === 'admin') return false;
  const key = req.key ?? `${req.resource}:${req.action}`;
  if (set.all.has(key)) return true;
  if (req.kind !== 'param' || set.byId.size === 0) return false;
  // A missing path value is no id: `has(undefined)` is false.
  return set.byId.get(key)?.has(params[req.param]!) === true;
}

/** Whether one plane allows one requirement: some allow holds it and no deny names it. */
export function planeSatisfies(
  plane: GrantPlane,
  req: Requirement,
  params: Readonly<Record<string, string>>,
): boolean {
  return holds(plane.allow, req, params) && !(plane.deny && holds(plane.deny, req, params));
}

/**
 * Whether the grants satisfy one requirement (contract.md §2): some plane allows it.
 * @param params decoded path parameters of the request
 */
export function satisfies(
  grants: Grants,
  req: Requirement,
  params: Readonly<Record<string, string>>,
): boolean {
  const planes = grants.planes;
  for (let i = 0; i < planes.length; i++) if (planeSatisfies(planes[i]!, req, params)) return true;
  return false;
}

/**
 * Whether the grants hold everything one scope grants, so the caller may hand it on (a service
 * account, a delegated token): some plane allows it and denies none of what it covers.
 * @example holdsScope(compileGrants(['agents:*:read']), 'agents:a1:read') // true
 */
export function holdsScope(grants: Grants, scope: string, options: ScopeOptions = {}): boolean {
  const p = parseScope(scope, options);
  if (p.kind === 'unknown') return false;
  return grants.planes.some(({ allow, deny }) => {
    if (p.kind === 'admin') return allow.admin && !(deny && (deny.admin || deny.all.size || deny.byId.size));
    const key = `${p.resource}:${p.action}`;
    const req: Requirement =
      p.kind === 'resource'
        ? { kind: 'param', template: scope, resource: p.resource, action: p.action, param: 'id' }
        : { kind: 'global', template: scope, resource: p.resource, action: p.action };
    const one: Record<string, string> = p.kind === 'resource' ? { id: p.id } : {};
    // A global grant is held only when no id of it is denied either.
    return planeSatisfies({ allow, deny }, req, one) && (p.kind === 'resource' || !deny?.byId.get(key)?.size);
  });
}

/** Renders a requirement for messages: `agents:{agent_id}:run` with agent_id=a1 → `agents:a1:run`. */
export function renderRequirement(req: Requirement, params: Readonly<Record<string, string>>): string {
  if (req.kind !== 'param') return req.template;
  const id = params[req.param];
  return id === undefined ? req.template : `${req.resource}:${id}:${req.action}`;
}

/** Every id except these (a wildcard allow with per-resource denies). */
export interface ExceptIds {
  readonly except: ReadonlySet<string>;
}

/** The ids of one resource family a caller may act on: all (`'*'`), these, or all but these. */
export type AccessibleIds = '*' | ReadonlySet<string> | ExceptIds;

const EMPTY: ReadonlySet<string> = new Set();

/** Whether `id` is one of `ids`. */
export function isAccessible(ids: AccessibleIds, id: unknown): boolean {
  if (ids === '*') return true;
  if (typeof id !== 'string' && typeof id !== 'number') return false;
  return ids instanceof Set ? ids.has(String(id)) : !(ids as ExceptIds).except.has(String(id));
}

/**
 * The ids of one resource family the caller may act on, for list filtering (contract.md §3): the
 * union over the planes of what each allows minus what it denies.
 * @param planes restrict to these planes (default every plane of the grants)
 * @returns `'*'` for every id, a set of ids (maybe empty), or `{ except }` for every id but some
 */
export function accessibleIds(
  grants: Grants,
  resource: string,
  action: string,
  planes: readonly GrantPlane[] = grants.planes,
): AccessibleIds {
  const key = `${canonicalResource(resource)}:${action}`;
  const only = new Set<string>();
  // Null until a plane allows every id; then the ids that every such plane denies.
  let except: Set<string> | null = null;
  for (const { allow, deny } of planes) {
    if (deny && (deny.admin || deny.all.has(key))) continue;
    const denied = deny?.byId.get(key) ?? EMPTY;
    if (allow.admin || allow.all.has(key)) {
      except = new Set([...(except ?? denied)].filter((id) => denied.has(id)));
    } else {
      for (const id of allow.byId.get(key) ?? EMPTY) if (!denied.has(id)) only.add(id);
    }
  }
  if (!except) return only;
  for (const id of only) except.delete(id);
  return except.size ? { except } : '*';
}

/**
 * The admin scopes a document declares: the default plus its `x-admin-scope` (a string or a list).
 * @param document the OpenAPI document's root object
 */
export function adminScopesOf(document: Readonly<Record<string, unknown>>): string[] {
  const declared = document['x-admin-scope'];
  const extra = (Array.isArray(declared) ? declared : [declared]).filter(
    (s): s is string => typeof s === 'string',
  );
  return [...new Set([DEFAULT_ADMIN_SCOPE, ...extra])];
}
