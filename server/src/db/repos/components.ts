/**
 * Database-stored agents, teams and workflows (components) and their numbered config versions.
 * Version numbers are assigned under a row lock on the component, so concurrent `createConfig`
 * calls (on any instances) get distinct consecutive versions. A label is unique per component.
 * Writes stamp `now` when given (the server's clock), else the database's `now()`.
 *
 * User-owned with shared rows (contract.md §5): a component's `user_id` is its owner, or null for
 * a workspace-level one; reads take an `OwnerScope` (`visibleTo`) under isolation. Config
 * versions belong to their component.
 */
import type { RawBuilder } from 'kysely';
import type { ComponentConfigRow, ComponentRow, ConfigStage, EntityType } from '../schema.js';
import {
  type Db,
  dbNow,
  defined,
  inTransaction,
  json,
  jsonPatch,
  type OwnerScope,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  visibleTo,
} from '../util.js';

export interface NewComponent {
  component_id: string;
  component_type: EntityType;
  name: string;
  description?: string | null;
  metadata?: unknown;
  /** The owner; null (default): a workspace-level component. */
  user_id?: string | null;
}

export interface ComponentPatch {
  name?: string;
  description?: string | null;
  component_type?: EntityType;
  metadata?: unknown;
  current_version?: number | null;
}

export interface NewConfig {
  config: unknown;
  label?: string | null;
  stage?: ConfigStage;
  notes?: string | null;
  links?: unknown[] | null;
}

export interface ConfigPatch {
  config?: unknown;
  label?: string | null;
  stage?: ConfigStage;
  notes?: string | null;
  links?: unknown[] | null;
}

/** The time a write records (`created_at`, `updated_at`); default: the database's `now()`. */
export interface WriteOptions {
  now?: Date;
}

/**
 * Creates a component; with `firstConfig`, also its version 1 (made current when `setCurrent`,
 * the default). One transaction. A duplicate id throws a unique violation.
 */
