/**
 * @module Roles and deny (AgentOS 3.1, agno `agno.os.authz`): a role is a named list of scope
 * grants, each allow or deny; a caller's grants come from its token's scopes, its roles (the
 * roles claim, else stored assignments) and `trustTokenScopes`.
 *
 * The rules (contract.md §2 "Roles"):
 * - Without roles configured, the token's scopes are the caller's grants.
 * - With roles, the roles named by the token's roles claim apply, else the caller's stored
 *   assignments (agno: token-carried roles take precedence). An unknown role grants nothing.
 * - The applied roles form one plane: the union of their allows minus the union of their denies.
 *   Deny beats allow, across roles too (differs: agno ORs token-carried roles at the route gate
 *   but carves every role's denies out of lists; one rule here keeps the gate and lists alike).
 * - The token's scopes are ignored, unless `trustTokenScopes`: then they are a second plane, and
 *   a request is allowed when either plane allows it, so a token scope overrides a role's deny
 *   (agno's composite provider: an OR of grant sources).
 * - A deny names the same things an allow does: `agents:x:read` denies agent `x`,
 *   `agents:read` / `agents:*:read` every agent, the admin scope everything.
 */
import { compileScopeSet, type GrantPlane, type Grants, parseScope, type ScopeSet } from './scopes.js';
import type { ScopeOptions } from './types.js';

/** A role as configured: the scopes it allows and those it denies. */
export interface RoleDefinition {
  readonly allow?: readonly string[] | undefined;
  readonly deny?: readonly string[] | undefined;
}

/** A role ready for decisions. */
export interface CompiledRole {
  readonly name: string;
  readonly allow: ScopeSet;
  readonly deny: ScopeSet;
}

/** Roles by name, compiled once at start. */
export interface CompiledRoles {
  readonly size: number;
  get(name: string): CompiledRole | undefined;
}

const EMPTY_ROLES: CompiledRoles = { size: 0, get: () => undefined };

/**
 * Compiles role definitions.
 * @param roles name → `{ allow, deny }`, or name → a list of allowed scopes
 * @throws {TypeError} naming the role and the scope when a scope is not in the grammar (a typo
 *   in a deny would otherwise deny nothing)
 * @example compileRoles({ reader: { allow: ['agents:*:read'], deny: ['agents:support-agent:read'] } })
 */
export function compileRoles(
  roles: Readonly<Record<string, RoleDefinition | readonly string[]>> | undefined,
  options: ScopeOptions = {},
): CompiledRoles {
  if (!roles) return EMPTY_ROLES;
  const byName = new Map<string, CompiledRole>();
  for (const [name, def] of Object.entries(roles)) {
    const { allow = [], deny = [] } = Array.isArray(def)
      ? { allow: def as readonly string[] }
      : (def as RoleDefinition);
    for (const [effect, list] of [
      ['allow', allow],
      ['deny', deny],
    ] as const) {
      if (!Array.isArray(list)) throw new TypeError(`roles["${name}"].${effect} must be a list of scopes`);
      for (const s of list) {
        if (parseScope(s, options).kind === 'unknown') {
          throw new TypeError(
            `roles["${name}"].${effect}: ${JSON.stringify(s)} is not a scope (expected the admin scope, ` +
              '"resource:action", "resource:<id>:action" or "resource:*:action")',
          );
        }
      }
    }
    byName.set(name, { name, allow: compileScopeSet(allow, options), deny: compileScopeSet(deny, options) });
  }
  return { size: byName.size, get: (n) => byName.get(n) };
}

/** Where a caller's grants come from. */
export interface GrantSources {
  /** The token's scopes (see `readScopesClaim`). */
  readonly scopes: readonly unknown[];
  /** Role names from the token's roles claim (see `readRolesClaim`). */
  readonly roles?: readonly string[] | undefined;
  /** Role names stored for the subject (used when the token names no role). */
  readonly assigned?: readonly string[] | undefined;
}

/** How grants are resolved. */
export interface GrantOptions extends ScopeOptions {
  readonly roles?: CompiledRoles | undefined;
  /** With roles: the token's scopes count too, as their own plane (they override a role's deny). */
  readonly trustTokenScopes?: boolean | undefined;
}

function grantsOf(
  planes: readonly GrantPlane[],
  scopes: readonly string[],
  roles: readonly string[],
): Grants {
  return { admin: planes.some((p) => p.allow.admin && !p.deny?.admin), planes, scopes, roles };
}

function union(sets: readonly ScopeSet[]): ScopeSet {
  const all = new Set<string>();
  const byId = new Map<string, Set<string>>();
  for (const s of sets) {
    for (const k of s.all) all.add(k);
    for (const [k, ids] of s.byId) {
      const into = byId.get(k) ?? new Set<string>();
      byId.set(k, into);
      for (const id of ids) into.add(id);
    }
  }
  return { admin: sets.some((s) => s.admin), all, byId };
}

/**
 * Resolves a caller's grants (the rules in this module's header).
 * @example
 * const roles = compileRoles({ reader: { allow: ['agents:*:read'], deny: ['agents:support-agent:read'] } });
 * resolveGrants({ scopes: [], roles: ['reader'] }, { roles })
 */
export function resolveGrants(sources: GrantSources, options: GrantOptions = {}): Grants {
  const scopes = sources.scopes.filter((s): s is string => typeof s === 'string');
  const roles = options.roles ?? EMPTY_ROLES;
  const tokenPlane: GrantPlane = { allow: compileScopeSet(scopes, options), deny: null };
  if (roles.size === 0) return grantsOf([tokenPlane], scopes, []);
  const named = sources.roles && sources.roles.length > 0 ? sources.roles : (sources.assigned ?? []);
  const applied = [...new Set(named)].flatMap((n) => roles.get(n) ?? []);
  const rolePlane: GrantPlane = {
    allow: union(applied.map((r) => r.allow)),
    deny: union(applied.map((r) => r.deny)),
  };
  const planes = options.trustTokenScopes ? [rolePlane, tokenPlane] : [rolePlane];
  return grantsOf(
    planes,
    scopes,
    applied.map((r) => r.name),
  );
}
