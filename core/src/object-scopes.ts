/**
 * @module Object-level scope decisions past the route gate (contract.md §8): scopes bound to
 * request-body fields (`x-body-scopes`), the operation a request makes the server call later
 * (`x-scope-target`), the members of a team or workflow a run executes, and arrays inside a
 * response filtered per resource (`x-nested-filters`). Built on the same grammar and `satisfies`
 * as the route decision, so one token gets one answer whichever layer asks.
 */
import {
  accessibleIds,
  compileRequirement,
  type Grants,
  isAccessible,
  type Requirement,
  renderRequirement,
  satisfies,
} from './scopes.js';
import type { NestedFilter, ScopeOptions } from './types.js';

/** One `x-body-scopes` entry, compiled: `agents:{body.agent_id}:run` binds field `agent_id`. */
export interface BodyScope {
  readonly requirement: Requirement;
  /** The top-level body field, or null for a scope that names no field (always required). */
  readonly field: string | null;
}

const BODY_PARAM = /^body\.([A-Za-z_][A-Za-z0-9_-]*)$/;

/**
 * Compiles one `x-body-scopes` template.
 * @throws {TypeError} when the template is not a scope template or binds something other than `{body.<field>}`
 * @example compileBodyScope('agents:{body.agent_id}:run') // field 'agent_id'
 */
export function compileBodyScope(template: string, options: ScopeOptions = {}): BodyScope {
  const requirement = compileRequirement(template, options);
  if (requirement.kind !== 'param') return { requirement, field: null };
  const m = BODY_PARAM.exec(requirement.param);
  if (!m) {
    throw new TypeError(
      `Invalid x-body-scopes entry "${template}": its parameter must be "{body.<field>}", e.g. "agents:{body.agent_id}:run"`,
    );
  }
  return { requirement, field: m[1]! };
}

/** The outcome of an object-level check: allowed, or the scopes that were missing (rendered). */
export type ObjectDecision =
  | { readonly effect: 'allow' }
  | { readonly effect: 'deny'; readonly required: readonly string[]; readonly reason?: string | undefined };

const ALLOW: ObjectDecision = { effect: 'allow' };

/**
 * Decides the body scopes of a request: each applies when its field is present and not null; all
 * that apply are required. A field that is present but not a string (or number) cannot name a
 * resource and is refused.
 * @param body the parsed, validated request body
 */
export function decideBodyScopes(
  grants: Grants,
  scopes: readonly BodyScope[],
  body: unknown,
): ObjectDecision {
  const fields =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const missing: string[] = [];
  for (const { requirement, field } of scopes) {
    if (field === null) {
      if (!satisfies(grants, requirement, {})) missing.push(renderRequirement(requirement, {}));
      continue;
    }
    const value = fields[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      return {
        effect: 'deny',
        required: [requirement.template],
        reason: `"${field}" must name one resource`,
      };
    }
    const params = { [`body.${field}`]: String(value) };
    if (!satisfies(grants, requirement, params)) missing.push(renderRequirement(requirement, params));
  }
  return missing.length === 0 ? ALLOW : { effect: 'deny', required: missing };
}

/** Whether an operation only runs something: every requirement has the action `run`. */
export function isRunOperation(requirements: readonly Requirement[]): boolean {
  return requirements.length > 0 && requirements.every((r) => r.kind !== 'admin' && r.action === 'run');
}

