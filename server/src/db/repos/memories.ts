/**
 * User memories. User-owned: every function takes an optional `userId` that limits it to that
 * user's rows.
 */
import { sql } from 'kysely';
import type { MemoryRow } from '../schema.js';
import {
  type Db,
  inTransaction,
  json,
  likeEscape,
  newId,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  sortColumn,
  toCount,
} from '../util.js';

export interface NewMemory {
  memory_id?: string;
  memory: string;
  topics?: string[] | null;
  input?: string | null;
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  created_at?: Date;
  updated_at?: Date;
}

/** What `upsert` writes: the text, topics and owner, and the times (default: the database's now()). */
export type MemoryUpsert = Pick<NewMemory, 'memory' | 'topics' | 'user_id' | 'created_at' | 'updated_at'>;

export const MEMORY_SORT_COLUMNS = [
  'updated_at',
  'created_at',
  'memory_id',
  'memory',
  'user_id',
  'agent_id',
  'team_id',
] as const;

export interface ListMemoriesOptions extends PageOptions {
  userId?: string;
  agentId?: string;
  teamId?: string;
  /** Only memories carrying every one of these topics. */
  topics?: readonly string[];
  /** Case-insensitive substring of the memory text. */
  searchContent?: string;
  /** One of MEMORY_SORT_COLUMNS (default `updated_at`); ties are broken by `memory_id`. */
  sortBy?: string;
  /** `asc` or `desc` (default), for the sort column and the tie-breaker alike. */
  sortOrder?: string;
}

/** One group of duplicate memories: the memory kept, the topics it gets, the memories removed. */
export interface MemoryMerge {
  keepId: string;
  topics: string[];
  removeIds: string[];
}

function values(m: NewMemory) {
  return {
    memory_id: m.memory_id ?? newId(),
    memory: m.memory,
    topics: json(m.topics ?? [])!,
    input: m.input ?? null,
    user_id: m.user_id ?? null,
    agent_id: m.agent_id ?? null,
    team_id: m.team_id ?? null,
    ...(m.created_at ? { created_at: m.created_at } : {}),
    ...(m.updated_at ? { updated_at: m.updated_at } : {}),
  };
}

/** Inserts a memory (a new random id unless `memory_id` is given). */
export async function create(db: Db, memory: NewMemory): Promise<MemoryRow> {
  return db.insertInto('memories').values(values(memory)).returningAll().executeTakeFirstOrThrow();
}

/** The memory with this id (of `scope.userId` when given), or undefined. */
export async function get(
  db: Db,
  memoryId: string,
  scope: { userId?: string } = {},
): Promise<MemoryRow | undefined> {
  return db
    .selectFrom('memories')
    .selectAll()
    .where('memory_id', '=', memoryId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
}

/** A page of memories matching every filter given, and how many match. */
export async function list(db: Db, opts: ListMemoriesOptions = {}): Promise<Page<MemoryRow>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('memories')
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .$if(opts.agentId !== undefined, (q) => q.where('agent_id', '=', opts.agentId!))
    .$if(opts.teamId !== undefined, (q) => q.where('team_id', '=', opts.teamId!))
    .$if(!!opts.topics && opts.topics.length > 0, (q) =>
      q.where(sql<boolean>`topics @> ${json(opts.topics)}::jsonb`),
    )
    .$if(!!opts.searchContent, (q) => q.where('memory', 'ilike', `%${likeEscape(opts.searchContent!)}%`));
  const sortBy = sortColumn(opts.sortBy, MEMORY_SORT_COLUMNS, 'updated_at');
  const direction = order(opts.sortOrder);
  return pageOf(base, (q) => q.selectAll().orderBy(sortBy, direction).orderBy('memory_id', direction), {
    limit,
    offset,
  });
}

/**
 * Creates memory `memoryId`, or replaces the text, topics, owner and `updated_at` of the existing
 * one (its `created_at`, `input`, agent and team are kept).
 */
