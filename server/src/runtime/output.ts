/**
 * @module The run records the engine builds and stores (`runs.output`): they are the API's
 * `RunOutput`, `TeamRunOutput` and `WorkflowRunOutput` (null fields omitted), plus the list shapes
 * (`RunSchema`, `TeamRunSchema`, `WorkflowRunSchema`) and the checkpoints derived from messages.
 */
import type { RunStatus } from './types.js';

export type Dict = Record<string, unknown>;

export interface ToolCallRec {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface MessageRec {
  id: string;
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCallRec[];
  tool_call_id?: string;
  name?: string;
  /** agno's message flags (false on every message the engine writes). */
  from_history?: boolean;
  stop_after_tool_call?: boolean;
  /** The usage of the model call that wrote an assistant message. */
  metrics?: MetricsRec;
  created_at: number;
}

/** `ToolExecution`. */
export interface ToolExecRec {
  tool_call_id: string;
  tool_name: string;
  tool_args: Dict;
  tool_call_error?: boolean;
  result?: string;
  created_at: number;
  stop_after_tool_call: boolean;
  requires_confirmation?: boolean;
  confirmed?: boolean | null;
  confirmation_note?: string;
  approval_type?: string;
  approval_id?: string;
  metrics?: Dict;
}

/** `RunRequirement`. */
export interface RequirementRec {
  id: string;
  created_at: string;
  tool_execution: ToolExecRec;
  confirmation?: boolean;
  confirmation_note?: string;
  external_execution_result?: string;
  member_agent_id?: string;
  member_agent_name?: string;
  member_run_id?: string;
}

export interface MetricsRec {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  time_to_first_token?: number;
  duration?: number;
  [key: string]: unknown;
}

interface RunRecBase {
  run_id: string;
  session_id: string;
  parent_run_id?: string;
  workflow_id?: string;
  workflow_step_id?: string;
  user_id?: string;
  content?: unknown;
  content_type: string;
  metadata?: Dict;
  session_state?: Dict;
  created_at: number;
  status: RunStatus;
}

/** `RunOutput`. */
export interface AgentRunRec extends RunRecBase {
  agent_id: string;
  agent_name: string;
  input: { input_content: string; files?: Dict[] };
  model: string;
  model_provider: string;
  messages: MessageRec[];
  metrics: MetricsRec;
  tools?: ToolExecRec[];
  requirements?: RequirementRec[];
}

/** `TeamRunOutput`. */
export interface TeamRunRec extends RunRecBase {
  team_id: string;
  team_name: string;
  input: { input_content: string; files?: Dict[] };
  model: string;
  model_provider: string;
  messages: MessageRec[];
  metrics: MetricsRec;
  member_responses: AgentRunRec[];
  requirements?: RequirementRec[];
}

/** A step's `StepOutput`. */
export interface StepResultRec {
  step_name: string;
  step_id: string;
  step_type: string;
  step_index: number;
  executor_type?: 'agent' | 'team';
  executor_name?: string;
  content?: unknown;
  content_type?: string;
  success: boolean;
  skipped?: boolean;
  [key: string]: unknown;
}

/** A workflow `StepRequirement`. */
export interface StepRequirementRec {
  step_id: string;
  step_name: string;
  step_index: number;
  step_type: string;
  requires_confirmation: boolean;
  confirmation_message?: string | null;
  confirmed: boolean | null;
  confirmation_note?: string;
  on_reject: string;
  requires_executor_input?: boolean;
  executor_requirements?: RequirementRec[];
  executor_id?: string;
  executor_name?: string;
  executor_run_id?: string;
  executor_type?: 'agent' | 'team';
  executor_session_id?: string;
  [key: string]: unknown;
}

/** `WorkflowRunOutput`. */
export interface WorkflowRunRec extends RunRecBase {
  workflow_id: string;
  workflow_name: string;
  input: string;
  step_results: StepResultRec[];
  step_executor_runs: (AgentRunRec | TeamRunRec)[];
  metrics: Dict;
  step_requirements?: StepRequirementRec[];
  paused_step_index?: number;
  paused_step_name?: string;
  pause_kind?: 'step' | 'executor';
}

export type AnyRunRec = AgentRunRec | TeamRunRec | WorkflowRunRec;

export function isTeamRec(r: AnyRunRec): r is TeamRunRec {
  return 'team_id' in r && 'member_responses' in r;
}
export function isWorkflowRec(r: AnyRunRec): r is WorkflowRunRec {
  return 'workflow_name' in r && 'step_results' in r;
}

/** Nested runs of a record (team members, workflow step executors and their members). */
export function nestedRuns(rec: AnyRunRec): (AgentRunRec | TeamRunRec)[] {
  const out: (AgentRunRec | TeamRunRec)[] = [];
  const visit = (r: AnyRunRec) => {
    const children = isTeamRec(r) ? r.member_responses : isWorkflowRec(r) ? r.step_executor_runs : [];
    for (const c of children) {
      out.push(c);
      visit(c);
    }
  };
  visit(rec);
  return out;
}

/** Drops keys whose value is null or undefined (the API omits null fields of run outputs). */
export function compact<T extends object>(obj: T): T {
  const out: Dict = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

/** A stored output as the API answers it (a copy, null fields omitted). */
export function publicOutput(output: unknown): Dict {
  if (typeof output !== 'object' || output === null) return {};
  return compact(structuredClone(output as Dict));
}

// ----------------------------------------------------------------------------- list shapes

const iso = (epochSeconds: unknown): string | null =>
  typeof epochSeconds === 'number' ? new Date(epochSeconds * 1000).toISOString() : null;

function contentOf(v: unknown): string | Dict | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Dict;
  return JSON.stringify(v);
}

function inputText(input: unknown): string | null {
  if (typeof input === 'string') return input;
  if (typeof input === 'object' && input !== null) {
    const c = (input as Dict).input_content;
    if (typeof c === 'string') return c;
    if (c !== undefined) return JSON.stringify(c);
  }
  return null;
}

const arr = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : null);
const obj = (v: unknown): Dict | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Dict) : null;

