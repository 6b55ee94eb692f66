/**
 * Traces (one per run) and their spans (a tree through `parent_span_id`). User-owned through the
 * trace's `user_id`. `search` compiles the FilterExpr DSL of `POST /traces/search` to SQL over the
 * columns of `TRACE_FILTER_FIELDS` (anything else is a FilterError, for a 400).
 */
import { type Expression, type ExpressionBuilder, expressionBuilder, type SqlBool, sql } from 'kysely';
import type { Schema, SpanRow, TraceRow } from '../schema.js';
import { type Db, json, likeEscape, type Page, type PageOptions, paging, toCount } from '../util.js';

export interface NewTrace {
  trace_id: string;
  name: string;
  status?: string;
  start_time: Date;
  end_time?: Date | null;
  duration_ms?: number | null;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  run_id?: string | null;
  session_id?: string | null;
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
}

/** A span of the trace `insert` stores it with. */
export interface NewSpan {
  span_id: string;
  parent_span_id?: string | null;
  name: string;
  span_kind?: string;
  status?: string;
  start_time: Date;
  end_time?: Date | null;
  duration_ms?: number | null;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  step_type?: string | null;
  metadata?: unknown;
  extra_data?: unknown;
}

/** A trace with its span counts. */
export interface TraceSummaryRow extends TraceRow {
  total_spans: number;
  error_count: number;
}

export interface TraceSessionStats {
  session_id: string;
  user_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  total_traces: number;
  first_trace_at: Date;
  last_trace_at: Date;
}

const elapsedMs = (start: Date, end: Date | null | undefined): number | null =>
  end ? Math.max(0, end.getTime() - start.getTime()) : null;

/**
 * Stores a finished trace with its spans, in one statement each (run it in the caller's
 * transaction). `created_at` is the start time; `duration_ms`, when not given, is end − start.
 */
export async function insert(db: Db, t: NewTrace, spans: readonly NewSpan[] = []): Promise<void> {
  await db
    .insertInto('traces')
    .values({
      trace_id: t.trace_id,
      name: t.name,
      ...(t.status ? { status: t.status } : {}),
      start_time: t.start_time,
      end_time: t.end_time ?? null,
      duration_ms: t.duration_ms ?? elapsedMs(t.start_time, t.end_time),
      input: t.input ?? null,
      output: t.output ?? null,
      error: t.error ?? null,
      run_id: t.run_id ?? null,
      session_id: t.session_id ?? null,
      user_id: t.user_id ?? null,
      agent_id: t.agent_id ?? null,
      team_id: t.team_id ?? null,
      workflow_id: t.workflow_id ?? null,
      created_at: t.start_time,
    })
    .execute();
  if (spans.length === 0) return;
  await db
    .insertInto('spans')
    .values(
      spans.map((s) => ({
        span_id: s.span_id,
        trace_id: t.trace_id,
        parent_span_id: s.parent_span_id ?? null,
        name: s.name,
        ...(s.span_kind ? { span_kind: s.span_kind } : {}),
        ...(s.status ? { status: s.status } : {}),
        start_time: s.start_time,
        end_time: s.end_time ?? null,
        duration_ms: s.duration_ms ?? elapsedMs(s.start_time, s.end_time),
        input: s.input ?? null,
        output: s.output ?? null,
        error: s.error ?? null,
        step_type: s.step_type ?? null,
        metadata: json(s.metadata),
        extra_data: json(s.extra_data),
        created_at: s.start_time,
      })),
    )
    .execute();
}

function withCounts(db: Db) {
  return db
    .selectFrom('traces')
    .selectAll('traces')
    .select((eb) => [
      eb
        .selectFrom('spans')
        .select(eb.fn.countAll<number>().as('c'))
        .whereRef('spans.trace_id', '=', 'traces.trace_id')
        .as('total_spans'),
      eb
        .selectFrom('spans')
        .select(eb.fn.countAll<number>().as('c'))
        .whereRef('spans.trace_id', '=', 'traces.trace_id')
        .where('spans.status', '=', 'ERROR')
        .as('error_count'),
    ]);
}

function summary<R extends TraceRow & { total_spans: number | null; error_count: number | null }>(
  r: R,
): TraceSummaryRow {
  return { ...r, total_spans: toCount(r.total_spans), error_count: toCount(r.error_count) };
}

/** One trace with its counts; with `userId`, only if that user owns it (a NULL owner is no owner). */
export async function get(
  db: Db,
  traceId: string,
  scope: { userId?: string } = {},
): Promise<TraceSummaryRow | undefined> {
  const row = await withCounts(db)
    .where('traces.trace_id', '=', traceId)
    .$if(scope.userId !== undefined, (q) => q.where('traces.user_id', '=', scope.userId!))
    .executeTakeFirst();
  return row ? summary(row) : undefined;
}

