/**
 * @module Sessions: list, create, get, update, rename and delete sessions, and read the runs
 * stored in a session (`runs` table). Research §1.5; isolation per contract.md §5 (reads limited
 * to the caller's sessions, another user's session answers 404 like a missing one; deletes only
 * match the caller's own sessions).
 */

import { randomUUID } from 'node:crypto';
import type { CallerContext } from '@agentos/core';
import type { RunRow, SessionRow } from '../db/index.js';
import { runs, sessions } from '../db/repos/index.js';
import type { Handlers } from '../generated/server.js';
import { compact } from '../runtime/output.js';
import type { ServerContext } from '../server-context.js';
import { readScope } from './isolation.js';
import { pageMeta, pageRequest, sortOrder, startTimer } from './pagination.js';
import {
  asArray,
  asInteger,
  asObject,
  asString,
  fail,
  iso,
  type JsonRecord,
  qs,
  type Schemas,
} from './wire.js';

type SessionType = 'agent' | 'team' | 'workflow';

export type SessionHandlers = Pick<
  Handlers,
  | 'listSessions'
  | 'createSession'
  | 'deleteSessions'
  | 'getSession'
  | 'updateSession'
  | 'deleteSession'
  | 'listSessionRuns'
  | 'getSessionRun'
  | 'renameSession'
  | 'listSessionRunPreviews'
  | 'getSessionMedia'
>;

/** agno's preview length (`SessionRunPreviewSchema`, 280 characters). */
const PREVIEW_CHARS = 280;

function preview(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, PREVIEW_CHARS);
}

/** A session row with the input of its first top-level run (for a derived name). */
type SessionWithInput = sessions.SessionWithFirstInput;

/** The text of a stored run input: the message, or a structured input rendered as JSON. */
export function inputText(input: unknown): string | null {
  if (input === null || input === undefined) return null;
  if (typeof input === 'string') return input;
  const o = asObject(input);
  if (o && 'input_content' in o) return inputText(o.input_content);
  return JSON.stringify(input);
}

/** The stored name, else the first message of the session (as the Python AgentOS derives it). */
function sessionName(row: sessions.SessionListRow): string {
  if (row.session_name !== null) return row.session_name;
  const fromData = asString(asObject(row.session_data)?.session_name);
  if (fromData !== null) return fromData;
  return inputText(row.first_input) ?? '';
}

function summaryOf(row: Pick<SessionRow, 'summary'>): Schemas['SessionSummary'] | null {
  const s = asObject(row.summary);
  if (!s) return null;
  const out: JsonRecord = { ...s };
  if (out.summary !== undefined && typeof out.summary !== 'string') out.summary = JSON.stringify(out.summary);
  if (
    out.topics !== undefined &&
    out.topics !== null &&
    !asArray(out.topics)?.every((t) => typeof t === 'string')
  )
    delete out.topics;
  if (out.updated_at !== undefined && out.updated_at !== null && typeof out.updated_at !== 'string')
    out.updated_at =
      typeof out.updated_at === 'number' ? new Date(out.updated_at * 1000).toISOString() : null;
  return out as Schemas['SessionSummary'];
}

function totalTokens(row: Pick<SessionRow, 'metrics'>): number | null {
  return asInteger(asObject(row.metrics)?.total_tokens);
}

/** A session in a list, as agno sends it: null ids and summary omitted, `metrics` and `metadata` objects. */
function toListItem(row: sessions.SessionListRow): Schemas['SessionSchema'] {
  return {
    session_id: row.session_id,
    session_name: sessionName(row),
    session_state: asObject(row.session_state),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    session_type: row.session_type,
    user_id: row.user_id,
    ...compact({
      agent_id: row.agent_id,
      team_id: row.team_id,
      workflow_id: row.workflow_id,
      session_summary: summaryOf(row),
      total_tokens: totalTokens(row),
    }),
    metrics: asObject(row.metrics) ?? {},
    metadata: asObject(row.metadata) ?? {},
  };
}

