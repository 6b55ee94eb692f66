/**
 * @module How agents, teams and workflows run: the agent loop (model → tool calls → model), team
 * members in order then the team's own answer, workflow steps in order. Every event goes through a
 * `Segment` (one execution of a run: its start, or one continue), which numbers events gaplessly,
 * publishes them on the in-process bus, persists them in batches, checks cancel intents between
 * steps, records spans, and writes everything that changed in one transaction when it ends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/index.js';
import type { Logger } from '../log.js';
import type { LiveRun, RunRegistry } from './bus.js';
import type { AgentSpec, BuiltinSettings, StepSpec, TeamSpec, WorkflowSpec } from './entities.js';
import { RunCancelledSignal, RunRuntimeError } from './errors.js';
import type { Model, ModelMessage, ModelProviderOptions, ModelRef, ModelResponse } from './model.js';
import { createBuiltinModel, REJECTED_PREFIX } from './model-builtin.js';
import { createOpenAIModel } from './model-openai.js';
import {
  type AgentRunRec,
  type AnyRunRec,
  type Dict,
  isTeamRec,
  isWorkflowRec,
  type MessageRec,
  type MetricsRec,
  nestedRuns,
  publicOutput,
  type RequirementRec,
  type StepRequirementRec,
  type StepResultRec,
  type TeamRunRec,
  type ToolExecRec,
  type WorkflowRunRec,
} from './output.js';
import {
  appendEvents,
  hasCancelIntent,
  insertApproval,
  insertTrace,
  type NewApproval,
  saveRun,
  updateSessionAfterRun,
} from './store.js';
import type { ToolContext } from './tools.js';
import { type OpenSpan, spanName, TraceRecorder } from './trace.js';
import type { EntityKind, RunFrame, RunStatus } from './types.js';

/** What the engine runs with (resolved once by `createRunRuntime`). */
export interface EngineDeps {
  readonly db: Kysely<Schema>;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly instanceId: string;
  readonly models: ModelProviderOptions;
  readonly registry: RunRegistry;
  /** Model calls an agent may make in one segment before the run errors. */
  readonly maxSteps: number;
  /** Interval of the background look for cancel intents stored by other instances (ms). */
  readonly cancelPollMs: number;
}

/** The top-level run of a segment. */
export interface TopInfo {
  readonly kind: EntityKind;
  readonly runId: string;
  readonly sessionId: string;
  readonly userId: string | null;
  readonly entityId: string;
  readonly entityName: string;
  readonly input: string;
}

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

type Outcome = 'completed' | 'paused' | 'cancelled';

const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

