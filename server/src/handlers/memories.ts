/**
 * @module Memories: user memories CRUD, topics, per-user statistics and a deterministic
 * optimisation (duplicates merged). Research §1.6; isolation per contract.md §5 (reads limited to
 * the caller's memories; writes attributed to the caller; another user's memory answers 404).
 *
 * `POST /optimize-memories` needs no model here: memories whose text is the same once case,
 * spacing and trailing punctuation are ignored are merged into the most recently updated one
 * (topics united). Token counts are estimated as ⌈characters / 4⌉ per memory.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { json, likeEscape, type MemoryRow } from '../db/index.js';
import type { Handlers } from '../generated/server.js';
import {
  fail,
  iso,
  pageMeta,
  pageRequest,
  qs,
  readScope,
  type Schemas,
  sortColumn,
  sortOrder,
  startTimer,
  writeOwner,
} from './_util.js';

export type MemoryHandlers = Pick<
  Handlers,
  | 'createMemory'
  | 'listMemories'
  | 'deleteMemories'
  | 'getMemory'
  | 'updateMemory'
  | 'deleteMemory'
  | 'listMemoryTopics'
  | 'getUserMemoryStats'
  | 'optimizeMemories'
>;

const SORTABLE = [
  'updated_at',
  'created_at',
  'memory_id',
  'memory',
  'user_id',
  'agent_id',
  'team_id',
] as const;

export function toMemory(row: MemoryRow): Schemas['UserMemorySchema'] {
  return {
    memory_id: row.memory_id,
    memory: row.memory,
    topics: Array.isArray(row.topics) ? row.topics.filter((t): t is string => typeof t === 'string') : [],
    agent_id: row.agent_id,
    team_id: row.team_id,
    user_id: row.user_id,
    updated_at: iso(row.updated_at),
  };
}

/** The `topics` query value: an array after validation (`style: form, explode: false`), or a comma list. */
function topicsOf(v: unknown): string[] | undefined {
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  const topics = raw
    .flatMap((t) => String(t).split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return topics.length > 0 ? topics : undefined;
}

/** Estimated tokens of a text (about four characters per token). */
function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The key under which two memories count as duplicates. */
function duplicateKey(memory: string): string {
  return memory
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.!?;,:]+$/u, '');
}

const MODEL_STRING = /^[A-Za-z0-9_.-]+:\S+$/;

/**
 * Creates the Memories handlers.
 * @example createMemoryHandlers(ctx).listMemories
 */
