/**
 * @module Approvals operations: human approvals of paused runs (contract.md §5, §7; research
 * agno-api.md §5).
 *
 * Isolation: a caller is scoped when user isolation applies to it (`caller.scopedUserId`) or
 * when it is a service account without the admin scope (the Python AgentOS scopes `sa:`
 * principals even with isolation off). A scoped caller lists and counts only its own approvals
 * (the `user_id` query cannot widen that), gets 404 for another user's approval, and gets 404
 * on resolve and delete for every approval: those are for admins and unscoped callers.
 */
import type { CallerContext } from '@agentos/core';
import { epochSeconds } from '../db/index.js';
import type { ApprovalWithRun } from '../db/repos/approvals.js';
import { approvals } from '../db/repos/index.js';
import { type Handlers, HttpError } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';

type ApprovalOperations =
  | 'listApprovals'
  | 'countApprovals'
  | 'getApprovalStatus'
  | 'getApproval'
  | 'resolveApproval'
  | 'deleteApproval';

const RUN_STATUSES = new Set([
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'PAUSED',
  'CANCELLED',
  'ERROR',
  'REGENERATED',
]);
type RunStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'PAUSED' | 'CANCELLED' | 'ERROR' | 'REGENERATED';

const NOT_FOUND = { status: 404, body: { detail: 'Approval not found' } } as const;

/** The user every read is limited to, or null for an unscoped caller. */
export function approvalScope(caller: CallerContext): string | null {
  if (caller.scopedUserId !== null) return caller.scopedUserId;
  if (!caller.isAdmin && caller.userId?.startsWith('sa:')) return caller.userId;
  return null;
}

type Row = ApprovalWithRun;

const asObject = (v: unknown) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const asList = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : null);

function toResponse(r: Row) {
  return {
    id: r.id,
    run_id: r.run_id,
    session_id: r.session_id,
    status: r.status,
    source_type: r.source_type,
    approval_type: r.approval_type,
    pause_type: r.pause_type,
    tool_name: r.tool_name,
    tool_args: asObject(r.tool_args),
    expires_at: epochSeconds(r.expires_at),
    agent_id: r.agent_id,
    team_id: r.team_id,
    workflow_id: r.workflow_id,
    user_id: r.user_id,
    schedule_id: r.schedule_id,
    schedule_run_id: r.schedule_run_id,
    source_name: r.source_name,
    requirements: asList(r.requirements),
    context: asObject(r.context),
    resolution_data: asObject(r.resolution_data),
    resolved_by: r.resolved_by,
    resolved_at: epochSeconds(r.resolved_at),
    created_at: epochSeconds(r.created_at),
    updated_at: epochSeconds(r.updated_at),
    run_status: r.run_status !== null && RUN_STATUSES.has(r.run_status) ? (r.run_status as RunStatus) : null,
  };
}

/** Creates the Approvals handlers. */
export function createApprovalHandlers(ctx: ServerContext): Pick<Handlers, ApprovalOperations> {
  const db = ctx.database.db;

  /** The approval if this caller may see it. */
  async function visible(id: string, caller: CallerContext): Promise<Row | undefined> {
    const scope = approvalScope(caller);
    return approvals.get(db, id, scope === null ? {} : { userId: scope });
  }

  return {
    async listApprovals({ query, caller }) {
      const { rows, total } = await approvals.list(db, {
        status: query.status,
        sourceType: query.source_type,
        approvalType: query.approval_type,
        pauseType: query.pause_type,
        agentId: query.agent_id,
        teamId: query.team_id,
        workflowId: query.workflow_id,
        // An isolated caller's own id replaces the query's: it cannot widen the view.
        userId: approvalScope(caller) ?? query.user_id,
        scheduleId: query.schedule_id,
        runId: query.run_id,
        limit: query.limit,
        page: query.page,
      });
      const limit = query.limit ?? 100;
      return {
        status: 200,
        body: {
          data: rows.map(toResponse),
          meta: { page: query.page ?? 1, limit, total_pages: Math.ceil(total / limit), total_count: total },
        },
      };
    },

    async countApprovals({ query, caller }) {
      const userId = approvalScope(caller) ?? query.user_id;
      return {
        status: 200,
        body: { count: await approvals.countPending(db, userId === undefined ? {} : { userId }) },
      };
    },

    async getApprovalStatus({ path, caller }) {
      const row = await visible(path.approval_id, caller);
      if (!row) return NOT_FOUND;
      return {
        status: 200,
        body: {
          approval_id: row.id,
          status: row.status,
          run_id: row.run_id,
          resolved_at: epochSeconds(row.resolved_at),
          resolved_by: row.resolved_by,
        },
      };
    },

    async getApproval({ path, caller }) {
      const row = await visible(path.approval_id, caller);
      return row ? { status: 200, body: toResponse(row) } : NOT_FOUND;
    },

    async resolveApproval({ path, body, caller }) {
      // Resolving is for admins and unscoped callers: a scoped caller cannot tell whether the
      // approval exists (the row's user_id is the requester, not the approver).
      if (approvalScope(caller) !== null) return NOT_FOUND;
      const id = path.approval_id;
      const now = ctx.now();
      const updated = await approvals.resolve(
        db,
        id,
        {
          status: body.status,
          resolvedBy: caller.userId ?? body.resolved_by ?? null,
          resolutionData: body.resolution_data,
        },
        now,
      );
      if (!updated) {
        const existing = await approvals.get(db, id);
        if (!existing) return NOT_FOUND;
        let status = existing.status;
        if (status === 'pending') {
          // Past its expiry: record that, so every reader agrees.
          await approvals.expire(db, now, { id });
          status = 'expired';
        }
        return { status: 409, body: { detail: `Approval is already '${status}' and cannot be resolved` } };
      }
      ctx.logger.info({ approvalId: id, status: body.status, by: caller.userId }, 'approval resolved');
      const row = await approvals.get(db, id);
      return row ? { status: 200, body: toResponse(row) } : NOT_FOUND;
    },

    async deleteApproval({ path, caller }) {
      if (approvalScope(caller) !== null) return NOT_FOUND;
      if (await approvals.remove(db, path.approval_id)) return { status: 204 };
      // The repository never deletes a pending approval: say why, so it gets resolved instead.
      const existing = await approvals.get(db, path.approval_id);
      if (existing?.status !== 'pending') return NOT_FOUND;
      throw new HttpError(
        409,
        'A pending approval cannot be deleted: it would unblock its run. Resolve it first (POST /approvals/{approval_id}/resolve with "approved" or "rejected")',
      );
    },
  };
}
