/**
 * @module User isolation in handlers (contract.md §5): which user a read is limited to, whom
 * a write is attributed to, and who may write a stored row of a kind with shared rows.
 */
import type { CallerContext } from '@agentos/core';
import type { OwnerScope } from '../db/util.js';
import { fail } from './wire.js';

/**
 * The `user_id` a read is limited to: the caller's own id when isolation applies to this call
 * (`caller.scopedUserId`; a `user_id` query parameter cannot widen it), else the query filter.
 */
export function readScope(caller: CallerContext, queryUserId: unknown): string | undefined {
  if (caller.scopedUserId !== null) return caller.scopedUserId;
  return typeof queryUserId === 'string' && queryUserId !== '' ? queryUserId : undefined;
}

/** The owner a write is attributed to: the caller when isolated, else the value given. */
export function writeOwner(caller: CallerContext, given: string | null | undefined): string | null {
  if (caller.scopedUserId !== null) return caller.scopedUserId;
  return given ?? null;
}

/**
 * The ownership rule of a user-owned kind (contract.md §5, agno 3.1): whether it has
 * workspace-level rows (no owner) that a scoped caller may read, and the 403 detail of a scoped
 * write to one (by verb); a kind without shared rows treats an ownerless row as nobody's (404).
 */
export interface Ownership {
  readonly shared:
    | false
    | ({ readonly modify: string; readonly delete: string } & Readonly<Record<string, string>>);
}

/** The rows a read may return: undefined (every row) unless isolation applies to the caller. */
export function ownerScope(caller: CallerContext, kind: Ownership): OwnerScope | undefined {
  const userId = caller.scopedUserId;
  return userId === null ? undefined : { userId, shared: kind.shared !== false };
}

/**
 * Checks that the caller may write (`verb`) a stored row of an owned kind: a missing row, and
 * under isolation another user's (or, for a kind without shared rows, an ownerless one), answer
 * the same 404 (`notFound`); a shared row answers 403 with agno's detail. Admins and unscoped
 * callers may write any existing row.
 * @throws {HttpError} 404 or 403
 */
export function assertWritable<R extends { user_id: string | null }>(
  caller: CallerContext,
  kind: Ownership,
  row: R | undefined,
  verb: 'modify' | 'delete' | (string & {}),
  notFound: string,
): asserts row is R {
  if (!row) fail(404, notFound);
  const scoped = caller.scopedUserId;
  if (scoped === null || row.user_id === scoped) return;
  if (row.user_id === null && kind.shared !== false) fail(403, kind.shared[verb] ?? kind.shared.modify);
  fail(404, notFound);
}
