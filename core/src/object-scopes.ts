/**
 * @module Object-level scope decisions past the route gate (contract.md §8): scopes bound to
 * request-body fields (`x-body-scopes`), the operation a request makes the server call later
 * (`x-scope-target`), the members of a team or workflow a run executes, and arrays inside a
 * response filtered per resource (`x-nested-filters`). Built on the same grammar and `satisfies`
 * as the route decision, so one token gets one answer whichever layer asks.
 */
import { decide } from './decision.js';
import type { RouteIndex } from './routes.js';
import {
  accessibleIds,
  compileRequirement,
  type Grants,
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

/**
 * Decides whether the caller may have the server call `method endpoint` on its behalf later
 * (`x-scope-target`, schedules): the caller must satisfy that operation's own requirement bound to
 * the endpoint's path parameters; an endpoint that is not a run operation (or no operation at all)
 * needs the admin scope. The query string of the endpoint is ignored for matching.
 * @example decideTarget(index, compileGrants(['agents:a1:run']), 'POST', '/agents/a1/runs') // allow
 */
export function decideTarget(
  index: RouteIndex,
  grants: Grants,
  method: string,
  endpoint: string,
  options: ScopeOptions = {},
): ObjectDecision {
  if (grants.admin) return ALLOW;
  const admin = [options.adminScope ?? 'agent_os:admin'];
  const path = endpoint.split(/[?#]/, 1)[0] ?? '';
  const match = index.match(method.toUpperCase(), path);
  if (match.kind !== 'found') {
    return { effect: 'deny', required: admin, reason: 'the target is not an operation of this server' };
  }
  if (!isRunOperation(match.route.requirements)) {
    return {
      effect: 'deny',
      required: admin,
      reason: 'only admins can target an operation that is not a run',
    };
  }
  const d = decide({ requirements: match.route.requirements }, match.params, grants);
  return d.effect === 'allow' ? ALLOW : { effect: 'deny', required: d.effect === 'deny' ? d.required : [] };
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
 * (segments `*` then `members`: the members of each item of a list answer).
 */
function reach(body: unknown, segments: readonly string[]): unknown[] {
  let level: unknown[] = [body];
  for (const raw of segments) {
    const next: unknown[] = [];
    for (const v of level) {
      if (typeof v !== 'object' || v === null) continue;
      if (raw === '*') {
        if (Array.isArray(v)) next.push(...v);
        continue;
      }
      next.push((v as Record<string, unknown>)[raw.replaceAll('~1', '/').replaceAll('~0', '~')]);
    }
    level = next;
  }
  return level;
}

/**
 * Filters the arrays a response holds (`x-nested-filters`, `at` a JSON pointer whose `*` segments
 * stand for every item of an array): an item whose id the caller may not
 * act on (`resource:<id>:action`, or wider) is removed. Items are objects holding the id in
 * `filter.id`, or the id itself as a string; an object without that property is not of the
 * resource and is kept. Returns a filtered copy; the input is not changed.
 * @example filterNested({ members: [{ id: 'a' }, { id: 'b' }] }, [{ at: '/members', resource: 'agents', action: 'read', id: 'id' }], compileGrants(['agents:a:read']))
 * // { members: [{ id: 'a' }] }
 */
export function filterNested<T>(body: T, filters: readonly NestedFilter[], grants: Grants): T {
  if (filters.length === 0 || typeof body !== 'object' || body === null) return body;
  const copy = structuredClone(body) as unknown;
  for (const f of filters) {
    const ids = accessibleIds(grants, f.resource, f.action);
    if (ids === '*') continue;
    const segments = f.at.replace(/^\//, '').split('/');
    const last = segments.pop()!.replaceAll('~1', '/').replaceAll('~0', '~');
    for (const holder of reach(copy, segments)) {
      if (typeof holder !== 'object' || holder === null) continue;
      const h = holder as Record<string, unknown>;
      const list = h[last];
      if (!Array.isArray(list)) continue;
      h[last] = list.filter((item) => {
        const id =
          typeof item === 'string'
            ? item
            : typeof item === 'object' && item !== null
              ? (item as Record<string, unknown>)[f.id]
              : undefined;
        return typeof id !== 'string' || ids.has(id);
      });
    }
  }
  return copy as T;
}
