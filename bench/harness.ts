/**
 * @module Process and HTTP plumbing shared by the benchmark (`bench/run.ts`) and the reliability
 * tests (`server/test/reliability*.test.ts`): free loopback ports, key pairs, the reference server
 * and the Python AgentOS as child processes, bounded waits, and a keep-alive HTTP client.
 *
 * Everything is loopback-only (127.0.0.1) and every wait is bounded in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ES module without types (server/scripts/build.mjs)
import { SERVER_NODE_OPTIONS } from '../server/scripts/build.mjs';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
/**
 * The server entry point the benchmark and the reliability tests start: the published CLI, or
 * `AGENTOS_SERVER_BIN` (same command line: `--config FILE --port N --host H`), e.g. to run the
 * reliability tests against a build or a candidate integration.
 */
export const SERVER_BIN = process.env.AGENTOS_SERVER_BIN ?? join(ROOT, 'server/bin/agentos-server.js');
export const MEM_PROBE = join(ROOT, 'bench/mem-probe.mjs');
export const AGNO_TARGET = join(ROOT, 'conformance/targets/agno');
export const HOST = '127.0.0.1';

/** The entities of the Python conformance target (`conformance/targets/agno/app.py`), for a like-for-like server. */
export const TARGET_ENTITIES = {
  id: 'agentos-conformance',
  agents: [
    { id: 'research-agent', name: 'Research Agent' },
    { id: 'support-agent', name: 'Support Agent' },
  ],
  teams: [{ id: 'research-team', name: 'Research Team' }],
  workflows: [{ id: 'content-pipeline', name: 'Content Pipeline' }],
} as const;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

/** A fresh RSA-2048 key pair in PEM (PKCS#8 private, SPKI public). */
export function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A temp directory removed by `cleanup()`. */
export function tempDir(prefix = 'agentos-bench-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ------------------------------------------------------------------------------------- HTTP

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Parsed JSON body, or undefined. */
  readonly json: unknown;
  readonly ms: number;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Default 10 s. */
  timeoutMs?: number;
  agent?: http.Agent;
}