function defined(obj: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------- segment

/** One execution of a run (its start or a continue). */
export class Segment {
  readonly deps: EngineDeps;
  readonly live: LiveRun;
  readonly top: TopInfo;
  /** The run's own session state (a private copy, contract.md §6). */
  readonly sessionState: Dict;
  readonly dependencies: Readonly<Dict>;
  readonly trace: TraceRecorder;
  readonly startedAt: Date;
  readonly usage = { input: 0, output: 0, total: 0 };
  readonly approvals: NewApproval[] = [];
  rootSpan: OpenSpan | null = null;
  private nextIndex: number;
  private pending: RunFrame[] = [];
  private held: RunFrame[] = [];
  private flushing: Promise<void> | null = null;
  private flushBroken = false;
  private readonly modelCache = new Map<string, Model>();

  constructor(deps: EngineDeps, live: LiveRun, top: TopInfo, sessionState: Dict, dependencies: Dict) {
    this.deps = deps;
    this.live = live;
    this.top = top;
    this.sessionState = sessionState;
    this.dependencies = dependencies;
    this.trace = new TraceRecorder(deps.now);
    this.startedAt = deps.now();
    this.nextIndex = live.baseIndex;
  }

  /** True once the segment's last event (completed, paused, cancelled, error) was emitted. */
  get ended(): boolean {
    return this.held.length > 0;
  }

  /**
   * Emits an event: `{ created_at, event, ...base, ...fields }` with the next index. Terminal
   * events are held back until the final transaction has committed, so that a client that sees
   * the run end reads its final state.
   */
  emit(event: string, base: Dict, fields: Dict = {}, terminal = false): void {
    const data = structuredClone({ created_at: epoch(this.deps.now()), event, ...base, ...defined(fields) });
    const frame: RunFrame = { index: this.nextIndex++, event, data };
    if (terminal) {
      this.held.push(frame);
      return;
    }
    this.live.publish(frame);
    this.pending.push(frame);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushBroken) return;
    this.flushing = this.flushAll().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0 && !this.flushBroken) this.scheduleFlush();
    });
  }

  private async flushAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await appendEvents(this.deps.db, this.top.runId, batch, this.deps.now());
      } catch (err) {
        // Keep the batch: the final transaction retries it, so indexes stay gapless.
        this.pending.unshift(...batch);
        this.flushBroken = true;
        this.deps.logger.error(
          { err, runId: this.top.runId },
          'run events could not be stored; retrying at the end',
        );
        return;
      }
    }
  }

  /**
   * Throws `RunCancelledSignal` when a cancel was requested here, or a cancel intent is stored for
   * the run or one of `runIds` (another instance received it).
   */
  async checkCancel(runIds: readonly string[] = []): Promise<void> {
    if (this.live.cancelReason !== null) throw new RunCancelledSignal(this.live.cancelReason);
    if (await hasCancelIntent(this.deps.db, [this.top.runId, ...runIds])) {
      this.live.requestCancel('Run cancelled by user');
      throw new RunCancelledSignal(this.live.cancelReason ?? 'Run cancelled by user');
    }
  }

  /**
   * Looks for a stored cancel intent every `cancelPollMs` while the segment runs, so that a
   * cancel received by another instance also interrupts a long model call. Answers the stop.
   */
  watchCancelIntents(): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.live.ended || this.live.cancelReason !== null) return;
      busy = true;
      hasCancelIntent(this.deps.db, [this.top.runId])
        .then((found) => {
          if (found) this.live.requestCancel('Run cancelled by user');
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    }, this.deps.cancelPollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The model of an entity; clients are shared, they hold no per-run state. */
  modelFor(ref: ModelRef, builtin: BuiltinSettings): Model {
    const key =
      ref.provider === 'openai' ? `openai:${ref.id}` : `builtin:${builtin.chunks}:${builtin.delayMs}`;
    let m = this.modelCache.get(key);
    if (!m) {
      m =
        ref.provider === 'openai'
          ? createOpenAIModel(ref.id, this.deps.models.openai, this.deps.models.fetch)
          : createBuiltinModel(builtin);
      this.modelCache.set(key, m);
    }
    return m;
  }

  toolContext(runId: string): ToolContext {
    return {
      sessionState: this.sessionState,
      dependencies: this.dependencies,
      runId,
      sessionId: this.top.sessionId,
      userId: this.top.userId,
      now: this.deps.now,
    };
  }

  /**
   * Writes the run's final state, nested runs, session state and metrics, approvals, events and
   * trace in one transaction, then releases the held terminal event and ends the live run.
   */
  async finalize(status: RunStatus, rec: AnyRunRec, error: string | null): Promise<void> {
    while (this.flushing) await this.flushing;
    const frames = [...this.pending.splice(0), ...this.held];
    const now = this.deps.now();
    const output = publicOutput(rec);
    const { db, instanceId } = this.deps;
    try {
      await db.transaction().execute(async (trx) => {
        await appendEvents(trx, this.top.runId, frames, now);
        await saveRun(trx, {
          runId: this.top.runId,
          status,
          output,
          content: rec.content ?? null,
          metrics: rec.metrics,
          requirements:
            status === 'PAUSED' ? (isWorkflowRec(rec) ? rec.step_requirements : rec.requirements) : null,
          now,
        });
        for (const child of nestedRuns(rec)) {
          await saveRun(
            trx,
            {
              runId: child.run_id,
              status: child.status,
              output: publicOutput(child),
              content: child.content ?? null,
              metrics: child.metrics,
              requirements: child.status === 'PAUSED' ? (child.requirements ?? null) : null,
              now,
            },
            {
              runId: child.run_id,
              sessionId: child.session_id,
              parentRunId: child.parent_run_id ?? null,
              kind: isTeamRec(child) ? 'team' : 'agent',
              entityId: isTeamRec(child) ? child.team_id : child.agent_id,
              userId: child.user_id ?? null,
              input: child.input,
              background: false,
              instanceId,
            },
          );
        }
        await updateSessionAfterRun(trx, this.top.sessionId, {
          sessionState: this.sessionState,
          input: this.usage.input,
          output: this.usage.output,
          total: this.usage.total,
          now,
        });
        for (const a of this.approvals) await insertApproval(trx, a);
        const contentText =
          rec.content === undefined || rec.content === null
            ? null
            : typeof rec.content === 'string'
              ? rec.content
              : JSON.stringify(rec.content);
        const root = this.trace.spans.find((s) => s.parentSpanId === null);
        await insertTrace(
          trx,
          {
            traceId: this.trace.traceId,
            name: root?.name ?? `${spanName(this.top.entityName)}.run`,
            status: status === 'ERROR' || status === 'CANCELLED' ? 'ERROR' : 'OK',
            startTime: this.startedAt,
            endTime: now,
            input: this.top.input,
            output: contentText,
            error: error ?? (status === 'CANCELLED' ? 'Run cancelled' : null),
            runId: this.top.runId,
            sessionId: this.top.sessionId,
            userId: this.top.userId,
            agentId: this.top.kind === 'agent' ? this.top.entityId : null,
            teamId: this.top.kind === 'team' ? this.top.entityId : null,
            workflowId: this.top.kind === 'workflow' ? this.top.entityId : null,
          },
          this.trace.spans,
        );
      });
    } catch (err) {
      this.deps.logger.error({ err, runId: this.top.runId }, 'the final state of a run could not be stored');
    }
    for (const f of this.held) this.live.publish(f);
    this.held = [];
    this.live.finish(status);
  }
}