export async function create(
  db: Db,
  c: NewComponent,
  firstConfig?: NewConfig & { setCurrent?: boolean },
  opts: WriteOptions = {},
): Promise<{ component: ComponentRow; config: ComponentConfigRow | undefined }> {
  const at = opts.now ?? dbNow();
  return inTransaction(db, async (trx) => {
    const component = await trx
      .insertInto('components')
      .values({
        component_id: c.component_id,
        component_type: c.component_type,
        name: c.name,
        description: c.description ?? null,
        current_version: firstConfig && firstConfig.setCurrent !== false ? 1 : null,
        metadata: json(c.metadata),
        user_id: c.user_id ?? null,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const config = firstConfig ? await insertConfig(trx, c.component_id, 1, firstConfig, at) : undefined;
    return { component, config };
  });
}

/**
 * The component with this id, or undefined. With `forUpdate` (inside a transaction), the row
 * stays locked until the transaction ends.
 */
export async function get(
  db: Db,
  componentId: string,
  opts: { forUpdate?: boolean; visibleTo?: OwnerScope | undefined } = {},
): Promise<ComponentRow | undefined> {
  return db
    .selectFrom('components')
    .selectAll()
    .where('component_id', '=', componentId)
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .$if(opts.forUpdate === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** The ids among `componentIds` that name an existing component of one of `types`. */
export async function existingIds(
  db: Db,
  componentIds: readonly string[],
  types: readonly EntityType[],
  opts: { visibleTo?: OwnerScope | undefined } = {},
): Promise<Set<string>> {
  if (componentIds.length === 0 || types.length === 0) return new Set();
  const rows = await db
    .selectFrom('components')
    .select('component_id')
    .where('component_id', 'in', componentIds)
    .where('component_type', 'in', types)
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)))
    .execute();
  return new Set(rows.map((r) => r.component_id));
}

/** Components, newest first; `excludeIds` leaves out ids (e.g. those of code-defined entities). */
export async function list(
  db: Db,
  opts: PageOptions & {
    componentType?: EntityType;
    excludeIds?: readonly string[];
    /** Under isolation: the caller's components and the shared ones. Default: every component. */
    visibleTo?: OwnerScope | undefined;
  } = {},
): Promise<Page<ComponentRow>> {
  const { limit, offset } = paging(opts);
  const base = db
    .selectFrom('components')
    .$if(opts.componentType !== undefined, (q) => q.where('component_type', '=', opts.componentType!))
    .$if(!!opts.excludeIds && opts.excludeIds.length > 0, (q) =>
      q.where('component_id', 'not in', opts.excludeIds!),
    )
    .$if(opts.visibleTo !== undefined, (q) => q.where(visibleTo(opts.visibleTo!)));
  return pageOf(base, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('component_id'), {
    limit,
    offset,
  });
}

/**
 * Applies the fields of `patch` that are not undefined and stamps `updated_at`; an empty patch
 * changes nothing (not even `updated_at`) and answers the row. Undefined if there is no such
 * component.
 */
export async function update(
  db: Db,
  componentId: string,
  patch: ComponentPatch,
  opts: WriteOptions = {},
): Promise<ComponentRow | undefined> {
  const set = defined({
    name: patch.name,
    description: patch.description,
    component_type: patch.component_type,
    metadata: jsonPatch(patch.metadata),
    current_version: patch.current_version,
  });
  if (Object.keys(set).length === 0) return get(db, componentId);
  return db
    .updateTable('components')
    .set({ ...set, updated_at: opts.now ?? dbNow() })
    .where('component_id', '=', componentId)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes a component and all its configs; false if there was no such component. */
export async function remove(db: Db, componentId: string): Promise<boolean> {
  const r = await db.deleteFrom('components').where('component_id', '=', componentId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---------------------------------------------------------------------------------------- configs

const CONFIG_META_COLUMNS = [
  'component_id',
  'version',
  'label',
  'stage',
  'notes',
  'links',
  'created_at',
  'updated_at',
] as const;

async function insertConfig(
  db: Db,
  componentId: string,
  version: number,
  c: NewConfig,
  at: Date | RawBuilder<Date>,
): Promise<ComponentConfigRow> {
  return db
    .insertInto('component_configs')
    .values({
      component_id: componentId,
      version,
      config: json(c.config ?? {})!,
      label: c.label ?? null,
      ...(c.stage ? { stage: c.stage } : {}),
      notes: c.notes ?? null,
      links: json(c.links),
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Creates the next config version (max + 1) of a component and stamps the component's
 * `updated_at`; `setCurrent` also points the component at the new version. Answers undefined if
 * the component does not exist. A duplicate label throws a unique violation.
 */
export async function createConfig(
  db: Db,
  componentId: string,
  c: NewConfig & { setCurrent?: boolean },
  opts: WriteOptions = {},
): Promise<ComponentConfigRow | undefined> {
  const at = opts.now ?? dbNow();
  return inTransaction(db, async (trx) => {
    if (!(await get(trx, componentId, { forUpdate: true }))) return undefined;
    const max = await trx
      .selectFrom('component_configs')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('component_id', '=', componentId)
      .executeTakeFirst();
    const version = (max?.v ?? 0) + 1;
    const config = await insertConfig(trx, componentId, version, c, at);
    await trx
      .updateTable('components')
      .set({ updated_at: at, ...(c.setCurrent ? { current_version: version } : {}) })
      .where('component_id', '=', componentId)
      .execute();
    return config;
  });
}

/** A config version as `listConfigs` reads it: without `config` when that was left out. */
export type ListedConfigRow = Omit<ComponentConfigRow, 'config'> & { config?: ComponentConfigRow['config'] };

/** All versions of a component, newest first; `includeConfig: false` leaves `config` out. */
export async function listConfigs(
  db: Db,
  componentId: string,
  opts: { includeConfig?: boolean } = {},
): Promise<ListedConfigRow[]> {
  const q = db
    .selectFrom('component_configs')
    .where('component_id', '=', componentId)
    .orderBy('version', 'desc');
  if (opts.includeConfig === false) return q.select(CONFIG_META_COLUMNS).execute();
  return q.selectAll().execute();
}

/** One config version of a component, or undefined. */
export async function getConfig(
  db: Db,
  componentId: string,
  version: number,
): Promise<ComponentConfigRow | undefined> {
  return db
    .selectFrom('component_configs')
    .selectAll()
    .where('component_id', '=', componentId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** The version of a component with this label, except `exceptVersion`; undefined if none. */
export async function versionWithLabel(
  db: Db,
  componentId: string,
  label: string,
  opts: { exceptVersion?: number } = {},
): Promise<number | undefined> {
  const row = await db
    .selectFrom('component_configs')
    .select('version')
    .where('component_id', '=', componentId)
    .where('label', '=', label)
    .$if(opts.exceptVersion !== undefined, (q) => q.where('version', '!=', opts.exceptVersion!))
    .executeTakeFirst();
  return row?.version;
}

/** The version the component points at (undefined if none, or no such component). */
export async function getCurrentConfig(db: Db, componentId: string): Promise<ComponentConfigRow | undefined> {
  return db
    .selectFrom('component_configs')
    .innerJoin('components', (j) =>
      j
        .onRef('components.component_id', '=', 'component_configs.component_id')
        .onRef('components.current_version', '=', 'component_configs.version'),
    )
    .selectAll('component_configs')
    .where('component_configs.component_id', '=', componentId)
    .executeTakeFirst();
}

/**
 * Applies the fields of `patch` that are not undefined to a config version and stamps
 * `updated_at`; an empty patch changes nothing and answers the row. With `onlyStage`, only a
 * version in that stage matches (e.g. `draft`: published versions are immutable). Undefined if
 * nothing matched.
 */
export async function updateConfig(
  db: Db,
  componentId: string,
  version: number,
  patch: ConfigPatch,
  opts: WriteOptions & { onlyStage?: ConfigStage } = {},
): Promise<ComponentConfigRow | undefined> {
  const set = defined({
    config: patch.config === undefined ? undefined : json(patch.config ?? {})!,
    label: patch.label,
    stage: patch.stage,
    notes: patch.notes,
    links: jsonPatch(patch.links),
  });
  if (Object.keys(set).length === 0) {
    return db
      .selectFrom('component_configs')
      .selectAll()
      .where('component_id', '=', componentId)
      .where('version', '=', version)
      .$if(opts.onlyStage !== undefined, (q) => q.where('stage', '=', opts.onlyStage!))
      .executeTakeFirst();
  }
  return db
    .updateTable('component_configs')
    .set({ ...set, updated_at: opts.now ?? dbNow() })
    .where('component_id', '=', componentId)
    .where('version', '=', version)
    .$if(opts.onlyStage !== undefined, (q) => q.where('stage', '=', opts.onlyStage!))
    .returningAll()
    .executeTakeFirst();
}

/**
 * Deletes a config version. With `onlyStage`, only a version in that stage; the current version
 * is never deleted. Answers whether a row was deleted.
 */
export async function deleteConfig(
  db: Db,
  componentId: string,
  version: number,
  opts: { onlyStage?: ConfigStage } = {},
): Promise<boolean> {
  const r = await db
    .deleteFrom('component_configs')
    .where('component_id', '=', componentId)
    .where('version', '=', version)
    .$if(opts.onlyStage !== undefined, (q) => q.where('stage', '=', opts.onlyStage!))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('components')
            .select('components.component_id')
            .whereRef('components.component_id', '=', 'component_configs.component_id')
            .whereRef('components.current_version', '=', 'component_configs.version'),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Points the component at an existing version (with `onlyStage`, only a version in that stage,
 * e.g. `published`) and stamps `updated_at`. Answers the updated component, or undefined if the
 * version (or component) does not exist or is not in that stage.
 */
export async function setCurrent(
  db: Db,
  componentId: string,
  version: number,
  opts: WriteOptions & { onlyStage?: ConfigStage } = {},
): Promise<ComponentRow | undefined> {
  return db
    .updateTable('components')
    .set({ current_version: version, updated_at: opts.now ?? dbNow() })
    .where('component_id', '=', componentId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('component_configs')
          .select('component_configs.version')
          .where('component_configs.component_id', '=', componentId)
          .where('component_configs.version', '=', version)
          .$if(opts.onlyStage !== undefined, (q) => q.where('component_configs.stage', '=', opts.onlyStage!)),
      ),
    )
    .returningAll()
    .executeTakeFirst();
}

export { remove as delete };
