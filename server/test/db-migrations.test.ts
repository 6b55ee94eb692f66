import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrations, openDatabase } from '../src/db/index.js';
import { openTestDatabase, testBackends } from '../src/db/testing.js';

const TABLES = [
  'approvals',
  'component_configs',
  'components',
  'daily_metrics',
  'eval_runs',
  'knowledge_contents',
  'knowledge_documents',
  'learnings',
  'memories',
  'metrics_refresh',
  'run_cancellations',
  'run_events',
  'runs',
  'schedule_runs',
  'schedules',
  'service_accounts',
  'sessions',
  'spans',
  'traces',
];

for (const backend of testBackends()) {
  describe(`migrations (${backend})`, () => {
    test('apply on a fresh database: every table, the migration record, the refresh row', async () => {
      const t = await openTestDatabase(backend);
      try {
        assert.equal(t.kind, backend);
        await t.ping();
        const tables = await sql<{ table_name: string }>`
          select table_name from information_schema.tables
           where table_schema = current_schema() and table_type = 'BASE TABLE'
           order by table_name`.execute(t.db);
        const names = tables.rows.map((r) => r.table_name);
        for (const table of TABLES) assert.ok(names.includes(table), `missing table ${table}`);
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
          t.db,
        );
        assert.deepEqual(
          applied.rows.map((r) => r.name),
          Object.keys(migrations),
        );
        const refresh = await t.db.selectFrom('metrics_refresh').selectAll().execute();
        assert.equal(refresh.length, 1);
        assert.equal(refresh[0]!.status, 'idle');
        // The generated tsvector column and its GIN index exist.
        const idx = await sql<{ indexdef: string }>`
          select indexdef from pg_indexes
           where schemaname = current_schema() and indexname = 'knowledge_documents_search_idx'`.execute(
          t.db,
        );
        assert.match(idx.rows[0]?.indexdef ?? '', /USING gin \(search_vector\)/);
      } finally {
        await t.close();
      }
    });
  });
}

describe('migrations (pglite data directory)', () => {
  test('a data directory locked by another live process is refused; a stale lock is taken over', async () => {
    const locked = mkdtempSync(join(tmpdir(), 'agentos-db-lock-'));
    try {
      // PID 1 is always alive; a lock naming it (on this host) is someone else's live lock.
      writeFileSync(`${locked}/data.lock`, JSON.stringify({ pid: 1, host: hostname() }));
      await assert.rejects(openDatabase({ dataDir: `${locked}/data` }), /in use by process 1/);
      // A lock whose process is gone is taken over.
      writeFileSync(`${locked}/data.lock`, JSON.stringify({ pid: 2 ** 22 + 1, host: hostname() }));
      const d = await openDatabase({ dataDir: `${locked}/data`, fsync: false });
      await d.close();
      assert.ok(!existsSync(`${locked}/data.lock`), 'close releases the lock');
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'agentos-db-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reopening an existing data directory keeps the data and finds nothing to migrate', async () => {
    const logged: string[] = [];
    const logger = {
      info: (_o: object, m?: string) => logged.push(m ?? ''),
      warn: () => {},
      error: () => {},
    };
    // initdb and every migration (a new directory copied from the data directory template has
    // them applied already: db-template.test.ts).
    const first = await openDatabase({ dataDir: dir, logger, template: false });
    assert.equal(first.kind, 'pglite');
    await first.db.insertInto('sessions').values({ session_id: 's1', session_type: 'agent' }).execute();
    await first.close();
    await first.close(); // idempotent
    // One line per migration applied on the first open, none on the second.
    const applied = Object.keys(migrations).length;
    assert.equal(logged.filter((m) => m === 'database migration applied').length, applied);

    const second = await openDatabase({ dataDir: dir, logger });
    try {
      // One PGlite per data directory: a second open is refused while the first is open.
      await assert.rejects(openDatabase({ dataDir: dir }), /already open in this process/);
      const rows = await second.db.selectFrom('sessions').select('session_id').execute();
      assert.deepEqual(rows, [{ session_id: 's1' }]);
      assert.equal(logged.filter((m) => m === 'database migration applied').length, applied);
    } finally {
      await second.close();
    }
  });
});

if (process.env.DATABASE_URL) {
  describe('migrations (postgres, several instances starting at once)', () => {
    test('concurrent openDatabase on one fresh schema: all succeed, migrations run once', async () => {
      const url = process.env.DATABASE_URL!;
      const schema = `agentos_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const logged: string[] = [];
      const logger = {
        info: (_o: object, m?: string) => logged.push(m ?? ''),
        warn: () => {},
        error: () => {},
      };
      const opened = await Promise.all(
        Array.from({ length: 4 }, () => openDatabase({ url, schema, logger, poolSize: 3 })),
      );
      try {
        // One line per migration, from one instance only: the others found them applied.
        assert.equal(
          logged.filter((m) => m === 'database migration applied').length,
          Object.keys(migrations).length,
        );
        const applied = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(
          opened[0]!.db,
        );
        assert.equal(applied.rows[0]!.n, Object.keys(migrations).length);
      } finally {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened[0]!.db);
        await Promise.all(opened.map((d) => d.close()));
      }
    });
  });
}
