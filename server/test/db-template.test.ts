/**
 * The PGlite data directory template (src/db/template.ts): a new data directory is a copy of a
 * template whose stamp matches this server's migrations, and of nothing else. A stale template
 * (another migration set), or one without a stamp, is refused with a warning and the database is
 * made with initdb and the migrations, as without a template.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { type DbLogger, migrations, openDatabase } from '../src/db/index.js';
import {
  copyTemplate,
  findTemplate,
  migrationsFingerprint,
  readStamp,
  TEMPLATE_NAME,
} from '../src/db/template.js';
import { makeTemplate } from '../src/db/template-cli.js';

interface Logged {
  level: 'info' | 'warn' | 'error';
  msg: string | undefined;
  obj: object;
}

function capture(): DbLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
}

const root = mkdtempSync(join(tmpdir(), 'agentos-template-'));
const template = join(root, TEMPLATE_NAME);
after(() => rmSync(root, { recursive: true, force: true }));

/** Whether the marker table the test put into the template is in the database at `dataDir`. */
async function hasMarker(dataDir: string, logger: DbLogger, tpl: string | false = template) {
  const database = await openDatabase({ dataDir, template: tpl, logger, fsync: false });
  try {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_tables where tablename = 'template_marker'`.execute(database.db);
    // Whatever it was made from, the database has every migration.
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      database.db,
    );
    assert.deepEqual(
      applied.rows.map((x) => x.name),
      Object.keys(migrations).sort(),
    );
    return r.rows[0]!.n === 1;
  } finally {
    await database.close();
  }
}

describe('PGlite data directory template', () => {
  before(async () => {
    assert.equal(await makeTemplate(root), true);
    assert.equal(await makeTemplate(root), false, 'a matching template is not made again');
    // A marker only a copy of this template can hold (the stamp does not cover data).
    const database = await openDatabase({ dataDir: template, template: false, fsync: false });
    await sql`create table template_marker (x int)`.execute(database.db);
    await database.close();
  });

  test('the stamp holds the migrations fingerprint', async () => {
    assert.equal(readStamp(template)?.fingerprint, await migrationsFingerprint());
    assert.deepEqual(readStamp(template)?.migrations, Object.keys(migrations).sort());
  });

  test('a new data directory is a copy of the matching template', async () => {
    const log = capture();
    assert.equal(await hasMarker(join(root, 'fresh'), log), true);
    assert.ok(log.lines.some((l) => l.msg === 'PGlite database created from the template'));
    assert.ok(!log.lines.some((l) => l.level === 'warn'));
  });

  test('an existing data directory is opened, never replaced by the template (template: false runs initdb)', async () => {
    const dataDir = join(root, 'existing');
    assert.equal(await hasMarker(dataDir, capture(), false), false);
    assert.equal(await hasMarker(dataDir, capture()), false);
  });

  test('a template made for other migrations is refused with a warning', async () => {
    // One more migration than the template was made with: the fingerprint changes.
    migrations['9999_template_test'] = {
      // biome-ignore lint/suspicious/noExplicitAny: as the migrations are written.
      up: async (db: any) => {
        await sql`create table template_test_extra (x int)`.execute(db);
      },
    };
    try {
      const log = capture();
      assert.equal(await hasMarker(join(root, 'stale'), log), false);
      const warned = log.lines.find((l) => l.level === 'warn');
      assert.match(warned?.msg ?? '', /does not match this server/);
      assert.equal((warned?.obj as { stamp?: string } | undefined)?.stamp, readStamp(template)?.fingerprint);
    } finally {
      delete migrations['9999_template_test'];
    }
  });

  test('an edited stamp is refused', async () => {
    const stampPath = `${template}.json`;
    const original = readFileSync(stampPath, 'utf8');
    writeFileSync(stampPath, JSON.stringify({ ...JSON.parse(original), fingerprint: 'f'.repeat(64) }));
    try {
      const log = capture();
      assert.equal(await findTemplate(template, log), null);
      assert.ok(log.lines.some((l) => l.level === 'warn' && /does not match/.test(l.msg ?? '')));
    } finally {
      writeFileSync(stampPath, original);
    }
  });

  test('a template without a stamp (a build that died midway) is refused', async () => {
    const stampPath = `${template}.json`;
    const original = readFileSync(stampPath, 'utf8');
    rmSync(stampPath);
    try {
      const log = capture();
      assert.equal(await findTemplate(template, log), null);
      assert.ok(log.lines.some((l) => l.level === 'warn'));
    } finally {
      writeFileSync(stampPath, original);
    }
  });

  test('the copy has the same bytes, zero chunks of large files left as holes', () => {
    const copy = join(root, 'copy');
    copyTemplate(template, copy);
    const walk = (dir: string, rel = ''): string[] =>
      readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(dir, join(rel, e.name)) : [join(rel, e.name)],
      );
    assert.equal(statSync(copy).mode & 0o777, 0o700, 'the data directory is private');
    const files = walk(template).sort();
    assert.deepEqual(walk(copy).sort(), files);
    for (const f of files) assert.ok(readFileSync(join(copy, f)).equals(readFileSync(join(template, f))), f);
    const wal = files.find((f) => f.startsWith('pg_wal/0'));
    assert.ok(wal && existsSync(join(copy, wal)));
    // The 16 MB segment takes far less room than its size.
    const st = statSync(join(copy, wal));
    assert.ok(st.blocks * 512 < st.size / 2, `WAL segment ${st.blocks * 512} bytes on disk`);
  });
});
