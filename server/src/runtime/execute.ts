/**
 * @module Runs one segment to its end: the runner of the entity kind from the top, a cancel or an
 * error turned into the run's terminal event, then the final transaction; and the handle a caller
 * follows the segment with.
 */
import { EventQueue, type LiveRun } from './bus.js';
import type { EntitySpec } from './entities.js';
import { ModelProviderError, RunCancelledSignal } from './errors.js';
import {
  type AgentRunRec,
  type AnyRunRec,
  publicOutput,
  type TeamRunRec,
  type WorkflowRunRec,
} from './output.js';
import { TOP } from './records.js';
import { toSse } from './resume.js';
import { runAgent } from './run-agent.js';
import { runTeam } from './run-team.js';
import { runWorkflow } from './run-workflow.js';
import { emitTopTerminal, markUnfinished, type Outcome, type Segment } from './segment.js';
import { transitionRun } from './store.js';
import type { RunHandle, RunOnceResult, RunStatus } from './types.js';

/**
 * Executes a segment (`continuing`: from a paused state; `fromPending`: a background run still
 * PENDING) and answers how the run ended.
 */
export async function executeSegment(
  seg: Segment,
  spec: EntitySpec,
  rec: AnyRunRec,
  continuing: boolean,
  fromPending: boolean,
): Promise<RunOnceResult> {
  let status: RunStatus;
  let error: string | null = null;
  const stopWatching = seg.watchCancelIntents();
  try {
    if (fromPending)
      await transitionRun(seg.deps.db, seg.top.runId, ['PENDING'], 'RUNNING', { now: seg.deps.now() });
    await seg.checkCancel();
    let outcome: Outcome;
    if (spec.kind === 'agent') outcome = await runAgent(seg, spec, rec as AgentRunRec, TOP, continuing);
    else if (spec.kind === 'team') outcome = await runTeam(seg, spec, rec as TeamRunRec, TOP, continuing);
    else outcome = await runWorkflow(seg, spec, rec as WorkflowRunRec, continuing);
    status = outcome === 'completed' ? 'COMPLETED' : outcome === 'paused' ? 'PAUSED' : 'CANCELLED';
  } catch (err) {
    if (err instanceof RunCancelledSignal || seg.live.cancelReason !== null) {
      status = 'CANCELLED';
      const reason =
        seg.live.cancelReason ?? (err instanceof RunCancelledSignal ? err.reason : 'Run cancelled');
      markUnfinished(rec, 'CANCELLED');
      rec.status = 'CANCELLED';
      if (!seg.ended) emitTopTerminal(seg, rec, 'CANCELLED', reason);
    } else {
      status = 'ERROR';
      error = err instanceof Error ? err.message : String(err);
      if (!(err instanceof ModelProviderError))
        seg.deps.logger.error({ err, runId: seg.top.runId }, 'run failed');
      markUnfinished(rec, 'ERROR');
      rec.status = 'ERROR';
      rec.content = error;
      if (!seg.ended) {
        emitTopTerminal(seg, rec, 'ERROR', error, err instanceof Error ? err.name : 'Error');
      }
    }
  }
  stopWatching();
  rec.session_state = structuredClone(seg.sessionState);
  seg.rootSpan?.end({ status: status === 'ERROR' ? 'ERROR' : 'OK' });
  const persisted = await seg.finalize(status, rec, error);
  seg.deps.registry.release(seg.live);
  return {
    runId: seg.top.runId,
    sessionId: seg.top.sessionId,
    status,
    content: rec.content ?? null,
    output: publicOutput(rec),
    persisted,
  };
}

/** The handle of a started or continued run: its events from the segment's first, its end, cancel. */
export function makeHandle(live: LiveRun, done: Promise<RunOnceResult>, initialStatus: RunStatus): RunHandle {
  return {
    runId: live.runId,
    sessionId: live.sessionId,
    kind: live.kind,
    initialStatus,
    events(opts = {}) {
      const q = new EventQueue(
        opts.cancelOnClose ? () => live.requestCancel('Client disconnected') : undefined,
      );
      const unsubscribe = live.subscribe(live.baseIndex, (f) => {
        if (f === null) q.end();
        else q.push(toSse(f, opts.withIndex === true, live.runId));
      });
      q.onFinally(unsubscribe);
      return q;
    },
    done,
    cancel(reason) {
      live.requestCancel(reason ?? 'Run cancelled by user');
    },
  };
}
