/**
 * @module A private, throwaway PostgreSQL for the reliability tests: `initdb` into a temp
 * directory and `pg_ctl` start/stop on its own loopback port, with the same binaries
 * `scripts/ci-postgres.sh` installs and the same mechanism as its fallback (initdb + pg_ctl as the
 * `postgres` user when running as root). The tests stop and restart it at will without touching
 * any shared cluster (`pg_ctlcluster`) other work may be using.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
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
  /**
   * `pg_ctl stop` (`mode`: fast = clean, immediate = crash-like; default immediate). Asynchronous,
   * so the caller's event loop keeps serving its own clients while PostgreSQL goes down.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start`, waiting (asynchronously) until it accepts connections. */
  start(): Promise<void>;
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
  const command = (cmd: string, args: string[]): [string, string[]] =>
    root ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
  const asPg = (cmd: string, args: string[], timeoutMs = 60_000) => {
    const [file, argv] = command(cmd, args);
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
    }
    return r.stdout;
  };
  /** `pg_ctl`, without blocking the event loop (a blocked test client loses its keep-alive sockets). */
  const pgCtl = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv] = command('pg_ctl', args);
      execFile(file, argv, { encoding: 'utf8', timeout: 90_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`pg_ctl ${args.join(' ')} failed: ${stderr || stdout || error.message}`));
        else resolve();
      });
    });
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
    async start() {
      await pgCtl(['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop(mode = 'immediate') {
      if (!running) return;
      await pgCtl(['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    destroy() {
      try {
        if (running) asPg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop'], 90_000);
      } catch {
        // already stopped
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}
