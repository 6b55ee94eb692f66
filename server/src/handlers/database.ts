/**
 * @module Database operations: run the schema migrations of the server's database on demand
 * (spec `migrateAllDatabases`, `migrateDatabase`). The server has one database, known as
 * `main-db` (and under its configured id, if any); migrating it when it is up to date is a no-op.
 * `target_version` names a migration (e.g. `0001_initial`) or `latest`.
 */
import { Migrator, sql } from 'kysely';
import { migrations } from '../db/index.js';
import { migrationProvider } from '../db/migrations/index.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';

export interface DatabaseHandlerOptions {
  /** The configured id of the database (always also reachable as `main-db`). */
  readonly dbId?: string | undefined;
}

const MAIN_DB = 'main-db';

class UnknownVersionError extends Error {}

/** Creates the Database handlers. */
export function createDatabaseHandlers(
  ctx: ServerContext,
  options: DatabaseHandlerOptions = {},
): Pick<Handlers, 'migrateAllDatabases' | 'migrateDatabase'> {
  const ids = new Set([MAIN_DB, ...(options.dbId ? [options.dbId] : [])]);
  const names = Object.keys(migrations).sort();

  /** Migrates to the target; throws `UnknownVersionError` for a target that names no migration. */
  async function migrate(target: string | undefined): Promise<string> {
    const latest = target === undefined || target === '' || target === 'latest';
    if (!latest && !names.includes(target)) {
      throw new UnknownVersionError(
        `Unknown target_version '${target}'. Use 'latest' or one of: ${names.join(', ')}`,
      );
    }
    const db = ctx.database.db;
    const current = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = current.rows[0]?.schema ?? undefined;
    const migrator = new Migrator({
      db,
      provider: migrationProvider,
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const { error, results } = latest ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
    for (const r of results ?? []) {
      ctx.logger.info(
        { migration: r.migrationName, direction: r.direction, status: r.status },
        'database migration',
      );
    }
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return latest ? 'latest version' : `version ${target}`;
  }

  return {
    async migrateAllDatabases({ query }) {
      try {
        const to = await migrate(query.target_version);
        return { status: 200, body: { message: `All databases migrated successfully to ${to}` } };
      } catch (e) {
        if (e instanceof UnknownVersionError) return { status: 422, body: { detail: e.message } };
        ctx.logger.error({ err: e }, 'database migration failed');
        const to =
          query.target_version && query.target_version !== 'latest'
            ? `version ${query.target_version}`
            : 'latest version';
        return {
          status: 207,
          body: { message: `Migrated 0/1 databases to ${to}`, failed: { [MAIN_DB]: (e as Error).message } },
        };
      }
    },

    async migrateDatabase({ path, query }) {
      if (!ids.has(path.db_id)) return { status: 404, body: { detail: 'Database not found' } };
      try {
        const to = await migrate(query.target_version);
        return { status: 200, body: { message: `Database migrated successfully to ${to}` } };
      } catch (e) {
        if (e instanceof UnknownVersionError) return { status: 422, body: { detail: e.message } };
        throw e;
      }
    },
  };
}