/** One chat message of a stored run, cleaned to the `ChatMessage` schema; null to skip it. */
function chatMessage(m: unknown): Schemas['ChatMessage'] | null {
  const o = asObject(m);
  if (!o || typeof o.role !== 'string' || o.role === 'system' || o.from_history === true) return null;
  const out: JsonRecord = { ...o };
  for (const k of ['from_history', 'stop_after_tool_call'] as const)
    if (out[k] !== undefined && typeof out[k] !== 'boolean') delete out[k];
  for (const k of ['id', 'name', 'tool_call_id'] as const)
    if (out[k] !== undefined && out[k] !== null && typeof out[k] !== 'string') delete out[k];
  if (
    out.tool_calls !== undefined &&
    out.tool_calls !== null &&
    !asArray(out.tool_calls)?.every((t) => asObject(t))
  )
    delete out.tool_calls;
  if (out.metrics !== undefined && out.metrics !== null && !asObject(out.metrics)) delete out.metrics;
  if (out.created_at !== undefined && out.created_at !== null) {
    const n = asInteger(out.created_at);
    if (n === null) delete out.created_at;
    else out.created_at = n;
  }
  return out as Schemas['ChatMessage'];
}

/** The chat history of a session: the messages of its top-level runs, oldest first. */
function chatHistory(runs: readonly RunRow[]): Schemas['ChatMessage'][] {
  const out: Schemas['ChatMessage'][] = [];
  for (const run of runs) {
    if (run.parent_run_id !== null) continue;
    const at = Math.floor(run.created_at.getTime() / 1000);
    const messages = asArray(asObject(run.output)?.messages);
    if (messages) {
      for (const m of messages) {
        const c = chatMessage(m);
        if (c) out.push(c);
      }
      continue;
    }
    // No stored messages (a run persisted without them): the input and the answer.
    const input = inputText(run.input);
    if (input !== null)
      out.push({
        role: 'user',
        content: input,
        from_history: false,
        stop_after_tool_call: false,
        created_at: at,
      });
    if (run.content !== null && run.content !== undefined)
      out.push({
        role: 'assistant',
        content: typeof run.content === 'string' ? run.content : JSON.stringify(run.content),
        from_history: false,
        stop_after_tool_call: false,
        created_at: at,
      });
  }
  return out;
}

