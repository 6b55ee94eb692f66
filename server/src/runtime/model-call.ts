/**
 * @module One model call of a run: the messages as the model reads them, content deltas streamed
 * as events, usage added to the run's and the segment's metrics, and an `LLM` span.
 */
import type { Model, ModelMessage, ModelResponse } from './model.js';
import type { Dict, MessageRec, MetricsRec } from './output.js';
import { errorMessage } from './records.js';
import type { Segment } from './segment.js';
import type { OpenSpan } from './trace.js';

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

export interface ModelCall {
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

export async function callModel(seg: Segment, c: ModelCall): Promise<ModelResponse> {
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
