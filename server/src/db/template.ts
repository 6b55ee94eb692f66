/**
 * A prebuilt PGlite data directory: a new database is a copy of it instead of initdb plus the
 * migrations (initdb alone runs PostgreSQL twice in WebAssembly: seconds). `npm run build` makes
 * it (`server/dist/pgdata-template/`, by the bundled `template-cli.ts`), and every copy is checked
 * first: the template's stamp must equal this server's migrations fingerprint (the SQL every
 * migration runs, and the PGlite version). A template that does not match is never used: the
 * server logs why and creates the database with initdb and the migrations, as without one.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { migrations } from './migrations/index.js';

/** The template directory's name, and its stamp `<name>.json` beside it. */
export const TEMPLATE_NAME = 'pgdata-template';

/** What `<template>.json` holds. */
export interface TemplateStamp {
  /** `migrationsFingerprint()` of the server that made the template. */
  fingerprint: string;
  /** The migrations applied in the template, in order (for people reading the file). */
  migrations: string[];
  pglite: string;
  created: string;
  /** Version of the template maker (a newer maker remakes the template). */
  format: number;
}

/** `TemplateStamp.format` of the templates this code makes. */
export const TEMPLATE_FORMAT = 3;

/** Records the SQL it is given and answers no rows. */
class RecordingDriver implements Driver {
  constructor(private readonly out: string[]) {}
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const out = this.out;
    return {
      async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
        out.push(JSON.stringify([q.sql, q.parameters]));
        return { rows: [] };
      },
      async *streamQuery() {},
    };
  }
  async beginTransaction() {}
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

/** PGlite's package version (a data directory is tied to its PostgreSQL build). */
export function pgliteVersion(): string {
  const entry = import.meta.resolve('@electric-sql/pglite');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/**
 * A hash of what the migrations do: each one's name and every statement its `up` sends (run
 * against a driver that records them), and the PGlite version. The same in the bundle and in the
 * sources; it changes when a migration is added or edited.
 */
export async function migrationsFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`pglite ${pgliteVersion()}\n`);
  for (const name of Object.keys(migrations).sort()) {
    const statements: string[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database.
    const db = new Kysely<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new RecordingDriver(statements),
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    await migrations[name]!.up(db);
    hash.update(`${name}\n${statements.join('\n')}\n`);
  }
  return hash.digest('hex');
}

/** Where `npm run build` puts the template: beside the bundle, or `server/dist/` seen from the sources. */
export function defaultTemplateDirs(): string[] {
  return [
    fileURLToPath(new URL(`./${TEMPLATE_NAME}`, import.meta.url)),
    fileURLToPath(new URL(`../../dist/${TEMPLATE_NAME}`, import.meta.url)),
  ];
}

/** Minimal logger. */
interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Reads a template's stamp, or null when it has none or an unreadable one. */
export function readStamp(dir: string): TemplateStamp | null {
  try {
    const stamp = JSON.parse(readFileSync(`${dir}.json`, 'utf8')) as TemplateStamp;
    return typeof stamp?.fingerprint === 'string' ? stamp : null;
  } catch {
    return null;
  }
}

/**
 * The template directory to copy for a new database, or null. Looks at `dir` (or the default
 * places); a template whose stamp is missing or does not match `migrationsFingerprint()` is
 * refused with a warning naming both fingerprints.
 */
export async function findTemplate(
  dir: string | undefined,
  logger: Log,
): Promise<{ dir: string; stamp: TemplateStamp } | null> {
  const candidates = dir ? [dir] : defaultTemplateDirs();
  const found = candidates.find((d) => existsSync(join(d, 'PG_VERSION')));
  if (!found) {
    logger.info(
      { looked: candidates },
      'no PGlite data directory template: creating the database with initdb',
    );
    return null;
  }
  const stamp = readStamp(found);
  const expected = await migrationsFingerprint();
  if (stamp?.fingerprint !== expected) {
    logger.warn(
      { template: found, stamp: stamp?.fingerprint ?? null, expected },
      'PGlite data directory template does not match this server (stale: rebuild with `npm run build`); ' +
        'creating the database with initdb and the migrations instead',
    );
    return null;
  }
  return { dir: found, stamp };
}

/** Files at least this large are copied chunk by chunk, zero chunks left as holes (the WAL segment). */
const SPARSE_FROM = 1 << 20;
const CHUNK = 1 << 18;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * Copies a large file leaving its all-zero chunks as holes (they read as the same zeros): a fresh
 * 16 MB WAL segment holds a few kB of records, and writing its zeros into every new database
 * costs more than the rest of the copy.
 */
function copySparse(src: string, dst: string): void {
  const { size, mode } = statSync(src);
  const chunk = Buffer.alloc(CHUNK);
  const from = openSync(src, 'r');
  try {
    const to = openSync(dst, 'w', mode & 0o777);
    try {
      for (let at = 0; at < size; at += CHUNK) {
        const n = readSync(from, chunk, 0, Math.min(CHUNK, size - at), at);
        if (n === 0) break;
        if (n < CHUNK || !chunk.equals(ZEROS)) writeSync(to, chunk, 0, n, at);
      }
      ftruncateSync(to, size);
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
}

/**
 * Copies a template directory to `to` (which must not exist). Directories are made 0700, as
 * PostgreSQL wants its data directory (a template unpacked from an npm tarball is world-readable).
 */
export function copyTemplate(from: string, to: string): void {
  mkdirSync(to, { mode: 0o700 });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) copyTemplate(src, dst);
    else if (!e.isFile()) continue;
    else if (statSync(src).size >= SPARSE_FROM) copySparse(src, dst);
    else copyFileSync(src, dst);
  }
}

/** Removes a template and its stamp (stamp first: a half-removed template is never taken as valid). */
export function removeTemplate(dir: string): void {
  rmSync(`${dir}.json`, { force: true });
  rmSync(dir, { recursive: true, force: true });
}
