/**
 * User memories. User-owned: every function takes an optional `userId` that limits it to that
 * user's rows.
 */
import { sql } from 'kysely';
import type { MemoryRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  inTransaction,
  json,
  likeEscape,
  newId,
  order,
  type Page,
  type PageOptions,
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

export interface MemoryPatch {
  memory?: string;
  topics?: string[] | null;
  input?: string | null;
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
}

export const MEMORY_SORT_COLUMNS = ['updated_at', 'created_at', 'memory', 'memory_id'] as const;

export interface ListMemoriesOptions extends PageOptions {
  userId?: string;
  agentId?: string;
  teamId?: string;
  /** Only memories carrying every one of these topics. */
  topics?: readonly string[];
  /** Case-insensitive substring of the memory text. */
  searchContent?: string;
  /** One of MEMORY_SORT_COLUMNS (default `updated_at`). */
  sortBy?: string;
  sortOrder?: string;
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

export async function create(db: Db, memory: NewMemory): Promise<MemoryRow> {
  return db.insertInto('memories').values(values(memory)).returningAll().executeTakeFirstOrThrow();
}

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
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .orderBy(sortBy, order(opts.sortOrder))
      .orderBy('memory_id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { rows, total: toCount(count.n) };
}

/** Applies `patch` (bumping `updated_at`); undefined if no row matched. */
export async function update(
  db: Db,
  memoryId: string,
  patch: MemoryPatch,
  scope: { userId?: string } = {},
): Promise<MemoryRow | undefined> {
  const set = defined({
    memory: patch.memory,
    topics: patch.topics === undefined ? undefined : json(patch.topics ?? [])!,
    input: patch.input,
    user_id: patch.user_id,
    agent_id: patch.agent_id,
    team_id: patch.team_id,
  });
  return db
    .updateTable('memories')
    .set({ ...set, updated_at: dbNow() })
    .where('memory_id', '=', memoryId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .returningAll()
    .executeTakeFirst();
}

export async function remove(db: Db, memoryId: string, scope: { userId?: string } = {}): Promise<boolean> {
  const r = await db
    .deleteFrom('memories')
    .where('memory_id', '=', memoryId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

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

/** The distinct topics in use, sorted. */
export async function topics(db: Db, scope: { userId?: string } = {}): Promise<string[]> {
  const rows = await db
    .selectFrom('memories')
    .select(sql<string>`jsonb_array_elements_text(topics)`.as('topic'))
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .execute();
  return [...new Set(rows.map((r) => r.topic))].sort();
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

/** Every memory of a user, oldest first (input of the memory optimizer). */
export async function listForUser(db: Db, userId: string): Promise<MemoryRow[]> {
  return db
    .selectFrom('memories')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('memory_id')
    .execute();
}

/** Replaces all memories of a user in one transaction (the optimizer's `apply`). */
export async function replaceForUser(
  db: Db,
  userId: string,
  memories: ReadonlyArray<Omit<NewMemory, 'user_id'>>,
): Promise<MemoryRow[]> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('memories').where('user_id', '=', userId).execute();
    if (memories.length === 0) return [];
    return trx
      .insertInto('memories')
      .values(memories.map((m) => values({ ...m, user_id: userId })))
      .returningAll()
      .execute();
  });
}

export { remove as delete };
