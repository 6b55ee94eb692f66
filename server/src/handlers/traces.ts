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
import { type RawBuilder, sql } from 'kysely';
import type { ServerContext } from '../context.js';
import type { SpanRow, TraceRow } from '../db/index.js';
import type { Handlers } from '../generated/server.js';
import {
  asArray,
  asObject,
  fail,
  isoRequired,
  type JsonRecord,
  pageMeta,
  pageRequest,
  parseIsoParam,
  qs,
  readScope,
  type Schemas,
  startTimer,
} from './_util.js';

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

type TraceWithCounts = TraceRow & { total_spans: number; error_count: number };

function toSummary(t: TraceWithCounts): Schemas['TraceSummary'] {
  return compact<Schemas['TraceSummary']>({
    trace_id: t.trace_id,
    name: t.name,
    status: t.status,
    duration: formatDuration(t.duration_ms),
    start_time: isoRequired(t.start_time),
    end_time: isoRequired(t.end_time ?? t.start_time),
    total_spans: Number(t.total_spans),
    error_count: Number(t.error_count),
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

// ------------------------------------------------------------------------------- filter schema

const STRING_OPS = ['EQ', 'NEQ', 'CONTAINS', 'STARTSWITH', 'IN'];
const TIME_OPS = ['GT', 'GTE', 'LT', 'LTE'];

export const TRACE_FILTER_SCHEMA: Schemas['FilterSchemaResponse'] = {
  fields: [
    { key: 'status', label: 'Status', type: 'enum', operators: ['EQ', 'NEQ', 'IN'], values: ['OK', 'ERROR'] },
    { key: 'user_id', label: 'User ID', type: 'string', operators: STRING_OPS, values: null },
    { key: 'agent_id', label: 'Agent ID', type: 'string', operators: STRING_OPS, values: null },
    { key: 'team_id', label: 'Team ID', type: 'string', operators: STRING_OPS, values: null },
    { key: 'workflow_id', label: 'Workflow ID', type: 'string', operators: STRING_OPS, values: null },
    { key: 'session_id', label: 'Session ID', type: 'string', operators: STRING_OPS, values: null },
    { key: 'run_id', label: 'Run ID', type: 'string', operators: STRING_OPS, values: null },
    {
      key: 'name',
      label: 'Trace Name',
      type: 'string',
      operators: ['EQ', 'NEQ', 'CONTAINS', 'STARTSWITH'],
      values: null,
    },
    { key: 'trace_id', label: 'Trace ID', type: 'string', operators: STRING_OPS, values: null },
    {
      key: 'duration_ms',
      label: 'Duration (ms)',
      type: 'number',
      operators: ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE'],
      values: null,
    },
    { key: 'start_time', label: 'Start Time', type: 'datetime', operators: TIME_OPS, values: null },
    { key: 'end_time', label: 'End Time', type: 'datetime', operators: TIME_OPS, values: null },
    { key: 'created_at', label: 'Created At', type: 'datetime', operators: TIME_OPS, values: null },
  ],
  logical_operators: ['AND', 'OR'],
};

const FIELDS = new Map(TRACE_FILTER_SCHEMA.fields.map((f) => [f.key, f]));
const MAX_DEPTH = 10;
const COMPARISON: Record<string, string> = { EQ: '=', NEQ: '<>', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

class FilterError extends Error {}

function invalid(message: string): never {
  throw new FilterError(message);
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A filter value of a field, checked against the field's type. */
function filterValue(type: string, key: string, v: unknown): string | number | Date {
  if (type === 'number') {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    invalid(`${key} expects a number. Got: ${JSON.stringify(v)}`);
  }
  if (type === 'datetime') {
    if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
    if (typeof v === 'string') {
      const d = new Date(v);
      if (/^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(d.getTime())) return d;
    }
    invalid(`${key} expects an ISO 8601 time. Got: ${JSON.stringify(v)}`);
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  invalid(`${key} expects a string. Got: ${JSON.stringify(v)}`);
}

/**
 * Compiles a FilterExpr to a SQL condition over the `traces` table aliased `t`.
 * @throws {FilterError} on an unknown operator or key, a missing field, or a value of the wrong type
 */
export function compileFilter(expr: unknown, depth = 0): RawBuilder<boolean> {
  if (depth > MAX_DEPTH) invalid(`Filter expression exceeds maximum nesting depth of ${MAX_DEPTH}`);
  const f = asObject(expr);
  if (!f || !('op' in f))
    invalid(`Invalid filter dictionary: must contain 'op' key. Got: ${JSON.stringify(expr)}`);
  const op = f.op;
  if (op === 'AND' || op === 'OR') {
    const conditions = asArray(f.conditions);
    if (!conditions) invalid(`${op} filter requires 'conditions' field. Got: ${JSON.stringify(expr)}`);
    if (conditions.length === 0) return op === 'AND' ? sql<boolean>`true` : sql<boolean>`false`;
    const parts = conditions.map((c) => sql`(${compileFilter(c, depth + 1)})`);
    return sql<boolean>`${sql.join(parts, op === 'AND' ? sql` and ` : sql` or `)}`;
  }
  if (op === 'NOT') {
    if (!('condition' in f)) invalid(`NOT filter requires 'condition' field. Got: ${JSON.stringify(expr)}`);
    return sql<boolean>`not coalesce((${compileFilter(f.condition, depth + 1)}), false)`;
  }
  if (
    typeof op !== 'string' ||
    !(op in COMPARISON || op === 'IN' || op === 'CONTAINS' || op === 'STARTSWITH')
  )
    invalid(`Unknown filter operator: ${String(op)}`);
  const key = f.key;
  if (typeof key !== 'string')
    invalid(`${op} filter requires 'key' and 'value' fields. Got: ${JSON.stringify(expr)}`);
  const field = FIELDS.get(key);
  if (!field) invalid(`Unknown filter key: ${key}. Valid keys: ${[...FIELDS.keys()].join(', ')}`);
  if (!field.operators.includes(op))
    invalid(`Operator ${op} is not supported for ${key}. Supported: ${field.operators.join(', ')}`);
  const column = sql.ref(`t.${key}`);
  if (op === 'IN') {
    const values = asArray('values' in f ? f.values : f.value);
    if (!values) invalid(`IN filter requires 'key' and 'values' fields. Got: ${JSON.stringify(expr)}`);
    if (values.length === 0) return sql<boolean>`false`;
    return sql<boolean>`${column} in (${sql.join(values.map((v) => filterValue(field.type, key, v)))})`;
  }
  if (!('value' in f))
    invalid(`${op} filter requires 'key' and 'value' fields. Got: ${JSON.stringify(expr)}`);
  const value = filterValue(field.type, key, f.value);
  if (op === 'CONTAINS') return sql<boolean>`${column} ilike ${`%${likeEscape(String(value))}%`}`;
  if (op === 'STARTSWITH') return sql<boolean>`${column} like ${`${likeEscape(String(value))}%`}`;
  return sql<boolean>`${column} ${sql.raw(COMPARISON[op]!)} ${value}`;
}

/**
 * Creates the Traces handlers.
 * @example createTraceHandlers(ctx).listTraces
 */
export function createTraceHandlers(ctx: ServerContext): TraceHandlers {
  const db = () => ctx.database.db;

  const SPAN_COUNTS = {
    total: sql<number>`(select count(*) from spans sp where sp.trace_id = t.trace_id)`,
    errors: sql<number>`(select count(*) from spans sp where sp.trace_id = t.trace_id and sp.status = 'ERROR')`,
  };

  async function spansOf(traceIds: readonly string[]): Promise<Map<string, SpanRow[]>> {
    const out = new Map<string, SpanRow[]>(traceIds.map((id) => [id, []]));
    if (traceIds.length === 0) return out;
    const rows = await db()
      .selectFrom('spans')
      .selectAll()
      .where('trace_id', 'in', traceIds)
      .orderBy('start_time', 'asc')
      .orderBy('span_id', 'asc')
      .execute();
    for (const s of rows) out.get(s.trace_id)?.push(s);
    return out;
  }

  /** Session statistics of the traces matching `where` (over `traces t`). */
  async function sessionStats(where: RawBuilder<boolean>, p: ReturnType<typeof pageRequest>) {
    const count = await sql<{ n: number }>`
      select count(distinct t.session_id) as n from traces t where t.session_id is not null and ${where}`.execute(
      db(),
    );
    const rows = await sql<{
      session_id: string;
      user_id: string | null;
      agent_id: string | null;
      team_id: string | null;
      workflow_id: string | null;
      total_traces: number;
      first_trace_at: Date;
      last_trace_at: Date;
    }>`
      select t.session_id, max(t.user_id) as user_id, max(t.agent_id) as agent_id, max(t.team_id) as team_id,
        max(t.workflow_id) as workflow_id, count(*) as total_traces,
        min(t.created_at) as first_trace_at, max(t.created_at) as last_trace_at
      from traces t
      where t.session_id is not null and ${where}
      group by t.session_id
      order by max(t.created_at) desc, t.session_id asc
      limit ${p.limit} offset ${p.offset}`.execute(db());
    const data = rows.rows.map((r) =>
      compact<Schemas['TraceSessionStats']>({
        session_id: r.session_id,
        user_id: r.user_id,
        agent_id: r.agent_id,
        team_id: r.team_id,
        workflow_id: r.workflow_id,
        total_traces: Number(r.total_traces),
        first_trace_at: isoRequired(r.first_trace_at),
        last_trace_at: isoRequired(r.last_trace_at),
      }),
    );
    return { data, total: Number(count.rows[0]?.n ?? 0) };
  }

  return {
    async listTraces({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      let q = db().selectFrom('traces as t');
      for (const key of ['run_id', 'session_id', 'agent_id', 'team_id', 'workflow_id', 'status'] as const) {
        const v = qs(query[key]);
        if (v !== undefined) q = q.where(`t.${key}`, '=', v);
      }
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) q = q.where('t.user_id', '=', userId);
      const start = qs(query.start_time);
      if (start !== undefined) q = q.where('t.start_time', '>=', parseIsoParam(start, 'start_time'));
      const end = qs(query.end_time);
      if (end !== undefined) q = q.where('t.end_time', '<=', parseIsoParam(end, 'end_time'));
      const countRow = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      const rows = await q
        .selectAll('t')
        .select([SPAN_COUNTS.total.as('total_spans'), SPAN_COUNTS.errors.as('error_count')])
        .orderBy('t.start_time', 'desc')
        .orderBy('t.trace_id', 'desc')
        .limit(p.limit)
        .offset(p.offset)
        .execute();
      return {
        status: 200,
        body: { data: rows.map(toSummary), meta: pageMeta(p, Number(countRow?.n ?? 0), started) },
      };
    },

    getTraceFilterSchema() {
      return { status: 200, body: TRACE_FILTER_SCHEMA };
    },

    async searchTraces({ body, caller }) {
      const started = startTimer();
      const p = pageRequest(body.page, body.limit);
      let where: RawBuilder<boolean>;
      try {
        where = body.filter ? compileFilter(body.filter) : sql<boolean>`true`;
      } catch (err) {
        if (err instanceof FilterError) fail(400, `Invalid filter expression: ${err.message}`);
        throw err;
      }
      if (caller.scopedUserId !== null)
        where = sql<boolean>`t.user_id = ${caller.scopedUserId} and (${where})`;
      if (body.group_by === 'session') {
        const { data, total } = await sessionStats(where, p);
        return { status: 200, body: { data, meta: pageMeta(p, total, started) } };
      }
      const count = await sql<{ n: number }>`select count(*) as n from traces t where ${where}`.execute(db());
      const traces = await sql<TraceRow>`
        select t.* from traces t where ${where}
        order by t.start_time desc, t.trace_id desc limit ${p.limit} offset ${p.offset}`.execute(db());
      const spans = await spansOf(traces.rows.map((t) => t.trace_id));
      return {
        status: 200,
        body: {
          data: traces.rows.map((t) => toDetail(t, spans.get(t.trace_id) ?? [])),
          meta: pageMeta(p, Number(count.rows[0]?.n ?? 0), started),
        },
      };
    },

    async getTrace({ path, query, caller }) {
      let trace = await db()
        .selectFrom('traces')
        .selectAll()
        .where('trace_id', '=', path.trace_id)
        .executeTakeFirst();
      const runId = qs(query.run_id);
      if (!trace && runId !== undefined)
        trace = await db()
          .selectFrom('traces')
          .selectAll()
          .where('run_id', '=', runId)
          .orderBy('start_time', 'desc')
          .executeTakeFirst();
      // Another user's trace, and a trace without owner, are not the isolated caller's: 404.
      if (!trace || (caller.scopedUserId !== null && trace.user_id !== caller.scopedUserId))
        fail(404, 'Trace not found');
      const spanId = qs(query.span_id);
      if (spanId !== undefined) {
        const span = await db()
          .selectFrom('spans')
          .selectAll()
          .where('span_id', '=', spanId)
          .executeTakeFirst();
        if (!span) fail(404, 'Span not found');
        if (span.trace_id !== trace.trace_id)
          fail(404, `Span ${spanId} does not belong to trace ${path.trace_id}`);
        return { status: 200, body: spanNode(span) };
      }
      const spans = await spansOf([trace.trace_id]);
      return { status: 200, body: toDetail(trace, spans.get(trace.trace_id) ?? []) };
    },

    async getTraceSessionStats({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const conditions: RawBuilder<unknown>[] = [];
      const userId = readScope(caller, query.user_id);
      if (userId !== undefined) conditions.push(sql`t.user_id = ${userId}`);
      for (const key of ['agent_id', 'team_id', 'workflow_id'] as const) {
        const v = qs(query[key]);
        if (v !== undefined) conditions.push(sql`${sql.ref(`t.${key}`)} = ${v}`);
      }
      const start = qs(query.start_time);
      if (start !== undefined) conditions.push(sql`t.created_at >= ${parseIsoParam(start, 'start_time')}`);
      const end = qs(query.end_time);
      if (end !== undefined) conditions.push(sql`t.created_at <= ${parseIsoParam(end, 'end_time')}`);
      const where =
        conditions.length > 0 ? sql<boolean>`${sql.join(conditions, sql` and `)}` : sql<boolean>`true`;
      const { data, total } = await sessionStats(where, p);
      return { status: 200, body: { data, meta: pageMeta(p, total, started) } };
    },
  };
}