// ---------------------------------------------------------------------------------- records

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
function message(fields: Omit<MessageRec, 'id' | 'from_history' | 'stop_after_tool_call'>): MessageRec {
  return { id: randomUUID(), from_history: false, stop_after_tool_call: false, ...fields };
}

/** The usage of one model call, as agno's per-message `metrics`. */
function messageMetrics(res: ModelResponse): MetricsRec {
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

// ------------------------------------------------------------------------------ event bases

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

// ------------------------------------------------------------------------------- the agent

function answeredIds(messages: readonly MessageRec[]): Set<string> {
  return new Set(messages.filter((m) => m.role === 'tool' && m.tool_call_id).map((m) => m.tool_call_id!));
}

function toModelMessages(messages: readonly MessageRec[]): ModelMessage[] {
  return messages.map((m) => ({
    role: m.role,
    content: m.content,
    toolCalls: m.tool_calls?.map((c) => {
      let args: Record<string, unknown> = {};
      try {
        args = JSON.parse(c.function.arguments) as Record<string, unknown>;
      } catch {
        // stored arguments are always JSON; tolerate hand-edited rows
      }
      return { id: c.id, name: c.function.name, arguments: args };
    }),
    toolCallId: m.tool_call_id,
    name: m.name,
  }));
}

function addUsage(metrics: MetricsRec, res: ModelResponse): void {
  metrics.input_tokens += res.usage.input_tokens;
  metrics.output_tokens += res.usage.output_tokens;
  metrics.total_tokens += res.usage.total_tokens;
}

function addDuration(metrics: { duration?: unknown }, started: Date, now: Date): void {
  const prev = typeof metrics.duration === 'number' ? metrics.duration : 0;
  metrics.duration = Math.round((prev + (now.getTime() - started.getTime()) / 1000) * 1000) / 1000;
}

interface ModelCall {
  readonly speaker: string;
  readonly model: Model;
  readonly messages: readonly MessageRec[];
  readonly tools: readonly { name: string; description: string; parameters: Dict }[];
  readonly memberResponses?: { name: string; content: string }[] | undefined;
  readonly contentEvent: string;
  readonly base: Dict;
  readonly span: OpenSpan;
  readonly metrics: MetricsRec;
  readonly started: Date;
}

async function callModel(seg: Segment, c: ModelCall): Promise<ModelResponse> {
  const lastUser = [...c.messages].reverse().find((m) => m.role === 'user');
  const llm = seg.trace.start(`${c.model.className}.invoke`, 'LLM', c.span, lastUser?.content ?? null, {
    model: c.model.id,
    provider: c.model.provider,
  });
  let first = true;
  try {
    const res = await c.model.invoke({
      speaker: c.speaker,
      messages: toModelMessages(c.messages),
      tools: c.tools,
      memberResponses: c.memberResponses,
      signal: seg.live.abort.signal,
      onDelta: (delta) => {
        if (first) {
          first = false;
          if (c.metrics.time_to_first_token === undefined) {
            c.metrics.time_to_first_token = (seg.deps.now().getTime() - c.started.getTime()) / 1000;
          }
        }
        seg.emit(c.contentEvent, c.base, { content: delta, content_type: 'str' });
      },
    });
    addUsage(c.metrics, res);
    seg.usage.input += res.usage.input_tokens;
    seg.usage.output += res.usage.output_tokens;
    seg.usage.total += res.usage.total_tokens;
    llm.end({
      output:
        res.content ?? JSON.stringify(res.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments }))),
      metadata: { ...res.usage },
    });
    return res;
  } catch (err) {
    llm.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}

