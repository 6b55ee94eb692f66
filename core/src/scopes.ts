/**
 * @module Scope grammar and satisfaction, per contract.md §2.
 *
 * Grammar: the admin scope (exact string), global `resource:action`, per-resource
 * `resource:<id>:action`, wildcard `resource:*:action`. Legacy `system` reads as `config`.
 * Anything else grants nothing. Comparison is exact: case-sensitive, no prefixes, no trimming.
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

function canonicalResource(resource: string): string {
  return LEGACY_RESOURCES[resource] ?? resource;
}

/**
 * Parses one scope a caller holds.
 * @param raw the scope string, compared exactly
 * @param options `adminScope` (default `agent_os:admin`)
 * @example parseScope('agents:*:run') // { kind: 'wildcard', resource: 'agents', action: 'run' }
 */
export function parseScope(raw: string, options: ScopeOptions = {}): ParsedScope {
  if (typeof raw !== 'string' || !SCOPE_TOKEN.test(raw)) return UNKNOWN;
  if (raw === (options.adminScope ?? DEFAULT_ADMIN_SCOPE)) return { kind: 'admin' };
  const parts = raw.split(':');
  if (parts.some((p) => p.length === 0)) return UNKNOWN;
  if (parts.length === 2) {
    return { kind: 'global', resource: canonicalResource(parts[0]!), action: parts[1]! };
  }
  if (parts.length === 3) {
    const resource = canonicalResource(parts[0]!);
    const action = parts[2]!;
    if (parts[1] === '*') return { kind: 'wildcard', resource, action };
    return { kind: 'resource', resource, id: parts[1]!, action };
  }
  return UNKNOWN;
}

/** A caller's scopes, compiled once per token for constant-time checks. */
export interface Grants {
  /** The caller holds the admin scope. */
  readonly admin: boolean;
  /** `resource:action` pairs granted for every resource (global or wildcard form). */
  readonly all: ReadonlySet<string>;
  /** `resource:action` → ids granted one by one. */
  readonly byId: ReadonlyMap<string, ReadonlySet<string>>;
  /** The scopes as the token carried them. */
  readonly scopes: readonly string[];
}

/**
 * Compiles the scopes of a token.
 * @param scopes the token's scopes; non-strings are ignored
 * @param options `adminScope` (default `agent_os:admin`)
 */
export function compileGrants(scopes: readonly unknown[], options: ScopeOptions = {}): Grants {
  let admin = false;
  const all = new Set<string>();
  const byId = new Map<string, Set<string>>();
  const kept: string[] = [];
  for (const raw of scopes) {
    if (typeof raw !== 'string') continue;
    kept.push(raw);
    const s = parseScope(raw, options);
    switch (s.kind) {
      case 'admin':
        admin = true;
        break;
      case 'global':
      case 'wildcard':
        all.add(`${s.resource}:${s.action}`);
        break;
      case 'resource': {
        const key = `${s.resource}:${s.action}`;
        let ids = byId.get(key);
        if (!ids) {
          ids = new Set();
          byId.set(key, ids);
        }
        ids.add(s.id);
        break;
      }
      case 'unknown':
        break;
    }
  }
  return { admin, all, byId, scopes: kept };
}

/** A required scope from `x-required-scopes`, compiled. */
export type Requirement =
  | { readonly kind: 'admin'; readonly template: string }
  | { readonly kind: 'global'; readonly template: string; readonly resource: string; readonly action: string }
  | {
      readonly kind: 'param';
      readonly template: string;
      readonly resource: string;
      readonly action: string;
      /** Name of the path parameter whose decoded value is the resource id. */
      readonly param: string;
    };

const TEMPLATE = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;
const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Compiles one entry of `x-required-scopes`.
 * @throws {TypeError} when the entry is not a valid requirement (the spec lint refuses such documents)
 */
export function compileRequirement(template: string, options: ScopeOptions = {}): Requirement {
  if (template === (options.adminScope ?? DEFAULT_ADMIN_SCOPE)) return { kind: 'admin', template };
  const parts = template.split(':');
  const named = (p: string | undefined): p is string => p !== undefined && NAME.test(p);
  if (parts.length === 2 && named(parts[0]) && named(parts[1])) {
    return { kind: 'global', template, resource: canonicalResource(parts[0]), action: parts[1] };
  }
  if (parts.length === 3 && named(parts[0]) && named(parts[2])) {
    // `res:*:act` required means every resource, which is what the global form says.
    if (parts[1] === '*') {
      return { kind: 'global', template, resource: canonicalResource(parts[0]), action: parts[2] };
    }
    const m = TEMPLATE.exec(parts[1] ?? '');
    if (m) {
      return {
        kind: 'param',
        template,
        resource: canonicalResource(parts[0]),
        action: parts[2],
        param: m[1]!,
      };
    }
  }
  throw new TypeError(
    `Invalid required scope "${template}": expected "resource:action", "resource:{param}:action" or the admin scope`,
  );
}

/**
 * Whether the grants satisfy one requirement (contract.md §2).
 * @param params decoded path parameters of the request
 */
export function satisfies(
  grants: Grants,
  req: Requirement,
  params: Readonly<Record<string, string>>,
): boolean {
  if (grants.admin) return true;
  if (req.kind === 'admin') return false;
  const key = `${req.resource}:${req.action}`;
  if (grants.all.has(key)) return true;
  if (req.kind === 'global') return false;
  const id = params[req.param];
  return id !== undefined && grants.byId.get(key)?.has(id) === true;
}

/** Renders a requirement for messages: `agents:{agent_id}:run` with agent_id=a1 → `agents:a1:run`. */
export function renderRequirement(req: Requirement, params: Readonly<Record<string, string>>): string {
  if (req.kind !== 'param') return req.template;
  const id = params[req.param];
  return id === undefined ? req.template : `${req.resource}:${id}:${req.action}`;
}

/**
 * The ids of one resource family the caller may act on, for list filtering (contract.md §3).
 * @returns `'*'` for every id (admin, global or wildcard scope), else the set of granted ids (maybe empty)
 */
export function accessibleIds(grants: Grants, resource: string, action: string): '*' | ReadonlySet<string> {
  const key = `${canonicalResource(resource)}:${action}`;
  if (grants.admin || grants.all.has(key)) return '*';
  return grants.byId.get(key) ?? EMPTY;
}

const EMPTY: ReadonlySet<string> = new Set();
