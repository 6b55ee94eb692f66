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
 *
 * Ownership (contract.md §5, agno 3.1): a component records its creator (`user_id`). Under user
 * isolation a scoped caller reads its own components and the workspace-level ones (no owner),
 * changes only its own (a shared one answers 403 `Cannot modify shared component` / `Cannot
 * delete shared component`, another user's 404 as a missing one), and a team it writes names
 * only members it can see. A name-derived id gets an owner suffix, as in agno, so two users
 * creating the same name get different components. (agno 3.1.10 also shows another owner's
 * component once it has a current version; here current versions are not a publication, so
 * another user's component stays invisible: contract.md §5.)
 */
import { createHash } from 'node:crypto';
import type { CallerContext } from '@agentos/core';
import { type Db, epochSeconds, inTransaction, isUniqueViolation, paging } from '../db/index.js';
import type { ListedConfigRow } from '../db/repos/components.js';
import { components } from '../db/repos/index.js';
import type { ComponentRow } from '../db/schema.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { assertWritable, type Ownership, ownerScope } from './isolation.js';
import { fail, type Schemas } from './wire.js';

type ComponentOperations =
  | 'restoreComponent'
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

type ComponentBody = Schemas['ComponentResponse'];
type ConfigBody = Schemas['ComponentConfigResponse'];

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Components have workspace-level rows a scoped caller reads but never writes (agno's details). */
const COMPONENTS: Ownership = {
  shared: { modify: 'Cannot modify shared component', delete: 'Cannot delete shared component' },
};
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
  if (r.user_id !== null) out.user_id = r.user_id;
  const updated = epochSeconds(r.updated_at);
  if (updated !== null) out.updated_at = updated;
  return out;
}

/** A config version as answered; `config` is left out when the row was read without it. */
function configResponse(r: ListedConfigRow): ConfigBody {
  const out: ConfigBody = {
    component_id: r.component_id,
    version: r.version,
    stage: r.stage,
    created_at: epochSeconds(r.created_at) ?? 0,
  };
  if (r.label !== null) out.label = r.label;
  if (r.config !== undefined) out.config = r.config;
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

  /**
   * 400 detail when a team config names members that resolve to nothing (for a scoped caller,
   * to nothing it can see: another user's component is not a member it may name).
   */
  async function unresolvedMembers(
    tx: Db,
    type: string,
    cfg: Record<string, unknown> | null | undefined,
    caller: CallerContext,
  ): Promise<string | null> {
    if (type !== 'team') return null;
    const ids = [...new Set(memberIds(cfg))].filter((id) => !codeMembers.has(id));
    if (ids.length === 0) return null;
    const known = await components.existingIds(tx, ids, ['agent', 'team'], {
      visibleTo: ownerScope(caller, COMPONENTS),
    });
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
    exceptVersion?: number,
  ): Promise<string | null> {
    const version = await components.versionWithLabel(tx, componentId, label, { exceptVersion });
    return version === undefined
      ? null
      : `Label '${label}' is already used by version ${version} of component '${componentId}'`;
  }

  /** Under isolation: a scoped caller reading a component it cannot see gets the 404 of a missing one. */
  async function assertVisible(caller: CallerContext, id: string): Promise<void> {
    const scope = ownerScope(caller, COMPONENTS);
    if (scope && !(await components.get(db, id, { visibleTo: scope })))
      fail(404, COMPONENT_NOT_FOUND.body.detail);
  }

  /**
   * Under isolation: refuses a scoped caller's write to a component it does not own (404 for
   * another user's or a missing one, 403 for a shared one). Other callers go on to the
   * operation's own answers.
   */
  async function assertOwned(caller: CallerContext, id: string, verb: 'modify' | 'delete'): Promise<void> {
    if (caller.scopedUserId === null) return;
    assertWritable(caller, COMPONENTS, await components.get(db, id), verb, COMPONENT_NOT_FOUND.body.detail);
  }

  return {
    async listComponents({ query, caller }) {
      const started = performance.now();
      const { limit } = paging(query, 20);
      const page = query.page ?? 1;
      const { rows, total } = await components.list(db, {
        page: query.page,
        limit: query.limit,
        componentType: query.component_type,
        excludeIds: [...codeDefined],
        visibleTo: ownerScope(caller, COMPONENTS),
      });
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

    async createComponent({ body, caller }) {
      const scoped = caller.scopedUserId;
      // A name-derived id of a scoped caller carries an owner suffix (agno 3.1).
      const id =
        body.component_id ??
        (scoped === null
          ? componentIdFromName(body.name)
          : `${componentIdFromName(body.name).slice(0, 119)}-${createHash('sha256').update(scoped).digest('hex').slice(0, 8)}`);
      if (!ID.test(id)) {
        return badRequest(
          body.component_id
            ? `Invalid component_id '${id}': use letters, digits, '_', '.' and '-' (at most 128 characters)`
            : `Cannot derive a component_id from the name '${body.name}': pass component_id`,
        );
      }
      if (codeDefined.has(id))
        return badRequest(`Component id '${id}' is used by a configured agent, team or workflow`);
      const cfg = body.config ?? {};
      try {
        const row = await inTransaction(db, async (tx) => {
          if (await components.get(tx, id)) return badRequest(`Component with id '${id}' already exists`);
          const members = await unresolvedMembers(tx, body.component_type, cfg, caller);
          if (members) return badRequest(members);
          const { component } = await components.create(
            tx,
            {
              component_id: id,
              component_type: body.component_type,
              name: body.name,
              description: body.description,
              metadata: body.metadata,
              // The creator: the scoped caller, else the authenticated subject (agno 3.1).
              user_id: scoped ?? caller.userId ?? null,
            },
            {
              config: cfg,
              label: body.label,
              stage: body.stage,
              notes: body.notes,
              setCurrent: body.set_current !== false,
            },
            { now: ctx.now() },
          );
          return component;
        });
        if ('status' in row) return row;
        return { status: 201, body: componentResponse(row) };
      } catch (e) {
        if (isUniqueViolation(e)) return badRequest(`Component with id '${id}' already exists`);
        throw e;
      }
    },

    async getComponent({ path, caller }) {
      const row = await components.get(db, path.component_id, { visibleTo: ownerScope(caller, COMPONENTS) });
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },

    async updateComponent({ path, body, caller }) {
      const id = path.component_id;
      await assertOwned(caller, id, 'modify');
      if (!(await components.get(db, id))) return COMPONENT_NOT_FOUND;
      const b = body ?? {};
      if (b.current_version !== undefined && b.current_version !== null) {
        if (!(await components.getConfig(db, id, b.current_version))) {
          return badRequest(`Config version ${b.current_version} of component '${id}' does not exist`);
        }
      }
      // A null field is left unchanged, like an absent one.
      const row = await components.update(
        db,
        id,
        {
          name: b.name ?? undefined,
          description: b.description ?? undefined,
          component_type: b.component_type ?? undefined,
          metadata: b.metadata ?? undefined,
          current_version: b.current_version ?? undefined,
        },
        { now: ctx.now() },
      );
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },

    // Components are deleted outright here (no soft delete): a restore finds the component live
    // (agno: 409 "Component is not archived") or gone (404), as agno answers for such rows.
    async restoreComponent({ path, caller }) {
      const row = await components.get(db, path.component_id, { visibleTo: ownerScope(caller, COMPONENTS) });
      if (!row) return { status: 404, body: { detail: `Component ${path.component_id} not found` } };
      return { status: 409, body: { detail: 'Component is not archived' } };
    },

    async deleteComponent({ path, caller }) {
      await assertOwned(caller, path.component_id, 'delete');
      return (await components.remove(db, path.component_id)) ? { status: 204 } : COMPONENT_NOT_FOUND;
    },

    async listComponentConfigs({ path, query, caller }) {
      await assertVisible(caller, path.component_id);
      const rows = await components.listConfigs(db, path.component_id, {
        includeConfig: query.include_config !== false,
      });
      return { status: 200, body: rows.map(configResponse) };
    },

    async createComponentConfig({ path, body, caller }) {
      const id = path.component_id;
      await assertOwned(caller, id, 'modify');
      try {
        const result = await inTransaction(db, async (tx) => {
          // Locks the component row: concurrent creations get consecutive versions.
          const component = await components.get(tx, id, { forUpdate: true });
          if (!component) return badRequest(`Component '${id}' not found`);
          if (body.label) {
            const taken = await labelTaken(tx, id, body.label);
            if (taken) return badRequest(taken);
          }
          const members = await unresolvedMembers(tx, component.component_type, body.config, caller);
          if (members) return badRequest(members);
          const row = await components.createConfig(
            tx,
            id,
            {
              config: body.config,
              label: body.label,
              stage: body.stage,
              notes: body.notes,
              links: body.links,
            },
            { now: ctx.now() },
          );
          return row ?? badRequest(`Component '${id}' not found`);
        });
        if ('status' in result) return result;
        return { status: 201, body: configResponse(result) };
      } catch (e) {
        if (isUniqueViolation(e))
          return badRequest(`Label '${body.label}' is already used by component '${id}'`);
        throw e;
      }
    },

    async getCurrentComponentConfig({ path, caller }) {
      const id = path.component_id;
      await assertVisible(caller, id);
      const row = await components.getCurrentConfig(db, id);
      if (row) return { status: 200, body: configResponse(row) };
      const component = await components.get(db, id);
      if (!component) return COMPONENT_NOT_FOUND;
      if (component.current_version === null) {
        return { status: 404, body: { detail: `Component '${id}' has no current config version` } };
      }
      return versionNotFound(id, component.current_version);
    },

    async getComponentConfig({ path, caller }) {
      await assertVisible(caller, path.component_id);
      const row = await components.getConfig(db, path.component_id, path.version);
      if (row) return { status: 200, body: configResponse(row) };
      return (await components.get(db, path.component_id))
        ? versionNotFound(path.component_id, path.version)
        : COMPONENT_NOT_FOUND;
    },

    async updateComponentConfig({ path, body, caller }) {
      const { component_id: id, version } = path;
      await assertOwned(caller, id, 'modify');
      const existing = await components.getConfig(db, id, version);
      if (!existing) {
        return badRequest(
          (await components.get(db, id))
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
        const component = await components.get(db, id);
        const members = await unresolvedMembers(db, component?.component_type ?? '', b.config, caller);
        if (members) return badRequest(members);
      }
      try {
        // A null field is left unchanged, like an absent one; published versions are frozen.
        const row = await components.updateConfig(
          db,
          id,
          version,
          {
            config: b.config ?? undefined,
            label: b.label ?? undefined,
            stage: b.stage ?? undefined,
            notes: b.notes ?? undefined,
            links: b.links ?? undefined,
          },
          { onlyStage: 'draft', now: ctx.now() },
        );
        return row
          ? { status: 200, body: configResponse(row) }
          : badRequest(`Config version ${version} of component '${id}' is published and cannot be changed`);
      } catch (e) {
        if (isUniqueViolation(e))
          return badRequest(`Label '${b.label}' is already used by component '${id}'`);
        throw e;
      }
    },

    async deleteComponentConfig({ path, caller }) {
      const { component_id: id, version } = path;
      await assertOwned(caller, id, 'delete');
      const component = await components.get(db, id);
      if (!component) return COMPONENT_NOT_FOUND;
      const existing = await components.getConfig(db, id, version);
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
      await components.deleteConfig(db, id, version, { onlyStage: 'draft' });
      return { status: 204 };
    },

    async setCurrentComponentConfig({ path, caller }) {
      const { component_id: id, version } = path;
      await assertOwned(caller, id, 'modify');
      if (!(await components.get(db, id))) return COMPONENT_NOT_FOUND;
      const existing = await components.getConfig(db, id, version);
      if (!existing) return versionNotFound(id, version);
      if (existing.stage !== 'published') {
        return badRequest(
          `Config version ${version} of component '${id}' is a draft: publish it before making it current`,
        );
      }
      const row = await components.setCurrent(db, id, version, { onlyStage: 'published', now: ctx.now() });
      return row ? { status: 200, body: componentResponse(row) } : COMPONENT_NOT_FOUND;
    },
  };
}