/** The latest trace (by start time) of a run, with its counts; undefined if the run has none. */
export async function getByRunId(db: Db, runId: string): Promise<TraceSummaryRow | undefined> {
  const row = await withCounts(db)
    .where('traces.run_id', '=', runId)
    .orderBy('traces.start_time', 'desc')
    .executeTakeFirst();
  return row ? summary(row) : undefined;
}

/**
 * The spans of the given traces, by start time then span id (build each tree from
 * `parent_span_id`).
 */
export async function getSpans(db: Db, traceIds: readonly string[]): Promise<SpanRow[]> {
  if (traceIds.length === 0) return [];
  return db
    .selectFrom('spans')
    .selectAll()
    .where('trace_id', 'in', traceIds)
    .orderBy('start_time')
    .orderBy('span_id')
    .execute();
}

/** A span by id, whichever trace it belongs to (compare its `trace_id`); undefined if none. */
export async function getSpan(db: Db, spanId: string): Promise<SpanRow | undefined> {
  return db.selectFrom('spans').selectAll().where('span_id', '=', spanId).executeTakeFirst();
}

export interface ListTracesOptions extends PageOptions {
  runId?: string;
  sessionId?: string;
  userId?: string;
  agentId?: string;
  teamId?: string;
  workflowId?: string;
  status?: string;
  /** Traces starting at or after this time. */
  startTime?: Date;
  /** Traces ending at or before this time. */
  endTime?: Date;
}

/** A page of trace summaries matching every filter given, newest first, and how many match. */
export async function list(db: Db, opts: ListTracesOptions = {}): Promise<Page<TraceSummaryRow>> {
  const { limit, offset } = paging(opts);
  const filter = (eb: ExpressionBuilder<Schema, 'traces'>) => {
    const c: Expression<SqlBool>[] = [];
    if (opts.runId !== undefined) c.push(eb('traces.run_id', '=', opts.runId));
    if (opts.sessionId !== undefined) c.push(eb('traces.session_id', '=', opts.sessionId));
    if (opts.userId !== undefined) c.push(eb('traces.user_id', '=', opts.userId));
    if (opts.agentId !== undefined) c.push(eb('traces.agent_id', '=', opts.agentId));
    if (opts.teamId !== undefined) c.push(eb('traces.team_id', '=', opts.teamId));
    if (opts.workflowId !== undefined) c.push(eb('traces.workflow_id', '=', opts.workflowId));
    if (opts.status !== undefined) c.push(eb('traces.status', '=', opts.status));
    if (opts.startTime !== undefined) c.push(eb('traces.start_time', '>=', opts.startTime));
    if (opts.endTime !== undefined) c.push(eb('traces.end_time', '<=', opts.endTime));
    return eb.and(c);
  };
  return pageOfTraces(db, filter, limit, offset);
}

