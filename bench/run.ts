/**
 * @module `npm run bench`: every figure of the README's results table, measured side by side in
 * one run on this machine, written to `bench/results.json` and `bench/RESULTS.md`.
 *
 * 1. HTTP: an authorized `GET /agents` (RS256 bearer token, `scopes: ["agents:read"]`) against
 *    - the reference server (`server/bin/agentos-server.js`, authorization on, audience check,
 *      user isolation: the configuration of the Python conformance target),
 *    - uncached: a second such server with its verified-token cache off (`JWT_CACHE_SECONDS=0`),
 *      sent 2048 distinct tokens round-robin, so every request runs the signature check,
 *    - the same server with auth off (no key, `AUTHORIZATION_ENABLED=false`),
 *    - the Python AgentOS of `conformance/targets/agno` under uvicorn (same key, same token shape),
 *    each a separate process, loaded by wrk (or the node:http generator) in another process:
 *    warm-up, then a fixed duration, same concurrency; `BENCH_ROUNDS` alternating rounds, best kept.
 * 2. Decisions: ns per route+scope decision, `@agentos/core` vs the Python fnmatch scan (child process).
 * 3. Conformance: wall time and req/s of `agentos-conformance` against a reference server.
 * 4. Generator: `node scripts/generate.mjs --check` wall time (and its own per-phase timings).
 * 5. SDK: `sdk/scripts/size.mjs --json` (min+gzip of the runtime entry).
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS
 * (default 32), BENCH_ROUNDS (default 2), BENCH_SKIP_PYTHON=1, BENCH_OUT (directory, default bench/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createTokenFactory } from '@agentos/conformance';
// @ts-expect-error: a plain ES module without types (server/scripts/build.mjs)
import { build as buildServer } from '../server/scripts/build.mjs';
import { TOKEN_CACHE_ENTRIES } from '../server/src/auth/token-cache.js';
import {
  AGNO_TARGET,
  pythonTargetProblem,
  ROOT,
  request,
  rsaKeyPair,
  type ServerProcess,
  startPythonAgentOS,
  startReferenceServer,
  stopOnExit,
  tempDir,
} from './harness.js';
import { type LoadResult, runLoad, wrkPath, wrkVersion } from './load.js';
import { privatePostgresProblem, startPrivatePostgres } from './pg.js';
import {
  BENCH_AUDIENCE,
  BENCH_ISSUER,
  idleRss,
  lostWrites,
  runWorkloads,
  seedSessions,
  startRoundRobin,
  timedStart,
  type WorkloadResults,
  workloadServerEnv,
  workloadTokens,
} from './workloads.js';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Math.max(1, Math.min(5, Number(env.BENCH_ROUNDS ?? 2)));
const DEFAULT_OUT = join(ROOT, 'bench');
const OUT = env.BENCH_OUT ?? DEFAULT_OUT;
const AUDIENCE = BENCH_AUDIENCE;
const AGNO_ISSUER = BENCH_ISSUER;
/** Sessions seeded through the API before the database workloads (10 users). */
const SESSIONS = Number(env.BENCH_SESSIONS ?? 1000);
const USERS = 10;
/** Python AgentOS variants to measure (comma-separated ids of PYTHON_VARIANTS; default all). */
const PYTHON_ONLY = env.BENCH_PYTHON_VARIANTS?.split(',').map((v) => v.trim());
const PYTHON_DIR = join(ROOT, 'bench/python');
const ROTATING_TOKENS = 2048;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const procs: ServerProcess[] = [];
stopOnExit(() => procs);

/** Runs a command to completion (bounded), capturing output and wall time. */
function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** `GET /agents` must answer 200 with the two configured agents before it is worth measuring. */
async function preflight(name: string, base: string, token: string): Promise<void> {
  const r = await request(base, '/agents', { headers: { authorization: `Bearer ${token}` } });
  const ids = Array.isArray(r.json) ? (r.json as { id?: unknown }[]).map((a) => a.id).sort() : null;
  if (r.status !== 200 || JSON.stringify(ids) !== JSON.stringify(['research-agent', 'support-agent'])) {
    throw new Error(`${name}: GET /agents answered ${r.status} ${r.body.slice(0, 300)}`);
  }
}

