/**
 * @module Service metadata and the configured agents, teams and workflows (tags Core, Agents,
 * Teams, Workflows: the operations that read configuration, not runs).
 *
 * Lists answer every item: the router keeps those the caller may see, by the operation's
 * `x-scope-filter` (contract.md §3, core's `filterResponse`); `/config` is not filtered, as in the Python AgentOS (its description says so).
 */
import type { EntityConfig } from '../config/options.js';
import { deepFreeze } from '../deep-freeze.js';
import type { Handlers } from '../generated/server.js';
import { HttpError } from '../generated/server.js';
import { compact } from '../runtime/output.js';
import type { ServerContext } from '../server-context.js';
import { KNOWLEDGE_ID } from './knowledge.js';

type ConfigurationOperations =
  | 'getRoot'
  | 'getHealth'
  | 'getInfo'
  | 'getConfig'
  | 'listModels'
  | 'listAgents'
  | 'getAgent'
  | 'listTeams'
  | 'getTeam'
  | 'listWorkflows'
  | 'getWorkflow';

type Dict = Record<string, unknown>;

export const SERVER_VERSION = '0.1.0';

interface ModelRef {
  readonly id: string;
  readonly provider: string;
  readonly name: string;
}

/** `"provider:model"`, a bare id (the built-in model) or `{ id, provider, name }`. */
function modelOf(e: EntityConfig): ModelRef {
  const m = e.model;
  if (m === undefined || m === null) return { id: 'builtin', provider: 'agentos', name: 'builtin' };
  if (typeof m === 'string') {
    const i = m.indexOf(':');
    return i === -1
      ? { id: m, provider: 'agentos', name: m }
      : { id: m.slice(i + 1), provider: m.slice(0, i), name: m.slice(i + 1) };
  }
  return { id: m.id, provider: m.provider ?? 'agentos', name: m.name ?? m.id };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const dict = (v: unknown): Dict | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Dict) : null;

function tools(e: EntityConfig): Dict[] {
  const list = Array.isArray(e.tools) ? e.tools : [];
  return list.flatMap((t) => {
    const name = typeof t === 'string' ? t : str(dict(t)?.name);
    if (!name) return [];
    const d = dict(t);
    return [
      {
        name,
        description: str(d?.description),
        requires_confirmation: d?.requiresConfirmation === true,
      },
    ];
  });
}

const DB_ID = 'main-db';

/** The fields every entity answer starts with; null fields are omitted, as the Python AgentOS does. */
function base(e: EntityConfig) {
  return compact({
    id: e.id,
    name: e.name ?? null,
    description: e.description ?? null,
    db_id: DB_ID,
  });
}

/** `AgentSummaryResponse` / `TeamSummaryResponse` (`GET /config`): the model as `{ id, provider }`. */
function summary(e: EntityConfig, kind: 'agent' | 'team') {
  const m = modelOf(e);
  return compact({
    ...base(e),
    ...(kind === 'team' ? { mode: str(e.mode) ?? 'coordinate' } : {}),
    model: { id: m.id, provider: m.provider },
    metadata: dict(e.metadata),
  });
}

/** `WorkflowSummaryResponse` (`GET /config`): no model. */
function workflowSummary(e: EntityConfig) {
  return compact({ ...base(e), is_factory: false, is_component: false, metadata: dict(e.metadata) });
}

function agent(e: EntityConfig) {
  const m = modelOf(e);
  return compact({
    ...base(e),
    model: { name: m.name, model: m.id, provider: m.provider },
    metadata: dict(e.metadata),
    role: str(e.role),
    is_factory: false,
    tools: { tools: tools(e) },
    instructions: e.instructions ?? null,
    streaming: { stream: true },
    is_component: false,
  });
}

function team(e: EntityConfig, agents: readonly EntityConfig[]) {
  const members = Array.isArray(e.members) ? e.members : [];
  const m = modelOf(e);
  return compact({
    ...base(e),
    model: { name: m.name, model: m.id, provider: m.provider },
    metadata: dict(e.metadata),
    mode: str(e.mode) ?? 'coordinate',
    is_factory: false,
    tools: { tools: tools(e) },
    members: members.flatMap((id) => {
      const a = agents.find((x) => x.id === id);
      return a ? [agent(a)] : [];
    }),
    is_component: false,
  });
}

