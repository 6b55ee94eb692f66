/**
 * @module Traces: trace summaries, a trace's span tree (or one span), per-session statistics,
 * search with the FilterExpr DSL, and the DSL's filter schema. Research §1.9 and §5: for an
 * isolated caller lists and statistics hold only traces whose `user_id` is the caller, search
 * ANDs `{op: EQ, key: user_id, value: <caller>}` into the filter, and a trace of another user (or
 * without owner) answers 404 `Trace not found`.
 *
 * FilterExpr: `{op, key, value}` for `EQ`, `NEQ`, `GT`, `GTE`, `LT`, `LTE`, `CONTAINS`,
 * `STARTSWITH`; `{op: IN, key, values: [...]}` (`value` is accepted too, as the spec writes it);
 * `{op: AND|OR, conditions: [...]}`; `{op: NOT, condition: {...}}`. Keys and the operators each
 * key allows are those of `GET /traces/filter-schema`. Anything else answers 400
 * `Invalid filter expression: ...` (as the Python AgentOS and the spec do).
 */

import type { SpanRow, TraceRow } from '../db/index.js';
import { traces } from '../db/repos/index.js';
import type { TraceSessionStats, TraceSummaryRow } from '../db/repos/traces.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { readScope } from './isolation.js';
import { pageMeta, pageRequest, startTimer } from './pagination.js';
import {
  asArray,
  asObject,
  fail,
  isoRequired,
  type JsonRecord,
  parseIsoParam,
  qs,
  type Schemas,
} from './wire.js';

export type TraceHandlers = Pick<
  Handlers,
  'listTraces' | 'getTraceFilterSchema' | 'searchTraces' | 'getTrace' | 'getTraceSessionStats'
>;

type TraceNode = Schemas['TraceNode'];