interface HttpTarget {
  key: 'rs256' | 'rs256_nocache' | 'auth_off' | 'python_agentos';
  label: string;
  base: string;
  token?: string;
  tokensFile?: string;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

async function httpSection(tmp: string) {
  const keys = rsaKeyPair();
  const privatePath = join(tmp, 'private.pem');
  const publicPath = join(tmp, 'public.pem');
  writeFileSync(privatePath, keys.privatePem);
  writeFileSync(publicPath, keys.publicPem);
  const factory = await createTokenFactory({
    alg: 'RS256',
    signingKey: keys.privatePem,
    audience: AUDIENCE,
    // agno 3.x pins the issuer (conformance/targets/agno/app.py's default); 2.9 and ours ignore it.
    issuer: AGNO_ISSUER,
    scopesClaim: 'scopes',
    userIdClaim: 'sub',
    lifetime: 6 * 3600,
  });
  const token = await factory.mint({ sub: 'user_123', scopes: ['agents:read'] });
  log(`minting ${ROTATING_TOKENS} distinct tokens for the uncached run`);
  const rotating: string[] = [];
  for (let i = 0; i < ROTATING_TOKENS; i++) {
    rotating.push(await factory.mint({ sub: `bench-user-${i}`, scopes: ['agents:read'] }));
  }
  const tokensFile = join(tmp, 'tokens.txt');
  writeFileSync(tokensFile, `${rotating.join('\n')}\n`);

  log('starting the reference server (RS256, authorization on) and the auth-off server');
  const rbacEnv = {
    AUTHORIZATION_ENABLED: 'true',
    JWT_VERIFICATION_KEY: keys.publicPem,
    JWT_ALGORITHM: 'RS256',
    JWT_VERIFY_AUDIENCE: 'true',
    JWT_AUDIENCE: AUDIENCE,
    AGENTOS_USER_ISOLATION: 'true',
  };
  const rbac = await startReferenceServer({ env: rbacEnv, cwd: join(tmp, 'rbac') });
  procs.push(rbac);
  const off = await startReferenceServer({ env: { AUTHORIZATION_ENABLED: 'false' }, cwd: join(tmp, 'off') });
  procs.push(off);
  await preflight('reference server (RS256)', rbac.url, token);
  await preflight('reference server (auth off)', off.url, token);
  // Uncached: the same configuration with the verified-token cache off, and distinct tokens.
  const nocache = await startReferenceServer({
    env: { ...rbacEnv, JWT_CACHE_SECONDS: '0' },
    cwd: join(tmp, 'rbac-nocache'),
  });
  procs.push(nocache);
  const nocacheCheck = await request(nocache.url, '/agents', {
    headers: { authorization: `Bearer ${rotating[7]}` },
  });
  if (nocacheCheck.status !== 200) throw new Error(`rotating token answered ${nocacheCheck.status}`);

  let python: ServerProcess | null = null;
  let pythonReason: string | null = null;
  let pythonHttpLabel: string | null = null;
  // The Python AgentOS as its users deploy it (issue 18): uvicorn with uvloop + httptools (the
  // benchmark's agno 2.9.0 venv); the conformance target's plain uvicorn when that venv is missing.
  const deployed = PYTHON_VARIANTS.find((v) => v.id === 'python');
  const deployedVenv = deployed ? pythonVenv(deployed) : null;
  const fast = deployedVenv !== null && 'venv' in deployedVenv;
  if (env.BENCH_SKIP_PYTHON === '1') pythonReason = 'skipped (BENCH_SKIP_PYTHON=1)';
  else pythonReason = fast ? null : pythonTargetProblem();
  if (!pythonReason) {
    try {
      log(
        `starting the Python AgentOS (conformance/targets/agno/app.py under uvicorn${fast ? ' with uvloop + httptools' : ''})`,
      );
      python = await startPythonAgentOS({
        publicPemPath: publicPath,
        audience: AUDIENCE,
        dbFile: join(tmp, 'agno.db'),
        ...(fast
          ? { venv: deployedVenv.venv, uvicornArgs: ['--loop', 'uvloop', '--http', 'httptools'] }
          : {}),
      });
      pythonHttpLabel = fast ? 'uvloop + httptools' : 'plain uvicorn (asyncio + h11)';
      procs.push(python);
      await preflight('Python AgentOS', python.url, token);
    } catch (e) {
      pythonReason = (e as Error).message.split('\n')[0] ?? 'start failed';
      log(`Python AgentOS unavailable: ${pythonReason}`);
      if (python) await python.stop();
      python = null;
    }
  }

  const targets: HttpTarget[] = [
    { key: 'rs256', label: 'reference server, RS256 + RBAC', base: rbac.url, token },
    {
      key: 'rs256_nocache',
      label: `reference server, RS256 + RBAC, token cache off, ${ROTATING_TOKENS} distinct tokens`,
      base: nocache.url,
      tokensFile,
    },
    { key: 'auth_off', label: 'reference server, auth off', base: off.url, token },
  ];
  if (python)
    targets.push({
      key: 'python_agentos',
      label: 'Python AgentOS (uvicorn), RS256 + RBAC',
      base: python.url,
      token,
    });

  const rounds: Record<string, LoadResult[]> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      const headers: Record<string, string> = t.token ? { Authorization: `Bearer ${t.token}` } : {};
      const load = {
        url: `${t.base}/agents`,
        headers,
        ...(t.tokensFile ? { tokensFile: t.tokensFile } : {}),
        connections: CONNECTIONS,
      };
      log(
        `round ${round}/${ROUNDS}: ${t.label}: warm-up ${WARMUP} s, then ${DURATION} s at ${CONNECTIONS} connections`,
      );
      await runLoad({ ...load, durationSeconds: WARMUP }, tmp);
      const r = await runLoad({ ...load, durationSeconds: DURATION }, tmp);
      if (r.non_2xx > 0 || r.socket_errors > 0) {
        log(`  ${t.key}: ${r.non_2xx} non-2xx answers, ${r.socket_errors} socket errors`);
      }
      log(`  ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms`);
      rounds[t.key] = [...(rounds[t.key] ?? []), r];
    }
  }
  const best = (key: string) => {
    const rs = rounds[key];
    if (!rs) return null;
    return rs.reduce((a, b) => (b.rps > a.rps ? b : a));
  };
  const rssMb = (p: ServerProcess) => {
    const b = p.rss();
    return b === null ? null : r1(b / 2 ** 20);
  };
  const result = {
    rs256: best('rs256'),
    rs256_nocache: best('rs256_nocache'),
    auth_off: best('auth_off'),
    python_agentos: best('python_agentos'),
    python_reason: pythonReason,
    python_server: pythonHttpLabel,
    rounds,
    rss_after_mb: {
      rs256: rssMb(rbac),
      rs256_nocache: rssMb(nocache),
      auth_off: rssMb(off),
      python_agentos: python ? rssMb(python) : null,
    },
  };
  for (const p of [rbac, nocache, off, python]) if (p) await p.stop();
  return result;
}

// ------------------------------------------------------------------------- database workloads

interface PythonVariant {
  id: string;
  label: string;
  agno: string;
  /** uvicorn's event loop and HTTP parser. */
  fast: boolean;
  workers: number;
}

const CORES = cpus().length;
/** The Python AgentOS as measured: plain uvicorn (as the conformance target runs it) and as deployed (uvloop + httptools, one worker per core). */
const PYTHON_VARIANTS: PythonVariant[] = [
  {
    id: 'python',
    label: 'agno 2.9.0, uvicorn uvloop + httptools, 1 worker',
    agno: '2.9.0',
    fast: true,
    workers: 1,
  },
  {
    id: 'python_plain',
    label: 'agno 2.9.0, plain uvicorn (asyncio + h11), 1 worker',
    agno: '2.9.0',
    fast: false,
    workers: 1,
  },
  {
    id: 'python_workers',
    label: `agno 2.9.0, uvicorn uvloop + httptools, ${CORES} workers`,
    agno: '2.9.0',
    fast: true,
    workers: CORES,
  },
  {
    id: 'python310',
    label: 'agno 3.1.10, uvicorn uvloop + httptools, 1 worker',
    agno: '3.1.10',
    fast: true,
    workers: 1,
  },
  {
    id: 'python310_workers',
    label: `agno 3.1.10, uvicorn uvloop + httptools, ${CORES} workers`,
    agno: '3.1.10',
    fast: true,
    workers: CORES,
  },
];

/** The venv of a Python variant, or why there is none. */
function pythonVenv(v: PythonVariant): { venv: string } | { reason: string } {
  const venv = join(PYTHON_DIR, `.venv-${v.agno}`);
  if (existsSync(join(venv, 'bin/uvicorn'))) return { venv };
  // The conformance target's venv runs agno 2.9.0 on plain uvicorn.
  if (v.agno === '2.9.0' && !v.fast && !pythonTargetProblem())
    return { venv: join(AGNO_TARGET, '2.9.0', '.venv') };
  return { reason: `no ${venv}: run bash bench/python/setup.sh (needs PyPI)` };
}

interface TargetFigures {
  label: string;
  first_start_seconds?: number | null;
  start_seconds: number | null;
  rss_idle_mb: number | null;
  rss_load_mb: number | null;
  workloads: WorkloadResults | null;
  error?: string;
}

