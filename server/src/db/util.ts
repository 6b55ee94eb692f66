/**
 * Small helpers shared by the repositories: JSON parameters, pagination, transactions, sorting.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import type { JsonText, Schema } from './schema.js';

/** The Kysely handle every repository function takes: the database or a transaction. */
export type Db = Kysely<Schema>;

/**
 * Encodes a value for a `jsonb` column or parameter. `undefined` and `null` become SQL NULL;
 * anything else (including a bare string) is JSON text, so `"hello"` is stored as the JSON
 * string `"hello"`. Always go through this helper: node-postgres would turn a JS array into a
 * PostgreSQL array literal, and a bare string is not valid JSON.
 */
export function json(value: unknown): JsonText | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value) as JsonText;
}

/** Like `json`, but keeps `undefined` (meaning "leave the column alone" in an update). */
export function jsonPatch(value: unknown): JsonText | null | undefined {
  return value === undefined ? undefined : json(value);
}

/** A page of rows and the number of rows matching the filter (before paging). */
export interface Page<T> {
  rows: T[];
  total: number;
}

export interface PageOptions {
  /** Page size (default 20; at least 1). */
  limit?: number;
  /** 1-based page number (default 1). */
  page?: number;
}

export type SortOrder = 'asc' | 'desc';

/**
 * One page of a filtered query and the number of rows the filter matches (before paging), read
 * side by side: `shape` selects and orders the page from the filtered `base`; the limit and offset
 * are applied here. Every repository's list goes through it.
 */
export async function pageOf<DB, TB extends keyof DB, O>(
  // biome-ignore lint/complexity/noBannedTypes: Kysely's type of a query that has selected nothing yet.
  base: SelectQueryBuilder<DB, TB, {}>,
  // biome-ignore lint/complexity/noBannedTypes: see base.
  // biome-ignore lint/suspicious/noExplicitAny: the page may join other tables.
  shape: (q: SelectQueryBuilder<DB, TB, {}>) => SelectQueryBuilder<DB, any, O>,
  at: { limit: number; offset: number },
): Promise<Page<O>> {
  const [count, rows] = await Promise.all([
    base.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    shape(base).limit(at.limit).offset(at.offset).execute(),
  ]);
  return { rows, total: toCount((count as { n: unknown }).n) };
}

/** `{limit, offset}` for a 1-based page. */
export function paging(opts: PageOptions, defaultLimit = 20): { limit: number; offset: number } {
  const limit = Math.max(1, Math.floor(opts.limit ?? defaultLimit));
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  return { limit, offset: (page - 1) * limit };
}

/** `desc` unless `asc` is asked for (case-insensitive). */
export function order(sortOrder: string | undefined, fallback: SortOrder = 'desc'): SortOrder {
  const s = sortOrder?.toLowerCase();
  return s === 'asc' || s === 'desc' ? s : fallback;
}

/** The sort column if it is one of `allowed`, else `fallback` (never interpolate user input). */
export function sortColumn<C extends string>(
  sortBy: string | undefined,
  allowed: readonly C[],
  fallback: C,
): C {
  return sortBy !== undefined && (allowed as readonly string[]).includes(sortBy) ? (sortBy as C) : fallback;
}

/**
 * Runs `fn` in a transaction: a new one, or the caller's if `db` already is one (Kysely does not
 * nest transactions). On PGlite the single connection is held for the whole transaction, so `fn`
 * must only use the handle it is given.
 */
export async function inTransaction<T>(
  db: Db,
  fn: (trx: Transaction<Schema> | Db) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/** A new random id (UUID v4) for rows whose id the caller did not choose. */
export function newId(): string {
  return randomUUID();
}

/** Epoch seconds of a timestamp (the API answers these for several resources), or null. */
export function epochSeconds(d: Date | null | undefined): number | null {
  return d ? Math.floor(d.getTime() / 1000) : null;
}

/** Escapes `%`, `_` and `\` for a LIKE/ILIKE pattern. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Drops keys whose value is `undefined` (Kysely would otherwise send them as NULL). */
export function defined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The count column of a `count(*)` query as a number (int8 is parsed to number, but be safe). */
export function toCount(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}

/** True for a unique-constraint violation (SQLSTATE 23505) from either driver. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** True for a foreign-key violation (SQLSTATE 23503) from either driver. */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}

/** The SQLSTATE of a database error (pg and PGlite both put it in `code`). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `now()` on the database server (one clock for every instance). */
export function dbNow(): RawBuilder<Date> {
  return sql<Date>`now()`;
}

/**
 * Which rows a caller under user isolation sees (contract.md §5): its own (`user_id` is
 * `userId`) and, for kinds with workspace-level rows (`shared`), the rows without an owner.
 */
export interface OwnerScope {
  readonly userId: string;
  readonly shared: boolean;
}

/**
 * The SQL condition of an owner scope on a `user_id` column (`column` may be qualified, `c.user_id`).
 * @example db.selectFrom('eval_runs').$if(!!scope, (q) => q.where(visibleTo(scope!)))
 */
export function visibleTo(scope: OwnerScope, column = 'user_id'): RawBuilder<boolean> {
  const c = sql.ref(column);
  return scope.shared
    ? sql<boolean>`(${c} = ${scope.userId} or ${c} is null)`
    : sql<boolean>`${c} = ${scope.userId}`;
}
