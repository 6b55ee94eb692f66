/**
 * @module Learnings: learning records CRUD, the users that own learnings, and delete by user.
 * Research §1.7 and §5. For an isolated (non-admin) caller: lists hold the caller's own records
 * and the records without an owner; an explicit other `user_id` answers 403 with the Python
 * messages; another user's record answers 404; changing a record without owner answers 403.
 * Identity-keyed types get the deterministic ids the Python learning stores use.
 */
import { randomUUID } from 'node:crypto';
import type { CallerContext } from '@agentos/core';
import type { LearningRow } from '../db/index.js';
import { learnings } from '../db/repos/index.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { pageMeta, pageRequest, sortOrder, startTimer } from './pagination.js';
import { asObject, epoch, fail, qs, type Schemas } from './wire.js';

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

/** The API shape of a stored learning (times as epoch seconds). */
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
    const row = await learnings.get(db(), id);
    if (!row) fail(404, 'Learning not found');
    return row;
  }

  return {
    async listLearnings({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit, 100);
      let userId = qs(query.user_id);
      let includeUnowned = false;
      if (caller.scopedUserId !== null) {
        if (userId !== undefined && userId !== caller.scopedUserId)
          fail(403, 'Cannot list learnings for another user');
        userId = caller.scopedUserId;
        includeUnowned = true;
      }
      const { rows, total } = await learnings.list(db(), {
        userId,
        includeUnowned,
        learningType: qs(query.learning_type),
        agentId: qs(query.agent_id),
        teamId: qs(query.team_id),
        sessionId: qs(query.session_id),
        namespace: qs(query.namespace),
        entityId: qs(query.entity_id),
        entityType: qs(query.entity_type),
        sortBy: query.sort_by,
        sortOrder: sortOrder(query.sort_order),
        limit: p.limit,
        page: p.page,
      });
      return { status: 200, body: { data: rows.map(toLearning), meta: pageMeta(p, total, started) } };
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
      const inserted = await learnings.create(db(), {
        learning_id: learningId,
        learning_type: body.learning_type,
        namespace,
        user_id: body.user_id,
        agent_id: body.agent_id,
        team_id: body.team_id,
        session_id: body.session_id,
        entity_id: body.entity_id,
        entity_type: body.entity_type,
        content: body.content,
        metadata: body.metadata,
        created_at: now,
        updated_at: now,
      });
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
      const { rows, total } = await learnings.userStats(db(), {
        userId,
        learningType: qs(query.learning_type),
        sortBy: query.sort_by,
        sortOrder: sortOrder(query.sort_order),
        limit: p.limit,
        page: p.page,
      });
      return {
        status: 200,
        body: {
          data: rows.map((r) => ({
            user_id: r.user_id,
            last_learning_updated_at: epoch(r.last_learning_updated_at),
          })),
          meta: pageMeta(p, total, started),
        },
      };
    },

    async deleteUserLearnings({ path, query, caller }) {
      if (caller.scopedUserId !== null && path.user_id !== caller.scopedUserId)
        fail(403, 'Cannot delete learnings for another user');
      await learnings.deleteByUser(db(), path.user_id, { learningType: qs(query.learning_type) });
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
      const updated = await learnings.update(db(), path.learning_id, {
        content: b.content,
        metadata: b.metadata,
        updated_at: ctx.now(),
      });
      if (!updated) fail(404, 'Learning not found');
      return { status: 200, body: toLearning(updated) };
    },

    async deleteLearning({ path, caller }) {
      const existing = await fetchLearning(path.learning_id);
      enforceScope(caller, existing, true);
      await learnings.remove(db(), path.learning_id);
      return { status: 204 };
    },
  };
}
