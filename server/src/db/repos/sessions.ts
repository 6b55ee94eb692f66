/**
 * Sessions of agents, teams and workflows. User-owned: every read and write takes an optional
 * `userId`; when given, only that user's rows are seen or touched.
 */
import { type ExpressionBuilder, sql } from 'kysely';
import type { EntityType, JsonValue, Schema, SessionRow } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  json,
  jsonPatch,
  likeEscape,
  newId,
  order,
  type Page,
  type PageOptions,
  paging,
  type SortOrder,
  sortColumn,
  toCount,
} from '../util.js';

export interface NewSession {
  /** Default: a new UUID. */
  session_id?: string;
  session_type: EntityType;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
  user_id?: string | null;
  session_name?: string | null;
  session_state?: unknown;
  session_data?: unknown;
  agent_data?: unknown;
  team_data?: unknown;
  workflow_data?: unknown;
  metadata?: unknown;
  summary?: unknown;
  metrics?: unknown;
  created_at?: Date;
  updated_at?: Date;
}

/** Fields an update may change; `undefined` leaves a column alone, `null` clears it. */
export interface SessionPatch {
  /** Default: the database clock. */
  updated_at?: Date;
  session_name?: string | null;
  user_id?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  workflow_id?: string | null;
  session_state?: unknown;
  session_data?: unknown;
  agent_data?: unknown;
  team_data?: unknown;
  workflow_data?: unknown;
  metadata?: unknown;
  summary?: unknown;
  metrics?: unknown;
}

export interface SessionScope {
  /** Only the rows of this user (user isolation). */
  userId?: string;
  /** Only sessions of this type. */
  type?: EntityType;
}

/** A session with the input of its first top-level run (the API derives a missing name from it). */
export type SessionWithFirstInput = SessionRow & { first_input: JsonValue | null };

/**
 * The columns of a session in a list: all but the component snapshots (`agent_data`, `team_data`,
 * `workflow_data`), which a list item does not show and which are the largest values of a row.
 */
const LIST_COLUMNS = [
  'session_id',
  'session_type',
  'agent_id',
  'team_id',
  'workflow_id',
  'user_id',
  'session_name',
  'session_state',
  'session_data',
  'metadata',
  'summary',
  'metrics',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof SessionRow)[];

/** A session as a list answers it (LIST_COLUMNS), with the input of its first top-level run. */
export type SessionListRow = Pick<SessionRow, (typeof LIST_COLUMNS)[number]> & {
  first_input: JsonValue | null;
};

export const SESSION_SORT_COLUMNS = [
  'created_at',
  'updated_at',
  'session_name',
  'session_id',
  'user_id',
  'session_type',
] as const;

export interface ListSessionsOptions extends PageOptions {
  userId?: string;
  type?: EntityType;
  /** The agent, team or workflow id (the column of `type`, or any of the three). */
  componentId?: string;
  /** Case-insensitive substring of the session name. */
  sessionName?: string;
  /** One of SESSION_SORT_COLUMNS (default `created_at`); ties are broken by `session_id`. */
  sortBy?: string;
  /** Of both the sort column and the `session_id` tie-break (default `desc`). */
  sortOrder?: SortOrder | string;
  /**
   * `first_input` only for sessions without a name to show (`session_name`, else a string
   * `session_data.session_name`), null for the others: what a list of names needs, in a second
   * query only when the page has such sessions.
   */
  firstInputUnlessNamed?: boolean;
}

function values(s: NewSession) {
  return {
    session_id: s.session_id ?? newId(),
    session_type: s.session_type,
    agent_id: s.agent_id ?? null,
    team_id: s.team_id ?? null,
    workflow_id: s.workflow_id ?? null,
    user_id: s.user_id ?? null,
    session_name: s.session_name ?? null,
    session_state: json(s.session_state),
    session_data: json(s.session_data),
    agent_data: json(s.agent_data),
    team_data: json(s.team_data),
    workflow_data: json(s.workflow_data),
    metadata: json(s.metadata),
    summary: json(s.summary),
    metrics: json(s.metrics),
    ...(s.created_at ? { created_at: s.created_at } : {}),
    ...(s.updated_at ? { updated_at: s.updated_at } : {}),
  };
}

