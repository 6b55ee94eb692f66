/**
 * The storage layer: one schema and one set of migrations, run through Kysely on either
 *
 * - PGlite (embedded PostgreSQL in WebAssembly): a data directory (default `./.agentos/data`)
 *   or memory (tests); or
 * - PostgreSQL through a connection URL (`DATABASE_URL`); several server instances may share it.
 *
 * `openDatabase` opens, runs the pending migrations (on PostgreSQL under an advisory lock, so
 * instances starting together do not collide) and answers a `Database`.
 *
 * Durability on PGlite: relaxed durability is off, so a statement resolves only after PGlite has
 * written it; on a data directory the server also runs with `fsync=on`, with the WAL synced by
 * a real `fsync(2)` at every commit (PGlite's Node filesystem otherwise makes fsync a no-op), so
 * an acknowledged commit survives a process kill and an OS crash alike.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { migrationProvider } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import { removeLeftOut, trimmedBundle } from './pglite-fs.js';
import type { Schema } from './schema.js';
import { copyTemplate, findTemplate, migrationsFingerprint } from './template.js';

export { migrations } from './migrations/index.js';
export * from './repos/index.js';
export type * from './schema.js';
export * from './util.js';

/** Minimal logger (pino-compatible). */
export interface DbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` (or `postgresql://…`): use PostgreSQL. Takes precedence over the rest. */
  url?: string;
  /** PGlite data directory (default `./.agentos/data`, resolved against the working directory). */
  dataDir?: string;
  /** PGlite in memory (nothing is written to disk). */
  memory?: boolean;
  /**
   * PostgreSQL only: the schema to work in (created if missing; it becomes the `search_path`).
   * Default: the server's default search path (normally `public`). Tests use a fresh one each.
   */
  schema?: string;
  /** Run the pending migrations on open (default true). */
  migrate?: boolean;
  /** PostgreSQL only: maximum pool size (default 10, at least 2). */
  poolSize?: number;
  /** PostgreSQL only: how long to wait for a connection before failing (default 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * PGlite data directory only: run with `fsync=on` and sync the WAL at each commit (default
   * true). Turning it off keeps durability against a process crash but not against an OS crash.
   */
  fsync?: boolean;
  /**
   * PGlite data directory only: the template a new (empty) directory is copied from instead of
   * initdb (template.ts). Default: the one `npm run build` makes, when it matches; false: initdb.
   */
  template?: string | false;
  logger?: DbLogger;
}

export interface Database {
  db: Kysely<Schema>;
  kind: 'pglite' | 'postgres';
  /** Closes the pool or the PGlite instance (waiting for the statement in flight). Idempotent. */
  close(): Promise<void>;
  /** Resolves when the database answers `SELECT 1`. */
  ping(): Promise<void>;
}

export const DEFAULT_DATA_DIR = './.agentos/data';

/** Advisory lock key held while migrating (PostgreSQL); 'AgentOS' in ASCII. */
const MIGRATION_LOCK_KEY = '18409558828666707';

const OID_INT8 = 20;
const OID_DATE = 1082;

const silent: DbLogger = { info() {}, warn() {}, error() {} };

/**
 * The two drivers are imported when a database of their kind is opened, not at start: a server
 * on PGlite never loads the `pg` driver, one on PostgreSQL never loads PGlite's JavaScript (each is
 * megabytes of heap once evaluated, for nothing).
 */
const loadPg = async (): Promise<typeof pg> => (await import('pg')).default;
const loadPGlite = async (): Promise<typeof PGlite> => (await import('@electric-sql/pglite')).PGlite;

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const logger = options.logger ?? silent;
  const opened = options.url ? await openPostgres(options, logger) : await openPGlite(options, logger);
  try {
    if (options.migrate !== false) await opened.migrate();
  } catch (err) {
    await opened.database.close();
    throw err;
  }
  return opened.database;
}

interface Opened {
  database: Database;
  migrate(): Promise<void>;
}