const WORKLOAD_KEYS = ['sessions', 'run', 'stream', 'agents'] as const;
type WorkloadKey = (typeof WORKLOAD_KEYS)[number];
/** The figure compared for each workload: req/s, or events/s for the streamed run. */
function workloadFigure(w: WorkloadResults | null | undefined, key: WorkloadKey): number | null {
  if (!w) return null;
  if (key === 'stream') return w.stream && w.stream.errors === 0 ? w.stream.events_per_s : null;
  const r = w[key];
  return r && r.non_2xx === 0 && r.socket_errors === 0 ? r.rps : null;
}

async function workloadSection(tmp: string) {
  const keys = rsaKeyPair();
  const publicPath = join(tmp, 'workloads-public.pem');
  writeFileSync(publicPath, keys.publicPem);
  const userTokens = await workloadTokens(keys.privatePem, USERS);
  const serverEnv = workloadServerEnv(keys.publicPem);
  const common = {
    userTokens,
    tmp,
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    warmupSeconds: WARMUP,
    sessions: SESSIONS,
    log,
  };
  const targets: Record<string, TargetFigures> = {};

  /** Ours: a first start (creates and migrates the database), stopped, then the start measured. */
  async function reference(id: string, label: string, env: Record<string, string>, cwd: string) {
    log(`${label}: first start (creates the database), then a restart`);
    const first = await timedStart(() => startReferenceServer({ env, cwd }));
    await first.proc.stop();
    const { proc, seconds } = await timedStart(() => startReferenceServer({ env, cwd }));
    procs.push(proc);
    try {
      const idle = await idleRss(proc);
      log(`  start ${seconds} s (first start ${first.seconds} s), idle RSS ${idle} MB`);
      const workloads = await runWorkloads({ ...common, base: proc.url, proc });
      targets[id] = {
        label,
        first_start_seconds: first.seconds,
        start_seconds: seconds,
        rss_idle_mb: idle,
        rss_load_mb: workloads.rss_load_mb,
        workloads,
      };
    } finally {
      await proc.stop();
    }
  }

  await reference(
    'reference',
    'reference server, embedded PGlite (./.agentos/data)',
    serverEnv,
    join(tmp, 'wl-pglite'),
  );

  let pg: Awaited<ReturnType<typeof startPrivatePostgres>> | null = null;
  let pgReason = privatePostgresProblem();
  if (!pgReason) {
    try {
      pg = await startPrivatePostgres();
    } catch (e) {
      pgReason = (e as Error).message.split('\n')[0] ?? 'start failed';
    }
  }
  let scaleOut: Record<string, unknown> = { error: pgReason ?? 'not run' };
  if (pg) {
    try {
      pg.createDatabase('bench');
      await reference(
        'reference_postgres',
        'reference server, PostgreSQL (DATABASE_URL)',
        { ...serverEnv, DATABASE_URL: pg.url('bench') },
        join(tmp, 'wl-postgres'),
      );
      pg.createDatabase('scale');
      scaleOut = await scaleOutSection({ ...serverEnv, DATABASE_URL: pg.url('scale') }, userTokens, tmp);
    } catch (e) {
      log(`PostgreSQL workloads failed: ${(e as Error).message}`);
      targets.reference_postgres ??= {
        label: 'reference server, PostgreSQL',
        start_seconds: null,
        rss_idle_mb: null,
        rss_load_mb: null,
        workloads: null,
        error: (e as Error).message.split('\n')[0],
      };
    } finally {
      pg.destroy();
    }
  }

  const skipPython = env.BENCH_SKIP_PYTHON === '1';
  for (const v of PYTHON_VARIANTS) {
    if (PYTHON_ONLY && !PYTHON_ONLY.includes(v.id)) continue;
    const venv = skipPython ? { reason: 'skipped (BENCH_SKIP_PYTHON=1)' } : pythonVenv(v);
    const figures: TargetFigures = {
      label: `Python AgentOS, ${v.label}`,
      start_seconds: null,
      rss_idle_mb: null,
      rss_load_mb: null,
      workloads: null,
    };
    targets[v.id] = figures;
    if ('reason' in venv) {
      figures.error = venv.reason;
      continue;
    }
    log(`Python AgentOS, ${v.label}`);
    let proc: ServerProcess | null = null;
    try {
      const started = await timedStart(() =>
        startPythonAgentOS({
          publicPemPath: publicPath,
          audience: AUDIENCE,
          dbFile: join(tmp, `wl-${v.id}.db`),
          venv: venv.venv,
          uvicornArgs: [
            ...(v.fast
              ? ['--loop', 'uvloop', '--http', 'httptools']
              : ['--loop', 'asyncio', '--http', 'h11']),
            ...(v.workers > 1 ? ['--workers', String(v.workers)] : []),
          ],
        }),
      );
      proc = started.proc;
      procs.push(proc);
      await preflight(figures.label, proc.url, userTokens[0]!);
      figures.start_seconds = started.seconds;
      figures.rss_idle_mb = await idleRss(proc);
      log(`  start ${started.seconds} s, idle RSS ${figures.rss_idle_mb} MB`);
      figures.workloads = await runWorkloads({ ...common, base: proc.url, proc });
      figures.rss_load_mb = figures.workloads.rss_load_mb;
    } catch (e) {
      figures.error = (e as Error).message.split('\n')[0];
      log(`  failed: ${figures.error}`);
    } finally {
      await proc?.stop();
    }
  }

  // Ratios: ours (one process, embedded default) ÷ each Python variant, per workload.
  const ratios: Record<string, Record<WorkloadKey, number | null>> = {};
  const ours = targets.reference?.workloads;
  for (const v of PYTHON_VARIANTS) {
    const theirs = targets[v.id]?.workloads;
    ratios[v.id] = Object.fromEntries(
      WORKLOAD_KEYS.map((k) => {
        const a = workloadFigure(ours, k);
        const b = workloadFigure(theirs, k);
        return [k, a !== null && b !== null && b > 0 ? r2(a / b) : null];
      }),
    ) as Record<WorkloadKey, number | null>;
  }
  return { targets, ratios, scale_out: scaleOut, users: USERS, sessions: SESSIONS };
}

/**
 * Two reference servers on one PostgreSQL behind a loopback round-robin: writes (sessions created
 * through the API, each acknowledged id then looked up through the other instance) and
 * `GET /sessions`, through the round-robin with one backend, then with two.
 */
