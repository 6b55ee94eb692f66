/**
 * @module Pagination of the handlers' lists: `{data, meta}` with 1-based pages (`PaginationInfo`),
 * and the sort order and column a list query may ask for.
 */
import type { Schemas } from './wire.js';

export type PaginationInfo = Schemas['PaginationInfo'];

/** A 1-based page: what the client asked for, and the SQL `limit`/`offset` it becomes. */
export interface PageRequest {
  readonly page: number;
  readonly limit: number;
  readonly offset: number;
}

/**
 * Reads `page` / `limit` as the validator left them. Page 0 (allowed by the spec's `minimum: 0`,
 * a Python quirk) is read as page 1.
 * @param defaultLimit used when `limit` is absent (default 20)
 */
export function pageRequest(page: unknown, limit: unknown, defaultLimit = 20): PageRequest {
  const l =
    typeof limit === 'number' && Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : defaultLimit;
  const p = typeof page === 'number' && Number.isFinite(page) && page >= 1 ? Math.floor(page) : 1;
  return { page: p, limit: l, offset: (p - 1) * l };
}

/** A monotonic start time for `search_time_ms`. */
export function startTimer(): number {
  return performance.now();
}

/** `PaginationInfo` for a page of `total` matching rows; `search_time_ms` when a timer is given. */
export function pageMeta(p: PageRequest, total: number, startedAt?: number): PaginationInfo {
  const meta: PaginationInfo = {
    page: p.page,
    limit: p.limit,
    total_pages: total === 0 ? 0 : Math.ceil(total / p.limit),
    total_count: total,
  };
  if (startedAt !== undefined)
    meta.search_time_ms = Math.max(0, Math.round((performance.now() - startedAt) * 100) / 100);
  return meta;
}

/** `asc` or `desc` (default `desc`). */
export function sortOrder(v: unknown, fallback: 'asc' | 'desc' = 'desc'): 'asc' | 'desc' {
  return v === 'asc' || v === 'desc' ? v : fallback;
}

/**
 * The sort column if `sortBy` is one of `allowed`, else `fallback`: an unknown field falls back
 * to the default order (as the spec documents for learnings), and user input never reaches SQL.
 */
export function sortColumn<C extends string>(sortBy: unknown, allowed: readonly C[], fallback: C): C {
  return typeof sortBy === 'string' && (allowed as readonly string[]).includes(sortBy)
    ? (sortBy as C)
    : fallback;
}
