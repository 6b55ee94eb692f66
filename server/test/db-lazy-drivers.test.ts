/**
 * The database drivers are imported when a database of their kind is opened (src/db/index.ts): a
 * server on PGlite never loads the `pg` driver (its memory would be spent for nothing), and a
 * server on PostgreSQL loads it on open and works with it (set `DATABASE_URL` to run that part).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DB = resolve(fileURLToPath(import.meta.url), '../../src/db/index.ts');

/** Runs `body` in a fresh Node process (tsx), after importing the db module; answers its JSON output. */
function inChild(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const script = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const pgLoaded = () => Object.keys(require('node:module')._cache).some((p) => p.includes('/node_modules/pg/'));
const { openDatabase } = await import(${JSON.stringify(DB)});
const out = { afterImport: pgLoaded() };
${body}
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('database drivers are loaded on demand', () => {
  const root = mkdtempSync(join(tmpdir(), 'agentos-lazy-drivers-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a PGlite database (data directory) never loads the pg driver', () => {
    const out = inChild(
      `const db = await openDatabase({ dataDir: ${JSON.stringify(join(root, 'data'))} });
await db.ping();
out.afterOpen = pgLoaded();
await db.close();`,
    );
    assert.deepEqual(out, { afterImport: false, afterOpen: false });
  });

  const url = process.env.DATABASE_URL;
  test('a PostgreSQL database loads the pg driver when opened, and answers', {
    skip: !url && 'DATABASE_URL not set',
  }, () => {
    const out = inChild(
      `const db = await openDatabase({ url: process.env.DATABASE_URL, schema: 'lazy_drivers_${process.pid}' });
await db.ping();
out.afterOpen = pgLoaded();
await db.close();`,
    );
    assert.deepEqual(out, { afterImport: false, afterOpen: true });
  });
});
