/**
 * @module Memories: user memories CRUD, topics, per-user statistics and a deterministic
 * optimisation (duplicates merged). Research §1.6; isolation per contract.md §5 (reads limited to
 * the caller's memories; writes attributed to the caller; another user's memory answers 404).
 *
 * `POST /optimize-memories` needs no model here: memories whose text is the same once case,
 * spacing and trailing punctuation are ignored are merged into the most recently updated one
 * (topics united). Token counts are estimated as ⌈characters / 4⌉ per memory.
 */

import type { MemoryRow } from '../db/index.js';
import { memories } from '../db/repos/index.js';
import type { MemoryMerge } from '../db/repos/memories.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { readScope, writeOwner } from './isolation.js';
import { pageMeta, pageRequest, sortOrder, startTimer } from './pagination.js';
import { fail, iso, qs, type Schemas } from './wire.js';

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

/** The API shape of a stored memory (non-string topics are dropped). */
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

  return {
    async createMemory({ body, caller }) {
      const owner = writeOwner(caller, body.user_id);
      if (owner === null) fail(400, 'User ID is required');
      const now = ctx.now();
      const row = await memories.create(db(), {
        memory: body.memory,
        topics: body.topics,
        user_id: owner,
        created_at: now,
        updated_at: now,
      });
      return { status: 200, body: toMemory(row) };
    },

    async listMemories({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await memories.list(db(), {
        userId: readScope(caller, query.user_id),
        agentId: qs(query.agent_id),
        teamId: qs(query.team_id),
        topics: topicsOf(query.topics),
        searchContent: qs(query.search_content),
        sortBy: query.sort_by,
        sortOrder: sortOrder(query.sort_order),
        limit: p.limit,
        page: p.page,
      });
      return { status: 200, body: { data: rows.map(toMemory), meta: pageMeta(p, total, started) } };
    },

    async deleteMemories({ body, caller }) {
      const owner = caller.scopedUserId ?? body.user_id ?? undefined;
      await memories.deleteMany(db(), body.memory_ids, { userId: owner });
      return { status: 204 };
    },

    async getMemory({ path, query, caller }) {
      const row = await memories.get(db(), path.memory_id, { userId: readScope(caller, query.user_id) });
      if (!row) fail(404, `Memory with ID ${path.memory_id} not found`);
      return { status: 200, body: toMemory(row) };
    },

    async updateMemory({ path, body, caller }) {
      const owner = writeOwner(caller, body.user_id);
      if (owner === null) fail(400, 'User ID is required');
      const existing = await memories.get(db(), path.memory_id);
      // Isolated callers may only change their own existing memory; naming another user's id
      // answers 404 exactly like a missing one (the Python upsert would otherwise overwrite it).
      if (caller.scopedUserId !== null && (!existing || existing.user_id !== caller.scopedUserId))
        fail(404, 'Memory not found');
      const now = ctx.now();
      const row = await memories.upsert(db(), path.memory_id, {
        memory: body.memory,
        topics: body.topics,
        user_id: owner,
        created_at: now,
        updated_at: now,
      });
      return { status: 200, body: toMemory(row) };
    },

    async deleteMemory({ path, query, caller }) {
      await memories.remove(db(), path.memory_id, { userId: readScope(caller, query.user_id) });
      return { status: 204 };
    },

    async listMemoryTopics({ query, caller }) {
      const topics = await memories.topics(db(), { userId: readScope(caller, query.user_id) });
      return { status: 200, body: topics };
    },

    async getUserMemoryStats({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await memories.userStats(db(), {
        userId: readScope(caller, query.user_id),
        limit: p.limit,
        page: p.page,
      });
      return {
        status: 200,
        body: {
          data: rows.map((r) => ({
            user_id: r.user_id,
            total_memories: r.total_memories,
            last_memory_updated_at: iso(r.last_memory_updated_at),
          })),
          meta: pageMeta(p, total, started),
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
      const stored = await memories.listForUser(db(), userId);
      if (stored.length === 0) fail(404, `No memories found for user ${userId}`);

      // Most recent first, so the first memory of each group is the one kept.
      const groups = new Map<string, MemoryRow[]>();
      for (const m of stored) {
        const key = duplicateKey(m.memory);
        const group = groups.get(key);
        if (group) group.push(m);
        else groups.set(key, [m]);
      }
      const now = ctx.now();
      const kept: MemoryRow[] = [];
      const merges: MemoryMerge[] = [];
      for (const group of groups.values()) {
        const [first, ...rest] = group as [MemoryRow, ...MemoryRow[]];
        if (rest.length === 0) {
          kept.push(first);
          continue;
        }
        const topics: string[] = [];
        for (const m of group)
          for (const t of Array.isArray(m.topics) ? m.topics : [])
            if (typeof t === 'string' && !topics.includes(t)) topics.push(t);
        merges.push({ keepId: first.memory_id, topics, removeIds: rest.map((m) => m.memory_id) });
        kept.push({ ...first, topics, updated_at: now });
      }
      if (apply) await memories.merge(db(), merges, now);
      const tokensBefore = stored.reduce((n, m) => n + tokens(m.memory), 0);
      const tokensAfter = kept.reduce((n, m) => n + tokens(m.memory), 0);
      const saved = tokensBefore - tokensAfter;
      return {
        status: 200,
        body: {
          memories: kept.map(toMemory),
          memories_before: stored.length,
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