/** Inserts a session. A duplicate `session_id` throws a unique violation (see isUniqueViolation). */
export async function create(db: Db, session: NewSession): Promise<SessionRow> {
  return db.insertInto('sessions').values(values(session)).returningAll().executeTakeFirstOrThrow();
}

/**
 * Inserts the session unless one with its id exists. Answers the inserted row, or undefined when
 * the id is taken (another request may have created it first).
 */
export async function createIfAbsent(db: Db, session: NewSession): Promise<SessionRow | undefined> {
  return db
    .insertInto('sessions')
    .values(values(session))
    .onConflict((oc) => oc.column('session_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The session, or undefined when there is none in `scope`. */
export async function get(
  db: Db,
  sessionId: string,
  scope: SessionScope = {},
): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('session_id', '=', sessionId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .$if(scope.type !== undefined, (q) => q.where('session_type', '=', scope.type!))
    .executeTakeFirst();
}

/** The input of the session `s`'s first top-level run (oldest, then lowest `run_id`), else null. */
function firstInput(eb: ExpressionBuilder<Schema & { s: Schema['sessions'] }, 's'>) {
  return eb
    .selectFrom('runs as r')
    .select('r.input')
    .whereRef('r.session_id', '=', 's.session_id')
    .where('r.parent_run_id', 'is', null)
    .orderBy('r.created_at', 'asc')
    .orderBy('r.run_id', 'asc')
    .limit(1)
    .as('first_input');
}

/** Like `get`, with the input of the session's first top-level run. */
export async function getWithFirstInput(
  db: Db,
  sessionId: string,
  scope: SessionScope = {},
): Promise<SessionWithFirstInput | undefined> {
  return db
    .selectFrom('sessions as s')
    .selectAll('s')
    .select(firstInput)
    .where('s.session_id', '=', sessionId)
    .$if(scope.userId !== undefined, (q) => q.where('s.user_id', '=', scope.userId!))
    .$if(scope.type !== undefined, (q) => q.where('s.session_type', '=', scope.type!))
    .executeTakeFirst();
}

/** Whether a listed session has a name to show: `session_name`, else a string `session_data.session_name`. */
function named(row: Pick<SessionRow, 'session_name' | 'session_data'>): boolean {
  if (row.session_name !== null) return true;
  const data = row.session_data;
  return (
    typeof data === 'object' &&
    data !== null &&
    !Array.isArray(data) &&
    typeof (data as Record<string, unknown>).session_name === 'string'
  );
}

/**
 * The input of the first top-level run of each session in `ids` (oldest, then lowest `run_id`),
 * by session id; sessions without one are absent.
 */
async function firstInputs(db: Db, ids: readonly string[]): Promise<Map<string, JsonValue | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('runs as r')
    .distinctOn('r.session_id')
    .select(['r.session_id', 'r.input'])
    .where('r.session_id', 'in', [...ids])
    .where('r.parent_run_id', 'is', null)
    .orderBy('r.session_id')
    .orderBy('r.created_at', 'asc')
    .orderBy('r.run_id', 'asc')
    .execute();
  return new Map(rows.map((r) => [r.session_id, r.input]));
}

/**
 * A page of sessions (each with the input of its first top-level run, or with
 * `firstInputUnlessNamed` only those without a name) and the number matching.
 */
export async function list(db: Db, opts: ListSessionsOptions = {}): Promise<Page<SessionListRow>> {
  const { limit, offset } = paging(opts);
  const { componentId, type } = opts;
  const base = db
    .selectFrom('sessions as s')
    .$if(opts.userId !== undefined, (q) => q.where('s.user_id', '=', opts.userId!))
    .$if(type !== undefined, (q) => q.where('s.session_type', '=', type!))
    .$if(componentId !== undefined, (q) =>
      q.where((eb) =>
        type === 'agent'
          ? eb('s.agent_id', '=', componentId!)
          : type === 'team'
            ? eb('s.team_id', '=', componentId!)
            : type === 'workflow'
              ? eb('s.workflow_id', '=', componentId!)
              : eb.or([
                  eb('s.agent_id', '=', componentId!),
                  eb('s.team_id', '=', componentId!),
                  eb('s.workflow_id', '=', componentId!),
                ]),
      ),
    )
    .$if(!!opts.sessionName, (q) => q.where('s.session_name', 'ilike', `%${likeEscape(opts.sessionName!)}%`));
  const sortBy = sortColumn(opts.sortBy, SESSION_SORT_COLUMNS, 'created_at');
  const direction = order(opts.sortOrder);
  const page = base
    .select(LIST_COLUMNS.map((c) => `s.${c}` as const))
    .orderBy(`s.${sortBy}`, direction)
    .orderBy('s.session_id', direction);
  if (!opts.firstInputUnlessNamed) {
    const [count, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      page.select(firstInput).limit(limit).offset(offset).execute(),
    ]);
    return { rows, total: toCount(count.n) };
  }
  // The first inputs in a query of their own, for the unnamed sessions of the page only: planned
  // into the page query, the subquery costs more than the page itself on PGlite even when no row
  // needs it.
  const [count, sessionRows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    page.limit(limit).offset(offset).execute(),
  ]);
  const inputs = await firstInputs(
    db,
    sessionRows.filter((r) => !named(r)).map((r) => r.session_id),
  );
  const rows = sessionRows.map((r) => ({ ...r, first_input: inputs.get(r.session_id) ?? null }));
  return { rows, total: toCount(count.n) };
}