async function scaleOutSection(serverEnv: Record<string, string>, userTokens: string[], tmp: string) {
  log('scale-out: two reference servers on one PostgreSQL behind a loopback round-robin');
  const a = await startReferenceServer({ env: serverEnv, cwd: join(tmp, 'scale-a') });
  procs.push(a);
  const b = await startReferenceServer({ env: serverEnv, cwd: join(tmp, 'scale-b') });
  procs.push(b);
  const tokensFile = join(tmp, 'scale-users.txt');
  writeFileSync(tokensFile, `${userTokens.join('\n')}\n`);
  const result: Record<string, unknown> = { instances_cores: CORES };
  try {
    for (const backends of [[a], [a, b]]) {
      const n = backends.length;
      const rr = await startRoundRobin(backends.map((p) => p.url));
      try {
        const seeded = await seedSessions(rr.url, userTokens, SESSIONS, CONNECTIONS);
        // Every acknowledged write, read back through an instance (the other one, with two).
        const check = await lostWrites((n === 2 ? b : a).url, userTokens, seeded.acked);
        const load = { url: `${rr.url}/sessions?type=agent`, tokensFile, connections: CONNECTIONS };
        if (WARMUP > 0) await runLoad({ ...load, durationSeconds: WARMUP }, tmp);
        const list = await runLoad({ ...load, durationSeconds: DURATION }, tmp);
        log(
          `  ${n} instance(s): ${seeded.writes_per_s} writes/s (${seeded.acknowledged} acknowledged, ${seeded.failed} failed, ${check.lost} lost); GET /sessions ${list.rps} req/s`,
        );
        result[`instances_${n}`] = {
          writes_per_s: seeded.writes_per_s,
          acknowledged: seeded.acknowledged,
          failed: seeded.failed,
          lost_writes: check.lost,
          sessions_rps: list.non_2xx + list.socket_errors === 0 ? list.rps : null,
          sessions: list,
        };
      } finally {
        await rr.stop();
      }
    }
  } finally {
    await a.stop();
    await b.stop();
  }
  const one = result.instances_1 as {
    writes_per_s: number;
    sessions_rps: number | null;
    lost_writes: number;
  };
  const two = result.instances_2 as {
    writes_per_s: number;
    sessions_rps: number | null;
    lost_writes: number;
  };
  result.writes_2_vs_1 = one.writes_per_s > 0 ? r2(two.writes_per_s / one.writes_per_s) : null;
  result.sessions_2_vs_1 =
    one.sessions_rps && two.sessions_rps ? r2(two.sessions_rps / one.sessions_rps) : null;
  result.lost_writes = one.lost_writes + two.lost_writes;
  return result;
}

