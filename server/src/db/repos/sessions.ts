/**
 * Sessions of agents, teams and workflows. User-owned: every read and write takes an optional
 * `userId`; when given, only that user's rows are seen or touched.
 */
import type { EntityType, SessionRow } from '../schema.js';
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

export const SESSION_SORT_COLUMNS = ['created_at', 'updated_at', 'session_name', 'session_id'] as const;

export interface ListSessionsOptions extends PageOptions {
  userId?: string;
  type?: EntityType;
  /** The agent, team or workflow id (the column of `type`, or any of the three). */
  componentId?: string;
  /** Case-insensitive substring of the session name. */
  sessionName?: string;
  /** One of SESSION_SORT_COLUMNS (default `created_at`). */
  sortBy?: string;
  sortOrder?: SortOrder | string;
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
 * Inserts the session unless one with its id exists; answers the stored row either way
 * (`created` tells which). Used when a run starts in a possibly new session.
 */
export async function ensure(db: Db, session: NewSession): Promise<{ row: SessionRow; created: boolean }> {
  const v = values(session);
  const inserted = await db
    .insertInto('sessions')
    .values(v)
    .onConflict((oc) => oc.column('session_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('session_id', '=', v.session_id)
    .executeTakeFirstOrThrow();
  return { row, created: false };
}

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

export async function list(db: Db, opts: ListSessionsOptions = {}): Promise<Page<SessionRow>> {
  const { limit, offset } = paging(opts);
  const { componentId, type } = opts;
  const base = db
    .selectFrom('sessions')
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .$if(type !== undefined, (q) => q.where('session_type', '=', type!))
    .$if(componentId !== undefined, (q) =>
      q.where((eb) =>
        type === 'agent'
          ? eb('agent_id', '=', componentId!)
          : type === 'team'
            ? eb('team_id', '=', componentId!)
            : type === 'workflow'
              ? eb('workflow_id', '=', componentId!)
              : eb.or([
                  eb('agent_id', '=', componentId!),
                  eb('team_id', '=', componentId!),
                  eb('workflow_id', '=', componentId!),
                ]),
      ),
    )
    .$if(!!opts.sessionName, (q) => q.where('session_name', 'ilike', `%${likeEscape(opts.sessionName!)}%`));
  const sortBy = sortColumn(opts.sortBy, SESSION_SORT_COLUMNS, 'created_at');
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .orderBy(sortBy, order(opts.sortOrder))
      .orderBy('session_id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { rows, total: toCount(count.n) };
}

/** Applies `patch` (and bumps `updated_at`); answers the updated row, or undefined if none matched. */
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
    .set({ ...set, updated_at: dbNow() })
    .where('session_id', '=', sessionId)
    .$if(scope.userId !== undefined, (q) => q.where('user_id', '=', scope.userId!))
    .$if(scope.type !== undefined, (q) => q.where('session_type', '=', scope.type!))
    .returningAll()
    .executeTakeFirst();
}

export async function rename(
  db: Db,
  sessionId: string,
  sessionName: string,
  scope: SessionScope = {},
): Promise<SessionRow | undefined> {
  return update(db, sessionId, { session_name: sessionName }, scope);
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

/**
 * Deletes several sessions. With `types` (same length as `sessionIds`), each id is deleted only
 * if its session has the type at the same position. Answers the number deleted.
 */
export async function deleteMany(
  db: Db,
  sessionIds: readonly string[],
  opts: { userId?: string; types?: readonly EntityType[] } = {},
): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const { types } = opts;
  if (types && types.length !== sessionIds.length)
    throw new Error('types must have the length of sessionIds');
  const r = await db
    .deleteFrom('sessions')
    .where((eb) =>
      types
        ? eb.or(
            sessionIds.map((id, i) =>
              eb.and([eb('session_id', '=', id), eb('session_type', '=', types[i]!)]),
            ),
          )
        : eb('session_id', 'in', sessionIds),
    )
    .$if(opts.userId !== undefined, (q) => q.where('user_id', '=', opts.userId!))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export { remove as delete };