/** `150ms` below a second, else `1.50s` (agno `format_duration_ms`). */
export function formatDuration(ms: number | null): string {
  if (ms === null || ms < 1000) return `${ms ?? 0}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Copies the keys whose value is not null or undefined ("fields without a value are omitted"). */
function compact<T extends object>(o: { [K in keyof T]: T[K] | null | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

function toSummary(t: TraceSummaryRow): Schemas['TraceSummary'] {
  return compact<Schemas['TraceSummary']>({
    trace_id: t.trace_id,
    name: t.name,
    status: t.status,
    duration: formatDuration(t.duration_ms),
    start_time: isoRequired(t.start_time),
    end_time: isoRequired(t.end_time ?? t.start_time),
    total_spans: t.total_spans,
    error_count: t.error_count,
    input: t.input,
    run_id: t.run_id,
    session_id: t.session_id,
    user_id: t.user_id,
    agent_id: t.agent_id,
    team_id: t.team_id,
    workflow_id: t.workflow_id,
    created_at: isoRequired(t.created_at),
  });
}

/** One span as a node (children given separately). */
function spanNode(s: SpanRow, spans?: TraceNode[]): TraceNode {
  const error = s.status === 'ERROR';
  const metadata = asObject(s.metadata);
  const extra = asObject(s.extra_data);
  return compact<TraceNode>({
    id: s.span_id,
    name: s.name,
    type: s.span_kind,
    duration: formatDuration(s.duration_ms),
    start_time: isoRequired(s.start_time),
    end_time: isoRequired(s.end_time ?? s.start_time),
    status: s.status,
    input: s.input,
    output: error ? null : s.output,
    error: error ? (s.error ?? null) : null,
    spans: spans && spans.length > 0 ? spans : null,
    step_type: s.step_type,
    metadata: metadata && Object.keys(metadata).length > 0 ? metadata : null,
    extra_data: extra && Object.keys(extra).length > 0 ? extra : null,
  });
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The span tree of a trace: roots carry the trace timing and token totals, not input/output. */
function buildTree(trace: TraceRow, spans: readonly SpanRow[]): TraceNode[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, SpanRow[]>();
  for (const s of spans) {
    // A span whose parent is not stored is shown as a root rather than lost.
    const parent = s.parent_span_id !== null && ids.has(s.parent_span_id) ? s.parent_span_id : null;
    const list = children.get(parent);
    if (list) list.push(s);
    else children.set(parent, [s]);
  }
  for (const list of children.values()) list.sort((a, b) => a.start_time.getTime() - b.start_time.getTime());
  let inputTokens = 0;
  let outputTokens = 0;
  for (const s of spans) {
    if (s.span_kind !== 'LLM') continue;
    const m = asObject(s.metadata);
    inputTokens += num(m?.input_tokens);
    outputTokens += num(m?.output_tokens);
  }
  const build = (s: SpanRow, stepType: string | null, seen: Set<string>): TraceNode => {
    if (seen.has(s.span_id)) return spanNode(s);
    seen.add(s.span_id);
    const kids = (children.get(s.span_id) ?? []).map((c) => build(c, null, seen));
    const node = spanNode(s, kids);
    if (stepType !== null && node.step_type === undefined) node.step_type = stepType;
    return node;
  };
  return (children.get(null) ?? []).map((root) => {
    const seen = new Set<string>([root.span_id]);
    const rootMeta = asObject(root.metadata) ?? {};
    const stepTypes = asArray(rootMeta.step_types)?.filter((t): t is string => typeof t === 'string') ?? [];
    const kids = (children.get(root.span_id) ?? []).map((c, i) => build(c, stepTypes[i] ?? null, seen));
    const metadata: JsonRecord = {};
    if (inputTokens > 0) metadata.total_input_tokens = inputTokens;
    if (outputTokens > 0) metadata.total_output_tokens = outputTokens;
    for (const k of ['description', 'steps_count', 'steps', 'step_types'])
      if (rootMeta[k] !== undefined && rootMeta[k] !== null) metadata[k] = rootMeta[k];
    return compact<TraceNode>({
      id: root.span_id,
      name: root.name,
      type: root.span_kind,
      duration: formatDuration(trace.duration_ms ?? root.duration_ms),
      start_time: isoRequired(trace.start_time ?? root.start_time),
      end_time: isoRequired(trace.end_time ?? root.end_time ?? root.start_time),
      status: root.status,
      spans: kids.length > 0 ? kids : null,
      metadata: Object.keys(metadata).length > 0 ? metadata : null,
    });
  });
}

function toDetail(trace: TraceRow, spans: readonly SpanRow[]): Schemas['TraceDetail'] {
  const root = spans.find((s) => s.parent_span_id === null) ?? null;
  const failed = trace.status === 'ERROR' || root?.status === 'ERROR';
  return compact<Schemas['TraceDetail']>({
    trace_id: trace.trace_id,
    name: trace.name,
    status: trace.status,
    duration: formatDuration(trace.duration_ms),
    start_time: isoRequired(trace.start_time),
    end_time: isoRequired(trace.end_time ?? trace.start_time),
    total_spans: spans.length,
    error_count: spans.filter((s) => s.status === 'ERROR').length,
    input: trace.input ?? root?.input,
    output: failed ? null : (trace.output ?? root?.output),
    error: failed ? (trace.error ?? root?.error) : null,
    run_id: trace.run_id,
    session_id: trace.session_id,
    user_id: trace.user_id,
    agent_id: trace.agent_id,
    team_id: trace.team_id,
    workflow_id: trace.workflow_id,
    created_at: isoRequired(trace.created_at),
    tree: buildTree(trace, spans),
  });
}

function toSessionStats(r: TraceSessionStats): Schemas['TraceSessionStats'] {
  return compact<Schemas['TraceSessionStats']>({
    session_id: r.session_id,
    user_id: r.user_id,
    agent_id: r.agent_id,
    team_id: r.team_id,
    workflow_id: r.workflow_id,
    total_traces: r.total_traces,
    first_trace_at: isoRequired(r.first_trace_at),
    last_trace_at: isoRequired(r.last_trace_at),
  });
}

/** The DSL of `POST /traces/search`: the fields the repository filters on, and AND / OR. */
export const TRACE_FILTER_SCHEMA: Schemas['FilterSchemaResponse'] = {
  fields: [...traces.TRACE_FILTER_FIELDS],
  logical_operators: ['AND', 'OR'],
};

/** An optional ISO 8601 query parameter as a time (400 `Invalid <name> format ...` if malformed). */
function timeParam(value: unknown, name: string): Date | undefined {
  const v = qs(value);
  return v === undefined ? undefined : parseIsoParam(v, name);
}

/** The search's answer; an invalid filter answers 400 `Invalid filter expression: ...`. */
async function validFilter<T>(search: Promise<T>): Promise<T> {
  try {
    return await search;
  } catch (err) {
    if (err instanceof traces.FilterError) fail(400, `Invalid filter expression: ${err.message}`);
    throw err;
  }
}

/**
 * Creates the Traces handlers.
 * @example createTraceHandlers(ctx).listTraces
 */
export function createTraceHandlers(ctx: ServerContext): TraceHandlers {
  const db = () => ctx.database.db;

  /** The spans of each trace, by start time (an empty list for a trace without spans). */
  async function spansOf(traceIds: readonly string[]): Promise<Map<string, SpanRow[]>> {
    const out = new Map<string, SpanRow[]>(traceIds.map((id) => [id, []]));
    for (const s of await traces.getSpans(db(), traceIds)) out.get(s.trace_id)?.push(s);
    return out;
  }

  return {
    async listTraces({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await traces.list(db(), {
        page: p.page,
        limit: p.limit,
        runId: qs(query.run_id),
        sessionId: qs(query.session_id),
        agentId: qs(query.agent_id),
        teamId: qs(query.team_id),
        workflowId: qs(query.workflow_id),
        status: qs(query.status),
        userId: readScope(caller, query.user_id),
        startTime: timeParam(query.start_time, 'start_time'),
        endTime: timeParam(query.end_time, 'end_time'),
      });
      return { status: 200, body: { data: rows.map(toSummary), meta: pageMeta(p, total, started) } };
    },

    getTraceFilterSchema() {
      return { status: 200, body: TRACE_FILTER_SCHEMA };
    },

    async searchTraces({ body, caller }) {
      const started = startTimer();
      const p = pageRequest(body.page, body.limit);
      const opts = {
        page: p.page,
        limit: p.limit,
        filter: body.filter ?? undefined,
        userId: caller.scopedUserId ?? undefined,
      };
      if (body.group_by === 'session') {
        const { rows, total } = await validFilter(traces.search(db(), { ...opts, groupBy: 'session' }));
        return { status: 200, body: { data: rows.map(toSessionStats), meta: pageMeta(p, total, started) } };
      }
      const { rows, total } = await validFilter(traces.search(db(), opts));
      const spans = await spansOf(rows.map((t) => t.trace_id));
      return {
        status: 200,
        body: {
          data: rows.map((t) => toDetail(t, spans.get(t.trace_id) ?? [])),
          meta: pageMeta(p, total, started),
        },
      };
    },

    async getTrace({ path, query, caller }) {
      const runId = qs(query.run_id);
      const trace =
        (await traces.get(db(), path.trace_id)) ??
        (runId === undefined ? undefined : await traces.getByRunId(db(), runId));
      // Another user's trace, and a trace without owner, are not the isolated caller's: 404.
      if (!trace || (caller.scopedUserId !== null && trace.user_id !== caller.scopedUserId))
        fail(404, 'Trace not found');
      const spanId = qs(query.span_id);
      if (spanId !== undefined) {
        const span = await traces.getSpan(db(), spanId);
        // A span of another trace answers exactly like a missing one (no existence oracle).
        if (!span || span.trace_id !== trace.trace_id) fail(404, 'Span not found');
        return { status: 200, body: spanNode(span) };
      }
      const spans = await traces.getSpans(db(), [trace.trace_id]);
      return { status: 200, body: toDetail(trace, spans) };
    },

    async getTraceSessionStats({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await traces.sessionStats(db(), {
        page: p.page,
        limit: p.limit,
        userId: readScope(caller, query.user_id),
        agentId: qs(query.agent_id),
        teamId: qs(query.team_id),
        workflowId: qs(query.workflow_id),
        startTime: timeParam(query.start_time, 'start_time'),
        endTime: timeParam(query.end_time, 'end_time'),
      });
      return { status: 200, body: { data: rows.map(toSessionStats), meta: pageMeta(p, total, started) } };
    },
  };
}
