/**
 * @module Cancelling a PAUSED run: it executes nothing, so it becomes CANCELLED at once (its nested
 * runs too), with its terminal event, and its pending approvals are cancelled with it.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/index.js';
import { type AnyRunRec, type Dict, isTeamRec, isWorkflowRec, nestedRuns, publicOutput } from './output.js';
import { topBase } from './records.js';
import {
  appendEvents,
  cancelPendingApprovals,
  countEvents,
  getRun,
  saveRun,
  transitionRun,
} from './store.js';
import type { RunFrame } from './types.js';

function isObject(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Cancels the run when it is a top-level PAUSED run; anything else is left alone. */
export async function cancelPausedRun(db: Kysely<Schema>, runId: string, now: Date): Promise<void> {
  const row = await getRun(db, runId);
  if (row?.status !== 'PAUSED' || row.parent_run_id !== null || !isObject(row.output)) return;
  // A paused run executes nothing: it becomes CANCELLED at once.
  const rec = structuredClone(row.output) as unknown as AnyRunRec;
  for (const r of [rec, ...nestedRuns(rec)]) if (r.status === 'PAUSED') r.status = 'CANCELLED';
  const t = now;
  const index = Math.max(row.event_count, await countEvents(db, runId));
  const event = isWorkflowRec(rec)
    ? 'WorkflowCancelled'
    : isTeamRec(rec)
      ? 'TeamRunCancelled'
      : 'RunCancelled';
  const frame: RunFrame = {
    index,
    event,
    data: {
      created_at: Math.floor(t.getTime() / 1000),
      event,
      ...topBase(rec),
      reason: 'Run cancelled by user',
    },
  };
  await db.transaction().execute(async (trx) => {
    if (!(await transitionRun(trx, runId, ['PAUSED'], 'CANCELLED', { output: publicOutput(rec), now: t })))
      return;
    await appendEvents(trx, runId, [frame], t);
    // A cancelled run waits for nothing: its pending approvals are cancelled with it.
    await cancelPendingApprovals(trx, runId);
    for (const child of nestedRuns(rec)) {
      await saveRun(trx, {
        runId: child.run_id,
        status: child.status,
        output: publicOutput(child),
        content: child.content ?? null,
        metrics: child.metrics,
        requirements: null,
        now: t,
      });
    }
  });
}