export async function upsert(db: Db, memoryId: string, memory: MemoryUpsert): Promise<MemoryRow> {
  return db
    .insertInto('memories')
    .values(values({ ...memory, memory_id: memoryId }))
    .onConflict((oc) =>
      oc.column('memory_id').doUpdateSet((eb) => ({
        memory: eb.ref('excluded.memory'),
        topics: eb.ref('excluded.topics'),
        user_id: eb.ref('excluded.user_id'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Deletes a memory (of `scope.userId` when given); false if no row matched. */
export async function remove(db: Db, memoryId: string, scope: { userId?: string } = {}): Promise<boolean> {
  const r = await db
    .deleteFrom('memories')
    .where('memory_id', '=', memoryId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes the memories with these ids (of `scope.userId` when given); answers the number deleted. */
export async function deleteMany(
  db: Db,
  memoryIds: readonly string[],
  scope: { userId?: string } = {},
): Promise<number> {
  if (memoryIds.length === 0) return 0;
  const r = await db
    .deleteFrom('memories')
    .where('memory_id', 'in', memoryIds)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The distinct topics in use, in the database's text order. A `topics` value that is not a JSON
 * array (written by another client) counts as no topics.
 */
export async function topics(db: Db, scope: { userId?: string } = {}): Promise<string[]> {
  const { userId } = scope;
  const result = await sql<{ topic: string }>`
    select distinct t.topic from memories m
    cross join lateral jsonb_array_elements_text(
      case when jsonb_typeof(m.topics) = 'array' then m.topics else '[]'::jsonb end
    ) as t(topic)
    where ${userId === undefined ? sql`true` : sql`m.user_id = ${userId}`}
    order by t.topic`.execute(db);
  return result.rows.map((r) => r.topic);
}

export interface UserMemoryStats {
  user_id: string;
  total_memories: number;
  last_memory_updated_at: Date | null;
}

/** Memory counts per user (users without an id are left out), most recently updated first. */
export async function userStats(
  db: Db,
  opts: PageOptions & { userId?: string } = {},
): Promise<Page<UserMemoryStats>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('memories')
    .where('user_id', 'is not', null)
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!));
  const [count, rows] = await Promise.all([
    base.select(sql<number>`count(distinct user_id)`.as('n')).executeTakeFirstOrThrow(),
    base
      .select((eb) => [
        'user_id',
        eb.fn.countAll<number>().as('total_memories'),
        eb.fn.max('updated_at').as('last_memory_updated_at'),
      ])
      .groupBy('user_id')
      .orderBy('last_memory_updated_at', 'desc')
      .orderBy('user_id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return {
    rows: rows.map((r) => ({
      user_id: r.user_id!,
      total_memories: toCount(r.total_memories),
      last_memory_updated_at: r.last_memory_updated_at,
    })),
    total: toCount(count.n),
  };
}

/** Every memory of a user, most recently updated first (input of the memory optimizer). */
export async function listForUser(db: Db, userId: string): Promise<MemoryRow[]> {
  return db
    .selectFrom('memories')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('updated_at', 'desc')
    .orderBy('memory_id')
    .execute();
}

/**
 * Applies the optimizer's merges in one transaction: deletes every removed memory, then gives each
 * kept one its merged topics and `updatedAt`. Other memories are left alone.
 */
export async function merge(db: Db, merges: readonly MemoryMerge[], updatedAt: Date): Promise<void> {
  if (merges.length === 0) return;
  const removeIds = merges.flatMap((m) => m.removeIds);
  await inTransaction(db, async (trx) => {
    if (removeIds.length > 0) await trx.deleteFrom('memories').where('memory_id', 'in', removeIds).execute();
    for (const m of merges)
      await trx
        .updateTable('memories')
        .set({ topics: json(m.topics)!, updated_at: updatedAt })
        .where('memory_id', '=', m.keepId)
        .execute();
  });
}

export { remove as delete };
