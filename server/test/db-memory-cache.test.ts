/**
 * The cached dump of a migrated in-memory database (`AGENTOS_PGLITE_CACHE`, src/db/index.ts): the
 * first process that opens an in-memory database writes `memory-<migrations fingerprint>.tar`, a
 * later one loads it instead of running initdb and the migrations, and gets the same schema; a dump
 * under another fingerprint (another migration set) is never loaded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrationsFingerprint } from '../src/db/template.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-pglite-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const serverRoot = fileURLToPath(new URL('..', import.meta.url));
const dbModule = new URL('../src/db/index.ts', import.meta.url).href;

/** Opens an in-memory database in a new process; answers its migration names and a row count. */
function openInChild(): { migrations: string[]; sessions: number; logs: string } {
  const script = `
const { openDatabase } = await import(${JSON.stringify(dbModule)});
const { sql } = await import('kysely');
const lines = [];
const log = (level) => (obj, msg) => lines.push(level + ' ' + (msg ?? ''));
const db = await openDatabase({ memory: true, logger: { info: log('info'), warn: log('warn'), error: log('error') } });
const m = await sql\`SELECT name FROM kysely_migration ORDER BY name\`.execute(db.db);
const s = await sql\`SELECT count(*)::int AS n FROM sessions\`.execute(db.db);
await db.close();
process.stdout.write(JSON.stringify({ migrations: m.rows.map((r) => r.name), sessions: s.rows[0].n, logs: lines.join('\\n') }));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: serverRoot,
    env: { ...process.env, AGENTOS_PGLITE_CACHE: dir },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('the first process writes the dump, the next loads it (no migrations run) with the same schema', async () => {
  const fingerprint = await migrationsFingerprint();
  // A dump of another migration set: must be ignored, whatever it holds.
  writeFileSync(join(dir, 'memory-0000.tar'), 'not a data directory');
  const first = openInChild();
  assert.deepEqual(readdirSync(dir).sort(), ['memory-0000.tar', `memory-${fingerprint}.tar`]);
  assert.match(first.logs, /migration/i, 'the first process ran the migrations');
  const second = openInChild();
  assert.deepEqual(second.migrations, first.migrations);
  assert.ok(second.migrations.length >= 4);
  assert.equal(second.sessions, 0);
  assert.doesNotMatch(second.logs, /migration/i, 'the second process loaded the dump instead');
});
