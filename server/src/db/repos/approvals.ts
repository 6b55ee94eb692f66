/**
 * Human approvals of paused runs. User-owned through `user_id` (the user whose run asked).
 * Reads join the run to report `run_status`. `resolve` only changes a pending approval, so two
 * resolvers racing (on any instances) cannot both win.
 */
import type { ApprovalRow, ApprovalStatus } from '../schema.js';
import {
  type Db,
  dbNow,
  json,
  newId,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  toCount,
} from '../util.js';

export interface NewApproval {
  id?: string;
  run_id: string;
  session_id: string;
  /** `agent`, `team` or `workflow`. */
  source_type: string;
  status?: ApprovalStatus;
  approval_type?: string | null;
  pause_type?: string | null;
  tool_name?: string | null;
  tool_args?: unknown;
  expires_at?: Date | null;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
  user_id?: string | null;
  schedule_id?: string | null;
  schedule_run_id?: string | null;
  source_name?: string | null;
  requirements?: unknown;
  context?: unknown;
  /** Default: the database's time. */
  created_at?: Date;
}

/** An approval with the status of its run (null when the run is not stored). */
export interface ApprovalWithRun extends ApprovalRow {
  run_status: string | null;
}

export interface ListApprovalsOptions extends PageOptions {
  status?: ApprovalStatus;
  sourceType?: string;
  approvalType?: string;
  pauseType?: string;
  agentId?: string;
  teamId?: string;
  workflowId?: string;
  userId?: string;
  scheduleId?: string;
  runId?: string;
  sessionId?: string;
}

function withRun(db: Db) {
  return db
    .selectFrom('approvals')
    .leftJoin('runs', 'runs.run_id', 'approvals.run_id')
    .selectAll('approvals')
    .select('runs.status as run_status');
}

export async function create(db: Db, a: NewApproval): Promise<ApprovalRow> {
  return db
    .insertInto('approvals')
    .values({
      id: a.id ?? newId(),
      run_id: a.run_id,
      session_id: a.session_id,
      source_type: a.source_type,
      ...(a.status ? { status: a.status } : {}),
      approval_type: a.approval_type ?? null,
      pause_type: a.pause_type ?? null,
      tool_name: a.tool_name ?? null,
      tool_args: json(a.tool_args),
      expires_at: a.expires_at ?? null,
      agent_id: a.agent_id ?? null,
      team_id: a.team_id ?? null,
      workflow_id: a.workflow_id ?? null,
      user_id: a.user_id ?? null,
      schedule_id: a.schedule_id ?? null,
      schedule_run_id: a.schedule_run_id ?? null,
      source_name: a.source_name ?? null,
      requirements: json(a.requirements),
      context: json(a.context),
      ...(a.created_at ? { created_at: a.created_at } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function get(
  db: Db,
  id: string,
  scope: { userId?: string } = {},
): Promise<ApprovalWithRun | undefined> {
  return withRun(db)
    .where('approvals.id', '=', id)
    .$if(scope.userId !== undefined, (q) => q.where('approvals.user_id', '=', scope.userId!))
    .executeTakeFirst();
}

/** Approvals, newest first. */
export async function list(db: Db, opts: ListApprovalsOptions = {}): Promise<Page<ApprovalWithRun>> {
  const { limit, offset } = paging(opts, 100);
  const base = db
    .selectFrom('approvals')
    .$if(opts.status !== undefined, (q) => q.where('approvals.status', '=', opts.status!))
    .$if(opts.sourceType !== undefined, (q) => q.where('approvals.source_type', '=', opts.sourceType!))
    .$if(opts.approvalType !== undefined, (q) => q.where('approvals.approval_type', '=', opts.approvalType!))
    .$if(opts.pauseType !== undefined, (q) => q.where('approvals.pause_type', '=', opts.pauseType!))
    .$if(opts.agentId !== undefined, (q) => q.where('approvals.agent_id', '=', opts.agentId!))
    .$if(opts.teamId !== undefined, (q) => q.where('approvals.team_id', '=', opts.teamId!))
    .$if(opts.workflowId !== undefined, (q) => q.where('approvals.workflow_id', '=', opts.workflowId!))
    .$if(opts.userId !== undefined, (q) => q.where('approvals.user_id', '=', opts.userId!))
    .$if(opts.scheduleId !== undefined, (q) => q.where('approvals.schedule_id', '=', opts.scheduleId!))
    .$if(opts.runId !== undefined, (q) => q.where('approvals.run_id', '=', opts.runId!))
    .$if(opts.sessionId !== undefined, (q) => q.where('approvals.session_id', '=', opts.sessionId!));
  return pageOf(
    base,
    (q) =>
      q
        .leftJoin('runs', 'runs.run_id', 'approvals.run_id')
        .selectAll('approvals')
        .select('runs.status as run_status')
        .orderBy('approvals.created_at', 'desc')
        .orderBy('approvals.id', 'desc'),
    { limit, offset },
  );
}

/** Number of pending approvals (of one user, if given). */
export async function countPending(db: Db, scope: { userId?: string } = {}): Promise<number> {
  const r = await db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirstOrThrow();
  return toCount(r.n);
}

/** The pending approvals of a run (of one `approvalType` when given), oldest first. */
export async function listPendingForRun(
  db: Db,
  runId: string,
  opts: { approvalType?: string } = {},
): Promise<ApprovalRow[]> {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .$if(opts.approvalType !== undefined, (q) => q.where('approval_type', '=', opts.approvalType!))
    .orderBy('created_at')
    .execute();
}

/** The approvals with these ids (those that exist, in no particular order). */
export async function getMany(db: Db, ids: readonly string[]): Promise<ApprovalRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

/**
 * Resolves a pending approval that has not expired at `now`. Answers the updated row, or
 * undefined when there is none (look it up to tell 404 from 409). `resolutionData` is stored only
 * when given.
 */
export async function resolve(
  db: Db,
  id: string,
  resolution: { status: 'approved' | 'rejected'; resolvedBy?: string | null; resolutionData?: unknown },
  now: Date = new Date(),
): Promise<ApprovalRow | undefined> {
  const data = json(resolution.resolutionData);
  return db
    .updateTable('approvals')
    .set({
      status: resolution.status,
      resolved_by: resolution.resolvedBy ?? null,
      resolved_at: now,
      updated_at: now,
      ...(data === null ? {} : { resolution_data: data }),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .returningAll()
    .executeTakeFirst();
}

/** Moves pending approvals of a run to `cancelled` (the run was cancelled); answers how many. */
export async function cancelForRun(db: Db, runId: string): Promise<number> {
  const r = await db
    .updateTable('approvals')
    .set({ status: 'cancelled', updated_at: dbNow() })
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Moves pending approvals whose `expires_at` is at or before `now` to `expired` (only approval
 * `id` when given); answers how many.
 */
export async function expire(db: Db, now: Date = new Date(), scope: { id?: string } = {}): Promise<number> {
  let q = db
    .updateTable('approvals')
    .set({ status: 'expired', updated_at: now })
    .where('status', '=', 'pending')
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now);
  if (scope.id !== undefined) q = q.where('id', '=', scope.id);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Deletes a settled approval; answers whether one was deleted. A pending approval is never
 * deleted (contract.md §8.3): it would unblock its run without anyone resolving it.
 */
export async function remove(db: Db, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('approvals')
    .where('id', '=', id)
    .where('status', '<>', 'pending')
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export { remove as delete };