/** A page of the traces matching `filter`, by start time then trace id, both descending. */
async function pageOfTraces(
  db: Db,
  filter: (eb: ExpressionBuilder<Schema, 'traces'>) => Expression<SqlBool>,
  limit: number,
  offset: number,
): Promise<Page<TraceSummaryRow>> {
  const [count, rows] = await Promise.all([
    db
      .selectFrom('traces')
      .where(filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    withCounts(db)
      .where(filter)
      .orderBy('traces.start_time', 'desc')
      .orderBy('traces.trace_id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { rows: rows.map(summary), total: toCount(count.n) };
}

export interface SessionStatsOptions extends PageOptions {
  userId?: string;
  agentId?: string;
  teamId?: string;
  workflowId?: string;
  /** Traces created at or after / before this time. */
  startTime?: Date;
  endTime?: Date;
}

/** Trace counts per session (traces without a session are left out), latest activity first. */
export async function sessionStats(db: Db, opts: SessionStatsOptions = {}): Promise<Page<TraceSessionStats>> {
  const { limit, offset } = paging(opts);
  const filter = (eb: ExpressionBuilder<Schema, 'traces'>) => {
    const c: Expression<SqlBool>[] = [eb('traces.session_id', 'is not', null)];
    if (opts.userId !== undefined) c.push(eb('traces.user_id', '=', opts.userId));
    if (opts.agentId !== undefined) c.push(eb('traces.agent_id', '=', opts.agentId));
    if (opts.teamId !== undefined) c.push(eb('traces.team_id', '=', opts.teamId));
    if (opts.workflowId !== undefined) c.push(eb('traces.workflow_id', '=', opts.workflowId));
    if (opts.startTime !== undefined) c.push(eb('traces.created_at', '>=', opts.startTime));
    if (opts.endTime !== undefined) c.push(eb('traces.created_at', '<=', opts.endTime));
    return eb.and(c);
  };
  return pageOfSessionStats(db, filter, limit, offset);
}

/** A page of per-session statistics of the traces matching `filter`, latest activity first. */
async function pageOfSessionStats(
  db: Db,
  filter: (eb: ExpressionBuilder<Schema, 'traces'>) => Expression<SqlBool>,
  limit: number,
  offset: number,
): Promise<Page<TraceSessionStats>> {
  const [count, rows] = await Promise.all([
    db
      .selectFrom('traces')
      .where(filter)
      .select(sql<number>`count(distinct traces.session_id)`.as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('traces')
      .where(filter)
      .select((eb) => [
        'traces.session_id',
        eb.fn.max('traces.user_id').as('user_id'),
        eb.fn.max('traces.agent_id').as('agent_id'),
        eb.fn.max('traces.team_id').as('team_id'),
        eb.fn.max('traces.workflow_id').as('workflow_id'),
        eb.fn.countAll<number>().as('total_traces'),
        eb.fn.min('traces.created_at').as('first_trace_at'),
        eb.fn.max('traces.created_at').as('last_trace_at'),
      ])
      .groupBy('traces.session_id')
      .orderBy('last_trace_at', 'desc')
      .orderBy('traces.session_id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return {
    rows: rows.map((r) => ({
      session_id: r.session_id!,
      user_id: r.user_id,
      agent_id: r.agent_id,
      team_id: r.team_id,
      workflow_id: r.workflow_id,
      total_traces: toCount(r.total_traces),
      first_trace_at: r.first_trace_at,
      last_trace_at: r.last_trace_at,
    })),
    total: toCount(count.n),
  };
}

/** Deletes a trace and its spans; false if there was no such trace. */
export async function remove(db: Db, traceId: string): Promise<boolean> {
  const r = await db.deleteFrom('traces').where('trace_id', '=', traceId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---------------------------------------------------------------------------------- FilterExpr

/** An invalid filter: unknown key or operator, or a value of the wrong type (answer 400). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

const COMPARISONS = { EQ: '=', NEQ: '<>', GT: '>', GTE: '>=', LT: '<', LTE: '<=' } as const;

/** An operator of a `{op, key, value}` filter. */
export type FilterOperator = keyof typeof COMPARISONS | 'IN' | 'CONTAINS' | 'STARTSWITH';

const OPERATORS: ReadonlySet<string> = new Set<FilterOperator>([
  'EQ',
  'NEQ',
  'GT',
  'GTE',
  'LT',
  'LTE',
  'IN',
  'CONTAINS',
  'STARTSWITH',
]);

function isOperator(op: unknown): op is FilterOperator {
  return typeof op === 'string' && OPERATORS.has(op);
}

/** A filterable column of `traces`, as `GET /traces/filter-schema` describes it. */
export interface TraceFilterField {
  key: keyof TraceRow & string;
  label: string;
  type: 'string' | 'number' | 'datetime' | 'enum';
  /** The operators the key allows. */
  operators: FilterOperator[];
  /** The values of an enum field, else null. */
  values: string[] | null;
}

const STRING_OPS: FilterOperator[] = ['EQ', 'NEQ', 'CONTAINS', 'STARTSWITH', 'IN'];
const TIME_OPS: FilterOperator[] = ['GT', 'GTE', 'LT', 'LTE'];

/** The keys a FilterExpr may name, with their types and operators (`GET /traces/filter-schema`). */
export const TRACE_FILTER_FIELDS: readonly TraceFilterField[] = [
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
];

const FIELDS = new Map<string, TraceFilterField>(TRACE_FILTER_FIELDS.map((f) => [f.key, f]));
const MAX_DEPTH = 10;

function invalid(message: string): never {
  throw new FilterError(message);
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function asList(v: unknown): unknown[] | null {
  return Array.isArray(v) ? v : null;
}

/** A filter value of a field, checked against the field's type (a number time is epoch seconds). */
function filterValue(field: TraceFilterField, v: unknown): string | number | Date {
  const { key, type } = field;
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
 * Compiles a FilterExpr to a condition over `traces`: `{op, key, value}` for `EQ`, `NEQ`, `GT`,
 * `GTE`, `LT`, `LTE`, `CONTAINS` (case-insensitive), `STARTSWITH` (case-sensitive);
 * `{op: IN, key, values: [...]}` (or `value: [...]`); `{op: AND|OR, conditions: [...]}` (an empty
 * AND is true, an empty OR false); `{op: NOT, condition}` (true where the condition is not, NULL
 * included). The error messages are what `POST /traces/search` answers after
 * `Invalid filter expression: `.
 * @throws {FilterError} on an unknown operator or key, a missing field, or a value of the wrong type
 */
function compileFilter(
  eb: ExpressionBuilder<Schema, 'traces'>,
  expr: unknown,
  depth: number,
): Expression<SqlBool> {
  if (depth > MAX_DEPTH) invalid(`Filter expression exceeds maximum nesting depth of ${MAX_DEPTH}`);
  const f = asRecord(expr);
  if (!f || !('op' in f))
    invalid(`Invalid filter dictionary: must contain 'op' key. Got: ${JSON.stringify(expr)}`);
  const op = f.op;
  if (op === 'AND' || op === 'OR') {
    const conditions = asList(f.conditions);
    if (!conditions) invalid(`${op} filter requires 'conditions' field. Got: ${JSON.stringify(expr)}`);
    const parts = conditions.map((c) => compileFilter(eb, c, depth + 1));
    return op === 'AND' ? eb.and(parts) : eb.or(parts);
  }
  if (op === 'NOT') {
    if (!('condition' in f)) invalid(`NOT filter requires 'condition' field. Got: ${JSON.stringify(expr)}`);
    return sql<SqlBool>`not coalesce(${compileFilter(eb, f.condition, depth + 1)}, false)`;
  }
  if (!isOperator(op)) invalid(`Unknown filter operator: ${String(op)}`);
  const key = f.key;
  if (typeof key !== 'string')
    invalid(`${op} filter requires 'key' and 'value' fields. Got: ${JSON.stringify(expr)}`);
  const field = FIELDS.get(key);
  if (!field) invalid(`Unknown filter key: ${key}. Valid keys: ${[...FIELDS.keys()].join(', ')}`);
  if (!field.operators.includes(op))
    invalid(`Operator ${op} is not supported for ${key}. Supported: ${field.operators.join(', ')}`);
  const column = `traces.${field.key}` as const;
  if (op === 'IN') {
    const values = asList('values' in f ? f.values : f.value);
    if (!values) invalid(`IN filter requires 'key' and 'values' fields. Got: ${JSON.stringify(expr)}`);
    if (values.length === 0) return sql<SqlBool>`false`;
    return eb(
      column,
      'in',
      values.map((v) => filterValue(field, v)),
    );
  }
  if (!('value' in f))
    invalid(`${op} filter requires 'key' and 'value' fields. Got: ${JSON.stringify(expr)}`);
  const value = filterValue(field, f.value);
  if (op === 'CONTAINS') return eb(column, 'ilike', `%${likeEscape(String(value))}%`);
  if (op === 'STARTSWITH') return eb(column, 'like', `${likeEscape(String(value))}%`);
  return eb(column, COMPARISONS[op], value);
}

export interface SearchTracesOptions extends PageOptions {
  /** A FilterExpr (or none: everything). */
  filter?: unknown;
  /** `run` (default): trace summaries; `session`: per-session stats. */
  groupBy?: 'run' | 'session';
  /** User isolation: ANDed with the filter. */
  userId?: string;
}

/**
 * A page of the traces matching the filter (ordered as `list` orders them), or of their session
 * stats (as `sessionStats` orders them). An invalid filter rejects with a FilterError before any
 * query runs.
 */
export async function search(
  db: Db,
  opts: SearchTracesOptions & { groupBy: 'session' },
): Promise<Page<TraceSessionStats>>;
export async function search(
  db: Db,
  opts: SearchTracesOptions & { groupBy?: 'run' },
): Promise<Page<TraceSummaryRow>>;
export async function search(
  db: Db,
  opts: SearchTracesOptions,
): Promise<Page<TraceSummaryRow> | Page<TraceSessionStats>> {
  const { limit, offset } = paging(opts);
  const eb = expressionBuilder<Schema, 'traces'>();
  const parts: Expression<SqlBool>[] = [];
  if (opts.userId !== undefined) parts.push(eb('traces.user_id', '=', opts.userId));
  if (opts.filter !== undefined && opts.filter !== null) parts.push(compileFilter(eb, opts.filter, 0));
  if (opts.groupBy === 'session') parts.push(eb('traces.session_id', 'is not', null));
  const where = eb.and(parts);
  if (opts.groupBy === 'session') return pageOfSessionStats(db, () => where, limit, offset);
  return pageOfTraces(db, () => where, limit, offset);
}

export { remove as delete };