async function executeTool(
  seg: Segment,
  spec: AgentSpec,
  rec: AgentRunRec,
  te: ToolExecRec,
  base: Dict,
  span: OpenSpan,
): Promise<void> {
  const now = seg.deps.now();
  if (te.requires_confirmation && te.confirmed === false) {
    // Rejected: the tool does not run; the model is told why.
    te.result = `${REJECTED_PREFIX}${te.confirmation_note ? `: ${te.confirmation_note}` : ' by the user'}`;
  } else {
    seg.emit('ToolCallStarted', base, { tool: te });
    const tspan = seg.trace.start(te.tool_name, 'TOOL', span, JSON.stringify(te.tool_args), {
      tool_name: te.tool_name,
      tool_args: te.tool_args,
    });
    const tool = spec.tools.find((t) => t.name === te.tool_name);
    try {
      if (!tool) throw new Error(`Tool "${te.tool_name}" is not available to ${spec.name}`);
      const result = await tool.handler(te.tool_args, seg.toolContext(rec.run_id));
      te.result = result;
      te.tool_call_error = false;
      te.metrics = { duration: (seg.deps.now().getTime() - now.getTime()) / 1000 };
      tspan.end({ output: result });
      seg.emit('ToolCallCompleted', base, { tool: te, content: result });
    } catch (err) {
      if (err instanceof RunCancelledSignal) throw err;
      const message = errorMessage(err);
      te.result = `Error: ${message}`;
      te.tool_call_error = true;
      tspan.end({ status: 'ERROR', error: message });
      seg.emit('ToolCallError', base, { tool: te, error: message });
    }
  }
  rec.messages.push(
    message({
      role: 'tool',
      content: te.result ?? '',
      tool_call_id: te.tool_call_id,
      name: te.tool_name,
      created_at: epoch(seg.deps.now()),
    }),
  );
}

function pauseAgent(
  seg: Segment,
  spec: AgentSpec,
  rec: AgentRunRec,
  waiting: ToolExecRec[],
  base: Dict,
  nest: Nest,
  started: Date,
): void {
  const now = seg.deps.now();
  const needing = waiting.filter((t) => t.approval_type === 'required' && !t.approval_id);
  // One approval per pause, stamped on every tool it covers (as the Python AgentOS does).
  const approvalId = needing.length > 0 ? randomUUID() : null;
  if (approvalId) for (const t of needing) t.approval_id = approvalId;
  const previous = rec.requirements ?? [];
  const reqs: RequirementRec[] = waiting.map((t) => {
    const existing = previous.find((r) => r.tool_execution.tool_call_id === t.tool_call_id);
    return {
      id: existing?.id ?? randomUUID(),
      created_at: existing?.created_at ?? now.toISOString(),
      tool_execution: structuredClone(t),
    };
  });
  rec.requirements = reqs;
  if (approvalId) {
    const first = needing[0]!;
    seg.approvals.push({
      id: approvalId,
      runId: seg.top.runId,
      sessionId: seg.top.sessionId,
      sourceType: seg.top.kind,
      sourceName: seg.top.entityName,
      toolName: first.tool_name,
      toolArgs: first.tool_args,
      agentId: spec.id,
      teamId: nest.teamId ?? (seg.top.kind === 'team' ? seg.top.entityId : null),
      workflowId: nest.workflowId ?? null,
      userId: seg.top.userId,
      requirements: structuredClone(reqs),
      context: { tool_names: needing.map((t) => t.tool_name), source_name: seg.top.entityName },
      now,
    });
  }
  rec.status = 'PAUSED';
  addDuration(rec.metrics, started, now);
  seg.emit('RunPaused', base, { tools: rec.tools, requirements: reqs }, nest.isTop);
}

/**
 * Runs (or continues) an agent until it answers or pauses on a tool that needs confirmation.
 * Events: RunStarted | RunContinued, RunContent…, ToolCallStarted/Completed/Error, RunPaused |
 * RunContentCompleted + RunCompleted.
 */
