/**
 * @module The run records the engine builds (agno's `RunOutput`, `TeamRunOutput`,
 * `WorkflowRunOutput` as stored), their messages and metrics, time-ordered run ids, where a run
 * sits (`Nest`: top level, a team member, a workflow step's executor), and the base fields of
 * each run's events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AgentSpec, TeamSpec, WorkflowSpec } from './entities.js';
import type { ModelResponse } from './model.js';
import {
  type AgentRunRec,
  type AnyRunRec,
  type Dict,
  isTeamRec,
  isWorkflowRec,
  type MessageRec,
  type MetricsRec,
  type TeamRunRec,
  type WorkflowRunRec,
} from './output.js';
import type { OpenSpan } from './trace.js';

/** Where a run sits: top level, a team member, a workflow step executor. */
export interface Nest {
  readonly isTop: boolean;
  readonly parentSpan: OpenSpan | null;
  readonly parentRunId?: string | undefined;
  readonly teamId?: string | undefined;
  readonly workflowId?: string | undefined;
  readonly workflowRunId?: string | undefined;
  readonly stepId?: string | undefined;
  readonly stepName?: string | undefined;
  readonly stepIndex?: number | undefined;
}

export const TOP: Nest = { isTop: true, parentSpan: null };

export const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

export function defined(obj: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

export const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

let lastMs = 0;
let sequence = 0;

/**
 * A UUID version 7 (RFC 9562 §5.7): time-ordered, and monotonic within this process even when
 * the clock stands still (frozen test clocks), so runs created in the same millisecond still list
 * in creation order (`ORDER BY created_at, run_id`).
 */
export function newRunId(now: Date): string {
  let ms = Math.max(now.getTime(), lastMs);
  sequence = ms === lastMs ? sequence + 1 : 0;
  if (sequence > 0xfff) {
    // The counter is spent: borrow the next millisecond (stays monotonic).
    ms += 1;
    sequence = 0;
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  const hi = Math.floor(ms / 2 ** 16);
  bytes.writeUInt32BE(hi >>> 0, 0);
  bytes.writeUInt16BE(ms % 2 ** 16, 4);
  // 12-bit sequence in rand_a, then 62 random bits in rand_b (RFC 9562 method 1, fixed-length counter).
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A message with agno's flags (`from_history`, `stop_after_tool_call`), before the given fields. */
export function message(
  fields: Omit<MessageRec, 'id' | 'from_history' | 'stop_after_tool_call'>,
): MessageRec {
  return { id: randomUUID(), from_history: false, stop_after_tool_call: false, ...fields };
}

/** The usage of one model call, as agno's per-message `metrics`. */
export function messageMetrics(res: ModelResponse): MetricsRec {
  return {
    input_tokens: res.usage.input_tokens,
    output_tokens: res.usage.output_tokens,
    total_tokens: res.usage.total_tokens,
  };
}

function userMessage(content: string, now: Date): MessageRec {
  return message({ role: 'user', content, created_at: epoch(now) });
}

function initialMessages(instructions: string | null, input: string, now: Date): MessageRec[] {
  const out: MessageRec[] = [];
  if (instructions) out.push(message({ role: 'system', content: instructions, created_at: epoch(now) }));
  out.push(userMessage(input, now));
  return out;
}

const zeroMetrics = (): MetricsRec => ({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });

interface NewRecInput {
  readonly runId?: string | undefined;
  readonly sessionId: string;
  readonly userId: string | null;
  readonly input: string;
  readonly parentRunId?: string | undefined;
  readonly workflowId?: string | undefined;
  readonly workflowStepId?: string | undefined;
  readonly now: Date;
}

export function newAgentRec(
  spec: AgentSpec,
  model: { id: string; provider: string },
  r: NewRecInput,
): AgentRunRec {
  return defined({
    run_id: r.runId ?? newRunId(r.now),
    agent_id: spec.id,
    agent_name: spec.name,
    session_id: r.sessionId,
    parent_run_id: r.parentRunId,
    workflow_id: r.workflowId,
    workflow_step_id: r.workflowStepId,
    user_id: r.userId,
    input: { input_content: r.input },
    content_type: 'str',
    model: model.id,
    model_provider: model.provider,
    messages: initialMessages(spec.instructions, r.input, r.now),
    metrics: zeroMetrics(),
    created_at: epoch(r.now),
    status: 'RUNNING',
  }) as unknown as AgentRunRec;
}

export function newTeamRec(
  spec: TeamSpec,
  model: { id: string; provider: string },
  r: NewRecInput,
): TeamRunRec {
  return defined({
    run_id: r.runId ?? newRunId(r.now),
    team_id: spec.id,
    team_name: spec.name,
    session_id: r.sessionId,
    parent_run_id: r.parentRunId,
    workflow_id: r.workflowId,
    workflow_step_id: r.workflowStepId,
    user_id: r.userId,
    input: { input_content: r.input },
    content_type: 'str',
    model: model.id,
    model_provider: model.provider,
    messages: initialMessages(spec.instructions, r.input, r.now),
    metrics: zeroMetrics(),
    member_responses: [],
    created_at: epoch(r.now),
    status: 'RUNNING',
  }) as unknown as TeamRunRec;
}

export function newWorkflowRec(spec: WorkflowSpec, r: NewRecInput): WorkflowRunRec {
  return defined({
    run_id: r.runId ?? newRunId(r.now),
    workflow_id: spec.id,
    workflow_name: spec.name,
    session_id: r.sessionId,
    user_id: r.userId,
    input: r.input,
    content_type: 'str',
    step_results: [],
    step_executor_runs: [],
    // agno's `WorkflowMetrics`: its client reads `metrics.steps` (KeyError without it).
    metrics: { steps: {}, duration: 0 },
    created_at: epoch(r.now),
    status: 'RUNNING',
  }) as unknown as WorkflowRunRec;
}

export function agentBase(rec: AgentRunRec, nest: Nest): Dict {
  return defined({
    agent_id: rec.agent_id,
    agent_name: rec.agent_name,
    run_id: rec.run_id,
    parent_run_id: rec.parent_run_id,
    session_id: rec.session_id,
    workflow_id: nest.workflowId,
    workflow_run_id: nest.workflowRunId,
    step_id: nest.stepId,
    step_name: nest.stepName,
    step_index: nest.stepIndex,
    nested_depth: nestedDepth(nest),
  });
}

export function teamBase(rec: TeamRunRec, nest: Nest): Dict {
  return defined({
    team_id: rec.team_id,
    team_name: rec.team_name,
    run_id: rec.run_id,
    parent_run_id: rec.parent_run_id,
    session_id: rec.session_id,
    workflow_id: nest.workflowId,
    workflow_run_id: nest.workflowRunId,
    step_id: nest.stepId,
    step_name: nest.stepName,
    step_index: nest.stepIndex,
    nested_depth: nestedDepth(nest),
  });
}

export function workflowBase(rec: WorkflowRunRec): Dict {
  return {
    workflow_id: rec.workflow_id,
    workflow_name: rec.workflow_name,
    run_id: rec.run_id,
    session_id: rec.session_id,
    nested_depth: 0,
  };
}

/** agno's `nested_depth`: 0 for a run's own events, 1 for those of a workflow step's executor (and its members). */
function nestedDepth(nest: Nest): number {
  return nest.workflowRunId === undefined ? 0 : 1;
}

/** The base fields of a top-level record's events. */
export function topBase(rec: AnyRunRec): Dict {
  if (isWorkflowRec(rec)) return workflowBase(rec);
  if (isTeamRec(rec)) return teamBase(rec, TOP);
  return agentBase(rec, TOP);
}

export function addDuration(metrics: { duration?: unknown }, started: Date, now: Date): void {
  const prev = typeof metrics.duration === 'number' ? metrics.duration : 0;
  metrics.duration = Math.round((prev + (now.getTime() - started.getTime()) / 1000) * 1000) / 1000;
}