function toDetail(
  ctx: ServerContext,
  row: SessionWithInput,
  runs: readonly RunRow[],
): Schemas['SessionDetail'] {
  const common = {
    session_id: row.session_id,
    session_name: sessionName(row),
    user_id: row.user_id,
    session_state: asObject(row.session_state),
    metadata: asObject(row.metadata),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
  if (row.session_type === 'agent') {
    return {
      ...common,
      agent_session_id: row.session_id,
      ...compact({
        session_summary: summaryOf(row),
        agent_id: row.agent_id,
        total_tokens: totalTokens(row),
        agent_data: asObject(row.agent_data),
      }),
      metrics: asObject(row.metrics) ?? {},
      chat_history: chatHistory(runs),
    };
  }
  if (row.session_type === 'team') {
    return {
      ...common,
      team_id: row.team_id,
      ...compact({
        session_summary: summaryOf(row),
        team_data: asObject(row.team_data),
        total_tokens: totalTokens(row),
      }),
      metrics: asObject(row.metrics) ?? {},
      chat_history: chatHistory(runs),
    };
  }
  const workflowData = asObject(row.workflow_data);
  const configured = ctx.config.workflows.find((w) => w.id === row.workflow_id);
  const sessionData: JsonRecord = { ...(asObject(row.session_data) ?? {}) };
  if (row.session_state !== null) sessionData.session_state = row.session_state;
  if (row.session_name !== null) sessionData.session_name = row.session_name;
  return {
    ...common,
    workflow_id: row.workflow_id,
    workflow_name: asString(workflowData?.name) ?? configured?.name ?? null,
    session_data: Object.keys(sessionData).length > 0 ? sessionData : null,
    workflow_data: workflowData,
  };
}

/** Run fields copied from the stored run output when their type matches the schema. */
const RUN_FIELDS: readonly (readonly [string, 'string' | 'integer' | 'object' | 'objects' | 'strings'])[] = [
  ['reasoning_content', 'string'],
  ['reasoning_steps', 'objects'],
  ['reasoning_messages', 'objects'],
  ['messages', 'objects'],
  ['tools', 'objects'],
  ['events', 'objects'],
  ['references', 'objects'],
  ['citations', 'object'],
  ['session_state', 'object'],
  ['images', 'objects'],
  ['videos', 'objects'],
  ['audio', 'objects'],
  ['files', 'objects'],
  ['response_audio', 'object'],
  ['input_media', 'object'],
  ['followups', 'strings'],
  ['forked_from_run_id', 'string'],
  ['forked_from_message_index', 'integer'],
  ['forked_from_session_id', 'string'],
  ['regenerated_from', 'string'],
  ['last_checkpoint_at_message_index', 'integer'],
  ['step_results', 'objects'],
  ['step_executor_runs', 'objects'],
  ['step_requirements', 'objects'],
  ['pause_kind', 'string'],
  ['paused_step_name', 'string'],
  ['paused_step_index', 'integer'],
];

function fits(v: unknown, kind: (typeof RUN_FIELDS)[number][1]): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'object':
      return asObject(v) !== null;
    case 'objects':
      return Array.isArray(v) && v.every((x) => asObject(x) !== null);
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

/** A stored run as `SessionRunSchema` (the union of the Python agent, team and workflow run schemas). */
/** What agno's `RunSchema`/`TeamRunSchema`/`WorkflowRunSchema` send for a field the run did not fill. */
const RUN_DEFAULTS: JsonRecord = {
  reasoning_content: '',
  reasoning_steps: [],
  reasoning_messages: [],
  references: [],
  citations: null,
  images: [],
  videos: [],
  audio: [],
  files: [],
  response_audio: null,
  cancellation_stage: null,
};
const AGENT_RUN_DEFAULTS: JsonRecord = {
  ...RUN_DEFAULTS,
  tools: null,
  events: null,
  metadata: null,
  input_media: {},
  followups: null,
  forked_from_run_id: null,
  forked_from_message_index: null,
  forked_from_session_id: null,
  regenerated_from: null,
  last_checkpoint_at_message_index: null,
};
const WORKFLOW_RUN_DEFAULTS: JsonRecord = {
  ...RUN_DEFAULTS,
  events: [],
  step_requirements: null,
  pause_kind: null,
  paused_step_name: null,
  paused_step_index: null,
};

export function toSessionRun(row: RunRow): Schemas['SessionRunSchema'] {
  const output = asObject(row.output) ?? {};
  const out: JsonRecord = {};
  for (const [key, kind] of RUN_FIELDS) {
    const v = output[key];
    if (v !== undefined && v !== null && fits(v, kind)) out[key] = v;
  }
  const content =
    row.content === null || row.content === undefined
      ? null
      : typeof row.content === 'string' || asObject(row.content)
        ? row.content
        : JSON.stringify(row.content);
  out.run_id = row.run_id;
  out.parent_run_id = row.parent_run_id;
  out[`${row.entity_type}_id`] = row.entity_id;
  out.user_id = row.user_id;
  out.status = row.status;
  out.run_input = inputText(row.input);
  out.content = content;
  if (row.entity_type === 'workflow') out.content_type = row.content_type;
  out.run_response_format =
    content === null || typeof content === 'string' || row.content_type === 'str' ? 'text' : 'json';
  out.metrics = asObject(row.metrics);
  out.created_at = iso(row.created_at);
  if (row.entity_type === 'workflow') delete out.run_response_format;
  const defaults = row.entity_type === 'workflow' ? WORKFLOW_RUN_DEFAULTS : AGENT_RUN_DEFAULTS;
  for (const [key, value] of Object.entries(defaults)) if (!(key in out)) out[key] = structuredClone(value);
  return out as Schemas['SessionRunSchema'];
}

/**
 * Creates the Sessions handlers.
 * @example app.use(createRouter({ ...createSessionHandlers(ctx), ...others }, { auth }))
 */
export function createSessionHandlers(ctx: ServerContext): SessionHandlers {
  const db = () => ctx.database.db;

  /** The session with its first run input, if the caller may see it (owner filter, optional type). */
  async function findSession(
    sessionId: string,
    userId: string | undefined,
    type: SessionType | undefined,
  ): Promise<SessionWithInput | undefined> {
    return sessions.getWithFirstInput(db(), sessionId, { userId, type });
  }

  async function requireSession(
    caller: CallerContext,
    sessionId: string,
    query: { user_id?: string | undefined; type?: SessionType | undefined },
  ): Promise<SessionWithInput> {
    const found = await findSession(sessionId, readScope(caller, query.user_id), query.type);
    if (found) return found;
    if (query.type) {
      const title = query.type.charAt(0).toUpperCase() + query.type.slice(1);
      fail(404, `${title} Session with id '${sessionId}' not found`);
    }
    fail(404, `Session with id '${sessionId}' not found`);
  }

  async function detail(row: SessionWithInput): Promise<Schemas['SessionDetail']> {
    const sessionRuns = row.session_type === 'workflow' ? [] : await runs.listBySession(db(), row.session_id);
    return toDetail(ctx, row, sessionRuns);
  }

  return {
    async listSessions({ query, caller }) {
      const started = startTimer();
      const p = pageRequest(query.page, query.limit);
      const { rows, total } = await sessions.list(db(), {
        userId: readScope(caller, query.user_id),
        type: query.type || undefined,
        componentId: qs(query.component_id),
        sessionName: qs(query.session_name),
        sortBy: query.sort_by,
        sortOrder: sortOrder(query.sort_order),
        limit: p.limit,
        page: p.page,
        // toListItem reads first_input only for a session without a name (sessionName).
        firstInputUnlessNamed: true,
      });
      return { status: 200, body: { data: rows.map(toListItem), meta: pageMeta(p, total, started) } };
    },

    async createSession({ query, body, caller }) {
      const type: SessionType = query.type ?? 'agent';
      const b = body ?? {};
      const sessionId = b.session_id ?? randomUUID();
      // The token subject owns the session whenever there is one (research §5: create sets
      // user_id := JWT sub, for admins too); otherwise the body's user_id.
      const owner = caller.scopedUserId ?? caller.userId ?? b.user_id ?? null;
      const now = ctx.now();
      const componentId = type === 'agent' ? b.agent_id : type === 'team' ? b.team_id : b.workflow_id;
      const inserted = await sessions.createIfAbsent(db(), {
        session_id: sessionId,
        session_type: type,
        agent_id: type === 'agent' ? componentId : null,
        team_id: type === 'team' ? componentId : null,
        workflow_id: type === 'workflow' ? componentId : null,
        user_id: owner,
        session_name: b.session_name,
        session_state: b.session_state,
        metadata: b.metadata,
        created_at: now,
        updated_at: now,
      });
      if (!inserted)
        fail(
          409,
          `Session with id '${sessionId}' already exists. Use PATCH /sessions/${sessionId} to update it.`,
        );
      const row = await findSession(sessionId, undefined, undefined);
      if (!row) fail(404, `Session with id '${sessionId}' not found`);
      return { status: 201, body: await detail(row) };
    },

    async deleteSessions({ query, body, caller }) {
      if (body.session_ids.length !== body.session_types.length)
        fail(400, 'Session IDs and session types must have the same length');
      // The types are only checked for their count: a session is deleted whatever its type.
      await sessions.deleteMany(db(), body.session_ids, { userId: readScope(caller, query.user_id) });
      return { status: 204 };
    },

    async getSession({ path, query, caller }) {
      const row = await requireSession(caller, path.session_id, query);
      return { status: 200, body: await detail(row) };
    },

    async updateSession({ path, query, body, caller }) {
      const row = await requireSession(caller, path.session_id, query);
      // A null field is left alone like a missing one.
      await sessions.update(db(), row.session_id, {
        session_name: body.session_name ?? undefined,
        session_state: body.session_state ?? undefined,
        metadata: body.metadata ?? undefined,
        summary: body.summary ?? undefined,
        // The session stays attributed to an isolated caller (research §5: enforce_owner_on_entity).
        user_id: caller.scopedUserId ?? undefined,
        updated_at: ctx.now(),
      });
      const updated = await findSession(row.session_id, undefined, undefined);
      if (!updated) fail(404, `Session with id '${row.session_id}' not found`);
      return { status: 200, body: await detail(updated) };
    },

    async deleteSession({ path, query, caller }) {
      await sessions.delete(db(), path.session_id, { userId: readScope(caller, query.user_id) });
      return { status: 204 };
    },

    async listSessionRuns({ path, query, caller }) {
      const found = await sessions.get(db(), path.session_id, {
        userId: readScope(caller, query.user_id),
        type: query.type,
      });
      if (!found) fail(404, `Session with ID ${path.session_id} not found`);
      const rows = await runs.listBySession(db(), found.session_id, {
        createdAfter:
          typeof query.created_after === 'number' ? new Date(query.created_after * 1000) : undefined,
        // Inclusive of the whole second named.
        createdBefore:
          typeof query.created_before === 'number' ? new Date((query.created_before + 1) * 1000) : undefined,
      });
      return { status: 200, body: rows.map(toSessionRun) };
    },

    async getSessionRun({ path, query, caller }) {
      const found = await sessions.get(db(), path.session_id, {
        userId: readScope(caller, query.user_id),
        type: query.type,
      });
      if (!found) fail(404, `Session with ID ${path.session_id} not found`);
      const sessionRuns = await runs.listBySession(db(), found.session_id);
      if (sessionRuns.length === 0) fail(404, `Session with ID ${path.session_id} has no runs`);
      const run = sessionRuns.find((r) => r.run_id === path.run_id);
      if (!run) fail(404, `Run with ID ${path.run_id} not found in session ${path.session_id}`);
      return { status: 200, body: toSessionRun(run) };
    },

    // The runs of GET /sessions/{id}/runs, trimmed to ids, status, time and previews (agno 3.1).
    async listSessionRunPreviews({ path, query, caller }) {
      const found = await sessions.get(db(), path.session_id, {
        userId: readScope(caller, query.user_id),
        type: query.type ?? undefined,
      });
      if (!found) fail(404, `Session with ID ${path.session_id} not found`);
      const rows = await runs.listBySession(db(), found.session_id, {
        createdAfter:
          typeof query.created_after === 'number' ? new Date(query.created_after * 1000) : undefined,
        createdBefore:
          typeof query.created_before === 'number' ? new Date((query.created_before + 1) * 1000) : undefined,
      });
      const status: unknown = query.status;
      const wanted = (Array.isArray(status) ? status : typeof status === 'string' ? [status] : [])
        .map((x) => String(x).toUpperCase())
        .filter((x) => x !== '');
      const body = rows
        .map(toSessionRun)
        .filter((r) => wanted.length === 0 || wanted.includes(String(r.status ?? '').toUpperCase()))
        .map((r) => {
          const out: JsonRecord = { run_id: r.run_id };
          for (const k of [
            'parent_run_id',
            'agent_id',
            'team_id',
            'workflow_id',
            'user_id',
            'status',
          ] as const) {
            const v = (r as JsonRecord)[k];
            if (v !== null && v !== undefined) out[k] = v;
          }
          const input = preview((r as JsonRecord).run_input);
          const content = preview((r as JsonRecord).content);
          if (input !== undefined) out.run_input = input;
          if (content !== undefined) out.content_preview = content;
          const created = (r as JsonRecord).created_at;
          if (typeof created === 'number') out.created_at = new Date(created * 1000).toISOString();
          else if (typeof created === 'string') out.created_at = created;
          return out as Schemas['SessionRunPreviewSchema'];
        });
      return { status: 200, body };
    },

    // This server stores no media (runs keep only text), so no session holds the key: agno's answers
    // for a media key the session does not reference, after the session's ownership check.
    // (differs) agno without a media storage answers 503 "Media storage is not configured on AgentOS"
    // before it looks at the session; a documented operation here answers no 5xx for a valid request.
    async getSessionMedia({ path, query, caller }) {
      const found = await sessions.get(db(), path.session_id, {
        userId: readScope(caller, query.user_id),
        type: query.type ?? undefined,
      });
      if (!found) fail(404, `Session '${path.session_id}' not found`);
      fail(404, 'Media not found in this session');
    },

    async renameSession({ path, query, body, caller }) {
      const row = await requireSession(caller, path.session_id, query);
      await sessions.update(db(), row.session_id, { session_name: body.session_name, updated_at: ctx.now() });
      const updated = await findSession(row.session_id, undefined, undefined);
      if (!updated) fail(404, `Session with id '${row.session_id}' not found`);
      return { status: 200, body: await detail(updated) };
    },
  };
}
