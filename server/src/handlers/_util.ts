/**
 * @module Small helpers shared by the handler factories: pagination (`{data, meta}` with 1-based
 * pages), user isolation (contract.md §5), `{detail}` errors, time formats and JSON coercion.
 */
import type { CallerContext } from '@agentos/core';
import type { OwnerScope } from '../db/util.js';
import type { components } from '../generated/openapi.js';
import { HttpError } from '../generated/server.js';

/** The component schemas of the spec, by name. */
export type Schemas = components['schemas'];

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

// ----------------------------------------------------------------------------------- isolation

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

// -------------------------------------------------------------------------------------- errors

/** Throws `{detail}` with the status (rendered by the generated router). */
export function fail(status: number, detail: string): never {
  throw new HttpError(status, detail);
}

// -------------------------------------------------------------------------------------- values

/** ISO 8601 UTC of a timestamp, or null. */
export function iso(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** ISO 8601 UTC of a timestamp that is never null in the schema (the epoch if missing). */
export function isoRequired(d: Date | string | null | undefined): string {
  return iso(d) ?? new Date(0).toISOString();
}

/** Unix epoch seconds of a timestamp, or null. */
export function epoch(d: Date | string | null | undefined): number | null {
  if (d === null || d === undefined) return null;
  const t = (d instanceof Date ? d : new Date(d)).getTime();
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

export type JsonRecord = { [key: string]: unknown };

/** The value if it is a plain JSON object, else null. */
export function asObject(v: unknown): JsonRecord | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : null;
}

/** The value if it is an array, else null. */
export function asArray(v: unknown): unknown[] | null {
  return Array.isArray(v) ? v : null;
}

/** The value if it is a string, else null. */
export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The value as an integer if it is a finite number, else null. */
export function asInteger(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

/** A non-empty string query value, else undefined. */
export function qs(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
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

/**
 * Parses an ISO 8601 time (with or without timezone; without one it is read as UTC).
 * @throws {HttpError} 400 `Invalid <name> format ...` when malformed
 */
export function parseIsoParam(value: string, name: string): Date {
  const s = /[zZ]|[+-]\d\d:?\d\d$/.test(value) || !/T/.test(value) ? value : `${value}Z`;
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    fail(400, `Invalid ${name} format. Use ISO 8601 format (e.g., '2025-11-19T10:00:00Z'): ${value}`);
  }
  return d;
}
