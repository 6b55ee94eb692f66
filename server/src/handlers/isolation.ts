/**
 * @module User isolation in handlers (contract.md §5): which user a read is limited to, and whom
 * a write is attributed to.
 */
import type { CallerContext } from '@agentos/core';

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
