/**
 * Authorization decision records (contract.md §9.6): written in batches by the audit of
 * `authority/audit.ts`, read newest first, and bounded by age and by count.
 */
import { sql } from 'kysely';
import type { AuthzDecisionRow } from '../schema.js';
import { type Db, json, likeEscape, newId, pageOf } from '../util.js';

export interface NewDecision {
  created_at: Date;
  action: 'access.allowed' | 'access.denied';
  principal: string | null;
  target: string;
  operation_id: string | null;
  required: readonly string[];
  scopes: readonly string[];
  reason: string | null;
  token_ref: string | null;
}

/** Stores several records in one statement. */
export async function insertMany(db: Db, rows: readonly NewDecision[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('authz_decisions')
    .values(
      rows.map((r) => ({
        id: newId(),
        created_at: r.created_at,
        action: r.action,
        principal: r.principal,
        target: r.target,
        operation_id: r.operation_id,
        required: json([...r.required])!,
        scopes: json([...r.scopes])!,
        reason: r.reason,
        token_ref: r.token_ref,
      })),
    )
    .execute();
}

/** The newest records first. */
export async function list(db: Db, opts: { limit?: number } = {}): Promise<AuthzDecisionRow[]> {
  return db
    .selectFrom('authz_decisions')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 100)
    .execute();
}

/**
 * Deletes records older than `before`, then the oldest beyond `maxRecords`; answers how many went.
 */
export async function prune(db: Db, opts: { before: Date; maxRecords: number }): Promise<number> {
  const old = await db.deleteFrom('authz_decisions').where('created_at', '<', opts.before).executeTakeFirst();
  const keep = db
    .selectFrom('authz_decisions')
    .select('id')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.maxRecords);
  const extra = await db.deleteFrom('authz_decisions').where('id', 'not in', keep).executeTakeFirst();
  return Number(old.numDeletedRows) + Number(extra.numDeletedRows);
}

/** Sort fields of `GET /authz/decisions` (agno `AUDIT_SORT_FIELDS`; `actor` is the principal). */
export const DECISION_SORT_FIELDS = ['created_at', 'actor', 'action', 'target'] as const;

const DECISION_COLUMN = {
  created_at: 'created_at',
  actor: 'principal',
  action: 'action',
  target: 'target',
} as const;

/**
 * A page of records and the number matching: `search` is a case-insensitive substring of the
 * principal, the action or the target (agno `AUDIT_SEARCH_FIELDS`).
 */
export async function page(
  db: Db,
  q: {
    limit: number;
    offset: number;
    search?: string | undefined;
    sortBy: (typeof DECISION_SORT_FIELDS)[number];
    order: 'asc' | 'desc';
  },
): Promise<{ rows: AuthzDecisionRow[]; total: number }> {
  let base = db.selectFrom('authz_decisions');
  if (q.search) {
    const like = `%${likeEscape(q.search)}%`;
    base = base.where((eb) =>
      eb.or([
        eb('principal', 'ilike', like),
        eb(sql<string>`action`, 'ilike', like),
        eb('target', 'ilike', like),
      ]),
    );
  }
  return pageOf(
    base,
    (b) => b.selectAll().orderBy(DECISION_COLUMN[q.sortBy], q.order).orderBy('id', q.order),
    {
      limit: q.limit,
      offset: q.offset,
    },
  );
}