export async function runAgent(
  seg: Segment,
  spec: AgentSpec,
  rec: AgentRunRec,
  nest: Nest,
  continuing: boolean,
): Promise<'completed' | 'paused'> {
  const model = seg.modelFor(spec.model, spec.builtin);
  const base = agentBase(rec, nest);
  const started = seg.deps.now();
  if (!nest.isTop) seg.deps.registry.alias(rec.run_id, seg.top.runId);
  const span = seg.trace.start(
    `${spanName(spec.name)}.${continuing ? 'continue_run' : 'run'}`,
    'AGENT',
    nest.parentSpan,
    rec.input.input_content,
    { run_id: rec.run_id, agent_id: spec.id },
  );
  if (nest.isTop) seg.rootSpan = span;
  rec.status = 'RUNNING';
  seg.emit(
    continuing ? 'RunContinued' : 'RunStarted',
    base,
    continuing ? {} : { model: model.id, model_provider: model.provider },
  );
  try {
    for (let step = 0; step < seg.deps.maxSteps; step++) {
      await seg.checkCancel([rec.run_id]);
      const answered = answeredIds(rec.messages);
      const pending = (rec.tools ?? []).filter((t) => !answered.has(t.tool_call_id));
      if (pending.length > 0) {
        const waiting = pending.filter(
          (t) => t.requires_confirmation === true && (t.confirmed ?? null) === null,
        );
        if (waiting.length > 0) {
          pauseAgent(seg, spec, rec, waiting, base, nest, started);
          span.end({ metadata: { status: 'PAUSED' } });
          return 'paused';
        }
        for (const t of pending) {
          await seg.checkCancel([rec.run_id]);
          await executeTool(seg, spec, rec, t, base, span);
        }
        delete rec.requirements;
        continue;
      }
      const res = await callModel(seg, {
        speaker: spec.name,
        model,
        messages: rec.messages,
        tools: spec.tools.map((t) => ({
          name: t.name,
          description: t.description,
          parameters: t.parameters,
        })),
        contentEvent: 'RunContent',
        base,
        span,
        metrics: rec.metrics,
        started,
      });
      const now = seg.deps.now();
      if (res.toolCalls.length > 0) {
        rec.messages.push(
          message({
            role: 'assistant',
            content: res.content,
            tool_calls: res.toolCalls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: JSON.stringify(c.arguments) },
            })),
            metrics: messageMetrics(res),
            created_at: epoch(now),
          }),
        );
        rec.tools ??= [];
        for (const c of res.toolCalls) {
          const tool = spec.tools.find((t) => t.name === c.name);
          const te: ToolExecRec = {
            tool_call_id: c.id,
            tool_name: c.name,
            tool_args: c.arguments,
            created_at: epoch(now),
            stop_after_tool_call: false,
          };
          if (tool?.requiresConfirmation) {
            te.requires_confirmation = true;
            te.confirmed = null;
            if (tool.approval === 'required') te.approval_type = 'required';
          }
          rec.tools.push(te);
        }
        continue;
      }
      const content = res.content ?? '';
      if (!res.streamed && content) seg.emit('RunContent', base, { content, content_type: 'str' });
      rec.messages.push(
        message({ role: 'assistant', content, metrics: messageMetrics(res), created_at: epoch(now) }),
      );
      rec.content = content;
      rec.content_type = 'str';
      rec.status = 'COMPLETED';
      addDuration(rec.metrics, started, now);
      span.end({ output: content });
      seg.emit('RunContentCompleted', base);
      seg.emit(
        'RunCompleted',
        base,
        {
          content,
          content_type: 'str',
          metrics: rec.metrics,
          session_state: nest.isTop ? seg.sessionState : undefined,
        },
        nest.isTop,
      );
      return 'completed';
    }
    throw new Error(`${spec.name} made ${seg.deps.maxSteps} model calls without answering`);
  } catch (err) {
    if (rec.status === 'RUNNING') addDuration(rec.metrics, started, seg.deps.now());
    span.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}

// -------------------------------------------------------------------------------- the team

/**
 * Runs (or continues) a team: its members in order (their events interleaved), then the team's
 * own model answers with the members' answers. A member that pauses pauses the team, with the
 * member's requirements (`member_agent_id`, `member_run_id`).
 */
