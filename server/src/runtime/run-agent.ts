/**
 * @module The agent runner: the loop model → tool calls → model, pausing on a tool that needs
 * confirmation (with one approval per pause when the tool's approval is required).
 */
import { randomUUID } from 'node:crypto';
import type { AgentSpec } from './entities.js';
import { RunCancelledSignal } from './errors.js';
import { REJECTED_PREFIX } from './model-builtin.js';
import { callModel } from './model-call.js';
import type { AgentRunRec, Dict, MessageRec, RequirementRec, ToolExecRec } from './output.js';
import {
  addDuration,
  agentBase,
  epoch,
  errorMessage,
  message,
  messageMetrics,
  type Nest,
} from './records.js';
import type { Segment } from './segment.js';
import { type OpenSpan, spanName } from './trace.js';

function answeredIds(messages: readonly MessageRec[]): Set<string> {
  return new Set(messages.filter((m) => m.role === 'tool' && m.tool_call_id).map((m) => m.tool_call_id!));
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