/** One HTTP request to `base + path`, path sent byte for byte. Rejects on network errors and timeouts. */
export function request(base: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolveReq, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path,
        headers: {
          ...(options.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = body.length > 0 ? JSON.parse(body) : undefined;
          } catch {
            json = undefined;
          }
          resolveReq({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Polls `base + path` until `ok(status)` or the deadline. */
export async function waitFor(
  base: string,
  path: string,
  options: { timeoutMs?: number; ok?: (status: number) => boolean; isAlive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const ok = options.ok ?? ((s: number) => s === 200);
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (options.isAlive && !options.isAlive()) throw new Error(`the process exited before ${path} answered`);
    try {
      const r = await request(base, path, { timeoutMs: 2000 });
      if (ok(r.status)) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(150);
  }
  throw new Error(`${base}${path} not ready after ${options.timeoutMs ?? 30_000} ms (${last})`);
}

// -------------------------------------------------------------------------------- processes

/** A child process serving HTTP on loopback. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines of stdout+stderr (diagnostics). */
  output(): string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Resident set size from /proc (bytes), or null. */
  rss(): number | null;
  /** `process.memoryUsage()` of the child after a full GC (only with `memoryProbe`). */
  memory(): Promise<NodeJS.MemoryUsage>;
}

function tail(): { push(chunk: Buffer): void; text(): string } {
  const lines: string[] = [];
  let partial = '';
  return {
    push(chunk) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    },
    text: () => [...lines, partial].join('\n'),
  };
}

/** Resident set size of a process and all its descendants (bytes; uvicorn workers are children), or null. */
export function treeRss(pid: number): number | null {
  const own = procRss(pid);
  if (own === null) return null;
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return own;
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    total += procRss(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

function procRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function wrapChild(child: ChildProcess, port: number, log: ReturnType<typeof tail>): ServerProcess {
  let exited = child.exitCode !== null;
  const exitedP = new Promise<void>((r) => {
    if (exited) r();
    child.once('exit', () => {
      exited = true;
      r();
    });
  });
  let memSeq = 0;
  const pendingMem = new Map<number, (m: NodeJS.MemoryUsage) => void>();
  child.on('message', (msg: unknown) => {
    const m = msg as { type?: string; seq?: number; memory?: NodeJS.MemoryUsage };
    if (m?.type === 'agentos-bench-memory' && typeof m.seq === 'number') {
      pendingMem.get(m.seq)?.(m.memory as NodeJS.MemoryUsage);
      pendingMem.delete(m.seq);
    }
  });
  return {
    url: `http://${HOST}:${port}`,
    port,
    pid: child.pid ?? -1,
    child,
    output: () => log.text(),
    alive: () => !exited,
    rss: () => (child.pid ? treeRss(child.pid) : null),
    memory() {
      if (!child.send) return Promise.reject(new Error('the server was started without memoryProbe'));
      const seq = ++memSeq;
      return new Promise((resolveMem, reject) => {
        const timer = setTimeout(() => {
          pendingMem.delete(seq);
          reject(new Error('memory probe did not answer in 10 s'));
        }, 10_000);
        pendingMem.set(seq, (m) => {
          clearTimeout(timer);
          resolveMem(m);
        });
        child.send?.({ type: 'agentos-bench-memory?', seq });
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, graceMs);
      await exitedP;
      clearTimeout(timer);
    },
  };
}

export interface ReferenceServerOptions {
  /** Config file content (written as JSON); default the target entities. */
  config?: Record<string, unknown>;
  /** Environment added to a minimal one (PATH, HOME); `LOG_LEVEL` defaults to `warn`. */
  env?: Record<string, string | undefined>;
  port?: number;
  /** Working directory (the default PGlite data dir `./.agentos/data` lands there); default a temp dir. */
  cwd?: string;
  /** Start with `--expose-gc` and the IPC memory probe (`memory()`). */
  memoryProbe?: boolean;
  /** Readiness wait (default 60 s). */
  startTimeoutMs?: number;
  /** Readiness path (default `/health`). */
  readyPath?: string;
}

/**
 * Starts `server/bin/agentos-server.js` (the published CLI) in its own process and waits for
 * `/health`. The config goes through a config file, keys and switches through the environment.
 */
export async function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const ownCwd = options.cwd === undefined;
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'agentos-server-'));
  mkdirSync(cwd, { recursive: true });
  const configPath = join(cwd, `agentos.config.${randomUUID().slice(0, 8)}.json`);
  writeFileSync(configPath, JSON.stringify(options.config ?? TARGET_ENTITIES, null, 2));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? cwd,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // No newcomer mode: a server started without a key must really run with auth off.
    AGENTOS_DEV: '0',
  };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  // Started as `npm start` starts it (its Node options).
  const nodeArgs = [
    ...SERVER_NODE_OPTIONS,
    // Extra Node flags for profiling a benchmark server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
    ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(options.memoryProbe ? ['--expose-gc', '--import', MEM_PROBE] : []),
  ];
  const child = spawn(
    process.execPath,
    [...nodeArgs, SERVER_BIN, '--config', configPath, '--port', String(port), '--host', HOST],
    {
      cwd,
      env,
      stdio: options.memoryProbe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = tail();
  child.stdout?.on('data', (c: Buffer) => log.push(c));
  child.stderr?.on('data', (c: Buffer) => log.push(c));
  const wrapped = wrapChild(child, port, log);
  // A working directory made here (and the PGlite data in it) goes away with the process.
  const proc: ServerProcess = ownCwd
    ? {
        ...wrapped,
        async stop(graceMs?: number) {
          await wrapped.stop(graceMs);
          rmSync(cwd, { recursive: true, force: true });
        },
      }
    : wrapped;
  try {
    await waitFor(proc.url, options.readyPath ?? '/health', {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      isAlive: proc.alive,
    });
  } catch (e) {
    await proc.stop(1000);
    throw new Error(`reference server did not start: ${(e as Error).message}\n${log.text().slice(-3000)}`);
  }
  return proc;
}

/** Why the Python AgentOS cannot run here, or null when its venv is ready. */
export function pythonTargetProblem(): string | null {
  const uvicorn = join(AGNO_TARGET, '2.9.0', '.venv/bin/uvicorn');
  if (!existsSync(uvicorn)) {
    return `no ${uvicorn}: run conformance/targets/agno/setup.sh (needs network access to PyPI)`;
  }
  return null;
}

/**
 * Starts the Python AgentOS of the conformance target (`conformance/targets/agno/app.py`) under
 * uvicorn exactly as `run.sh` does (one worker, `--log-level warning`), trusting `publicPemPath`.
 */
export async function startPythonAgentOS(options: {
  publicPemPath: string;
  audience: string;
  dbFile: string;
  port?: number;
  startTimeoutMs?: number;
  /** The venv to run uvicorn from (default the conformance target's, agno 2.9.0). */
  venv?: string;
  /** More uvicorn options, e.g. `['--loop', 'uvloop', '--http', 'httptools', '--workers', '2']`. */
  uvicornArgs?: string[];
}): Promise<ServerProcess> {
  const venv = options.venv ?? join(AGNO_TARGET, '2.9.0', '.venv');
  if (!existsSync(join(venv, 'bin/uvicorn'))) throw new Error(`no ${join(venv, 'bin/uvicorn')}`);
  const port = options.port ?? (await freePort());
  const child = spawn(
    join(venv, 'bin/uvicorn'),
    [
      'app:app',
      '--host',
      HOST,
      '--port',
      String(port),
      '--log-level',
      'warning',
      ...(options.uvicornArgs ?? []),
    ],
    {
      cwd: AGNO_TARGET,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? AGNO_TARGET,
        AGENTOS_PUBLIC_KEY_FILE: options.publicPemPath,
        AGENTOS_AUDIENCE: options.audience,
        AGENTOS_DB_FILE: options.dbFile,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = tail();
  child.stdout?.on('data', (c: Buffer) => log.push(c));
  child.stderr?.on('data', (c: Buffer) => log.push(c));
  const proc = wrapChild(child, port, log);
  try {
    await waitFor(proc.url, '/health', { timeoutMs: options.startTimeoutMs ?? 90_000, isAlive: proc.alive });
  } catch (e) {
    await proc.stop(2000);
    throw new Error(`Python AgentOS did not start: ${(e as Error).message}\n${log.text().slice(-3000)}`);
  }
  return proc;
}

/** Stops every process on process exit (SIGINT, uncaught error), so no server outlives a run. */
export function stopOnExit(procs: () => readonly ServerProcess[]): void {
  const kill = () => {
    for (const p of procs()) if (p.alive()) p.child.kill('SIGKILL');
  };
  process.once('exit', kill);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      kill();
      process.exit(130);
    });
  }
}

/**
 * Where the reliability tests write their figures: `bench/reliability.json` (or
 * `RELIABILITY_RESULTS`), one section per test, each with the time and machine it ran on.
 * Sections of tests that did not run this time are kept from earlier runs.
 */
export const RELIABILITY_RESULTS = process.env.RELIABILITY_RESULTS ?? join(ROOT, 'bench/reliability.json');

/** Records one reliability test's figures (before its assertions, so a failing run is recorded too). */
export function recordReliability(section: string, figures: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(RELIABILITY_RESULTS, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run, or an unreadable file: start afresh
  }
  all[section] = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, node: process.version },
    ...figures,
  };
  const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(RELIABILITY_RESULTS, `${JSON.stringify(sorted, null, 2)}\n`);
}
