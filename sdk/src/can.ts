/**
 * @module `can()`: whether a caller may call an operation, answered locally from the generated
 * route→scope table with the contract's own claim reader and decision (`@agentos/core`'s
 * `readScopesClaim` and `decide`, exactly what the server and the mocks run), so that a UI can
 * hide what a user cannot use.
 *
 * This is a hint, not a check: a JWT is decoded WITHOUT verifying its signature, expiry or audience,
 * and the server may override scopes at runtime (`scopeMappings`) or grant by roles. The server
 * stays the authority.
 */
import {
  type AccessibleIds,
  compileGrants,
  decide,
  parseRequirement,
  type Requirement,
  readScopesClaim,
} from '@agentos/core';
import { _byId } from './_routes.js';
import type { OperationId } from './generated/routes.js';

/** The answer of {@link can}. */
export interface Permission {
  /** The server would run the operation (for a filtered list: answer 200, maybe with fewer items). */
  readonly allowed: boolean;
  /**
   * Only on list operations with `x-scope-filter`, when allowed: `'*'` when every item is visible,
   * else the ids of the items the server will return.
   */
  readonly filtered?: AccessibleIds;
  /** The required scopes the caller lacks, with path parameters filled in; empty when allowed. */
  readonly missing: readonly string[];
}

/** Options of {@link can} and {@link readTokenScopes}. */
export interface CanOptions {
  /**
   * The claim holding the scopes, as the server's `scopesClaim`. Default: `scopes` (an array, or
   * one scope as a string), else the RFC 9068 `scope` / `scp` claims (space-separated strings or arrays).
   */
  readonly scopesClaim?: string;
  /** @deprecated Renamed `scopesClaim` (the server's name); still read when `scopesClaim` is not set. */
  readonly scopeClaim?: string;
  /** The admin scope. Default `agent_os:admin`. */
  readonly adminScope?: string;
}

/** The scopes of a caller: an array of scope strings, or a JWT (decoded, not verified); null = anonymous. */
export type ScopesOrToken = readonly string[] | string | null | undefined;

function decodePayload(token: string): Record<string, unknown> | undefined {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the scopes of a JWT WITHOUT verifying it (a local hint for UIs).
 * @param token a compact JWS
 * @param options `scopesClaim` (default: `scopes`, then `scope`/`scp`)
 * @returns the scopes; empty when the token cannot be decoded or has none
 * @example readTokenScopes(session.accessToken) // ['agents:read', 'agents:a1:run']
 */
export function readTokenScopes(token: string, options: CanOptions = {}): string[] {
  return readScopesClaim(decodePayload(token), options.scopesClaim ?? options.scopeClaim);
}

/**
 * Whether a caller may call an operation, from the generated scope table (contract.md §2–§3).
 *
 * A per-resource scope (`agents:{agent_id}:run`) is checked against `params`; without the parameter
 * only a global, wildcard or admin scope satisfies it. List operations with `x-scope-filter` answer
 * `allowed: true` with `filtered` set to the visible ids (or `'*'`).
 *
 * A local hint only: a token is decoded WITHOUT verification, and the server stays the authority.
 * @param who the caller's scopes, or its JWT; null/undefined for an anonymous caller
 * @param operationId the operation
 * @param params decoded path parameters, e.g. `{ agent_id: 'a1' }`
 * @param options `scopesClaim`, `adminScope`
 * @throws {TypeError} for an operationId that is not in the table
 * @example
 * can(['agents:a1:read'], 'listAgents')              // { allowed: true, filtered: Set {'a1'}, missing: [] }
 * can(['agents:a1:read'], 'getAgent', { agent_id: 'a2' }) // { allowed: false, missing: ['agents:a2:read'] }
 * can(token, 'deleteSession', { session_id: 's1' }).allowed
 */
export function can(
  who: ScopesOrToken,
  operationId: OperationId,
  params: Readonly<Record<string, string>> = {},
  options: CanOptions = {},
): Permission {
  const route = _byId.get(operationId);
  if (!route) throw new TypeError(`can: unknown operationId "${operationId}"`);
  const grants = compileGrants(
    who == null ? [] : typeof who === 'string' ? readTokenScopes(who, options) : who,
    options,
  );
  // The generated table only holds valid scopes (the lint and the generator refuse others); one
  // that does not parse could only be met by the admin scope, so it fails closed.
  const requirements = route.scopes.map(
    (s): Requirement => parseRequirement(s, options) ?? { kind: 'admin', template: s },
  );
  const d = decide({ requirements, filter: route.filter }, params, grants);
  if (d.effect === 'deny') return { allowed: false, missing: d.missing };
  return { allowed: true, missing: [], ...(d.accessibleIds && { filtered: d.accessibleIds }) };
}

/**
 * `can(...).allowed`: the boolean shortcut.
 * @example {canCall(token, 'createAgentRun', { agent_id }) && <RunButton />}
 */
export function canCall(
  who: ScopesOrToken,
  operationId: OperationId,
  params?: Readonly<Record<string, string>>,
  options?: CanOptions,
): boolean {
  return can(who, operationId, params, options).allowed;
}
