/**
 * Traces (one per run) and their spans (a tree through `parent_span_id`). User-owned through the
 * trace's `user_id`. `search` compiles the FilterExpr DSL of `POST /traces/search` to SQL over a
 * fixed set of columns (anything else is a FilterError, for a 400).
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Schema, SpanRow, TraceRow } from '../schema.js';
import {
  type Db,
  defined,
  jsonPatch,
  likeEscape,
  type Page,
  type PageOptions,
  paging,
  toCount,
} from '../util.js';

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

export type TracePatch = Partial<Omit<NewTrace, 'trace_id'>>;

export interface NewSpan {
  span_id: string;
  trace_id: string;
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

function traceValues(t: NewTrace | TracePatch) {
  return defined({
    name: t.name,
    status: t.status,
    start_time: t.start_time,
    end_time: t.end_time,
    duration_ms: t.duration_ms,
    input: t.input,
    output: t.output,
    error: t.error,
    run_id: t.run_id,
    session_id: t.session_id,
    user_id: t.user_id,
    agent_id: t.agent_id,
    team_id: t.team_id,
    workflow_id: t.workflow_id,
  });
}

/** Inserts a trace, or updates the given fields of an existing one with the same id. */
export async function upsertTrace(db: Db, t: NewTrace): Promise<TraceRow> {
  const v = traceValues(t);
  return db
    .insertInto('traces')
    .values({ ...v, trace_id: t.trace_id, name: t.name, start_time: t.start_time })
    .onConflict((oc) => oc.column('trace_id').doUpdateSet(v))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateTrace(db: Db, traceId: string, patch: TracePatch): Promise<TraceRow | undefined> {
  const v = traceValues(patch);
  if (Object.keys(v).length === 0) {
    return db.selectFrom('traces').selectAll().where('trace_id', '=', traceId).executeTakeFirst();
  }
  return db.updateTable('traces').set(v).where('trace_id', '=', traceId).returningAll().executeTakeFirst();
}

/** Inserts spans, or updates them when their id exists (a span is written at start and end). */
export async function addSpans(db: Db, spans: readonly NewSpan[]): Promise<void> {
  for (const s of spans) {
    const v = defined({
      parent_span_id: s.parent_span_id,
      name: s.name,
      span_kind: s.span_kind,
      status: s.status,
      start_time: s.start_time,
      end_time: s.end_time,
      duration_ms: s.duration_ms,
      input: s.input,
      output: s.output,
      error: s.error,
      step_type: s.step_type,
      metadata: jsonPatch(s.metadata),
      extra_data: jsonPatch(s.extra_data),
    });
    await db
      .insertInto('spans')
      .values({ ...v, span_id: s.span_id, trace_id: s.trace_id, name: s.name, start_time: s.start_time })
      .onConflict((oc) => oc.column('span_id').doUpdateSet(v))
      .execute();
  }
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

/** The spans of a trace, by start time (build the tree from `parent_span_id`). */
export async function getSpans(db: Db, traceId: string): Promise<SpanRow[]> {
  return db
    .selectFrom('spans')
    .selectAll()
    .where('trace_id', '=', traceId)
    .orderBy('start_time')
    .orderBy('span_id')
    .execute();
}

export async function getSpan(db: Db, traceId: string, spanId: string): Promise<SpanRow | undefined> {
  return db
    .selectFrom('spans')
    .selectAll()
    .where('trace_id', '=', traceId)
    .where('span_id', '=', spanId)
    .executeTakeFirst();
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

/** Trace summaries, newest first. */
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
      .orderBy('traces.trace_id')
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

export async function remove(db: Db, traceId: string): Promise<boolean> {
  const r = await db.deleteFrom('traces').where('trace_id', '=', traceId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---------------------------------------------------------------------------------- FilterExpr

/** A FilterExpr of `POST /traces/search`. */
export type FilterExpr =
  | { op: string; key: string; value: unknown }
  | { op: 'AND' | 'OR' | 'and' | 'or'; conditions: FilterExpr[] }
  | { op: 'NOT' | 'not'; condition: FilterExpr };

/** An invalid filter: unknown key or operator, or a value of the wrong type (answer 400). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

type FieldType = 'string' | 'number' | 'datetime' | 'enum';

/** The filterable fields and their types (`GET /traces/filter-schema`). */
export const TRACE_FILTER_FIELDS = {
  status: 'enum',
  user_id: 'string',
  agent_id: 'string',
  team_id: 'string',
  workflow_id: 'string',
  session_id: 'string',
  run_id: 'string',
  name: 'string',
  trace_id: 'string',
  duration_ms: 'number',
  start_time: 'datetime',
  end_time: 'datetime',
  created_at: 'datetime',
} as const satisfies Record<string, FieldType>;

type FilterKey = keyof typeof TRACE_FILTER_FIELDS;

const COMPARISONS = { EQ: '=', NEQ: '<>', GT: '>', GTE: '>=', LT: '<', LTE: '<=' } as const;
const MAX_DEPTH = 32;

function scalar(key: FilterKey, value: unknown): string | number | Date {
  const type: FieldType = TRACE_FILTER_FIELDS[key];
  if (type === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) throw new FilterError(`${key} needs a number`);
    return n;
  }
  if (type === 'datetime') {
    const d = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    if (!d || Number.isNaN(d.getTime())) throw new FilterError(`${key} needs an ISO 8601 date-time`);
    return d;
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw new FilterError(`${key} needs a string`);
  return String(value);
}

function compile(eb: ExpressionBuilder<Schema, 'traces'>, f: unknown, depth: number): Expression<SqlBool> {
  if (depth > MAX_DEPTH) throw new FilterError('filter nested too deeply');
  if (!f || typeof f !== 'object') throw new FilterError('a filter is an object with `op`');
  const node = f as Record<string, unknown>;
  const op = typeof node.op === 'string' ? node.op.toUpperCase() : '';
  if (op === 'AND' || op === 'OR') {
    if (!Array.isArray(node.conditions) || node.conditions.length === 0) {
      throw new FilterError(`${op} needs a non-empty \`conditions\` list`);
    }
    const parts = node.conditions.map((c) => compile(eb, c, depth + 1));
    return op === 'AND' ? eb.and(parts) : eb.or(parts);
  }
  if (op === 'NOT') return eb.not(compile(eb, node.condition, depth + 1));
  const key = node.key;
  if (typeof key !== 'string' || !Object.hasOwn(TRACE_FILTER_FIELDS, key)) {
    throw new FilterError(`unknown filter key: ${String(key)}`);
  }
  const k = key as FilterKey;
  const column = `traces.${k}` as const;
  const type: FieldType = TRACE_FILTER_FIELDS[k];
  if (op in COMPARISONS) {
    if ((op === 'EQ' || op === 'NEQ') && node.value === null) {
      return eb(column, op === 'EQ' ? 'is' : 'is not', null);
    }
    if (type !== 'number' && type !== 'datetime' && op !== 'EQ' && op !== 'NEQ') {
      throw new FilterError(`${op} does not apply to ${k}`);
    }
    return eb(column, COMPARISONS[op as keyof typeof COMPARISONS], scalar(k, node.value));
  }
  if (op === 'IN') {
    if (!Array.isArray(node.value)) throw new FilterError('IN needs a list value');
    if (node.value.length === 0) return sql<SqlBool>`false`;
    return eb(
      column,
      'in',
      node.value.map((v) => scalar(k, v)),
    );
  }
  if (op === 'CONTAINS' || op === 'STARTSWITH') {
    if (type !== 'string' && type !== 'enum') throw new FilterError(`${op} does not apply to ${k}`);
    const v = likeEscape(String(scalar(k, node.value)));
    return eb(column, 'ilike', op === 'CONTAINS' ? `%${v}%` : `${v}%`);
  }
  throw new FilterError(`unknown filter operator: ${String(node.op)}`);
}

export interface SearchTracesOptions extends PageOptions {
  /** A FilterExpr (or none: everything). */
  filter?: unknown;
  /** `run` (default): trace summaries; `session`: per-session stats. */
  groupBy?: 'run' | 'session';
  /** User isolation: ANDed with the filter. */
  userId?: string;
}

/** Compiles the filter (throws FilterError) and answers a page of traces or session stats. */
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
  const filter = (eb: ExpressionBuilder<Schema, 'traces'>) => {
    const parts: Expression<SqlBool>[] = [];
    if (opts.filter !== undefined && opts.filter !== null) parts.push(compile(eb, opts.filter, 0));
    if (opts.userId !== undefined) parts.push(eb('traces.user_id', '=', opts.userId));
    if (opts.groupBy === 'session') parts.push(eb('traces.session_id', 'is not', null));
    return eb.and(parts);
  };
  if (opts.groupBy === 'session') return pageOfSessionStats(db, filter, limit, offset);
  return pageOfTraces(db, filter, limit, offset);
}

export { remove as delete };
