/**
 * @module The object-level checks of the workflow WebSocket, each in one place so that it can be
 * swapped for the server's generic version when that lands (`x-contains`, `x-approval-gate` in the
 * route table): the run's ownership (the REST run handlers' `ownedRun`, research §5
 * `verify_run_in_session`) and the approval gate on continue (contract.md §7, the run engine's
 * `approvalGate` flag, decided as the REST continue handler decides it).
 */
import { type CallerContext, compileGrants, compileRequirement, satisfies } from '@agentos/core';
import type { ServerContext } from '../context.js';
import type { RunRow } from '../db/index.js';
import { runs, sessions } from '../db/repos/index.js';
import { sessionEntityId } from '../runtime/store.js';

/**
 * The top-level run of the workflow, in the given session, when the session belongs to the
 * workflow and (when `owner` is set) to that user. Anything else reads as missing.
 */
export async function ownedWorkflowRun(
  ctx: ServerContext,
  workflowId: string,
  runId: string,
  sessionId: string,
  owner: string | null,
): Promise<RunRow | undefined> {
  const db = ctx.database.db;
  const s = await sessions.get(db, sessionId);
  if (!s || s.session_type !== 'workflow' || sessionEntityId(s) !== workflowId) return undefined;
  if (owner !== null && s.user_id !== owner) return undefined;
  const run = await runs.get(db, runId);
  if (!run || run.session_id !== sessionId || run.entity_type !== 'workflow' || run.entity_id !== workflowId)
    return undefined;
  if (run.parent_run_id !== null) return undefined;
  return run;
}

/** The stored run, whoever owns it (for callers isolation does not apply to). */
export function anyRun(ctx: ServerContext, runId: string): Promise<RunRow | undefined> {
  return runs.get(ctx.database.db, runId);
}

/**
 * Contract §7: true when a continue must stop at a pending required approval, i.e. the caller may
 * not resolve approvals (scopes enforced, not admin, no `approvals:write`). Mirrors the REST
 * continue handler's decision.
 */
export function approvalGateApplies(ctx: ServerContext, caller: CallerContext): boolean {
  if (ctx.config.auth.mode !== 'rbac') return false;
  if (caller.isAdmin) return false;
  const adminScope = ctx.config.auth.adminScope;
  return !satisfies(
    compileGrants(caller.scopes, { adminScope }),
    compileRequirement('approvals:write', { adminScope }),
    {},
  );
}
