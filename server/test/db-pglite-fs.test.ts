/**
 * PGlite on a data directory runs with a trimmed file bundle (src/db/pglite-fs.ts): the files a
 * running server never reads are left out of memory and removed from PGlite's file system, every
 * other file reads exactly as in PGlite's own bundle, and what the server's queries use (full-text
 * search in English, time zones, PL/pgSQL) works.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../src/db/index.js';
import { bundleFiles, isLeftOut, trimmedBundle } from '../src/db/pglite-fs.js';

const entry = import.meta.resolve('@electric-sql/pglite');
const list = bundleFiles(readFileSync(fileURLToPath(new URL('./pglite.js', entry)), 'utf8'));
const dataPath = fileURLToPath(new URL('./pglite.data', entry));

/** A file's bytes as PGlite's own bundle holds them. */
function original(name: string): Buffer {
  const f = list?.files.find((x) => x.name === name);
  assert.ok(f, `${name} is in the bundle`);
  const out = Buffer.alloc(f.end - f.start);
  const fd = openSync(dataPath, 'r');
  try {
    readSync(fd, out, 0, out.length, f.start);
  } finally {
    closeSync(fd);
  }
  return out;
}

describe('PGlite file bundle', () => {
  test('the file list is read from PGlite’s loader; the left-out files are the ones the server never reads', () => {
    assert.ok(list, 'the loader’s file list parses and covers pglite.data');
    const names = list.files.map((f) => f.name);
    for (const kept of [
      '/pglite/lib/postgresql/plpgsql.so',
      '/pglite/lib/postgresql/dict_snowball.so',
      '/pglite/share/postgresql/tsearch_data/english.stop',
      '/pglite/share/postgresql/timezonesets/Default',
      '/pglite/share/postgresql/extension/plpgsql.control',
    ]) {
      assert.ok(names.includes(kept), `${kept} is in the bundle`);
      assert.equal(isLeftOut(kept), false, kept);
    }
    for (const out of [
      '/pglite/share/postgresql/postgres.bki',
      '/pglite/share/postgresql/information_schema.sql',
      '/pglite/lib/postgresql/utf8_and_sjis.so',
      '/pglite/lib/postgresql/euc2004_sjis2004.so',
      '/pglite/lib/postgresql/libpqwalreceiver.so',
    ])
      assert.equal(isLeftOut(out), true, out);
    assert.ok(
      names.every((n) => !n.startsWith('/pglite/share/postgresql/timezone/') || !isLeftOut(n)),
      'time zone files are kept',
    );
    const bundle = trimmedBundle();
    assert.ok(bundle);
    assert.ok(bundle.leftOutBytes > 3 * 2 ** 20, `left out ${bundle.leftOutBytes} bytes`);
  });

  test('a bundle whose file list does not cover the package is refused', () => {
    assert.equal(bundleFiles('remote_package_size:10,files:[{filename:"/a",start:0,end:5}]'), undefined);
    assert.equal(bundleFiles('{filename:"/a",start:0,end:5}'), undefined);
    assert.deepEqual(
      bundleFiles('{filename:"/a",start:0,end:5},{filename:"/b",start:5,end:10}remote_package_size:10'),
      {
        files: [
          { name: '/a', start: 0, end: 5 },
          { name: '/b', start: 5, end: 10 },
        ],
        size: 10,
      },
    );
  });

  describe('a server database on a data directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'agentos-pglite-fs-'));
    let database: Database;
    before(async () => {
      database = await openDatabase({ dataDir: join(root, 'data') });
    });
    after(async () => {
      await database?.close();
      rmSync(root, { recursive: true, force: true });
    });

    test('kept files read exactly as in PGlite’s bundle', async () => {
      for (const name of [
        '/pglite/share/postgresql/tsearch_data/english.stop',
        '/pglite/share/postgresql/timezonesets/Default',
        '/pglite/lib/postgresql/plpgsql.so',
      ]) {
        const r = await sql<{ b: Uint8Array }>`select pg_read_binary_file(${name}) as b`.execute(database.db);
        assert.deepEqual(Buffer.from(r.rows[0]!.b), original(name), name);
      }
    });

    test('a left-out file is not found (never read as zeroes)', async () => {
      await assert.rejects(
        sql`select pg_read_binary_file('/pglite/share/postgresql/postgres.bki')`.execute(database.db),
        /could not (open|stat) file|No such file/i,
      );
      // The database goes on answering.
      const one = await sql<{ n: number }>`select 1 as n`.execute(database.db);
      assert.equal(one.rows[0]!.n, 1);
    });

    test('English full-text search, time zones and PL/pgSQL work', async () => {
      const fts = await sql<{
        v: string;
      }>`select to_tsvector('english', 'The running dogs')::text as v`.execute(database.db);
      assert.equal(fts.rows[0]!.v, "'dog':3 'run':2");
      const tz = await sql<{
        t: string;
      }>`select (timestamptz '2026-07-01 12:00:00+00' at time zone 'Europe/Paris')::text as t`.execute(
        database.db,
      );
      assert.equal(tz.rows[0]!.t, '2026-07-01 14:00:00');
      await sql`do $$ begin perform 1; end $$`.execute(database.db);
      const stopped = await sql<{
        q: string;
      }>`select websearch_to_tsquery('english', 'the cats and a dog')::text as q`.execute(database.db);
      assert.equal(stopped.rows[0]!.q, "'cat' & 'dog'");
    });
  });
});
