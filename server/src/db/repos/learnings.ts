/**
 * Learning records. User-owned with shared rows: a row with `user_id` NULL belongs to nobody.
 * `userId` limits to that user's rows; `includeUnowned` adds the rows without owner (the
 * isolated view of `GET /learnings`).
 */
import type { ExpressionBuilder } from 'kysely';
import type { LearningRow, Schema } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  json,
  jsonPatch,
  newId,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  sortColumn,
  toCount,
} from '../util.js';

export interface NewLearning {
  learning_id?: string;
  learning_type: string;
  content: unknown;
  namespace?: string | null;
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  session_id?: string | null;
  entity_id?: string | null;
  entity_type?: string | null;
  metadata?: unknown;
  created_at?: Date;
  updated_at?: Date;
}

export interface LearningPatch {
  content?: unknown;
  metadata?: unknown;
  /** The new `updated_at` (default: the database's now()). */
  updated_at?: Date;
}

export interface LearningScope {
  userId?: string;
  /** With `userId`: also the rows without owner. */
  includeUnowned?: boolean;
}

export const LEARNING_SORT_COLUMNS = ['updated_at', 'created_at'] as const;

export interface ListLearningsOptions extends PageOptions, LearningScope {
  learningType?: string;
  agentId?: string;
  teamId?: string;
  sessionId?: string;
  namespace?: string;
  entityId?: string;
  entityType?: string;
  /** `created_at` or `updated_at` (default); ties are broken by `learning_id`. */
  sortBy?: string;
  /** `asc` or `desc` (default), for the sort column and the tie-breaker alike. */
  sortOrder?: string;
}

export interface LearningUserStatsOptions extends PageOptions {
  userId?: string;
  learningType?: string;
  /** `user_id`, or the last update (default; ties by `user_id` ascending). */
  sortBy?: string;
  /** `asc` or `desc` (default). */
  sortOrder?: string;
}

/** The owner filter of a scope (call only when `scope.userId` is set). */
function owner(scope: LearningScope) {
  const userId = scope.userId!;
  return (eb: ExpressionBuilder<Schema, 'learnings'>) =>
    scope.includeUnowned
      ? eb.or([eb('user_id', '=', userId), eb('user_id', 'is', null)])
      : eb('user_id', '=', userId);
}

/** Inserts a learning; undefined (nothing written) when a learning with this `learning_id` exists. */
export async function create(db: Db, l: NewLearning): Promise<LearningRow | undefined> {
  return db
    .insertInto('learnings')
    .values({
      learning_id: l.learning_id ?? newId(),
      learning_type: l.learning_type,
      content: json(l.content ?? {})!,
      namespace: l.namespace ?? null,
      user_id: l.user_id ?? null,
      agent_id: l.agent_id ?? null,
      team_id: l.team_id ?? null,
      session_id: l.session_id ?? null,
      entity_id: l.entity_id ?? null,
      entity_type: l.entity_type ?? null,
      metadata: json(l.metadata),
      ...(l.created_at ? { created_at: l.created_at } : {}),
      ...(l.updated_at ? { updated_at: l.updated_at } : {}),
    })
    .onConflict((oc) => oc.column('learning_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The learning with this id (within `scope` when given), or undefined. */
export async function get(
  db: Db,
  learningId: string,
  scope: LearningScope = {},
): Promise<LearningRow | undefined> {
  return db
    .selectFrom('learnings')
    .selectAll()
    .where('learning_id', '=', learningId)
    .$if(scope.userId !== undefined, (q) => q.where(owner(scope)))
    .executeTakeFirst();
}

/** A page of learnings matching every filter given, and how many match. */
export async function list(db: Db, opts: ListLearningsOptions = {}): Promise<Page<LearningRow>> {
  const { limit, offset } = paging(opts, 100);
  const base = db
    .selectFrom('learnings')
    .$if(opts.userId !== undefined, (q) => q.where(owner(opts)))
    .$if(opts.learningType !== undefined, (q) => q.where('learning_type', '=', opts.learningType!))
    .$if(opts.agentId !== undefined, (q) => q.where('agent_id', '=', opts.agentId!))
    .$if(opts.teamId !== undefined, (q) => q.where('team_id', '=', opts.teamId!))
    .$if(opts.sessionId !== undefined, (q) => q.where('session_id', '=', opts.sessionId!))
    .$if(opts.namespace !== undefined, (q) => q.where('namespace', '=', opts.namespace!))
    .$if(opts.entityId !== undefined, (q) => q.where('entity_id', '=', opts.entityId!))
    .$if(opts.entityType !== undefined, (q) => q.where('entity_type', '=', opts.entityType!));
  const sortBy = sortColumn(opts.sortBy, LEARNING_SORT_COLUMNS, 'updated_at');
  const direction = order(opts.sortOrder);
  return pageOf(base, (q) => q.selectAll().orderBy(sortBy, direction).orderBy('learning_id', direction), {
    limit,
    offset,
  });
}

/** Replaces `content` and/or `metadata` (bumping `updated_at`); undefined if no row matched. */
export async function update(
  db: Db,
  learningId: string,
  patch: LearningPatch,
  scope: LearningScope = {},
): Promise<LearningRow | undefined> {
  const set = defined({
    content: patch.content === undefined ? undefined : json(patch.content)!,
    metadata: jsonPatch(patch.metadata),
  });
  return db
    .updateTable('learnings')
    .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
    .where('learning_id', '=', learningId)
    .$if(scope.userId !== undefined, (q) => q.where(owner(scope)))
    .returningAll()
    .executeTakeFirst();
}

/** Deletes a learning (within `scope` when given); false if no row matched. */
export async function remove(db: Db, learningId: string, scope: LearningScope = {}): Promise<boolean> {
  const r = await db
    .deleteFrom('learnings')
    .where('learning_id', '=', learningId)
    .$if(scope.userId !== undefined, (q) => q.where(owner(scope)))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes every learning of a user (optionally of one type); answers the number deleted. */
export async function deleteByUser(
  db: Db,
  userId: string,
  opts: { learningType?: string } = {},
): Promise<number> {
  const r = await db
    .deleteFrom('learnings')
    .where('user_id', '=', userId)
    .$if(opts.learningType !== undefined, (q) => q.where('learning_type', '=', opts.learningType!))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export interface LearningUserStats {
  user_id: string;
  last_learning_updated_at: Date | null;
}

/** Users with learnings (owned rows only) and their last update; by last update unless `sortBy` is `user_id`. */
export async function userStats(
  db: Db,
  opts: LearningUserStatsOptions = {},
): Promise<Page<LearningUserStats>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('learnings')
    .where('user_id', 'is not', null)
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .$if(opts.learningType !== undefined, (q) => q.where('learning_type', '=', opts.learningType!));
  const grouped = base
    .select((eb) => ['user_id', eb.fn.max('updated_at').as('last_learning_updated_at')])
    .groupBy('user_id');
  const direction = order(opts.sortOrder);
  const sorted =
    opts.sortBy === 'user_id'
      ? grouped.orderBy('user_id', direction)
      : grouped.orderBy('last_learning_updated_at', direction).orderBy('user_id');
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.count<number>('user_id').distinct().as('n')).executeTakeFirstOrThrow(),
    sorted.limit(limit).offset(offset).execute(),
  ]);
  return {
    rows: rows.map((r) => ({ user_id: r.user_id!, last_learning_updated_at: r.last_learning_updated_at })),
    total: toCount(count.n),
  };
}

export { remove as delete };
