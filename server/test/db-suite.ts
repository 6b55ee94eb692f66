/**
 * @module The storage tests' suite header: one `describe` per test backend (`testBackends()`:
 * PGlite, plus PostgreSQL when `DATABASE_URL` is set), each with its own freshly migrated
 * database, opened before the suite's tests and closed after them.
 */
import { after, before, describe } from 'node:test';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';
import type { Db } from '../src/db/util.js';

/** What a suite's tests use: the open database's Kysely handle. */
export interface SuiteDatabase {
  readonly db: Db;
}

/**
 * Declares `name (<backend>)` for every test backend; `body` declares the tests and reads
 * `t.db` inside them (the database is opened by the suite's `before` hook).
 */
export function describeEachBackend(name: string, body: (t: SuiteDatabase) => void): void {
  for (const backend of testBackends()) {
    describe(`${name} (${backend})`, () => {
      let opened: TestDatabase | undefined;
      before(async () => {
        opened = await openTestDatabase(backend);
      });
      after(() => opened?.close());
      body({
        get db() {
          if (!opened) throw new Error(`${name}: the database is used before the suite opened it`);
          return opened.db;
        },
      });
    });
  }
}