/**
 * Applies `patch` and sets `updated_at` (to `patch.updated_at`, else the database clock); answers
 * the updated row, or undefined if none matched.
 */
export async function update(
  db: Db,
  sessionId: string,
  patch: SessionPatch,
  scope: SessionScope = {},
): Promise<SessionRow | undefined> {
  const set = defined({
    session_name: patch.session_name,
    user_id: patch.user_id,
    agent_id: patch.agent_id,
    team_id: patch.team_id,
    workflow_id: patch.workflow_id,
    session_state: jsonPatch(patch.session_state),
    session_data: jsonPatch(patch.session_data),
    agent_data: jsonPatch(patch.agent_data),
    team_data: jsonPatch(patch.team_data),
    workflow_data: jsonPatch(patch.workflow_data),
    metadata: jsonPatch(patch.metadata),
    summary: jsonPatch(patch.summary),
    metrics: jsonPatch(patch.metrics),
  });
  return db
    .updateTable('sessions')
    .set({ ...set, updated_at: patch.updated_at ?? dbNow() })
    .where('session_id', '=', sessionId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .$if(scope.type !== undefined, (q) => q.where('session_type', '=', scope.type!))
    .returningAll()
    .executeTakeFirst();
}

/** What a finished run segment leaves in its session. */
export interface RunOutcome {
  /** The session state after the run (replaces the stored one). */
  sessionState: unknown;
  /** Token counts of the segment, added to the session's metrics. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Default: the database clock. */
  updatedAt?: Date;
}

/**
 * Saves a session's state after a run and adds the run's token counts to its metrics, in one
 * statement (concurrent runs of a session do not lose counts). The metrics become exactly
 * `{input_tokens, output_tokens, total_tokens}`.
 */
export async function recordRun(db: Db, sessionId: string, outcome: RunOutcome): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      session_state: json(outcome.sessionState),
      metrics: sql`jsonb_build_object(
        'input_tokens', coalesce((metrics->>'input_tokens')::bigint, 0) + ${outcome.inputTokens},
        'output_tokens', coalesce((metrics->>'output_tokens')::bigint, 0) + ${outcome.outputTokens},
        'total_tokens', coalesce((metrics->>'total_tokens')::bigint, 0) + ${outcome.totalTokens}
      )`,
      updated_at: outcome.updatedAt ?? dbNow(),
    })
    .where('session_id', '=', sessionId)
    .execute();
}

/** Deletes a session (its runs and their events go with it). Answers whether a row was deleted. */
export async function remove(db: Db, sessionId: string, scope: { userId?: string } = {}): Promise<boolean> {
  const r = await db
    .deleteFrom('sessions')
    .where('session_id', '=', sessionId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes several sessions (their runs and events go with them); answers the number deleted. */
export async function deleteMany(
  db: Db,
  sessionIds: readonly string[],
  scope: { userId?: string } = {},
): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const r = await db
    .deleteFrom('sessions')
    .where('session_id', 'in', sessionIds)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export { remove as delete };