export async function runTeam(
  seg: Segment,
  spec: TeamSpec,
  rec: TeamRunRec,
  nest: Nest,
  continuing: boolean,
): Promise<'completed' | 'paused'> {
  const model = seg.modelFor(spec.model, spec.builtin);
  const base = teamBase(rec, nest);
  const started = seg.deps.now();
  if (!nest.isTop) seg.deps.registry.alias(rec.run_id, seg.top.runId);
  const span = seg.trace.start(
    `${spanName(spec.name)}.${continuing ? 'continue_run' : 'run'}`,
    'TEAM',
    nest.parentSpan,
    rec.input.input_content,
    { run_id: rec.run_id, team_id: spec.id },
  );
  if (nest.isTop) seg.rootSpan = span;
  rec.status = 'RUNNING';
  seg.emit(
    continuing ? 'TeamRunContinued' : 'TeamRunStarted',
    base,
    continuing ? {} : { model: model.id, model_provider: model.provider },
  );
  const memberNest: Nest = {
    isTop: false,
    parentSpan: span,
    parentRunId: rec.run_id,
    teamId: spec.id,
    workflowId: nest.workflowId,
    workflowRunId: nest.workflowRunId,
    stepId: nest.stepId,
    stepName: nest.stepName,
    stepIndex: nest.stepIndex,
  };
  const pause = (member: AgentRunRec): 'paused' => {
    rec.requirements = (member.requirements ?? []).map((r) => ({
      ...structuredClone(r),
      member_agent_id: member.agent_id,
      member_agent_name: member.agent_name,
      member_run_id: member.run_id,
    }));
    rec.status = 'PAUSED';
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ metadata: { status: 'PAUSED' } });
    seg.emit('TeamRunPaused', base, { requirements: rec.requirements }, nest.isTop);
    return 'paused';
  };
  try {
    let i = rec.member_responses.length;
    const last = rec.member_responses[i - 1];
    if (last && last.status === 'PAUSED') {
      const member = spec.members[i - 1];
      if (!member) throw new RunRuntimeError('ERR_RUN_ENTITY_INVALID', `${spec.name} has no member ${i}`);
      if ((await runAgent(seg, member, last, memberNest, true)) === 'paused') return pause(last);
    }
    for (; i < spec.members.length; i++) {
      await seg.checkCancel([rec.run_id]);
      const member = spec.members[i]!;
      const mrec = newAgentRec(member, seg.modelFor(member.model, member.builtin), {
        sessionId: rec.session_id,
        userId: rec.user_id ?? null,
        input: rec.input.input_content,
        parentRunId: rec.run_id,
        workflowId: rec.workflow_id,
        now: seg.deps.now(),
      });
      rec.member_responses.push(mrec);
      if ((await runAgent(seg, member, mrec, memberNest, false)) === 'paused') return pause(mrec);
    }
    await seg.checkCancel([rec.run_id]);
    const res = await callModel(seg, {
      speaker: spec.name,
      model,
      messages: rec.messages,
      tools: [],
      memberResponses: rec.member_responses.map((m) => ({
        name: m.agent_name,
        content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''),
      })),
      contentEvent: 'TeamRunContent',
      base,
      span,
      metrics: rec.metrics,
      started,
    });
    const now = seg.deps.now();
    const content = res.content ?? '';
    if (!res.streamed && content) seg.emit('TeamRunContent', base, { content, content_type: 'str' });
    rec.messages.push(
      message({ role: 'assistant', content, metrics: messageMetrics(res), created_at: epoch(now) }),
    );
    rec.content = content;
    rec.content_type = 'str';
    delete rec.requirements;
    rec.status = 'COMPLETED';
    addDuration(rec.metrics, started, now);
    span.end({ output: content });
    seg.emit('TeamRunContentCompleted', base);
    seg.emit(
      'TeamRunCompleted',
      base,
      {
        content,
        content_type: 'str',
        metrics: rec.metrics,
        session_state: nest.isTop ? seg.sessionState : undefined,
      },
      nest.isTop,
    );
    return 'completed';
  } catch (err) {
    if (rec.status === 'RUNNING') addDuration(rec.metrics, started, seg.deps.now());
    span.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}

// ---------------------------------------------------------------------------- the workflow

function stepFields(step: StepSpec): Dict {
  return { step_name: step.name, step_index: step.index, step_id: step.stepId };
}

function executorInfo(exec: AgentRunRec | TeamRunRec): Dict {
  return isTeamRec(exec)
    ? {
        executor_id: exec.team_id,
        executor_name: exec.team_name,
        executor_run_id: exec.run_id,
        executor_type: 'team',
      }
    : {
        executor_id: exec.agent_id,
        executor_name: exec.agent_name,
        executor_run_id: exec.run_id,
        executor_type: 'agent',
      };
}

/**
 * Runs (or continues) a workflow: its steps in order, each step's executor (agent or team) getting
 * the previous step's output. A step marked `requiresConfirmation` pauses before it runs
 * (`pause_kind: step`); an executor that pauses on a tool pauses the workflow (`pause_kind:
 * executor`).
 */