/** A run endpoint (contract.md §8.2): `POST /agents|teams|workflows/<id>/runs`, optional trailing slash. */
const RUN_ENDPOINT = /^\/(agents|teams|workflows)\/([^/?#]+)\/runs\/?$/;

/**
 * Decides whether the caller may have the server call `method endpoint` on its behalf later
 * (`x-scope-target`, contract.md §8.2): a run endpoint (`POST` to
 * `/(agents|teams|workflows)/<id>/runs`, the id percent-decoded once) needs `<family>:<id>:run`;
 * any other endpoint (another method or path, a query string or fragment, an id that decodes to
 * something holding `/`) needs the admin scope.
 * @example decideTarget(compileGrants(['agents:a1:run']), 'POST', '/agents/a1/runs') // allow
 */
export function decideTarget(
  grants: Grants,
  method: string,
  endpoint: string,
  options: ScopeOptions = {},
): ObjectDecision {
  if (grants.admin) return ALLOW;
  const admin: ObjectDecision = { effect: 'deny', required: [options.adminScope ?? 'agent_os:admin'] };
  const m = method.toUpperCase() === 'POST' ? RUN_ENDPOINT.exec(endpoint) : null;
  if (!m) return admin;
  let id: string;
  try {
    id = decodeURIComponent(m[2]!);
  } catch {
    return admin;
  }
  if (id.includes('/')) return admin;
  const req = compileRequirement(`${m[1]}:{id}:run`, options);
  return satisfies(grants, req, { id })
    ? ALLOW
    : { effect: 'deny', required: [renderRequirement(req, { id })] };
}

/** A run scope of one member: `agents:<id>:run`, `teams:<id>:run`. */
export interface Member {
  readonly resource: string;
  readonly id: string;
}

/**
 * Decides whether the caller may run every member of a team or workflow (contract.md §8: a run
 * executes its members with the caller's authority, so it needs run permission on each).
 */
export function decideMembers(grants: Grants, members: readonly Member[]): ObjectDecision {
  const missing: string[] = [];
  for (const m of members) {
    const req = compileRequirement(`${m.resource}:{id}:run`);
    if (!satisfies(grants, req, { id: m.id })) missing.push(`${m.resource}:${m.id}:run`);
  }
  return missing.length === 0 ? ALLOW : { effect: 'deny', required: [...new Set(missing)] };
}

/**
 * The containers a pointer (RFC 6901) reaches, a `*` segment standing for every item of an array
 * (segments `*` then `members`: the members of each item of a list answer); an array met without a
 * `*` stands for its items too.
 */
function reach(body: unknown, segments: readonly string[]): unknown[] {
  // An array met where a property is named (a list answer, each item a team with members) stands
  // for its items, as if a `*` segment were written there.
  const items = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(items) : [v]);
  let level: unknown[] = [body];
  for (const raw of segments) {
    const next: unknown[] = [];
    for (const v of level) {
      if (typeof v !== 'object' || v === null) continue;
      if (raw === '*') {
        if (Array.isArray(v)) next.push(...v);
        continue;
      }
      for (const item of items(v)) {
        if (typeof item !== 'object' || item === null) continue;
        next.push((item as Record<string, unknown>)[raw.replaceAll('~1', '/').replaceAll('~0', '~')]);
      }
    }
    level = next;
  }
  return level.flatMap(items);
}

/**
 * Filters the arrays a response holds (`x-nested-filters`, `at` a JSON pointer whose `*` segments
 * stand for every item of an array): an item whose id the caller may not
 * act on (`resource:<id>:action`, or wider) is removed. Items are objects holding the id in
 * `filter.id`, or the id itself as a string; an object without that property is not of the
 * resource and is kept. Several entries at one pointer describe a mixed array (contract.md §8.5):
 * with `kindOf` (the server, which built the items, knows each one's resource family) an item is
 * checked in its own family only; without it, an item stays when any entry grants it. Returns a
 * filtered copy; the input is not changed.
 * @example filterNested({ members: [{ id: 'a' }, { id: 'b' }] }, [{ at: '/members', resource: 'agents', action: 'read', id: 'id' }], compileGrants(['agents:a:read']))
 * // { members: [{ id: 'a' }] }
 */
export function filterNested<T>(
  body: T,
  filters: readonly NestedFilter[],
  grants: Grants,
  kindOf?: (item: unknown) => string | undefined,
): T {
  if (filters.length === 0 || typeof body !== 'object' || body === null) return body;
  const copy = structuredClone(body) as unknown;
  // Entries at one pointer describe one (maybe mixed) array: grouped, checked together.
  const groups = new Map<string, NestedFilter[]>();
  for (const f of filters) groups.set(f.at, [...(groups.get(f.at) ?? []), f]);
  for (const [at, group] of groups) {
    const segments = at.replace(/^\//, '').split('/');
    const last = segments.pop()!.replaceAll('~1', '/').replaceAll('~0', '~');
    const keep = (item: unknown): boolean => {
      const kind = group.length > 1 ? kindOf?.(item) : undefined;
      const own = kind === undefined ? group : group.filter((f) => f.resource === kind);
      const candidates = own.length > 0 ? own : group;
      let named = false;
      for (const f of candidates) {
        const id =
          typeof item === 'string'
            ? item
            : typeof item === 'object' && item !== null
              ? (item as Record<string, unknown>)[f.id]
              : undefined;
        if (typeof id !== 'string') continue;
        named = true;
        if (isAccessible(accessibleIds(grants, f.resource, f.action), id)) return true;
      }
      // An item that names no resource of these kinds is not filtered.
      return !named;
    };
    for (const holder of reach(copy, segments)) {
      if (typeof holder !== 'object' || holder === null) continue;
      const h = holder as Record<string, unknown>;
      const list = h[last];
      if (Array.isArray(list)) h[last] = list.filter(keep);
    }
  }
  return copy as T;
}
