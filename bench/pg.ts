/**
 * @module A private, throwaway PostgreSQL for the reliability tests: `initdb` into a temp
 * directory and `pg_ctl` start/stop on its own loopback port, with the same binaries
 * `scripts/ci-postgres.sh` installs and the same mechanism as its fallback (initdb + pg_ctl as the
 * `postgres` user when running as root). The tests stop and restart it at will without touching
 * any shared cluster (`pg_ctlcluster`) other work may be using.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HOST } from './harness.js';

/** The newest `/usr/lib/postgresql/<v>/bin` with initdb, or the directory of `initdb` on PATH. */
export function findPgBin(): string | null {
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => existsSync(join('/usr/lib/postgresql', v, 'bin/initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join('/usr/lib/postgresql', versions[0], 'bin');
  } catch {
    // fall through
  }
  const r = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p.replace(/\/initdb$/, '') : null;
}

/** Why a private PostgreSQL cannot run here, or null. */
export function privatePostgresProblem(): string | null {
  if (!findPgBin()) {
    return "no PostgreSQL server binaries (initdb): run `bash scripts/ci-postgres.sh` once, it installs Debian's postgresql";
  }
  if (process.getuid?.() === 0) {
    const r = spawnSync('id', ['-u', 'postgres']);
    if (r.status !== 0) return 'running as root and there is no `postgres` user to run the server as';
    if (spawnSync('sh', ['-c', 'command -v runuser']).status !== 0)
      return 'running as root without `runuser`';
  }
  return null;
}

export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<db>` (trust authentication on loopback). */
  url(db: string): string;
  createDatabase(db: string): void;
  /** Runs SQL as the superuser on `db`; answers psql's unaligned output. */
  sql(db: string, query: string): string;
  /** `pg_ctl stop` (`mode`: fast = clean, immediate = crash-like; default immediate). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): void;
  isRunning(): boolean;
  /** Stops the server and removes its directory. Idempotent. */
  destroy(): void;
}

/**
 * Creates and starts a private PostgreSQL.
 * @throws {Error} with the reason when it cannot (see `privatePostgresProblem`)
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const problem = privatePostgresProblem();
  if (problem) throw new Error(problem);
  const bin = findPgBin()!;
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'agentos-pg-'));
  const data = join(dir, 'data');
  const sock = dir;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const asPg = (cmd: string, args: string[], timeoutMs = 60_000) => {
    const [file, argv] = root
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(file as string, argv as string[], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
    }
    return r.stdout;
  };
  const port = await freePort();
  asPg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -c listen_addresses=${HOST} -k ${sock} -c max_connections=100`;
  let running = false;
  const pg: PrivatePostgres = {
    port,
    url: (db) => `postgres://postgres@${HOST}:${port}/${db}`,
    createDatabase(db) {
      asPg('psql', [
        '-X',
        '-q',
        '-h',
        sock,
        '-p',
        String(port),
        '-d',
        'postgres',
        '-c',
        `create database "${db}"`,
      ]);
    },
    sql(db, query) {
      return asPg('psql', ['-X', '-q', '-A', '-t', '-h', sock, '-p', String(port), '-d', db, '-c', query]);
    },
    start() {
      asPg(
        'pg_ctl',
        ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'],
        90_000,
      );
      running = true;
    },
    stop(mode = 'immediate') {
      if (!running) return;
      asPg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'], 90_000);
      running = false;
    },
    isRunning: () => running,
    destroy() {
      try {
        pg.stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
