/**
 * @module Components operations: database-stored agents, teams and workflows with versioned
 * configs (spec tag Components).
 *
 * Versions are 1, 2, 3, … per component; a draft may change or be deleted, a published version
 * is frozen; the component points at a current version (`set-current` accepts published ones
 * only) which cannot be deleted. Labels are unique per component. A team's `config.members`
 * must name existing components or configured agents/teams. Ids of the code-defined agents,
 * teams and workflows are reserved: they are neither listed nor creatable. As in the Python
 * AgentOS, invalid input answers 400 (not 409), and creating a config version always assigns
 * the next number (the body's `version` and `set_current` are ignored).
 */
import type { ServerContext } from '../context.js';
import {
  type Db,
  epochSeconds,
  inTransaction,
  isUniqueViolation,
  json,
  paging,
  toCount,
} from '../db/index.js';
import type { ComponentConfigRow, ComponentRow, EntityType, JsonObject, JsonText } from '../db/schema.js';
import type { components } from '../generated/openapi.js';
import type { Handlers } from '../generated/server.js';

type ComponentOperations =
  | 'listComponents'
  | 'createComponent'
  | 'getComponent'
  | 'updateComponent'
  | 'deleteComponent'
  | 'listComponentConfigs'
  | 'createComponentConfig'
  | 'getCurrentComponentConfig'
  | 'getComponentConfig'
  | 'updateComponentConfig'
  | 'deleteComponentConfig'
  | 'setCurrentComponentConfig';

type ComponentBody = components['schemas']['ComponentResponse'];
type ConfigBody = components['schemas']['ComponentConfigResponse'];

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const COMPONENT_NOT_FOUND = { status: 404, body: { detail: 'Component not found' } } as const;

const badRequest = (detail: string) => ({ status: 400, body: { detail } }) as const;
const versionNotFound = (id: string, version: number) =>
  ({ status: 404, body: { detail: `Config version ${version} of component '${id}' not found` } }) as const;

/** `Support Triage Agent` → `support-triage-agent`. */
export function componentIdFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 128);
}

function componentResponse(r: ComponentRow): ComponentBody {
  const out: ComponentBody = {
    component_id: r.component_id,
    component_type: r.component_type,
    created_at: epochSeconds(r.created_at) ?? 0,
    name: r.name,
  };
  if (r.description !== null) out.description = r.description;
  if (r.current_version !== null) out.current_version = r.current_version;
  if (r.metadata !== null) out.metadata = r.metadata;
  const updated = epochSeconds(r.updated_at);
  if (updated !== null) out.updated_at = updated;
  return out;
}

function configResponse(r: ComponentConfigRow, includeConfig = true): ConfigBody {
  const out: ConfigBody = {
    component_id: r.component_id,
    version: r.version,
    stage: r.stage,
    created_at: epochSeconds(r.created_at) ?? 0,
  };
  if (r.label !== null) out.label = r.label;
  if (includeConfig) out.config = r.config;
  if (r.notes !== null) out.notes = r.notes;
  const updated = epochSeconds(r.updated_at);
  if (updated !== null) out.updated_at = updated;
  return out;
}

/** Ids a team config names as members: strings, or `{agent_id | team_id | component_id | id}`. */
function memberIds(config: Record<string, unknown> | null | undefined): string[] {
  const members = config?.members;
  if (!Array.isArray(members)) return [];
  const ids: string[] = [];
  for (const m of members) {
    if (typeof m === 'string') ids.push(m);
    else if (m !== null && typeof m === 'object') {
      const o = m as Record<string, unknown>;
      const id = o.agent_id ?? o.team_id ?? o.component_id ?? o.id;
      if (typeof id === 'string') ids.push(id);
    }
  }
  return ids;
}

