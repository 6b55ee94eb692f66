/**
 * Test helpers: fresh databases on each available backend.
 *
 * - `pglite`: always; an in-memory PGlite with the migrations applied.
 * - `postgres`: when `DATABASE_URL` is set; a fresh schema in that database (dropped on close),
 *   so test files running in parallel do not see each other's rows.
 *
 *   for (const backend of testBackends()) {
 *     describe(`sessions (${backend})`, () => {
 *       let t: TestDatabase;
 *       before(async () => { t = await openTestDatabase(backend); });
 *       after(() => t.close());
 *       …
 *     });
 *   }
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type Database, openDatabase } from './index.js';

export type Backend = 'pglite' | 'postgres';

/** `pglite`, plus `postgres` when `DATABASE_URL` is set. */
export function testBackends(): Backend[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase extends Database {
  backend: Backend;
  /**
   * Another handle on the same database, as a second server instance would open it: a separate
   * pool on PostgreSQL; on PGlite (one embedded instance) the same handle. Closed by `close()`.
   */
  peer(): Promise<Database>;
}

export async function openTestDatabase(backend: Backend = 'pglite'): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await openDatabase({ memory: true });
    return { ...database, backend, peer: async () => database };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const schema = `agentos_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const database = await openDatabase({ url, schema, poolSize: 8 });
  const peers: Database[] = [];
  let closed: Promise<void> | undefined;
  return {
    ...database,
    backend,
    async peer() {
      const p = await openDatabase({ url, schema, poolSize: 8 });
      peers.push(p);
      return p;
    },
    close() {
      closed ??= (async () => {
        await Promise.all(peers.map((p) => p.close()));
        try {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
        } finally {
          await database.close();
        }
      })();
      return closed;
    },
  };
}