/** `RunSchema` / `TeamRunSchema` of a stored agent or team run output. */
export function toRunSchema(output: Dict, kind: 'agent' | 'team'): Dict {
  const content = contentOf(output.content);
  return {
    run_id: output.run_id,
    parent_run_id: typeof output.parent_run_id === 'string' ? output.parent_run_id : null,
    [kind === 'agent' ? 'agent_id' : 'team_id']: output[kind === 'agent' ? 'agent_id' : 'team_id'] ?? null,
    user_id: typeof output.user_id === 'string' ? output.user_id : null,
    status: typeof output.status === 'string' ? output.status : null,
    run_input: inputText(output.input),
    content,
    run_response_format: content === null ? null : typeof content === 'string' ? 'text' : 'json',
    reasoning_content: '',
    reasoning_steps: [],
    metrics: obj(output.metrics),
    tools: arr(output.tools),
    messages: arr(output.messages),
    events: arr(output.events),
    created_at: iso(output.created_at),
    references: [],
    citations: null,
    reasoning_messages: [],
    session_state: obj(output.session_state),
    images: [],
    videos: [],
    audio: [],
    files: [],
    response_audio: null,
    input_media: null,
    followups: null,
    forked_from_run_id: typeof output.forked_from_run_id === 'string' ? output.forked_from_run_id : null,
    forked_from_message_index:
      typeof output.forked_from_message_index === 'number' ? output.forked_from_message_index : null,
    forked_from_session_id:
      typeof output.forked_from_session_id === 'string' ? output.forked_from_session_id : null,
    regenerated_from: null,
    last_checkpoint_at_message_index: null,
    ...(kind === 'team' ? { member_responses: arr(output.member_responses) ?? [] } : {}),
  };
}

/** `WorkflowRunSchema` of a stored workflow run output. */
export function toWorkflowRunSchema(output: Dict): Dict {
  return {
    run_id: output.run_id,
    run_input: inputText(output.input),
    events: arr(output.events) ?? [],
    workflow_id: typeof output.workflow_id === 'string' ? output.workflow_id : null,
    user_id: typeof output.user_id === 'string' ? output.user_id : null,
    content: contentOf(output.content),
    content_type: typeof output.content_type === 'string' ? output.content_type : null,
    status: typeof output.status === 'string' ? output.status : '',
    step_results: arr(output.step_results) ?? [],
    step_executor_runs: arr(output.step_executor_runs) ?? [],
    step_requirements: arr(output.step_requirements),
    pause_kind: typeof output.pause_kind === 'string' ? output.pause_kind : null,
    paused_step_name: typeof output.paused_step_name === 'string' ? output.paused_step_name : null,
    paused_step_index: typeof output.paused_step_index === 'number' ? output.paused_step_index : null,
    metrics: obj(output.metrics),
    created_at: iso(output.created_at),
    reasoning_content: '',
    reasoning_steps: [],
    references: [],
    citations: null,
    reasoning_messages: [],
    images: [],
    videos: [],
    audio: [],
    files: [],
    response_audio: null,
  };
}