/** Creates the Components handlers. */
export function createComponentHandlers(ctx: ServerContext): Pick<Handlers, ComponentOperations> {
  const db = ctx.database.db;
  const { config } = ctx;
  const codeDefined = new Set([...config.agents, ...config.teams, ...config.workflows].map((e) => e.id));
  const codeMembers = new Set([...config.agents, ...config.teams].map((e) => e.id));

  /** 400 detail when a team config names members that resolve to nothing. */
  async function unresolvedMembers(
    tx: Db,
    type: string,
    cfg: Record<string, unknown> | null | undefined,
  ): Promise<string | null> {
    if (type !== 'team') return null;
    const ids = [...new Set(memberIds(cfg))].filter((id) => !codeMembers.has(id));
    if (ids.length === 0) return null;
    const found = await tx
      .selectFrom('components')
      .select('component_id')
      .where('component_id', 'in', ids)
      .where('component_type', 'in', ['agent', 'team'])
      .execute();
    const known = new Set(found.map((r) => r.component_id));
    const missing = ids.filter((id) => !known.has(id));
    return missing.length === 0
      ? null
      : `Unresolved team member(s): ${missing.join(', ')}. Members must be existing agent or team components, or configured agents or teams`;
  }

  /** 400 detail when the label is used by another version of the component. */
  async function labelTaken(
    tx: Db,
    componentId: string,
    label: string,
    except?: number,
  ): Promise<string | null> {
    let q = tx
      .selectFrom('component_configs')
      .select('version')
      .where('component_id', '=', componentId)
      .where('label', '=', label);
    if (except !== undefined) q = q.where('version', '!=', except);
    const row = await q.executeTakeFirst();
    return row
      ? `Label '${label}' is already used by version ${row.version} of component '${componentId}'`
      : null;
  }

  const loadComponent = (tx: Db, id: string) =>
    tx.selectFrom('components').selectAll().where('component_id', '=', id).executeTakeFirst();
  const loadConfig = (tx: Db, id: string, version: number) =>
    tx
      .selectFrom('component_configs')
      .selectAll()
      .where('component_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();

  return {
    async listComponents({ query }) {
      const started = performance.now();
      const { limit, offset } = paging(query, 20);
      const page = query.page ?? 1;
      let q = db.selectFrom('components');
      if (query.component_type) q = q.where('component_type', '=', query.component_type);
      if (codeDefined.size > 0) q = q.where('component_id', 'not in', [...codeDefined]);
      const [rows, count] = await Promise.all([
        q
          .selectAll()
          .orderBy('created_at', 'desc')
          .orderBy('component_id')
          .limit(limit)
          .offset(offset)
          .execute(),
        q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
      ]);
      const total = toCount(count?.n);
      return {
        status: 200,
        body: {
          data: rows.map(componentResponse),
          meta: {
            page,
            limit,
            total_pages: Math.ceil(total / limit),
            total_count: total,
            search_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
          },
        },
      };
    },

    async createComponent({ body }) {
      const id = body.component_id ?? componentIdFromName(body.name);
      if (!ID.test(id)) {
        return badRequest(
          body.component_id
            ? `Invalid component_id '${id}': use letters, digits, '_', '.' and '-' (at most 128 characters)`
            : `Cannot derive a component_id from the name '${body.name}': pass component_id`,
        );
      }
      if (codeDefined.has(id))
        return badRequest(`Component id '${id}' is used by a configured agent, team or workflow`);
      const now = ctx.now();
      const cfg = (body.config ?? {}) as JsonObject;
      try {
        const row = await inTransaction(db, async (tx) => {
          if (await loadComponent(tx, id)) return badRequest(`Component with id '${id}' already exists`);
          const members = await unresolvedMembers(tx, body.component_type, cfg);
          if (members) return badRequest(members);
          const created = await tx
            .insertInto('components')
            .values({
              component_id: id,
              component_type: body.component_type as EntityType,
              name: body.name,
              description: body.description ?? null,
              current_version: body.set_current === false ? null : 1,
              metadata: json(body.metadata),
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await tx
            .insertInto('component_configs')
            .values({
              component_id: id,
              version: 1,
              config: json(cfg) as JsonText,
              label: body.label ?? null,
              stage: body.stage ?? 'draft',
              notes: body.notes ?? null,
              created_at: now,
              updated_at: now,
            })
            .execute();
          return created;
        });
        if ('status' in row) return row;
        return { status: 201, body: componentResponse(row) };
      } catch (e) {
        if (isUniqueViolation(e)) return badRequest(`Component with id '${id}' already exists`);
        throw e;
      }
    },

    async getComponent({ path }) {
      const row = await loadComponent(db, path.component_id);
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },

    async updateComponent({ path, body }) {
      const id = path.component_id;
      const existing = await loadComponent(db, id);
      if (!existing) return COMPONENT_NOT_FOUND;
      const b = body ?? {};
      if (b.current_version !== undefined && b.current_version !== null) {
        if (!(await loadConfig(db, id, b.current_version))) {
          return badRequest(`Config version ${b.current_version} of component '${id}' does not exist`);
        }
      }
      const changes = {
        ...(b.name != null ? { name: b.name } : {}),
        ...(b.description != null ? { description: b.description } : {}),
        ...(b.component_type != null ? { component_type: b.component_type as EntityType } : {}),
        ...(b.metadata != null ? { metadata: json(b.metadata) } : {}),
        ...(b.current_version != null ? { current_version: b.current_version } : {}),
      };
      if (Object.keys(changes).length === 0) return { status: 200, body: componentResponse(existing) };
      const row = await db
        .updateTable('components')
        .set({ ...changes, updated_at: ctx.now() })
        .where('component_id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },

    async deleteComponent({ path }) {
      const result = await db
        .deleteFrom('components')
        .where('component_id', '=', path.component_id)
        .executeTakeFirst();
      return toCount(result.numDeletedRows) === 0 ? COMPONENT_NOT_FOUND : { status: 204 };
    },

    async listComponentConfigs({ path, query }) {
      const rows = await db
        .selectFrom('component_configs')
        .selectAll()
        .where('component_id', '=', path.component_id)
        .orderBy('version', 'desc')
        .execute();
      const include = query.include_config !== false;
      return { status: 200, body: rows.map((r) => configResponse(r, include)) };
    },

    async createComponentConfig({ path, body }) {
      const id = path.component_id;
      const now = ctx.now();
      try {
        const result = await inTransaction(db, async (tx) => {
          // Locks the component row: concurrent creations get consecutive versions.
          const component = await tx
            .selectFrom('components')
            .selectAll()
            .where('component_id', '=', id)
            .forUpdate()
            .executeTakeFirst();
          if (!component) return badRequest(`Component '${id}' not found`);
          if (body.label) {
            const taken = await labelTaken(tx, id, body.label);
            if (taken) return badRequest(taken);
          }
          const members = await unresolvedMembers(tx, component.component_type, body.config);
          if (members) return badRequest(members);
          const max = await tx
            .selectFrom('component_configs')
            .select((eb) => eb.fn.max('version').as('v'))
            .where('component_id', '=', id)
            .executeTakeFirst();
          const version = toCount(max?.v) + 1;
          const row = await tx
            .insertInto('component_configs')
            .values({
              component_id: id,
              version,
              config: json(body.config) as JsonText,
              label: body.label ?? null,
              stage: body.stage ?? 'draft',
              notes: body.notes ?? null,
              links: json(body.links),
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await tx
            .updateTable('components')
            .set({ updated_at: now })
            .where('component_id', '=', id)
            .execute();
          return row;
        });
        if ('status' in result) return result;
        return { status: 201, body: configResponse(result) };
      } catch (e) {
        if (isUniqueViolation(e))
          return badRequest(`Label '${body.label}' is already used by component '${id}'`);
        throw e;
      }
    },

    async getCurrentComponentConfig({ path }) {
      const component = await loadComponent(db, path.component_id);
      if (!component) return COMPONENT_NOT_FOUND;
      if (component.current_version === null) {
        return {
          status: 404,
          body: { detail: `Component '${component.component_id}' has no current config version` },
        };
      }
      const row = await loadConfig(db, component.component_id, component.current_version);
      return row
        ? { status: 200, body: configResponse(row) }
        : versionNotFound(component.component_id, component.current_version);
    },

    async getComponentConfig({ path }) {
      const row = await loadConfig(db, path.component_id, path.version);
      if (row) return { status: 200, body: configResponse(row) };
      return (await loadComponent(db, path.component_id))
        ? versionNotFound(path.component_id, path.version)
        : COMPONENT_NOT_FOUND;
    },

    async updateComponentConfig({ path, body }) {
      const { component_id: id, version } = path;
      const existing = await loadConfig(db, id, version);
      if (!existing) {
        return badRequest(
          (await loadComponent(db, id))
            ? `Config version ${version} of component '${id}' not found`
            : `Component '${id}' not found`,
        );
      }
      if (existing.stage === 'published') {
        return badRequest(
          `Config version ${version} of component '${id}' is published and cannot be changed`,
        );
      }
      const b = body ?? {};
      if (b.label != null) {
        const taken = await labelTaken(db, id, b.label, version);
        if (taken) return badRequest(taken);
      }
      if (b.config != null) {
        const component = await loadComponent(db, id);
        const members = await unresolvedMembers(db, component?.component_type ?? '', b.config);
        if (members) return badRequest(members);
      }
      const changes = {
        ...(b.config != null ? { config: json(b.config) as JsonText } : {}),
        ...(b.label != null ? { label: b.label } : {}),
        ...(b.stage != null ? { stage: b.stage } : {}),
        ...(b.notes != null ? { notes: b.notes } : {}),
        ...(b.links != null ? { links: json(b.links) } : {}),
      };
      if (Object.keys(changes).length === 0) return { status: 200, body: configResponse(existing) };
      try {
        const row = await db
          .updateTable('component_configs')
          .set({ ...changes, updated_at: ctx.now() })
          .where('component_id', '=', id)
          .where('version', '=', version)
          .where('stage', '=', 'draft')
          .returningAll()
          .executeTakeFirst();
        return row
          ? { status: 200, body: configResponse(row) }
          : badRequest(`Config version ${version} of component '${id}' is published and cannot be changed`);
      } catch (e) {
        if (isUniqueViolation(e))
          return badRequest(`Label '${b.label}' is already used by component '${id}'`);
        throw e;
      }
    },

    async deleteComponentConfig({ path }) {
      const { component_id: id, version } = path;
      const component = await loadComponent(db, id);
      if (!component) return COMPONENT_NOT_FOUND;
      const existing = await loadConfig(db, id, version);
      if (!existing) return versionNotFound(id, version);
      if (existing.stage === 'published') {
        return badRequest(
          `Config version ${version} of component '${id}' is published and cannot be deleted`,
        );
      }
      if (component.current_version === version) {
        return badRequest(
          `Config version ${version} is the current version of component '${id}': make another version current first`,
        );
      }
      await db
        .deleteFrom('component_configs')
        .where('component_id', '=', id)
        .where('version', '=', version)
        .where('stage', '=', 'draft')
        .execute();
      return { status: 204 };
    },

    async setCurrentComponentConfig({ path }) {
      const { component_id: id, version } = path;
      if (!(await loadComponent(db, id))) return COMPONENT_NOT_FOUND;
      const existing = await loadConfig(db, id, version);
      if (!existing) return versionNotFound(id, version);
      if (existing.stage !== 'published') {
        return badRequest(
          `Config version ${version} of component '${id}' is a draft: publish it before making it current`,
        );
      }
      const row = await db
        .updateTable('components')
        .set({ current_version: version, updated_at: ctx.now() })
        .where('component_id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },
  };
}