function makeDatabase(db: Kysely<Schema>, kind: Database['kind']): Database {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    close() {
      closing ??= db.destroy();
      return closing;
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}

async function runMigrations(db: Kysely<Schema>, logger: DbLogger): Promise<void> {
  const current = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = current.rows[0]?.schema;
  if (!schema) throw new Error('no current schema: the search_path names no existing schema');
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger.info({ migration: r.migrationName }, 'database migration applied');
    else if (r.status === 'Error') logger.error({ migration: r.migrationName }, 'database migration failed');
  }
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

// ------------------------------------------------------------------------------------ PostgreSQL

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

async function openPostgres(options: OpenDatabaseOptions, logger: DbLogger): Promise<Opened> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const driver = await loadPg();
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === OID_INT8) return (v: string) => Number(v);
      if (oid === OID_DATE) return (v: string) => v;
      // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept a union format.
      return driver.types.getTypeParser(oid, format as any);
    },
  };
  const pool = new driver.Pool({
    connectionString: options.url,
    max: Math.max(2, options.poolSize ?? 10),
    // Fail (→ 503) rather than hang when the server is unreachable; keep idle sockets alive.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    types: types as pg.CustomTypesConfig,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
  // A checked-out client whose connection dies emits 'error' on the client itself; without a
  // listener that is an uncaught exception. The query in flight fails and answers 503.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.error({ err }, 'PostgreSQL connection failed'));
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const database = makeDatabase(db, 'postgres');
  try {
    await database.ping();
  } catch (err) {
    await database.close();
    throw err;
  }
  logger.info({ kind: 'postgres', schema: schema ?? null }, 'database opened');
  return {
    database,
    async migrate() {
      // A session-level advisory lock on a dedicated client serialises instances that start
      // together: the first migrates, the others wait and then find nothing to do.
      const client = await pool.connect();
      try {
        await client.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
        try {
          if (schema) await client.query(`create schema if not exists "${schema}"`);
          await runMigrations(db, logger);
        } finally {
          await client.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
        }
      } finally {
        client.release();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------- PGlite

interface EmscriptenStream {
  nfd?: number;
}
interface PGliteInternals {
  mod?: {
    NODEFS?: { stream_ops?: { fsync?: (stream: EmscriptenStream) => number } };
    FS?: { ErrnoError: new (errno: number) => Error };
  };
}

const EMSCRIPTEN_EIO = 29;

/**
 * PGlite's Node filesystem writes through `fs.writeSync` but has no `fsync` stream operation, so
 * PostgreSQL's fsync calls do nothing. Give it a real one. Answers false when PGlite's internals
 * are not as expected (the server then still survives a process crash, not an OS crash).
 */
function installFsync(pglite: PGlite): boolean {
  const mod = (pglite as unknown as PGliteInternals).mod;
  const ops = mod?.NODEFS?.stream_ops;
  if (!mod || !ops) return false;
  ops.fsync = (stream: EmscriptenStream) => {
    if (typeof stream.nfd !== 'number') return 0;
    try {
      fsyncSync(stream.nfd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'EBADF' || code === 'EISDIR' || code === 'ENOTSUP') return 0;
      if (mod.FS) throw new mod.FS.ErrnoError(EMSCRIPTEN_EIO);
      throw err;
    }
    return 0;
  };
  return true;
}

/**
 * PostgreSQL's memory settings for PGlite. Its shared memory lives in the WebAssembly heap, and
 * PostgreSQL touches all of it at start: the default 128 MB of shared buffers is most of an idle
 * server's resident memory. 4 MB (512 pages of 8 kB) holds this server's working set (the bench's
 * 1,000 sessions take under 1 MB with their indexes); a larger database reads through the OS page
 * cache like any PostgreSQL with small buffers (16 → 4 MB: idle RSS −12 MB). PGlite runs one
 * backend and no replication: connection slots and WAL senders sized for that (−4 MB).
 */
const PGLITE_MEMORY_PARAMS = [
  '-c',
  'shared_buffers=4MB',
  '-c',
  'wal_buffers=256kB',
  '-c',
  'max_connections=4',
  '-c',
  'superuser_reserved_connections=0',
  '-c',
  'max_wal_senders=0',
  '-c',
  'max_replication_slots=0',
];

/** PGlite's start parameters with this server's memory settings (and `extra` after them). */
function pgliteStartParams(PGliteClass: typeof PGlite, extra: readonly string[] = []): string[] {
  return [...PGliteClass.defaultStartParams, ...PGLITE_MEMORY_PARAMS, ...extra];
}

const PGLITE_PARSERS = {
  [OID_INT8]: (v: string) => Number(v),
  [OID_DATE]: (v: string) => v,
};

let template: Promise<Blob | File> | undefined;

/**
 * A dump of a migrated in-memory database kept across processes in `AGENTOS_PGLITE_CACHE` (a
 * directory; the test runner sets it), named after the migrations fingerprint so a changed
 * migration never loads an old one. Undefined without the variable or before the first dump.
 */
async function cachedMemoryDump(): Promise<{ file: string; dump?: Blob } | undefined> {
  const dir = process.env.AGENTOS_PGLITE_CACHE;
  if (!dir) return undefined;
  const file = join(resolve(dir), `memory-${await migrationsFingerprint()}.tar`);
  try {
    return { file, dump: new Blob([readFileSync(file)]) };
  } catch {
    return { file };
  }
}

/** The data directory of a fresh, migrated in-memory database (made once per process). */
async function memoryTemplate(logger: DbLogger): Promise<Blob | File> {
  template ??= (async () => {
    const cached = await cachedMemoryDump();
    if (cached?.dump) return cached.dump;
    const dump = await makeMemoryDump(logger);
    if (cached) {
      // Written whole under a temporary name, then renamed: a reader never sees half a file.
      const tmp = `${cached.file}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(cached.file), { recursive: true });
        writeFileSync(tmp, new Uint8Array(await dump.arrayBuffer()));
        renameSync(tmp, cached.file);
      } catch (err) {
        rmSync(tmp, { force: true });
        logger.warn({ err, file: cached.file }, 'PGlite: the in-memory database dump could not be cached');
      }
    }
    return dump;
  })();
  try {
    return await template;
  } catch (err) {
    template = undefined;
    throw err;
  }
}

/** Migrates a new in-memory database and dumps its data directory (an uncompressed tar). */
async function makeMemoryDump(logger: DbLogger): Promise<Blob | File> {
  const PGliteClass = await loadPGlite();
  const pglite = new PGliteClass({
    parsers: PGLITE_PARSERS,
    relaxedDurability: false,
    startParams: pgliteStartParams(PGliteClass),
  });
  const db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
  try {
    await runMigrations(db, logger);
    return await pglite.dumpDataDir('none');
  } finally {
    await db.destroy();
  }
}

// ------------------------------------------------------------------------- a new data directory

/**
 * Creates a PGlite data directory (initdb) in a child process. initdb runs PostgreSQL twice more in
 * WebAssembly and copies the whole directory through memory: done in this process, that memory
 * (hundreds of MB) would stay with the server for good. The child writes to a sibling directory
 * renamed into place when complete, so a crash midway leaves no half-made database behind.
 */
async function initDataDirInChild(dataDir: string, logger: DbLogger): Promise<void> {
  const started = Date.now();
  const staging = `${dataDir}.init-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const script = `const { PGlite } = await import(${JSON.stringify(pglite)});
const pg = new PGlite({ dataDir: ${JSON.stringify(staging)} });
await pg.waitReady;
await pg.close();`;
  await new Promise<void>((resolveInit, reject) => {
    const child = spawn(process.execPath, ['--liftoff-only', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolveInit();
      else
        reject(
          new Error(
            `creating the PGlite database in ${dataDir} failed (${signal ?? code}): ${stderr.slice(-500)}`,
          ),
        );
    });
  });
  // The (empty) directory made by the caller is replaced by the complete one.
  rmdirSync(dataDir);
  renameSync(staging, dataDir);
  logger.info({ dataDir, ms: Date.now() - started }, 'PGlite database created');
}

/**
 * Makes a new data directory: a copy of the matching template (milliseconds), else initdb in a
 * child process. Copied to a sibling renamed into place, as initdb does.
 */
async function createDataDir(dataDir: string, template: string | false | undefined, logger: DbLogger) {
  const from = template === false ? null : await findTemplate(template, logger);
  if (!from) return initDataDirInChild(dataDir, logger);
  const started = Date.now();
  const staging = `${dataDir}.init-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  copyTemplate(from.dir, staging);
  rmdirSync(dataDir);
  renameSync(staging, dataDir);
  logger.info(
    { dataDir, template: from.dir, ms: Date.now() - started },
    'PGlite database created from the template',
  );
}

// ------------------------------------------------------------------------- data directory lock

/** Data directories this process holds open. */
const heldDirs = new Set<string>();

/**
 * PGlite is a single-process database: two processes (or two opens in one process) on one data
 * directory would corrupt it. `<dataDir>.lock` holds the owner's pid and host; a lock left by a
 * process that no longer runs (a crash) is taken over. Answers the release function.
 */
function lockDataDir(dataDir: string, logger: DbLogger): () => void {
  if (heldDirs.has(dataDir))
    throw new Error(`PGlite data directory already open in this process: ${dataDir}`);
  const lockPath = `${dataDir}.lock`;
  const host = hostname();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      heldDirs.add(dataDir);
      return () => {
        heldDirs.delete(dataDir);
        rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let previous: { pid?: unknown; host?: unknown } = {};
    try {
      previous = JSON.parse(readFileSync(lockPath, 'utf8'));
    } catch {
      // Unreadable or half-written: the owner crashed while locking; take it over.
    }
    if (
      typeof previous.pid === 'number' &&
      previous.host === host &&
      previous.pid !== process.pid &&
      processAlive(previous.pid)
    ) {
      // Coded, so the CLI reports it as the expected failure it is (no stack trace).
      throw Object.assign(
        new Error(
          `PGlite data directory ${dataDir} is in use by process ${previous.pid} (lock file ${lockPath}): ` +
            'run one server per data directory, or use PostgreSQL (DATABASE_URL) for several instances',
        ),
        { code: 'ERR_DATA_DIR_LOCKED' },
      );
    }
    logger.warn({ lockPath, previous }, 'taking over a stale PGlite data directory lock');
    rmSync(lockPath, { force: true });
  }
  throw new Error(`could not lock PGlite data directory ${dataDir} (lock file ${lockPath})`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPGlite(options: OpenDatabaseOptions, logger: DbLogger): Promise<Opened> {
  const PGliteClass = await loadPGlite();
  const parsers = PGLITE_PARSERS;
  let pglite: PGlite;
  let dataDir: string | undefined;
  let synced = false;
  let unlock: (() => void) | undefined;
  if (options.memory) {
    // A fresh in-memory database is initdb'd in WebAssembly (seconds); later ones in the same
    // process load a migrated template instead (well under a second).
    const template = options.migrate === false ? undefined : await memoryTemplate(logger);
    pglite = new PGliteClass({
      parsers,
      relaxedDurability: false,
      startParams: pgliteStartParams(PGliteClass),
      ...(template ? { loadDataDir: template } : {}),
    });
    await pglite.waitReady;
  } else {
    dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir, logger);
    try {
      if (readdirSync(dataDir).length === 0) await createDataDir(dataDir, options.template, logger);
    } catch (err) {
      unlock();
      throw err;
    }
    const fsync = options.fsync !== false;
    const startParams = fsync
      ? pgliteStartParams(PGliteClass, ['-c', 'fsync=on', '-c', 'wal_sync_method=fsync']).filter(
          (p) => p !== '-F',
        )
      : pgliteStartParams(PGliteClass);
    // The data directory exists (made above, or earlier): PostgreSQL's initdb inputs and the
    // other files it never reads need not be in memory (pglite-fs.ts).
    const bundle = trimmedBundle();
    try {
      pglite = new PGliteClass({
        dataDir,
        parsers,
        relaxedDurability: false,
        startParams,
        ...(bundle ? { fsBundle: bundle.fsBundle } : {}),
      });
      await pglite.waitReady;
    } catch (err) {
      unlock();
      throw err;
    }
    if (bundle) removeLeftOut(pglite, bundle.leftOut);
    if (fsync) {
      synced = installFsync(pglite);
      if (!synced) {
        logger.warn({ dataDir }, 'PGlite fsync hook unavailable: commits survive a process crash only');
      }
    }
  }
  const db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
  logger.info({ kind: 'pglite', dataDir: dataDir ?? 'memory', fsync: synced }, 'database opened');
  const database = makeDatabase(db, 'pglite');
  if (unlock) {
    const release = unlock;
    const close = database.close;
    let closing: Promise<void> | undefined;
    database.close = () => {
      closing ??= close().finally(release);
      return closing;
    };
  }
  return {
    database,
    migrate: () => runMigrations(db, logger),
  };
}