// ------------------------------------------------------------------------------ checkpoints

interface Msg {
  id?: unknown;
  role?: unknown;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
  created_at?: unknown;
}

const messagesOf = (output: Dict): Msg[] =>
  Array.isArray(output.messages) ? (output.messages as Msg[]).filter((m) => typeof m === 'object' && m) : [];

function toolCallIds(m: Msg): string[] {
  return Array.isArray(m.tool_calls)
    ? (m.tool_calls as { id?: unknown }[])
        .map((c) => c?.id)
        .filter((id): id is string => typeof id === 'string')
    : [];
}

/**
 * The largest boundary ≤ `k` that does not cut an assistant message's tool calls from their
 * results (a snapshot never ends on an unanswered tool call).
 */
export function safeBoundary(messages: readonly Msg[], k: number): number {
  let cut = k;
  for (;;) {
    let moved = false;
    for (let j = cut - 1; j >= 0; j--) {
      const ids = toolCallIds(messages[j]!);
      if (messages[j]!.role !== 'assistant' || ids.length === 0) continue;
      const answered = new Set(
        messages
          .slice(j + 1, cut)
          .filter((m) => m.role === 'tool')
          .map((m) => m.tool_call_id),
      );
      if (!ids.every((id) => answered.has(id))) {
        cut = j;
        moved = true;
      }
      break;
    }
    if (!moved) return cut;
  }
}

function preview(content: unknown): string | null {
  if (content === undefined || content === null) return null;
  const s = typeof content === 'string' ? content : JSON.stringify(content);
  return s.slice(0, 120);
}

function checkpointAt(
  output: Dict,
  sessionId: string,
  messages: Msg[],
  index: number,
  ordinal: string | null,
  reason: string,
): Dict {
  const m = index > 0 ? messages[index - 1] : undefined;
  return {
    checkpoint_id: ordinal,
    run_id: output.run_id,
    session_id: sessionId,
    message_index: index,
    continue_from: index,
    status: typeof output.status === 'string' ? output.status : null,
    reason,
    created_at:
      typeof m?.created_at === 'number'
        ? m.created_at
        : typeof output.created_at === 'number'
          ? output.created_at
          : null,
    message_id: typeof m?.id === 'string' ? m.id : null,
    message_role: typeof m?.role === 'string' ? m.role : null,
    message_preview: m ? preview(m.content) : null,
    is_latest: index === messages.length,
  };
}

/** The boundaries of a run: one after each message that does not leave a tool call unanswered, and the end. */
export function listCheckpoints(output: Dict, sessionId: string): Dict[] {
  const messages = messagesOf(output);
  const indexes: number[] = [];
  for (let i = 1; i <= messages.length; i++) {
    if (i === messages.length || safeBoundary(messages, i) === i) indexes.push(i);
  }
  return indexes.map((i, n) =>
    checkpointAt(output, sessionId, messages, i, String(n + 1), i === messages.length ? 'end' : 'checkpoint'),
  );
}

/**
 * The run truncated at `messageIndex` messages (moved back to a safe boundary), or null when the
 * index is outside 0..number of messages.
 */
export function checkpointSnapshot(output: Dict, sessionId: string, messageIndex: number): Dict | null {
  const messages = messagesOf(output);
  if (!Number.isInteger(messageIndex) || messageIndex < 0 || messageIndex > messages.length) return null;
  const k = safeBoundary(messages, messageIndex);
  const kept = messages.slice(0, k);
  const keptCalls = new Set(kept.flatMap(toolCallIds));
  const snapshot = publicOutput(output);
  snapshot.messages = structuredClone(kept);
  if (Array.isArray(snapshot.tools)) {
    snapshot.tools = (snapshot.tools as Dict[]).filter((t) => keptCalls.has(t.tool_call_id as string));
  }
  if (Array.isArray(snapshot.requirements)) {
    snapshot.requirements = (snapshot.requirements as Dict[]).filter((r) =>
      keptCalls.has((r.tool_execution as Dict | undefined)?.tool_call_id as string),
    );
  }
  snapshot.last_checkpoint_at_message_index = k;
  const listed = listCheckpoints(output, sessionId).find((c) => c.message_index === k);
  return {
    checkpoint: checkpointAt(
      output,
      sessionId,
      messages,
      k,
      (listed?.checkpoint_id as string | undefined) ?? null,
      'snapshot',
    ),
    snapshot,
  };
}