/** `WorkflowResponse`: each step names its executor as agno does, the agent (or team) object itself. */
function workflow(e: EntityConfig, agents: readonly EntityConfig[], teams: readonly EntityConfig[]) {
  const steps = Array.isArray(e.steps) ? e.steps : [];
  return compact({
    ...base(e),
    is_factory: false,
    is_component: false,
    steps: steps.map((s, i) => {
      const d = dict(s) ?? {};
      const a = agents.find((x) => x.id === str(d.agent));
      const t = teams.find((x) => x.id === str(d.team));
      return compact({
        name: str(d.name) ?? `step-${i + 1}`,
        type: 'Step',
        agent: a ? agent(a) : null,
        team: t ? team(t, agents) : null,
      });
    }),
    metadata: dict(e.metadata),
    workflow_agent: false,
  });
}

/** A `{ dbs: [{ db_id, domain_config, tables }] }` section of `GET /config` (agno's remote db reads `tables[0]`). */
function dbSection(...tables: string[]) {
  const db = { db_id: DB_ID, domain_config: { display_name: DB_ID } };
  return { dbs: [tables.length > 0 ? { ...db, tables } : db] };
}

function find(kind: string, list: readonly EntityConfig[], id: string): EntityConfig {
  const found = list.find((e) => e.id === id);
  if (!found) throw new HttpError(404, `${kind} not found`);
  return found;
}

/** Creates the configuration handlers. */
export function createConfigurationHandlers(ctx: ServerContext): Pick<Handlers, ConfigurationOperations> {
  const { config } = ctx;
  const models = (): ModelRef[] => {
    const seen = new Map<string, ModelRef>();
    for (const e of [...config.agents, ...config.teams]) {
      const m = modelOf(e);
      seen.set(`${m.provider}:${m.id}`, m);
    }
    return [...seen.values()];
  };
  // Answers are cast once here: the entity objects carry every field the spec lists and the
  // router validates responses against the spec in the tests.
  const ok = (body: unknown) => ({ status: 200 as const, body: body as never });
  // The configuration does not change while the server runs: each entity's answer is built once,
  // on its first request, and shared (frozen: nothing downstream may change it).
  const views = new WeakMap<EntityConfig, unknown>();
  const viewOf =
    <T>(build: (e: EntityConfig) => T) =>
    (e: EntityConfig): T => {
      let v = views.get(e) as T | undefined;
      if (v === undefined) {
        v = deepFreeze(structuredClone(build(e)));
        views.set(e, v);
      }
      return v;
    };
  const agentView = viewOf(agent);
  const teamView = viewOf((t) => team(t, config.agents));
  const workflowSummaryView = viewOf(workflowSummary);
  return {
    getRoot: () => ok({ name: 'AgentOS API', id: config.id, version: SERVER_VERSION }),
    getHealth: () => ok({ status: 'ok', instantiated_at: ctx.startedAt.toISOString() }),
    getInfo: () =>
      ok({
        os_id: config.id,
        name: config.name,
        agno_version: SERVER_VERSION,
        agent_count: config.agents.length,
        team_count: config.teams.length,
        workflow_count: config.workflows.length,
        mcp: { enabled: false, path: null, oauth: null },
        auth_mode: config.auth.method,
      }),
    getConfig: () =>
      ok(
        compact({
          os_id: config.id,
          name: config.name,
          description: config.description,
          available_models: models().map((m) => ({ id: m.id, provider: m.provider })),
          os_database: DB_ID,
          databases: [DB_ID],
          session: dbSection('sessions'),
          metrics: dbSection('daily_metrics'),
          memory: dbSection('memories'),
          learning: dbSection('learnings'),
          knowledge: {
            ...dbSection('knowledge_contents'),
            knowledge_instances: [
              { id: KNOWLEDGE_ID, name: KNOWLEDGE_ID, db_id: DB_ID, table: 'knowledge_contents' },
            ],
          },
          evals: dbSection('eval_runs'),
          // As agno: the traces section names no table.
          traces: dbSection(),
          agents: config.agents.map((e) => summary(e, 'agent')),
          teams: config.teams.map((e) => summary(e, 'team')),
          workflows: config.workflows.map(workflowSummary),
          interfaces: [],
        }),
      ),
    listModels: () => ok(models().map((m) => ({ id: m.id, provider: m.provider }))),
    // Lists answer every item: the router keeps those the caller may see, by `x-scope-filter`.
    listAgents: () => ok(config.agents.map(agentView)),
    getAgent: ({ path }) => ok(agentView(find('Agent', config.agents, path.agent_id))),
    listTeams: () => ok(config.teams.map(teamView)),
    getTeam: ({ path }) => ok(teamView(find('Team', config.teams, path.team_id))),
    listWorkflows: () => ok(config.workflows.map(workflowSummaryView)),
    getWorkflow: ({ path }) =>
      ok(workflow(find('Workflow', config.workflows, path.workflow_id), config.agents, config.teams)),
  };
}