export async function runWorkflow(
  seg: Segment,
  spec: WorkflowSpec,
  rec: WorkflowRunRec,
  continuing: boolean,
): Promise<Outcome> {
  const base = workflowBase(rec);
  const started = seg.deps.now();
  const span = seg.trace.start(
    `${spanName(spec.name)}.${continuing ? 'continue_run' : 'run'}`,
    'WORKFLOW',
    null,
    rec.input,
    { run_id: rec.run_id, workflow_id: spec.id },
  );
  seg.rootSpan = span;
  rec.status = 'RUNNING';
  const lastContent = () => {
    for (let k = rec.step_results.length - 1; k >= 0; k--) {
      const r = rec.step_results[k]!;
      if (!r.skipped) return typeof r.content === 'string' ? r.content : JSON.stringify(r.content ?? '');
    }
    return rec.input;
  };
  const finish = (outcome: 'paused' | 'cancelled', fields: Dict, event: string): Outcome => {
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ metadata: { status: rec.status } });
    seg.emit(event, base, fields, true);
    return outcome;
  };
  const pauseExecutor = (step: StepSpec, exec: AgentRunRec | TeamRunRec): Outcome => {
    const req: StepRequirementRec = {
      step_id: step.stepId,
      step_name: step.name,
      step_index: step.index,
      step_type: 'Step',
      requires_confirmation: false,
      confirmed: null,
      on_reject: step.onReject,
      requires_executor_input: true,
      executor_requirements: structuredClone(exec.requirements ?? []),
      ...(executorInfo(exec) as Partial<StepRequirementRec>),
      executor_session_id: exec.session_id,
    };
    rec.step_requirements = [
      ...(rec.step_requirements ?? []).filter((r) => r.step_index !== step.index),
      req,
    ];
    rec.status = 'PAUSED';
    rec.paused_step_index = step.index;
    rec.paused_step_name = step.name;
    rec.pause_kind = 'executor';
    seg.emit('StepExecutorPaused', base, {
      ...stepFields(step),
      ...executorInfo(exec),
      executor_requirements: req.executor_requirements,
    });
    return finish(
      'paused',
      {
        status: 'PAUSED',
        paused_step_index: step.index,
        paused_step_name: step.name,
        pause_kind: 'executor',
        step_requirements: rec.step_requirements,
      },
      'WorkflowPaused',
    );
  };
  const completeStep = (step: StepSpec, exec: AgentRunRec | TeamRunRec) => {
    const result: StepResultRec = {
      step_name: step.name,
      step_id: step.stepId,
      step_type: 'Step',
      step_index: step.index,
      executor_type: isTeamRec(exec) ? 'team' : 'agent',
      executor_name: isTeamRec(exec) ? exec.team_name : exec.agent_name,
      content: exec.content ?? null,
      content_type: 'str',
      success: exec.status === 'COMPLETED',
      // agno's `StepOutput` fields.
      step_run_id: exec.run_id,
      metrics: exec.metrics,
      stop: false,
      is_paused: false,
    };
    rec.step_results.push(result);
    // agno's `StepMetrics`, keyed by step name.
    const steps = (rec.metrics.steps ?? {}) as Dict;
    steps[step.name] = {
      step_name: step.name,
      executor_type: result.executor_type,
      executor_name: result.executor_name,
      metrics: exec.metrics,
    };
    rec.metrics.steps = steps;
    seg.emit('StepCompleted', base, {
      ...stepFields(step),
      content: result.content,
      content_type: 'str',
      step_response: result,
    });
  };
  const runExecutor = (step: StepSpec, exec: AgentRunRec | TeamRunRec, again: boolean) => {
    const nest: Nest = {
      isTop: false,
      parentSpan: stepSpan,
      parentRunId: rec.run_id,
      workflowId: spec.id,
      workflowRunId: rec.run_id,
      stepId: step.stepId,
      stepName: step.name,
      stepIndex: step.index,
    };
    return step.executor.kind === 'team'
      ? runTeam(seg, step.executor, exec as TeamRunRec, nest, again)
      : runAgent(seg, step.executor, exec as AgentRunRec, nest, again);
  };
  let stepSpan: OpenSpan | null = null;
  try {
    if (!continuing) seg.emit('WorkflowStarted', base);
    let i = rec.step_results.length;
    if (continuing && rec.pause_kind !== undefined) {
      const kind = rec.pause_kind;
      const step = spec.steps[rec.paused_step_index ?? i];
      if (!step)
        throw new RunRuntimeError(
          'ERR_RUN_ENTITY_INVALID',
          `${spec.name} has no step ${rec.paused_step_index}`,
        );
      const req = rec.step_requirements?.find((r) => r.step_index === step.index);
      delete rec.pause_kind;
      delete rec.paused_step_index;
      delete rec.paused_step_name;
      if (kind === 'step') {
        seg.emit('StepContinued', base, stepFields(step));
        if (req?.confirmed === false) {
          if (step.onReject === 'skip') {
            rec.step_results.push({
              step_name: step.name,
              step_id: step.stepId,
              step_type: 'Step',
              step_index: step.index,
              content: null,
              success: false,
              skipped: true,
            });
            i = step.index + 1;
          } else {
            rec.status = 'CANCELLED';
            return finish(
              'cancelled',
              { reason: `Step "${step.name}" was rejected`, content: lastContent() },
              'WorkflowCancelled',
            );
          }
        }
      } else {
        const exec = rec.step_executor_runs[rec.step_executor_runs.length - 1];
        if (exec?.status !== 'PAUSED') {
          throw new RunRuntimeError('ERR_RUN_NOT_CONTINUABLE', 'run is not paused on a step executor');
        }
        seg.emit('StepExecutorContinued', base, { ...stepFields(step), ...executorInfo(exec) });
        stepSpan = seg.trace.start(
          step.name,
          'CHAIN',
          span,
          lastContent(),
          { step_index: step.index },
          'Step',
        );
        const outcome = await runExecutor(step, exec, true);
        if (outcome === 'paused') {
          stepSpan.end({ metadata: { status: 'PAUSED' } });
          return pauseExecutor(step, exec);
        }
        stepSpan.end({ output: typeof exec.content === 'string' ? exec.content : null });
        completeStep(step, exec);
        i = step.index + 1;
      }
    }
    for (; i < spec.steps.length; i++) {
      await seg.checkCancel([rec.run_id]);
      const step = spec.steps[i]!;
      const confirmed = rec.step_requirements?.some(
        (r) => r.step_index === i && r.requires_confirmation && r.confirmed === true,
      );
      if (step.requiresConfirmation && !confirmed) {
        const req: StepRequirementRec = {
          step_id: step.stepId,
          step_name: step.name,
          step_index: step.index,
          step_type: 'Step',
          requires_confirmation: true,
          confirmation_message: step.confirmationMessage,
          confirmed: null,
          on_reject: step.onReject,
        };
        rec.step_requirements = [...(rec.step_requirements ?? []).filter((r) => r.step_index !== i), req];
        rec.status = 'PAUSED';
        rec.paused_step_index = step.index;
        rec.paused_step_name = step.name;
        rec.pause_kind = 'step';
        seg.emit('StepPaused', base, {
          ...stepFields(step),
          requires_confirmation: true,
          confirmation_message: step.confirmationMessage,
        });
        return finish(
          'paused',
          {
            status: 'PAUSED',
            paused_step_index: step.index,
            paused_step_name: step.name,
            pause_kind: 'step',
            step_requirements: rec.step_requirements,
          },
          'WorkflowPaused',
        );
      }
      seg.emit('StepStarted', base, stepFields(step));
      const input = lastContent();
      stepSpan = seg.trace.start(step.name, 'CHAIN', span, input, { step_index: step.index }, 'Step');
      const now = seg.deps.now();
      const recInput = {
        sessionId: rec.session_id,
        userId: rec.user_id ?? null,
        input,
        parentRunId: rec.run_id,
        workflowId: spec.id,
        workflowStepId: step.stepId,
        now,
      };
      const ex = step.executor;
      const exec =
        ex.kind === 'team'
          ? newTeamRec(ex, seg.modelFor(ex.model, ex.builtin), recInput)
          : newAgentRec(ex, seg.modelFor(ex.model, ex.builtin), recInput);
      rec.step_executor_runs.push(exec);
      const outcome = await runExecutor(step, exec, false);
      if (outcome === 'paused') {
        stepSpan.end({ metadata: { status: 'PAUSED' } });
        return pauseExecutor(step, exec);
      }
      stepSpan.end({ output: typeof exec.content === 'string' ? exec.content : null });
      completeStep(step, exec);
    }
    const content = lastContent();
    rec.content = content;
    rec.content_type = 'str';
    rec.status = 'COMPLETED';
    addDuration(rec.metrics, started, seg.deps.now());
    span.end({ output: content });
    seg.emit(
      'WorkflowCompleted',
      base,
      { content, content_type: 'str', step_results: rec.step_results, metrics: rec.metrics },
      true,
    );
    return 'completed';
  } catch (err) {
    stepSpan?.end({ status: 'ERROR', error: errorMessage(err) });
    if (rec.status === 'RUNNING') addDuration(rec.metrics, started, seg.deps.now());
    span.end({ status: 'ERROR', error: errorMessage(err) });
    throw err;
  }
}