export function createMemoryHandlers(ctx: ServerContext): MemoryHandlers {
  const db = () => ctx.database.db;

  async function findMemory(memoryId: string, userId: string | undefined): Promise<MemoryRow | null> {
    let q = db().selectFrom('memories').selectAll().where('memory_id', '=', memoryId);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return (await q.executeTakeFirst()) ?? null;
  }

  return {
    async createMemory({ body, caller }) {
      const owner = writeOwner(caller, body.user_id);
      if (owner === null) fail(400, 'User ID is required');
      const now = ctx.now();
      const row = await db()
        .insertInto('memories')
        .values({
          memory_id: randomUUID(),
          memory: body.memory,
          topics: json(body.topics ?? []) ?? undefined,
          user_id: owner,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { status: 200, body: toMemory(row) };
    },

    async listMemories({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      let q = db().selectFrom('memories');
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) q = q.where('user_id', '=', userId);
      const agentId = qs(query.agent_id);
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const teamId = qs(query.team_id);
      if (teamId !== undefined) q = q.where('team_id', '=', teamId);
      const topics = topicsOf(query.topics);
      if (topics) q = q.where(sql<boolean>`topics @> ${json(topics)}::jsonb`);
      const search = qs(query.search_content);
      if (search !== undefined) q = q.where('memory', 'ilike', `%${likeEscape(search)}%`);
      const countRow = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      const column = sortColumn(query.sort_by, SORTABLE, 'updated_at');
      const dir = sortOrder(query.sort_order);
      const rows = await q
        .selectAll()
        .orderBy(column, dir)
        .orderBy('memory_id', dir)
        .limit(p.limit)
        .offset(p.offset)
        .execute();
      return {
        status: 200,
        body: { data: rows.map(toMemory), meta: pageMeta(p, Number(countRow?.n ?? 0), started) },
      };
    },

    async deleteMemories({ body, caller }) {
      let q = db().deleteFrom('memories').where('memory_id', 'in', body.memory_ids);
      const owner = caller.scopedUserId ?? body.user_id ?? undefined;
      if (owner !== undefined) q = q.where('user_id', '=', owner);
      await q.execute();
      return { status: 204 };
    },

    async getMemory({ path, query, caller }) {
      const row = await findMemory(path.memory_id, readScope(caller, query.user_id));
      if (!row) fail(404, `Memory with ID ${path.memory_id} not found`);
      return { status: 200, body: toMemory(row) };
    },

    async updateMemory({ path, body, caller }) {
      const owner = writeOwner(caller, body.user_id);
      if (owner === null) fail(400, 'User ID is required');
      const existing = await findMemory(path.memory_id, undefined);
      // Isolated callers may only change their own existing memory; naming another user's id
      // answers 404 exactly like a missing one (the Python upsert would otherwise overwrite it).
      if (caller.scopedUserId !== null && (!existing || existing.user_id !== caller.scopedUserId))
        fail(404, 'Memory not found');
      const now = ctx.now();
      const topics = json(body.topics ?? []) ?? undefined;
      const row = await db()
        .insertInto('memories')
        .values({
          memory_id: path.memory_id,
          memory: body.memory,
          topics,
          user_id: owner,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('memory_id')
            .doUpdateSet({ memory: body.memory, topics, user_id: owner, updated_at: now }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return { status: 200, body: toMemory(row) };
    },

    async deleteMemory({ path, query, caller }) {
      let q = db().deleteFrom('memories').where('memory_id', '=', path.memory_id);
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) q = q.where('user_id', '=', userId);
      await q.execute();
      return { status: 204 };
    },

    async listMemoryTopics({ query, caller }) {
      const userId = readScope(caller, query.user_id);
      const rows = await sql<{ topic: string }>`
        select distinct t.topic from memories m
        cross join lateral jsonb_array_elements_text(
          case when jsonb_typeof(m.topics) = 'array' then m.topics else '[]'::jsonb end
        ) as t(topic)
        where ${userId === undefined ? sql`true` : sql`m.user_id = ${userId}`}
        order by t.topic`.execute(db());
      return { status: 200, body: rows.rows.map((r) => r.topic) };
    },

    async getUserMemoryStats({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const userId = readScope(caller, query.user_id);
      let q = db().selectFrom('memories');
      q = userId !== undefined ? q.where('user_id', '=', userId) : q.where('user_id', 'is not', null);
      const grouped = q
        .select((eb) => [
          'user_id',
          eb.fn.countAll<number>().as('total_memories'),
          eb.fn.max('updated_at').as('last_memory_updated_at'),
        ])
        .groupBy('user_id');
      const countRow = await db()
        .selectFrom(grouped.as('g'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      const rows = await grouped
        .orderBy(sql`max(updated_at)`, 'desc')
        .orderBy('user_id', 'asc')
        .limit(p.limit)
        .offset(p.offset)
        .execute();
      return {
        status: 200,
        body: {
          data: rows.map((r) => ({
            user_id: r.user_id ?? '',
            total_memories: Number(r.total_memories),
            last_memory_updated_at: iso(r.last_memory_updated_at as Date | null),
          })),
          meta: pageMeta(p, Number(countRow?.n ?? 0), started),
        },
      };
    },

    async optimizeMemories({ body, caller }) {
      const userId = caller.scopedUserId ?? body.user_id;
      if (body.model !== undefined && body.model !== null && !MODEL_STRING.test(body.model))
        fail(
          400,
          `Invalid model string '${body.model}': expected 'provider:model_id' (e.g. 'openai:gpt-4o-mini')`,
        );
      const apply = body.apply !== false;
      const memories = await db()
        .selectFrom('memories')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('updated_at', 'desc')
        .orderBy('memory_id', 'asc')
        .execute();
      if (memories.length === 0) fail(404, `No memories found for user ${userId}`);

      // Most recent first, so the first memory of each group is the one kept.
      const groups = new Map<string, MemoryRow[]>();
      for (const m of memories) {
        const key = duplicateKey(m.memory);
        const group = groups.get(key);
        if (group) group.push(m);
        else groups.set(key, [m]);
      }
      const now = ctx.now();
      const kept: MemoryRow[] = [];
      const removed: string[] = [];
      for (const group of groups.values()) {
        const [first, ...rest] = group as [MemoryRow, ...MemoryRow[]];
        const topics: string[] = [];
        for (const m of group)
          for (const t of Array.isArray(m.topics) ? m.topics : [])
            if (typeof t === 'string' && !topics.includes(t)) topics.push(t);
        removed.push(...rest.map((m) => m.memory_id));
        kept.push(rest.length > 0 ? { ...first, topics, updated_at: now } : first);
      }
      if (apply && removed.length > 0) {
        await db()
          .transaction()
          .execute(async (trx) => {
            await trx.deleteFrom('memories').where('memory_id', 'in', removed).execute();
            for (const m of kept)
              if (m.updated_at === now)
                await trx
                  .updateTable('memories')
                  .set({ topics: json(m.topics) ?? undefined, updated_at: now })
                  .where('memory_id', '=', m.memory_id)
                  .execute();
          });
      }
      const tokensBefore = memories.reduce((n, m) => n + tokens(m.memory), 0);
      const tokensAfter = kept.reduce((n, m) => n + tokens(m.memory), 0);
      const saved = tokensBefore - tokensAfter;
      return {
        status: 200,
        body: {
          memories: kept.map(toMemory),
          memories_before: memories.length,
          memories_after: kept.length,
          tokens_before: tokensBefore,
          tokens_after: tokensAfter,
          tokens_saved: saved,
          reduction_percentage: tokensBefore === 0 ? 0 : Math.round((saved / tokensBefore) * 10000) / 100,
        },
      };
    },
  };
}