async function decisionSection() {
  const r = await run(process.execPath, ['--import', 'tsx', 'bench/decision.ts'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`bench/decision.ts exited ${r.code}: ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown> & {
    decision_ns: number;
    glob_scan_ns: number;
  };
}

async function conformanceSection(tmp: string) {
  const keys = rsaKeyPair();
  const privatePath = join(tmp, 'conformance-private.pem');
  writeFileSync(privatePath, keys.privatePem);
  const server = await startReferenceServer({
    env: {
      AUTHORIZATION_ENABLED: 'true',
      JWT_VERIFICATION_KEY: keys.publicPem,
      JWT_VERIFY_AUDIENCE: 'true',
      JWT_AUDIENCE: AUDIENCE,
      AGENTOS_USER_ISOLATION: 'true',
    },
    cwd: join(tmp, 'conformance'),
  });
  procs.push(server);
  const report = join(tmp, 'conformance-report.json');
  try {
    const r = await run(
      process.execPath,
      [
        'conformance/bin/agentos-conformance.js',
        '--base-url',
        server.url,
        '--signing-key',
        privatePath,
        '--alg',
        'RS256',
        '--audience',
        AUDIENCE,
        '--user-isolation',
        '--config',
        join(AGNO_TARGET, '2.9.0', 'conformance.yaml'),
        '--report',
        `json:${report}`,
      ],
      { env: { CI: '1', NO_COLOR: '1' }, timeoutMs: 600_000 },
    );
    const doc = JSON.parse(readFileSync(report, 'utf8')) as {
      summary: {
        requests: number;
        wallMs: number;
        requestsPerSecond: number;
        pass: number;
        fail: number;
        mustFailures: number;
        shouldFailures: number;
        cases: number;
        exitCode: number;
        failuresByProbe: Record<string, number>;
      };
    };
    const s = doc.summary;
    return {
      seconds: r2(r.seconds),
      suite_seconds: r2(s.wallMs / 1000),
      requests: s.requests,
      rps: s.requestsPerSecond,
      checks: s.cases,
      passed: s.pass,
      failed: s.fail,
      must_failures: s.mustFailures,
      should_failures: s.shouldFailures,
      failures_by_probe: s.failuresByProbe,
      exit_code: r.code,
      summary_line: r.stdout.trim().split('\n').pop() ?? '',
    };
  } finally {
    await server.stop();
  }
}

async function generatorSection() {
  const r = await run(process.execPath, ['scripts/generate.mjs', '--check'], { timeoutMs: 300_000 });
  const loadMs = Number(/\(load (\d+) ms\)/.exec(r.stdout)?.[1] ?? Number.NaN);
  const targets: Record<string, number> = {};
  for (const m of r.stdout.matchAll(/^\s+(\w+)\s+\d+ files\s+(\d+) ms/gm)) targets[m[1]!] = Number(m[2]);
  return {
    seconds: r2(r.seconds),
    load_ms: Number.isFinite(loadMs) ? loadMs : null,
    targets_ms: targets,
    up_to_date: r.code === 0,
    exit_code: r.code,
  };
}

async function sdkSection() {
  const r = await run(process.execPath, ['scripts/size.mjs', '--json'], {
    cwd: join(ROOT, 'sdk'),
    timeoutMs: 120_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const sizes = JSON.parse(line) as {
    budget: number;
    index: { raw: number; min: number; gzip: number };
    mocks?: { raw: number; min: number; gzip: number };
  };
  return sizes;
}

/** Sections to run (BENCH_ONLY=http,workloads,decision,conformance,generator,sdk; default all), for development. */
const ONLY = env.BENCH_ONLY?.split(',').map((x) => x.trim());

async function section<T>(
  name: string,
  fn: () => Promise<T>,
  id?: string,
): Promise<{ value: T | null; error: string | null }> {
  if (ONLY && id && !ONLY.includes(id))
    return { value: null, error: `skipped (BENCH_ONLY=${ONLY.join(',')})` };
  log(`--- ${name}`);
  try {
    return { value: await fn(), error: null };
  } catch (e) {
    const msg = (e as Error).message;
    log(`${name} failed: ${msg}`);
    return { value: null, error: msg.split('\n').slice(0, 3).join(' ') };
  }
}

/** Python, agno and uvicorn versions of the agno 2.9.0 venv the HTTP section ran (the benchmark's, else the conformance target's). */
function pythonVersions(): { python: string | null; agno: string | null; uvicorn: string | null } {
  const candidates = [
    { cfg: join(PYTHON_DIR, '.venv-2.9.0/pyvenv.cfg'), req: join(PYTHON_DIR, 'requirements-2.9.0.txt') },
    {
      cfg: join(AGNO_TARGET, '2.9.0', '.venv/pyvenv.cfg'),
      req: join(AGNO_TARGET, '2.9.0', 'requirements.txt'),
    },
  ];
  for (const { cfg, req } of candidates) {
    try {
      const py = /version(?:_info)?\s*=\s*(\S+)/.exec(readFileSync(cfg, 'utf8'))?.[1] ?? null;
      const pins = readFileSync(req, 'utf8');
      return {
        python: py,
        agno: /^agno==(\S+)/m.exec(pins)?.[1] ?? null,
        uvicorn: /^uvicorn==(\S+)/m.exec(pins)?.[1] ?? null,
      };
    } catch {
      // not set up: the next candidate
    }
  }
  return { python: null, agno: null, uvicorn: null };
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  const tmp = tempDir();
  const wrk = wrkPath();
  log(
    `load generator: ${wrk ? wrkVersion(wrk) : 'node:http (wrk not installed: bash scripts/ci-bench-deps.sh)'}`,
  );

  // Every reference server of the run starts from the compiled bundle (server/dist), as `npm start` does.
  const built = await section('build server/dist', () => buildServer());
  process.env.BENCH_REQUIRE_DIST = '1';
  const http = await section('HTTP: GET /agents', () => httpSection(tmp.dir), 'http');
  const workloads = await section(
    'database workloads, cost, scale-out',
    () => workloadSection(tmp.dir),
    'workloads',
  );
  const decision = await section('route+scope decision', decisionSection, 'decision');
  const conformance = await section('conformance suite', () => conformanceSection(tmp.dir), 'conformance');
  const generator = await section('generator', generatorSection, 'generator');
  const sdk = await section('SDK size', sdkSection, 'sdk');
  tmp.cleanup();

  const h = http.value;
  const ratio = (a: LoadResult | null | undefined, b: LoadResult | null | undefined) =>
    a && b && b.rps > 0 ? r2(a.rps / b.rps) : null;
  const cpu = cpus();
  const results = {
    rs256_vs_auth_off: ratio(h?.rs256, h?.auth_off),
    rs256_nocache_vs_auth_off: ratio(h?.rs256_nocache, h?.auth_off),
    vs_python_agentos: ratio(h?.rs256, h?.python_agentos),
    vs_python_agentos_nocache: ratio(h?.rs256_nocache, h?.python_agentos),
    vs_python_agentos_target: GET_AGENTS_GOAL,
    vs_python_agentos_reason: h ? (h.python_agentos ? null : h.python_reason) : http.error,
    token_cache: {
      present: true,
      note: `server/src/auth/token-cache.ts: verified tokens reused for tokenCacheSeconds (default 60 s, exp checked on every hit), at most ${TOKEN_CACHE_ENTRIES} entries. rs256 sends one token (cache hits); rs256_nocache runs a server with JWT_CACHE_SECONDS=0 and ${ROTATING_TOKENS} distinct tokens round-robin (a signature check per request).`,
    },
    ...costAndWorkloadKeys(workloads.value),
    decision_ns: decision.value?.decision_ns ?? null,
    glob_scan_ns: decision.value?.glob_scan_ns ?? null,
    conformance_seconds: conformance.value?.seconds ?? null,
    conformance_rps: conformance.value?.rps ?? null,
    generator_seconds: generator.value?.seconds ?? null,
    sdk_gzip_bytes: sdk.value?.index.gzip ?? null,
    http: h
      ? {
          endpoint: 'GET /agents',
          token: 'RS256, claims {sub, aud, iat, exp, scopes: ["agents:read"]} (conformance token factory)',
          connections: CONNECTIONS,
          duration_s: DURATION,
          warmup_s: WARMUP,
          rounds: ROUNDS,
          rs256: h.rs256,
          rs256_nocache: h.rs256_nocache,
          auth_off: h.auth_off,
          python_agentos: h.python_agentos,
          python_server: h.python_server,
          all_rounds: h.rounds,
          rss_after_mb: h.rss_after_mb,
        }
      : { error: http.error },
    workloads: workloads.value ?? { error: workloads.error },
    build: built.value ?? { error: built.error },
    decision: decision.value ?? { error: decision.error },
    conformance: conformance.value ?? { error: conformance.error },
    generator: generator.value ?? { error: generator.error },
    sdk: sdk.value ?? { error: sdk.error },
    machine: {
      cores: cpu.length,
      cpu: cpu[0]?.model ?? null,
      memory_gb: r1(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      date: started.toISOString(),
      load_average_start: load0.map(r2),
      load_average_end: loadavg().map(r2),
      load_generator: wrk ? `${wrkVersion(wrk)} (-t1)` : `node:http ${process.version}`,
      python_target: pythonVersions(),
      wall_seconds: Math.round((Date.now() - started.getTime()) / 1000),
    },
  };
  const withGoals = { ...results, goals: goals(results) };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(withGoals, null, 2)}\n`);
  const md = renderMarkdown(withGoals);
  writeFileSync(join(OUT, 'RESULTS.md'), md);
  process.stdout.write(`${md}\n`);
  log(`wrote ${join(OUT, 'results.json')} and ${join(OUT, 'RESULTS.md')}`);
  if (OUT === DEFAULT_OUT) {
    updateReadme(summaryTable(withGoals as unknown as Results));
    log('updated the results table of README.md');
  }
}

/** Issue 18's ratio goal for the authorized `GET /agents` (ours ÷ the Python AgentOS). */
const GET_AGENTS_GOAL = 10;

/** One goal of issue 18: its figure from this run, and whether it is met (null: not measured). */
export interface Goal {
  goal: string;
  target: string;
  value: number | null;
  met: boolean | null;
}

/**
 * Issue 18's goals, judged from this run's figures: cost (start, idle and loaded RSS) on the
 * embedded default and on PostgreSQL; the workloads ÷ the Python AgentOS as its users deploy it
 * (uvicorn with uvloop + httptools, one process each), agno 2.9.0 and 3.1.10; the auth overhead;
 * the decision; no write lost when scaled out.
 */
function goals(r: Record<string, unknown>): Goal[] {
  const at = (key: string, sub?: string): number | null => {
    const v = sub === undefined ? r[key] : (r[key] as Record<string, unknown> | undefined)?.[sub];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const atMost = (goal: string, value: number | null, limit: number, unit: string): Goal => ({
    goal,
    target: `≤ ${limit}${unit}`,
    value,
    met: value === null ? null : value <= limit,
  });
  const atLeast = (goal: string, value: number | null, floor: number, unit: string): Goal => ({
    goal,
    target: `≥ ${floor}${unit}`,
    value,
    met: value === null ? null : value >= floor,
  });
  const list: Goal[] = [];
  for (const [id, name] of [
    ['reference', 'PGlite'],
    ['reference_postgres', 'PostgreSQL'],
  ] as const) {
    list.push(atMost(`start to first /health 200 (${name})`, at('start_seconds', id), 1, ' s'));
    list.push(atMost(`first start, creating the database (${name})`, at('first_start_seconds', id), 1, ' s'));
    list.push(atMost(`RSS idle (${name})`, at('rss_idle_mb', id), 120, ' MB'));
    list.push(atMost(`RSS under the benchmark load (${name})`, at('rss_load_mb', id), 200, ' MB'));
  }
  const workloads = [
    ['sessions', '`GET /sessions`', 5],
    ['run', 'non-streamed run', 5],
    ['stream', 'streamed run (events/s)', 5],
    ['agents', '`GET /agents`', GET_AGENTS_GOAL],
  ] as const;
  for (const [variant, name] of [
    ['python', 'agno 2.9.0'],
    ['python310', 'agno 3.1.10'],
  ] as const) {
    for (const [w, label, floor] of workloads)
      list.push(
        atLeast(
          `${label}, ours (PGlite) ÷ ${name} (uvloop + httptools, 1 worker)`,
          at(`vs_${variant}_${w}`),
          floor,
          '×',
        ),
      );
  }
  list.push(atLeast('RS256 ÷ auth off, token cache on', at('rs256_vs_auth_off'), 0.92, ''));
  list.push(
    atLeast(
      'RS256 ÷ auth off, token cache off (a signature check per request)',
      at('rs256_nocache_vs_auth_off'),
      0.8,
      '',
    ),
  );
  list.push(atMost('route + scope decision', at('decision_ns'), 300, ' ns'));
  list.push(
    atMost('acknowledged writes lost, two instances on one PostgreSQL', at('scale_out_lost_writes'), 0, ''),
  );
  return list;
}

/** One line for the README: how many goals this run met, and the missed ones with their figure. */
function goalsLine(list: readonly Goal[]): string {
  const judged = list.filter((g) => g.met !== null);
  const missed = judged.filter((g) => !g.met);
  return `Goals of issue 18 met in this run: **${judged.length - missed.length} of ${judged.length}**${
    missed.length ? `; missed: ${missed.map((g) => `${g.goal} ${g.value} (${g.target})`).join('; ')}` : ''
  }${list.length > judged.length ? `; ${list.length - judged.length} not measured` : ''}.`;
}

/** The goals as a Markdown table. */
function goalsTable(list: readonly Goal[]): string[] {
  const mark = (g: Goal) => (g.met === null ? '— (not measured)' : g.met ? 'met' : '**missed**');
  return [
    '| goal | target | this run | |',
    '|---|---:|---:|---|',
    ...list.map((g) => `| ${g.goal} | ${g.target} | ${g.value ?? '—'} | ${mark(g)} |`),
  ];
}

/**
 * The flat keys of the cost and workload figures: `start_seconds`, `rss_idle_mb`, `rss_load_mb` by
 * target; `vs_python_<workload>` (ours ÷ the Python AgentOS 2.9.0 on uvloop + httptools, one
 * process each), `vs_<variant>_<workload>` for the other Python variants; the scale-out figures.
 */
function costAndWorkloadKeys(w: Awaited<ReturnType<typeof workloadSection>> | null) {
  if (!w) return {};
  const by = (f: (t: TargetFigures) => number | null | undefined) =>
    Object.fromEntries(Object.entries(w.targets).map(([id, t]) => [id, f(t) ?? null]));
  const keys: Record<string, unknown> = {
    start_seconds: by((t) => t.start_seconds),
    first_start_seconds: Object.fromEntries(
      Object.entries(w.targets)
        .filter(([, t]) => t.first_start_seconds !== undefined)
        .map(([id, t]) => [id, t.first_start_seconds ?? null]),
    ),
    rss_idle_mb: by((t) => t.rss_idle_mb),
    rss_load_mb: by((t) => t.rss_load_mb),
  };
  for (const [variant, ratios] of Object.entries(w.ratios)) {
    for (const [workload, ratio] of Object.entries(ratios)) {
      keys[`vs_${variant}_${workload}`] = ratio;
    }
  }
  const s = w.scale_out as Record<string, unknown>;
  keys.scale_out_writes_2_vs_1 = s.writes_2_vs_1 ?? null;
  keys.scale_out_sessions_2_vs_1 = s.sessions_2_vs_1 ?? null;
  keys.scale_out_lost_writes = s.lost_writes ?? null;
  return keys;
}

type Results = Record<string, unknown> & {
  http: Record<string, unknown>;
  machine: Record<string, unknown> & { python_target: Record<string, string | null> };
};

const README_START = '<!-- bench-results:start (written by npm run bench) -->';
const README_END = '<!-- bench-results:end -->';

/** The README's table: the headline figure of each measure, from the same run. */
function summaryTable(r: Results): string {
  const h = r.http as {
    rs256?: LoadResult | null;
    rs256_nocache?: LoadResult | null;
    python_agentos?: LoadResult | null;
  };
  const m = r.machine as Record<string, unknown>;
  const v = (x: unknown, unit = '') => (x === null || x === undefined ? '—' : `${x}${unit}`);
  const rps = (x: LoadResult | null | undefined) => (x ? x.rps.toLocaleString('en-US') : '—');
  return [
    '| measure | result |',
    '|---|---:|',
    `| authorized \`GET /agents\` (RS256), reference server ÷ Python AgentOS | **${v(r.vs_python_agentos, '×')}** (${rps(h.rs256)} vs ${rps(h.python_agentos)} req/s) |`,
    `| … uncached (token cache off, distinct tokens) | ${v(r.vs_python_agentos_nocache, '×')} (${rps(h.rs256_nocache)} req/s) |`,
    `| RS256 ÷ auth off (cached / uncached) | ${v(r.rs256_vs_auth_off)} / ${v(r.rs256_nocache_vs_auth_off)} |`,
    ...workloadSummaryRows(r),
    `| route + scope decision vs a linear fnmatch scan | ${v(r.decision_ns, ' ns')} vs ${v(r.glob_scan_ns, ' ns')} |`,
    `| conformance suite against the reference server | ${v(r.conformance_seconds, ' s')}, ${v(r.conformance_rps)} req/s |`,
    `| generator, whole spec | ${v(r.generator_seconds, ' s')} |`,
    `| SDK runtime, min+gzip | ${v(r.sdk_gzip_bytes, ' B')} |`,
    '',
    goalsLine((r.goals as Goal[] | undefined) ?? []),
    '',
    `${v(m.cores)} cores, Node ${v(m.node)}, ${String(m.date ?? '').slice(0, 10)}; details and method in [bench/RESULTS.md](bench/RESULTS.md).`,
  ].join('\n');
}

/** The README rows of the cost and database workload figures. */
function workloadSummaryRows(r: Results): string[] {
  const w = r.workloads as { targets?: Record<string, TargetFigures> } | undefined;
  const t = w?.targets;
  if (!t) return [];
  const v = (x: unknown, unit = '') => (x === null || x === undefined ? '—' : `${x}${unit}`);
  const ours = t.reference;
  const pg = t.reference_postgres;
  const py = t.python;
  const rows = [
    `| start to first \`/health\` 200: reference server (PGlite / PostgreSQL) vs Python AgentOS 2.9.0 | ${v(ours?.start_seconds, ' s')} / ${v(pg?.start_seconds, ' s')} vs ${v(py?.start_seconds, ' s')} (first start, creating the PGlite database: ${v(ours?.first_start_seconds, ' s')}) |`,
    `| RSS idle / under load: reference server, PGlite | ${v(ours?.rss_idle_mb, ' MB')} / ${v(ours?.rss_load_mb, ' MB')} |`,
    `| … reference server, PostgreSQL | ${v(pg?.rss_idle_mb, ' MB')} / ${v(pg?.rss_load_mb, ' MB')} |`,
    `| … Python AgentOS 2.9.0 (1 worker) | ${v(py?.rss_idle_mb, ' MB')} / ${v(py?.rss_load_mb, ' MB')} |`,
  ];
  const names: Record<string, string> = {
    sessions: '`GET /sessions` (user isolation, 1,000 sessions of 10 users)',
    run: '`POST /agents/{id}/runs`, `stream=false`, offline model',
    stream: 'streamed run, events/s',
    agents: '`GET /agents`',
  };
  for (const [k, name] of Object.entries(names)) {
    rows.push(
      `| ${name}: reference server (PGlite, 1 process) ÷ Python AgentOS 2.9.0 uvloop+httptools 1 worker / plain uvicorn / ${String((r.machine as Record<string, unknown>).cores)} workers / 3.1.10 | **${v(r[`vs_python_${k}`], '×')}** / ${v(r[`vs_python_plain_${k}`], '×')} / ${v(r[`vs_python_workers_${k}`], '×')} / ${v(r[`vs_python310_${k}`], '×')} |`,
    );
  }
  rows.push(
    `| two instances on one PostgreSQL ÷ one (writes / \`GET /sessions\`), lost writes | ${v(r.scale_out_writes_2_vs_1, '×')} / ${v(r.scale_out_sessions_2_vs_1, '×')}, ${v(r.scale_out_lost_writes)} lost |`,
  );
  return rows;
}

/** Replaces the table between the README's markers (left alone when the markers are missing). */
function updateReadme(table: string): void {
  const path = join(ROOT, 'README.md');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) {
    log('README.md has no bench-results markers: not updated');
    return;
  }
  writeFileSync(path, `${text.slice(0, start + README_START.length)}\n${table}\n${text.slice(end)}`);
}

/** RESULTS.md: cost, database workloads and scale-out. */
function workloadMarkdown(r: Results): string[] {
  const w = r.workloads as
    | { targets?: Record<string, TargetFigures>; scale_out?: Record<string, unknown>; error?: string }
    | undefined;
  if (!w?.targets)
    return ['## Cost and database workloads', '', `Not measured: ${w?.error ?? 'no result'}.`, ''];
  const fmt = (x: unknown) => (x === null || x === undefined ? '—' : String(x));
  const lr = (x: LoadResult | null | undefined) =>
    x
      ? `${x.rps.toLocaleString('en-US')}${x.non_2xx + x.socket_errors ? ` (${x.non_2xx + x.socket_errors} errors)` : ''}`
      : '—';
  const lines = [
    `## Cost and database workloads (${fmt((r.workloads as Record<string, unknown>).sessions)} sessions of ${fmt((r.workloads as Record<string, unknown>).users)} users seeded through the API; RS256 tokens, user isolation on)`,
    '',
    '| target | start s | first start s | RSS idle MB | RSS load MB | seed writes/s | `GET /sessions` req/s | run req/s | streamed: runs/s, events/s, first event p50 ms | `GET /agents` req/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const t of Object.values(w.targets)) {
    const x = t.workloads;
    const s = x?.stream;
    lines.push(
      `| ${t.label}${t.error ? ` (${t.error})` : ''} | ${fmt(t.start_seconds)} | ${fmt(t.first_start_seconds)} | ${fmt(t.rss_idle_mb)} | ${fmt(t.rss_load_mb)} | ${fmt(x?.seed.writes_per_s)}${x?.seed.lost ? ` (${x.seed.lost} lost)` : ''} | ${lr(x?.sessions)} | ${lr(x?.run)} | ${s ? `${s.runs_per_s}, ${s.events_per_s}, ${s.first_event_ms.p50}${s.errors ? ` (${s.errors} errors)` : ''}` : '—'} | ${lr(x?.agents)} |`,
    );
  }
  lines.push(
    '',
    '| ours ÷ Python | `GET /sessions` | run | streamed (events/s) | `GET /agents` |',
    '|---|---:|---:|---:|---:|',
  );
  for (const [id, label] of [
    ['python', 'agno 2.9.0, uvloop + httptools, 1 worker (like for like: one process each)'],
    ['python_plain', 'agno 2.9.0, plain uvicorn, 1 worker'],
    ['python_workers', `agno 2.9.0, uvloop + httptools, one worker per core (ours: one process)`],
    ['python310', 'agno 3.1.10, uvloop + httptools, 1 worker'],
    ['python310_workers', 'agno 3.1.10, uvloop + httptools, one worker per core'],
  ] as const) {
    const k = (x: string) => fmt(r[`vs_${id}_${x}`]);
    lines.push(`| ${label} | ${k('sessions')} | ${k('run')} | ${k('stream')} | ${k('agents')} |`);
  }
  const so = w.scale_out ?? {};
  const one = so.instances_1 as Record<string, unknown> | undefined;
  const two = so.instances_2 as Record<string, unknown> | undefined;
  lines.push(
    '',
    `Scale-out (two reference servers on one PostgreSQL behind a loopback TCP round-robin, \`bench/rr-proxy.mjs\`): writes ${fmt(one?.writes_per_s)} → ${fmt(two?.writes_per_s)}/s (${fmt(so.writes_2_vs_1)}×), \`GET /sessions\` ${fmt(one?.sessions_rps)} → ${fmt(two?.sessions_rps)} req/s (${fmt(so.sessions_2_vs_1)}×), ${fmt(so.lost_writes)} acknowledged writes lost (each read back through the other instance)${so.error ? ` — ${fmt(so.error)}` : ''}.`,
    '',
    '- Start: from spawning the process to the first `/health` 200. The reference server restarts on a database it created in a first start (reported beside it); the Python AgentOS creates its SQLite file. RSS: the process and its children (uvicorn workers), 2 s after start and the peak sampled every 200 ms under the workloads.',
    "- Workloads: seeding (`POST /sessions`, 8 at a time, every acknowledged id read back), then `GET /sessions?type=agent` with the 10 users' tokens round-robin (wrk), `POST /agents/research-agent/runs` form `message=hello&stream=false` (wrk, at most 8 connections), the same with `stream=true` read as SSE by a node:http client (at most 8 connections), `GET /agents` (wrk); each after a warm-up.",
    '- The reference server runs as one process (one event loop; PGlite is single-process, several instances need PostgreSQL): its ratios against one uvicorn worker are like for like; against one worker per core they are not (see scale-out for two instances).',
    '',
  );
  return lines;
}

function renderMarkdown(r: Results): string {
  const http = r.http as {
    rs256?: LoadResult | null;
    rs256_nocache?: LoadResult | null;
    auth_off?: LoadResult | null;
    python_agentos?: LoadResult | null;
    python_server?: string | null;
    connections?: number;
    duration_s?: number;
    warmup_s?: number;
    rounds?: number;
    error?: string;
  };
  const m = r.machine as Record<string, unknown>;
  const py = m.python_target as Record<string, string | null>;
  const row = (name: string, x: LoadResult | null | undefined, note = '') =>
    x
      ? `| ${name} | ${x.rps.toLocaleString('en-US')} | ${x.latency_ms.p50} | ${x.latency_ms.p99} | ${x.non_2xx + x.socket_errors} |${note ? ` ${note}` : ''}`
      : `| ${name} | — | — | — | — |${note ? ` ${note}` : ''}`;
  const d = r.decision as Record<string, number | string[] | string>;
  const c = r.conformance as Record<string, unknown>;
  const g = r.generator as Record<string, unknown>;
  const s = r.sdk as { budget?: number; index?: { raw: number; min: number; gzip: number }; error?: string };
  const fmt = (v: unknown) => (v === null || v === undefined ? '—' : String(v));
  const lines = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` (\`bench/run.ts\`) on ${fmt(m.date)}: ${fmt(m.cores)} cores (${fmt(m.cpu)}), ` +
      `Node ${fmt(m.node)}, load generator ${fmt(m.load_generator)}; load average ${JSON.stringify(m.load_average_start)} at start ` +
      `(absolute figures vary with the machine and its load; the ratios are measured side by side in the same run).`,
    '',
    '## Goals (issue 18), judged from this run',
    '',
    ...goalsTable((r.goals as Goal[] | undefined) ?? []),
    '',
    'Where the time and memory go, measured by profiling: [bench/PROFILE.md](PROFILE.md).',
    '',
    `## GET /agents, authorized (RS256 bearer token, ${fmt(http.connections)} connections, ${fmt(http.warmup_s)} s warm-up + ${fmt(http.duration_s)} s, best of ${fmt(http.rounds)} alternating rounds)`,
    '',
    '| target | req/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|',
    row('reference server, RS256 + RBAC', http.rs256),
    row(
      `reference server, RS256 + RBAC, uncached (token cache off, ${ROTATING_TOKENS} distinct tokens)`,
      http.rs256_nocache,
    ),
    row('reference server, auth off', http.auth_off),
    row(
      `Python AgentOS ${fmt(py.agno)} (uvicorn ${fmt(py.uvicorn)}, ${fmt(http.python_server)}, Python ${fmt(py.python)}), RS256 + RBAC`,
      http.python_agentos,
    ),
    '',
    `- RS256 ÷ auth off: **${fmt(r.rs256_vs_auth_off)}** (uncached: **${fmt(r.rs256_nocache_vs_auth_off)}**). Cached: one token, its verification reused (\`auth/token-cache.ts\`, exp checked on every hit); uncached: the cache off and a different token on each request, so every request checks an RS256 signature.`,
    `- Reference server ÷ Python AgentOS: **${fmt(r.vs_python_agentos)}×** (target ≥ ${GET_AGENTS_GOAL}×; uncached ${fmt(r.vs_python_agentos_nocache)}×)${r.vs_python_agentos_reason ? ` — ${fmt(r.vs_python_agentos_reason)}` : ''}.`,
    '',
    ...workloadMarkdown(r),
    '## Route + scope decision (ns per decision, median of interleaved samples)',
    '',
    '| algorithm | ns |',
    '|---|---:|',
    `| \`@agentos/core\`: compileRoutes trie match + decide, grants compiled once per token | ${fmt(d.decision_ns)} |`,
    `| same, compiling the grants on every decision | ${fmt(d.decision_with_grant_compile_ns)} |`,
    `| Python AgentOS algorithm (scopes.py check_route_scopes: fnmatch scan over ${fmt(d.patterns)} patterns, first match wins, then the scope check) | ${fmt(d.glob_scan_ns)} |`,
    '',
    `Workload: the ${fmt(d.operations)} operations × 3 callers (${fmt(d.decisions_per_pass)} decisions per pass); the scan visits ${fmt(d.mean_entries_scanned)} entries on average. ` +
      `Both algorithms run in V8 (the Python one reproduced in \`bench/glob-scan.ts\`, fnmatch semantics checked against CPython), so the ratio (${fmt(d.speedup)}×) is the algorithm, not the interpreter. ` +
      `They agree on ${fmt(d.agreement)} of ${fmt(d.decisions_per_pass)} decisions.`,
    '',
    '## Conformance suite, generator, SDK',
    '',
    '| measure | value |',
    '|---|---:|',
    `| \`agentos-conformance\` against the reference server: wall time (process) | ${fmt(c.seconds)} s |`,
    `| … suite time / requests / req/s | ${fmt(c.suite_seconds)} s / ${fmt(c.requests)} / ${fmt(c.rps)} |`,
    `| … checks passed / failed (MUST, SHOULD) | ${fmt(c.passed)} / ${fmt(c.failed)} (${fmt(c.must_failures)}, ${fmt(c.should_failures)}) |`,
    `| generator: \`node scripts/generate.mjs --check\` wall time | ${fmt(g.seconds)} s |`,
    `| … of which spec load / targets | ${fmt(g.load_ms)} ms / ${fmt(JSON.stringify(g.targets_ms ?? {}))} |`,
    `| SDK runtime (\`@agentos/sdk\`, min+gzip; raw / min) | ${fmt(s.index?.gzip)} B (${fmt(s.index?.raw)} / ${fmt(s.index?.min)} B; budget ${fmt(s.budget)} B) |`,
    '',
    '## Method',
    '',
    '- Every server is a separate process started from its published entry point (`server/bin/agentos-server.js` with env + config file; `uvicorn app:app` from `conformance/targets/agno` with `--log-level warning`, one worker, as `run.sh` starts it), on 127.0.0.1; the load generator is a third process.',
    '- Same key pair, same token (`sub`, `aud`, `iat`, `exp`, `scopes`), same entities (2 agents, 1 team, 1 workflow), same configuration (authorization, RS256, audience check, user isolation), each on its default embedded database (reference server: PGlite data directory in its working directory; Python: the SQLite file of `app.py`). Both servers log at warning level.',
    '- Each measurement is preceded by a warm-up of the same load; every response is counted, and a run with non-2xx answers is flagged in the errors column.',
    '- The Python target runs uvicorn as pinned in `conformance/targets/agno/requirements.txt` (pure-Python h11 HTTP parser, asyncio loop: no `uvloop`/`httptools`).',
    '',
  ];
  return lines.join('\n');
}

await main();
