/**
 * @module Registry operation: the code-defined resources of this AgentOS (spec `listRegistry`):
 * the built-in tools of the run engine, the tools declared by configured agents and teams, their
 * models, the configured agents and teams, and the database. Sorted by type then name;
 * `resource_type` and `name` (case-insensitive substring) filter; paginated. Fields without a
 * value are omitted.
 */

import type { EntityConfig } from '../config/options.js';
import { paging } from '../db/index.js';
import type { components } from '../generated/openapi.js';
import type { Handlers } from '../generated/server.js';
import { BUILTIN_TOOLS } from '../runtime/tools.js';
import type { ServerContext } from '../server-context.js';

type RegistryItem = components['schemas']['RegistryContentResponse'];

/** A tool the run engine provides (the lead passes the engine's catalogue). */
export interface RegistryTool {
  readonly name: string;
  readonly description?: string | undefined;
  /** JSON Schema of the arguments. */
  readonly parameters?: Record<string, unknown> | undefined;
  /** Calls pause the run for a human approval. */
  readonly requiresConfirmation?: boolean | undefined;
}

export interface RegistryHandlerOptions {
  /** Built-in tools of the run engine (default: the engine's `BUILTIN_TOOLS`). */
  readonly tools?: readonly RegistryTool[] | undefined;
  /** The id of the server's database (default `main-db`). */
  readonly dbId?: string | undefined;
}

const TYPE_ORDER = [
  'agent',
  'team',
  'tool',
  'model',
  'db',
  'vector_db',
  'knowledge',
  'schema',
  'function',
  'memory_manager',
  'session_summary_manager',
];

function modelOf(e: EntityConfig): { id: string; provider: string | null; name: string | null } | null {
  const m = e.model;
  if (m === undefined || m === null) return null;
  if (typeof m === 'string') {
    const i = m.indexOf(':');
    return i === -1
      ? { id: m, provider: null, name: null }
      : { id: m.slice(i + 1), provider: m.slice(0, i), name: null };
  }
  return { id: m.id, provider: m.provider ?? null, name: m.name ?? null };
}

/** Tools an entity names in its config: `tools: ["web_search", { name, description }]`. */
function toolsOf(e: EntityConfig): RegistryTool[] {
  const list = e.tools;
  if (!Array.isArray(list)) return [];
  const out: RegistryTool[] = [];
  for (const t of list) {
    if (typeof t === 'string' && t.length > 0) out.push({ name: t });
    else if (t !== null && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string') {
      const o = t as {
        name: string;
        description?: unknown;
        parameters?: unknown;
        requiresConfirmation?: unknown;
      };
      out.push({
        name: o.name,
        description: typeof o.description === 'string' ? o.description : undefined,
        parameters:
          o.parameters !== null && typeof o.parameters === 'object'
            ? (o.parameters as Record<string, unknown>)
            : undefined,
        requiresConfirmation: o.requiresConfirmation === true ? true : undefined,
      });
    }
  }
  return out;
}

/** Drops `undefined` fields (the answer omits fields without a value). */
function item(i: { [K in keyof RegistryItem]: RegistryItem[K] | undefined }): RegistryItem {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(i)) if (v !== undefined) out[k] = v;
  return out as RegistryItem;
}

/** Every registry resource of the configuration, sorted by type then name. */
export function buildRegistry(ctx: ServerContext, options: RegistryHandlerOptions = {}): RegistryItem[] {
  const { config } = ctx;
  const items: RegistryItem[] = [];
  const entity = (type: 'agent' | 'team', e: EntityConfig) => {
    const model = modelOf(e);
    items.push(
      item({
        name: e.name ?? e.id,
        type,
        id: e.id,
        description: e.description,
        metadata: {
          id: e.id,
          ...(model ? { model: model.id, ...(model.provider ? { provider: model.provider } : {}) } : {}),
          ...(Array.isArray(e.members) ? { members: e.members } : {}),
        },
      }),
    );
  };
  for (const a of config.agents) entity('agent', a);
  for (const t of config.teams) entity('team', t);

  const tools = new Map<string, RegistryTool>();
  for (const t of options.tools ?? Object.values(BUILTIN_TOOLS)) tools.set(t.name, t);
  for (const e of [...config.agents, ...config.teams])
    for (const t of toolsOf(e)) if (!tools.has(t.name)) tools.set(t.name, t);
  for (const t of tools.values()) {
    items.push(
      item({
        name: t.name,
        type: 'tool',
        description: t.description,
        metadata: {
          ...(t.parameters ? { parameters: t.parameters } : {}),
          ...(t.requiresConfirmation ? { requires_confirmation: true } : {}),
        },
      }),
    );
  }

  const models = new Map<string, { id: string; provider: string | null; name: string | null }>();
  for (const e of [...config.agents, ...config.teams]) {
    const m = modelOf(e);
    if (m) models.set(`${m.provider ?? ''}:${m.id}`, m);
  }
  for (const m of models.values()) {
    items.push(
      item({
        name: m.name ?? m.id,
        type: 'model',
        id: m.id,
        metadata: { model_id: m.id, ...(m.provider ? { provider: m.provider } : {}) },
      }),
    );
  }

  const dbId = options.dbId ?? 'main-db';
  items.push(item({ name: dbId, type: 'db', id: dbId, metadata: { kind: ctx.database.kind } }));

  const rank = (t: string) => {
    const i = TYPE_ORDER.indexOf(t);
    return i === -1 ? TYPE_ORDER.length : i;
  };
  return items.sort((a, b) => rank(a.type) - rank(b.type) || a.name.localeCompare(b.name));
}

/**
 * Creates the Registry handler.
 * @param options `tools`: the run engine's built-in tools; `dbId` default `main-db`
 */
export function createRegistryHandlers(
  ctx: ServerContext,
  options: RegistryHandlerOptions = {},
): Pick<Handlers, 'listRegistry'> {
  return {
    listRegistry({ query }) {
      const started = performance.now();
      const needle = query.name?.toLowerCase();
      const all = buildRegistry(ctx, options).filter(
        (i) =>
          (query.resource_type === undefined || i.type === query.resource_type) &&
          (needle === undefined || i.name.toLowerCase().includes(needle)),
      );
      const { limit, offset } = paging(query, 20);
      const page = query.page ?? 1;
      return {
        status: 200,
        body: {
          data: all.slice(offset, offset + limit),
          meta: {
            page,
            limit,
            total_pages: Math.ceil(all.length / limit),
            total_count: all.length,
            search_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
          },
        },
      };
    },
  };
}