// ------------------------------------------------------------------------ ending a segment

/** Marks the runs still in progress (nested included) with the final status. */
export function markUnfinished(rec: AnyRunRec, status: RunStatus): void {
  for (const r of [rec, ...nestedRuns(rec)]) {
    if (r.status === 'RUNNING' || r.status === 'PENDING') r.status = status;
  }
}

/** Emits the terminal cancelled / error event of the top-level run. */
export function emitTopTerminal(
  seg: Segment,
  rec: AnyRunRec,
  status: 'CANCELLED' | 'ERROR',
  message: string,
  errorType?: string,
): void {
  const base = topBase(rec);
  if (status === 'CANCELLED') {
    const event = isWorkflowRec(rec)
      ? 'WorkflowCancelled'
      : isTeamRec(rec)
        ? 'TeamRunCancelled'
        : 'RunCancelled';
    seg.emit(event, base, { reason: message }, true);
    return;
  }
  const fields = {
    error_type: errorType ?? 'Error',
    error_id: randomUUID(),
  };
  if (isWorkflowRec(rec)) seg.emit('WorkflowError', base, { error: message, ...fields }, true);
  else seg.emit(isTeamRec(rec) ? 'TeamRunError' : 'RunError', base, { content: message, ...fields }, true);
}

export type { Outcome };
