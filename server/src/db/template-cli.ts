/**
 * @module `node dist/template-cli.mjs <dir>`: makes the PGlite data directory template
 * `<dir>/pgdata-template` (and its stamp `pgdata-template.json`) that new databases are copied
 * from (template.ts). Run by `server/scripts/build.mjs` after bundling, so the template is made by
 * the very code that checks it; does nothing when the template there already matches. Prints one
 * line: `made`, `up to date`.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from './index.js';
import { migrations } from './migrations/index.js';
import {
  migrationsFingerprint,
  pgliteVersion,
  readStamp,
  removeTemplate,
  TEMPLATE_FORMAT,
  TEMPLATE_NAME,
  type TemplateStamp,
} from './template.js';

/**
 * Makes the template in `outDir` unless one with this server's fingerprint is there.
 * @returns whether a template was made
 */
export async function makeTemplate(outDir: string): Promise<boolean> {
  const target = join(resolve(outDir), TEMPLATE_NAME);
  const fingerprint = await migrationsFingerprint();
  const current = readStamp(target);
  if (current?.fingerprint === fingerprint && current.format === TEMPLATE_FORMAT) return false;
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  // What the server itself makes of an empty directory: initdb, then every migration; closed
  // cleanly (a checkpoint), so a copy starts without recovery. No fsync: the copy is what counts.
  const database = await openDatabase({ dataDir: staging, fsync: false, template: false });
  try {
    // Start a new WAL segment and drop the old one (initdb's and the migrations' records, which
    // the checkpoint made useless): the template's WAL is then a few kB followed by zeros, which
    // `copyTemplate` leaves as a hole instead of writing 16 MB into every new database.
    // PGlite serves the `postgres` database only: template0 and template1 (CREATE DATABASE's
    // sources) are half the directory. Dropped, every new database copies half the bytes.
    for (const name of ['template0', 'template1']) {
      await sql`UPDATE pg_database SET datistemplate = false, datallowconn = true WHERE datname = ${name}`.execute(
        database.db,
      );
      await sql.raw(`DROP DATABASE ${name}`).execute(database.db);
    }
    await sql`SET wal_recycle = off`.execute(database.db);
    await sql`CHECKPOINT`.execute(database.db);
    await sql`SELECT pg_switch_wal()`.execute(database.db);
    await sql`CHECKPOINT`.execute(database.db);
  } finally {
    await database.close();
  }
  rmSync(`${staging}.lock`, { force: true });
  removeTemplate(target);
  renameSync(staging, target);
  const stamp: TemplateStamp = {
    fingerprint,
    migrations: Object.keys(migrations).sort(),
    pglite: pgliteVersion(),
    created: new Date().toISOString(),
    format: TEMPLATE_FORMAT,
  };
  // The stamp last: a template without it is refused.
  writeFileSync(`${target}.json.tmp`, `${JSON.stringify(stamp, null, 1)}\n`);
  renameSync(`${target}.json.tmp`, `${target}.json`);
  return true;
}

if (process.argv[1] && /template-cli\.(ts|mjs|js)$/.test(process.argv[1])) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: template-cli <dir>\n');
    process.exit(2);
  }
  const made = await makeTemplate(dir);
  process.stdout.write(made ? 'made\n' : 'up to date\n');
}
