/**
 * @module Collects the spans of one run segment (run → member/step → model call → tool call) in
 * memory; the engine writes them with the trace when the segment ends.
 */
import { randomBytes } from 'node:crypto';
import type { SpanRecord } from './store.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A span being recorded. */
export interface OpenSpan {
  readonly spanId: string;
  /** Ends the span (only the first call counts). */
  end(result?: {
    status?: 'OK' | 'ERROR';
    output?: string | null;
    error?: string | null;
    metadata?: Record<string, unknown>;
  }): void;
}

export class TraceRecorder {
  readonly traceId = hex(16);
  readonly spans: SpanRecord[] = [];
  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
  }

  start(
    name: string,
    kind: string,
    parent: OpenSpan | null,
    input: string | null,
    metadata: Record<string, unknown> = {},
    stepType: string | null = null,
  ): OpenSpan {
    const spanId = hex(8);
    const startTime = this.now();
    let ended = false;
    return {
      spanId,
      end: (result = {}) => {
        if (ended) return;
        ended = true;
        this.spans.push({
          spanId,
          parentSpanId: parent?.spanId ?? null,
          name,
          kind,
          status: result.status ?? 'OK',
          startTime,
          endTime: this.now(),
          input,
          output: result.output ?? null,
          error: result.error ?? null,
          stepType,
          metadata: { ...metadata, ...result.metadata },
        });
      },
    };
  }
}

/** `Research Agent` → `Research_Agent` (span names). */
export function spanName(name: string): string {
  return name.trim().replace(/\s+/g, '_');
}
