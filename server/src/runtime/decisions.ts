/**
 * @module How a continue's decisions apply to a paused run: the caller's tool and step decisions
 * and the resolved approvals (an administrator's rejection wins), on an agent, a team's paused
 * member, or a workflow's paused step or step executor; what is left unresolved is answered.
 */
import type { ApprovalRow } from '../db/index.js';
import {
  type AgentRunRec,
  type AnyRunRec,
  type Dict,
  isTeamRec,
  isWorkflowRec,
  nestedRuns,
  type TeamRunRec,
  type WorkflowRunRec,
} from './output.js';
import type { StepDecision, ToolDecision } from './types.js';

function isObject(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The 409 detail for a run that is not paused (the Python AgentOS's wording). */
export function notContinuable(status: string): string {
  switch (status) {
    case 'RUNNING':
    case 'PENDING':
      return 'run is already running';
    case 'COMPLETED':
      return 'run is already completed';
    case 'ERROR':
      return 'run has errored';
    case 'CANCELLED':
      return 'run is already cancelled';
    default:
      return `run is not paused (status=${status})`;
  }
}

const REJECTED_APPROVAL = new Set(['rejected', 'expired', 'cancelled']);

/**
 * Applies decisions (and resolved approvals) to the paused tools of an agent run.
 * @returns the tools still without a decision
 */
export function applyToolDecisions(
  rec: AgentRunRec,
  decisions: readonly ToolDecision[],
  approvals: ReadonlyMap<string, ApprovalRow>,
): string[] {
  const answered = new Set(rec.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id));
  const unresolved: string[] = [];
  for (const t of rec.tools ?? []) {
    if (answered.has(t.tool_call_id) || !t.requires_confirmation || (t.confirmed ?? null) !== null) continue;
    const req = rec.requirements?.find((r) => r.tool_execution.tool_call_id === t.tool_call_id);
    const d = decisions.find(
      (x) =>
        (x.toolCallId !== undefined && x.toolCallId === t.tool_call_id) ||
        (x.requirementId !== undefined && req !== undefined && x.requirementId === req.id),
    );
    const a = t.approval_id ? approvals.get(t.approval_id) : undefined;
    if (a && REJECTED_APPROVAL.has(a.status)) {
      // An administrator's rejection wins over the caller's own decision.
      t.confirmed = false;
      const data = isObject(a.resolution_data) ? a.resolution_data : {};
      const note =
        typeof data.note === 'string' ? data.note : typeof data.reason === 'string' ? data.reason : null;
      t.confirmation_note = note ?? `approval ${a.status}`;
    } else if (d?.confirmed !== undefined) {
      t.confirmed = d.confirmed;
      if (d.note) t.confirmation_note = d.note;
    } else if (a?.status === 'approved') {
      t.confirmed = true;
    }
    if ((t.confirmed ?? null) === null) unresolved.push(t.tool_name);
    if (req) {
      req.tool_execution = structuredClone(t);
      if (t.confirmed !== null && t.confirmed !== undefined) req.confirmation = t.confirmed;
      if (t.confirmation_note) req.confirmation_note = t.confirmation_note;
    }
  }
  return unresolved;
}

/** The paused agent run a decision applies to: the agent itself, or a team's paused member. */
export function pausedAgentOf(rec: AgentRunRec | TeamRunRec): AgentRunRec | undefined {
  if (!isTeamRec(rec)) return rec.status === 'PAUSED' ? rec : undefined;
  const last = rec.member_responses[rec.member_responses.length - 1];
  return last && last.status === 'PAUSED' ? last : undefined;
}

/** Applies decisions to a paused agent or team run; answers the tools left without one. */
export function applyToRun(
  rec: AgentRunRec | TeamRunRec,
  decisions: readonly ToolDecision[],
  approvals: ReadonlyMap<string, ApprovalRow>,
): string[] {
  const agent = pausedAgentOf(rec);
  if (!agent) return [];
  const unresolved = applyToolDecisions(agent, decisions, approvals);
  if (isTeamRec(rec) && rec.requirements) {
    for (const r of rec.requirements) {
      const mine = agent.requirements?.find((x) => x.id === r.id);
      if (!mine) continue;
      r.tool_execution = structuredClone(mine.tool_execution);
      if (mine.confirmation !== undefined) r.confirmation = mine.confirmation;
      if (mine.confirmation_note !== undefined) r.confirmation_note = mine.confirmation_note;
    }
  }
  return unresolved;
}

/** Applies step decisions to a paused workflow run; answers what is left without a decision. */
export function applyStepDecisions(
  rec: WorkflowRunRec,
  decisions: readonly StepDecision[],
  approvals: ReadonlyMap<string, ApprovalRow>,
): string[] {
  const req = rec.step_requirements?.find((r) => r.step_index === rec.paused_step_index);
  if (!req) return [];
  const d = decisions.find(
    (x) =>
      (x.stepId !== undefined && x.stepId === req.step_id) ||
      (x.stepIndex !== undefined && x.stepIndex === req.step_index),
  );
  if (rec.pause_kind === 'step') {
    if (d?.confirmed !== undefined) {
      req.confirmed = d.confirmed;
      if (d.note) req.confirmation_note = d.note;
    }
    return req.confirmed === null ? [`step "${req.step_name}"`] : [];
  }
  const exec = rec.step_executor_runs[rec.step_executor_runs.length - 1];
  if (!exec) return [];
  const agent = pausedAgentOf(exec);
  let toolDecisions: readonly ToolDecision[] = d?.executorDecisions ?? [];
  if (toolDecisions.length === 0 && d?.confirmed !== undefined && agent) {
    // A step-level decision applies to every paused tool of the executor.
    toolDecisions = (agent.requirements ?? []).map((r) => ({
      toolCallId: r.tool_execution.tool_call_id,
      confirmed: d.confirmed,
      note: d.note,
    }));
  }
  const unresolved = applyToRun(exec, toolDecisions, approvals);
  req.executor_requirements = structuredClone(exec.requirements ?? []);
  req.confirmed =
    unresolved.length === 0 ? !req.executor_requirements.some((r) => r.confirmation === false) : null;
  return unresolved;
}

/** Approval ids stamped on the paused tools of a run (nested ones included). */
export function approvalIdsOf(rec: AnyRunRec): string[] {
  const ids = new Set<string>();
  for (const r of [rec, ...nestedRuns(rec)]) {
    if (isTeamRec(r) || isWorkflowRec(r)) continue;
    for (const t of r.tools ?? []) if (t.approval_id) ids.add(t.approval_id);
  }
  return [...ids];
}
