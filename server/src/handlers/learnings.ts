/**
 * @module Learnings: learning records CRUD, the users that own learnings, and delete by user.
 * Research §1.7 and §5. For an isolated (non-admin) caller: lists hold the caller's own records
 * and the records without an owner; an explicit other `user_id` answers 403 with the Python
 * messages; another user's record answers 404; changing a record without owner answers 403.
 * Identity-keyed types get the deterministic ids the Python learning stores use.
 */
import { randomUUID } from 'node:crypto';
import type { CallerContext } from '@agentos/core';
import { sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { json, type LearningRow } from '../db/index.js';
import type { Handlers } from '../generated/server.js';
import {
  asObject,
  epoch,
  fail,
  pageMeta,
  pageRequest,
  qs,
  type Schemas,
  sortOrder,
  startTimer,
} from './_util.js';

export type LearningHandlers = Pick<
  Handlers,
  | 'listLearnings'
  | 'createLearning'
  | 'listLearningUsers'
  | 'deleteUserLearnings'
  | 'getLearning'
  | 'updateLearning'
  | 'deleteLearning'
>;

const DEFAULT_NAMESPACE = 'global';
const IDENTITY_KEYED = new Set(['user_profile', 'user_memory', 'session_context', 'entity_memory']);
/** Namespaces shaped like the per-user entity key (`user_<16 hex>…`) are refused for entity_memory. */
const RESERVED_ENTITY_NAMESPACE = /^user_[0-9a-f]{16}(_.*)?$/;

const NOT_OWNED_403 = 'Only admins can modify learnings that have no owner (user_id is null)';

/** The deterministic id of an identity-keyed learning (agno `build_learning_id`), or null. */
export function buildLearningId(
  type: string,
  f: {
    user_id?: string | null | undefined;
    session_id?: string | null | undefined;
    entity_id?: string | null | undefined;
    entity_type?: string | null | undefined;
    namespace?: string | null | undefined;
  },
): string | null {
  if (type === 'user_profile') return f.user_id ? `user_profile_${f.user_id}` : null;
  if (type === 'user_memory') return f.user_id ? `memories_${f.user_id}` : null;
  if (type === 'session_context') return f.session_id ? `session_context_${f.session_id}` : null;
  if (type === 'entity_memory')
    return f.entity_id && f.entity_type
      ? `entity_${f.namespace || DEFAULT_NAMESPACE}_${f.entity_type}_${f.entity_id}`
      : null;
  return null;
}

export function toLearning(row: LearningRow): Schemas['LearningResponse'] {
  return {
    learning_id: row.learning_id,
    learning_type: row.learning_type,
    namespace: row.namespace,
    user_id: row.user_id,
    agent_id: row.agent_id,
    team_id: row.team_id,
    session_id: row.session_id,
    entity_id: row.entity_id,
    entity_type: row.entity_type,
    content: asObject(row.content),
    metadata: asObject(row.metadata),
    created_at: epoch(row.created_at),
    updated_at: epoch(row.updated_at),
  };
}

/**
 * For an isolated caller: another user's record is 404; a record without owner is readable but
 * only an admin may change it (403). Admins and callers without isolation pass.
 */
function enforceScope(caller: CallerContext, row: LearningRow, mutating: boolean): void {
  const scoped = caller.scopedUserId;
  if (scoped === null) return;
  if (row.user_id === null) {
    if (mutating) fail(403, NOT_OWNED_403);
    return;
  }
  if (row.user_id !== scoped) fail(404, 'Learning not found');
}

/**
 * Creates the Learnings handlers.
 * @example createLearningHandlers(ctx).listLearnings
 */
export function createLearningHandlers(ctx: ServerContext): LearningHandlers {
  const db = () => ctx.database.db;

  async function fetchLearning(id: string): Promise<LearningRow> {
    const row = await db()
      .selectFrom('learnings')
      .selectAll()
      .where('learning_id', '=', id)
      .executeTakeFirst();
    if (!row) fail(404, 'Learning not found');
    return row;
  }

  return {
    async listLearnings({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit, 100);
      let userId = qs(query.user_id);
      let includeGlobal = false;
      if (caller.scopedUserId !== null) {
        if (userId !== undefined && userId !== caller.scopedUserId)
          fail(403, 'Cannot list learnings for another user');
        userId = caller.scopedUserId;
        includeGlobal = true;
      }
      let q = db().selectFrom('learnings');
      for (const key of [
        'learning_type',
        'agent_id',
        'team_id',
        'session_id',
        'namespace',
        'entity_id',
        'entity_type',
      ] as const) {
        const v = qs(query[key]);
        if (v !== undefined) q = q.where(key, '=', v);
      }
      if (userId !== undefined) {
        const u = userId;
        q = includeGlobal
          ? q.where((eb) => eb.or([eb('user_id', '=', u), eb('user_id', 'is', null)]))
          : q.where('user_id', '=', u);
      }
      const countRow = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      const column = query.sort_by === 'created_at' ? 'created_at' : 'updated_at';
      const dir = sortOrder(query.sort_order);
      const rows = await q
        .selectAll()
        .orderBy(column, dir)
        .orderBy('learning_id', dir)
        .limit(p.limit)
        .offset(p.offset)
        .execute();
      return {
        status: 200,
        body: { data: rows.map(toLearning), meta: pageMeta(p, Number(countRow?.n ?? 0), started) },
      };
    },

    async createLearning({ body, caller }) {
      const scoped = caller.scopedUserId;
      if (scoped !== null && body.user_id !== undefined && body.user_id !== null && body.user_id !== scoped)
        fail(403, 'Cannot create learnings for another user');
      if (
        body.learning_type === 'entity_memory' &&
        typeof body.namespace === 'string' &&
        RESERVED_ENTITY_NAMESPACE.test(body.namespace)
      )
        fail(
          422,
          `namespace '${body.namespace}' is reserved: it has the key shape entity_memory uses for namespace="user" records, so a record stored under it would occupy another user's key. Choose a different namespace.`,
        );
      const deterministic = buildLearningId(body.learning_type, body);
      if (IDENTITY_KEYED.has(body.learning_type) && deterministic === null)
        fail(
          422,
          `learning_type '${body.learning_type}' is keyed by its identity fields; provide the required field(s) (user_id, session_id, or entity_id + entity_type) so the record reconciles with the agent's store.`,
        );
      const learningId = deterministic ?? randomUUID();
      let namespace = body.namespace ?? null;
      if (body.learning_type === 'entity_memory' && !namespace) namespace = DEFAULT_NAMESPACE;
      const now = ctx.now();
      const inserted = await db()
        .insertInto('learnings')
        .values({
          learning_id: learningId,
          learning_type: body.learning_type,
          namespace,
          user_id: body.user_id ?? null,
          agent_id: body.agent_id ?? null,
          team_id: body.team_id ?? null,
          session_id: body.session_id ?? null,
          entity_id: body.entity_id ?? null,
          entity_type: body.entity_type ?? null,
          content: json(body.content) ?? undefined,
          metadata: json(body.metadata),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('learning_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted)
        fail(
          409,
          `A '${body.learning_type}' learning already exists for this identity (id '${learningId}'). Use PATCH /learnings/${learningId} to update it.`,
        );
      return { status: 201, body: toLearning(inserted) };
    },

    async listLearningUsers({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit, 20);
      let userId = qs(query.user_id);
      if (caller.scopedUserId !== null) {
        if (userId !== undefined && userId !== caller.scopedUserId)
          fail(403, 'Cannot list learning users for another user');
        userId = caller.scopedUserId;
      }
      let q = db().selectFrom('learnings').where('user_id', 'is not', null);
      if (userId !== undefined) q = q.where('user_id', '=', userId);
      const type = qs(query.learning_type);
      if (type !== undefined) q = q.where('learning_type', '=', type);
      const grouped = q
        .select((eb) => ['user_id', eb.fn.max('updated_at').as('last_updated')])
        .groupBy('user_id');
      const countRow = await db()
        .selectFrom(grouped.as('g'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      const dir = sortOrder(query.sort_order);
      const ordered =
        query.sort_by === 'user_id'
          ? grouped.orderBy('user_id', dir)
          : grouped.orderBy(sql`max(updated_at)`, dir).orderBy('user_id', 'asc');
      const rows = await ordered.limit(p.limit).offset(p.offset).execute();
      return {
        status: 200,
        body: {
          data: rows.map((r) => ({
            user_id: r.user_id ?? '',
            last_learning_updated_at: epoch(r.last_updated as Date | null),
          })),
          meta: pageMeta(p, Number(countRow?.n ?? 0), started),
        },
      };
    },

    async deleteUserLearnings({ path, query, caller }) {
      if (caller.scopedUserId !== null && path.user_id !== caller.scopedUserId)
        fail(403, 'Cannot delete learnings for another user');
      let q = db().deleteFrom('learnings').where('user_id', '=', path.user_id);
      const type = qs(query.learning_type);
      if (type !== undefined) q = q.where('learning_type', '=', type);
      await q.execute();
      return { status: 204 };
    },

    async getLearning({ path, caller }) {
      const row = await fetchLearning(path.learning_id);
      enforceScope(caller, row, false);
      return { status: 200, body: toLearning(row) };
    },

    async updateLearning({ path, body, caller }) {
      const existing = await fetchLearning(path.learning_id);
      enforceScope(caller, existing, true);
      const b = (body ?? {}) as { content?: unknown; metadata?: unknown };
      if (!('content' in b) && !('metadata' in b)) return { status: 200, body: toLearning(existing) };
      if ('content' in b && b.content === null)
        fail(422, 'content cannot be null; omit the field to leave it unchanged');
      const changes: {
        content?: ReturnType<typeof json> & {};
        metadata?: ReturnType<typeof json>;
        updated_at: Date;
      } = { updated_at: ctx.now() };
      if ('content' in b) changes.content = json(b.content) ?? undefined;
      if ('metadata' in b) changes.metadata = json(b.metadata);
      const updated = await db()
        .updateTable('learnings')
        .set(changes)
        .where('learning_id', '=', path.learning_id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) fail(404, 'Learning not found');
      return { status: 200, body: toLearning(updated) };
    },

    async deleteLearning({ path, caller }) {
      const existing = await fetchLearning(path.learning_id);
      enforceScope(caller, existing, true);
      await db().deleteFrom('learnings').where('learning_id', '=', path.learning_id).execute();
      return { status: 204 };
    },
  };
}
