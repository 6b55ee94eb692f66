/**
 * Stored evaluation runs. User-owned without shared rows (contract.md §5): `user_id` is the
 * creator; reads and writes take an `OwnerScope` (`visibleTo`) under isolation.
 */
import type { EntityType, EvalRunRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  json,
  jsonPatch,
  newId,
  type OwnerScope,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  sortColumn,
  visibleTo,
} from '../util.js';

export interface NewEvalRun {
  /** Default: a new UUID. */
  id?: string;
  eval_type: string;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
  model_id?: string | null;
  model_provider?: string | null;
  name?: string | null;
  evaluated_component_name?: string | null;
  eval_data?: unknown;
  eval_input?: unknown;
  /** The creator (null: none recorded). */
  user_id?: string | null;
  /** Default: now() on the database server; `updated_at` starts equal to it. */
  created_at?: Date;
}

export interface EvalRunPatch {
  name?: string | null;
  evaluated_component_name?: string | null;
  eval_data?: unknown;
  eval_input?: unknown;
  /** Default: now() on the database server. */
  updated_at?: Date;
}

export const EVAL_SORT_COLUMNS = [
  'created_at',
  'updated_at',
  'name',
  'eval_type',
  'agent_id',
  'team_id',
  'model_id',
] as const;

export interface ListEvalRunsOptions extends PageOptions {
  agentId?: string;
  teamId?: string;
  workflowId?: string;
  modelId?: string;
  /** Only evals of an agent / team / workflow (the matching id is set). */
  type?: EntityType;
  evalTypes?: readonly string[];
  /** One of EVAL_SORT_COLUMNS (default `created_at`); ties are broken by id, in the same order. */
  sortBy?: string;
  sortOrder?: string;
  /** Under isolation: the caller's runs only. Default: every run. */
  visibleTo?: OwnerScope | undefined;
}

/** Under isolation, the rows a call may touch (undefined: every row). */
export interface EvalScope {
  visibleTo?: OwnerScope | undefined;
}

/** Stores an evaluation run; answers the stored row. */
export async function create(db: Db, e: NewEvalRun): Promise<EvalRunRow> {
  return db
    .insertInto('eval_runs')
    .values({
      id: e.id ?? newId(),
      eval_type: e.eval_type,
      agent_id: e.agent_id ?? null,
      team_id: e.team_id ?? null,
      workflow_id: e.workflow_id ?? null,
      model_id: e.model_id ?? null,
      model_provider: e.model_provider ?? null,
      name: e.name ?? null,
      evaluated_component_name: e.evaluated_component_name ?? null,
      eval_data: json(e.eval_data),
      eval_input: json(e.eval_input),
      user_id: e.user_id ?? null,
      ...(e.created_at ? { created_at: e.created_at, updated_at: e.created_at } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An evaluation run by id. */
export async function get(db: Db, id: string, opts: EvalScope = {}): Promise<EvalRunRow | undefined> {
  return db
    .selectFrom('eval_runs')
    .selectAll()
    .where('id', '=', id)
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .executeTakeFirst();
}

/** A page of evaluation runs matching the filters, and how many match. */
export async function list(db: Db, opts: ListEvalRunsOptions = {}): Promise<Page<EvalRunRow>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('eval_runs')
    .$if(opts.agentId !== undefined, (q) => q.where('agent_id', '=', opts.agentId!))
    .$if(opts.teamId !== undefined, (q) => q.where('team_id', '=', opts.teamId!))
    .$if(opts.workflowId !== undefined, (q) => q.where('workflow_id', '=', opts.workflowId!))
    .$if(opts.modelId !== undefined, (q) => q.where('model_id', '=', opts.modelId!))
    .$if(opts.type === 'agent', (q) => q.where('agent_id', 'is not', null))
    .$if(opts.type === 'team', (q) => q.where('team_id', 'is not', null))
    .$if(opts.type === 'workflow', (q) => q.where('workflow_id', 'is not', null))
    .$if(!!opts.evalTypes && opts.evalTypes.length > 0, (q) => q.where('eval_type', 'in', opts.evalTypes!))
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)));
  const sortBy = sortColumn(opts.sortBy, EVAL_SORT_COLUMNS, 'created_at');
  const direction = order(opts.sortOrder);
  return pageOf(base, (q) => q.selectAll().orderBy(sortBy, direction).orderBy('id', direction), {
    limit,
    offset,
  });
}

/** Updates an evaluation run; answers the updated row, undefined if not found. */
export async function update(
  db: Db,
  id: string,
  patch: EvalRunPatch,
  opts: EvalScope = {},
): Promise<EvalRunRow | undefined> {
  const set = defined({
    name: patch.name,
    evaluated_component_name: patch.evaluated_component_name,
    eval_data: jsonPatch(patch.eval_data),
    eval_input: jsonPatch(patch.eval_input),
  });
  return db
    .updateTable('eval_runs')
    .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
    .where('id', '=', id)
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .returningAll()
    .executeTakeFirst();
}

/** Deletes evaluation runs by id (in the scope, if given); answers the number deleted (others are ignored). */
export async function deleteMany(db: Db, ids: readonly string[], opts: EvalScope = {}): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db
    .deleteFrom('eval_runs')
    .where('id', 'in', ids)
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
