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
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createTokenFactory } from '@agentos/conformance';
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

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Math.max(1, Math.min(5, Number(env.BENCH_ROUNDS ?? 2)));
const DEFAULT_OUT = join(ROOT, 'bench');
const OUT = env.BENCH_OUT ?? DEFAULT_OUT;
const AUDIENCE = 'agentos-conformance';
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
  if (env.BENCH_SKIP_PYTHON === '1') pythonReason = 'skipped (BENCH_SKIP_PYTHON=1)';
  else pythonReason = pythonTargetProblem();
  if (!pythonReason) {
    try {
      log('starting the Python AgentOS (conformance/targets/agno/app.py under uvicorn)');
      python = await startPythonAgentOS({
        publicPemPath: publicPath,
        audience: AUDIENCE,
        dbFile: join(tmp, 'agno.db'),
      });
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
        join(AGNO_TARGET, 'conformance.yaml'),
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

async function section<T>(
  name: string,
  fn: () => Promise<T>,
): Promise<{ value: T | null; error: string | null }> {
  log(`--- ${name}`);
  try {
    return { value: await fn(), error: null };
  } catch (e) {
    const msg = (e as Error).message;
    log(`${name} failed: ${msg}`);
    return { value: null, error: msg.split('\n').slice(0, 3).join(' ') };
  }
}

function pythonVersions(): { python: string | null; agno: string | null; uvicorn: string | null } {
  try {
    const cfg = readFileSync(join(AGNO_TARGET, '.venv/pyvenv.cfg'), 'utf8');
    const py = /version(?:_info)?\s*=\s*(\S+)/.exec(cfg)?.[1] ?? null;
    const req = readFileSync(join(AGNO_TARGET, 'requirements.txt'), 'utf8');
    return {
      python: py,
      agno: /^agno==(\S+)/m.exec(req)?.[1] ?? null,
      uvicorn: /^uvicorn==(\S+)/m.exec(req)?.[1] ?? null,
    };
  } catch {
    return { python: null, agno: null, uvicorn: null };
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  const tmp = tempDir();
  const wrk = wrkPath();
  log(
    `load generator: ${wrk ? wrkVersion(wrk) : 'node:http (wrk not installed: bash scripts/ci-bench-deps.sh)'}`,
  );

  const http = await section('HTTP: GET /agents', () => httpSection(tmp.dir));
  const decision = await section('route+scope decision', decisionSection);
  const conformance = await section('conformance suite', () => conformanceSection(tmp.dir));
  const generator = await section('generator', generatorSection);
  const sdk = await section('SDK size', sdkSection);
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
    vs_python_agentos_target: 6,
    vs_python_agentos_reason: h ? (h.python_agentos ? null : h.python_reason) : http.error,
    token_cache: {
      present: true,
      note: `server/src/auth/token-cache.ts: verified tokens reused for tokenCacheSeconds (default 60 s, exp checked on every hit), at most ${TOKEN_CACHE_ENTRIES} entries. rs256 sends one token (cache hits); rs256_nocache runs a server with JWT_CACHE_SECONDS=0 and ${ROTATING_TOKENS} distinct tokens round-robin (a signature check per request).`,
    },
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
          all_rounds: h.rounds,
          rss_after_mb: h.rss_after_mb,
        }
      : { error: http.error },
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
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(join(OUT, 'RESULTS.md'), md);
  process.stdout.write(`${md}\n`);
  log(`wrote ${join(OUT, 'results.json')} and ${join(OUT, 'RESULTS.md')}`);
  if (OUT === DEFAULT_OUT) {
    updateReadme(summaryTable(results as unknown as Results));
    log('updated the results table of README.md');
  }
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
    `| route + scope decision vs a linear fnmatch scan | ${v(r.decision_ns, ' ns')} vs ${v(r.glob_scan_ns, ' ns')} |`,
    `| conformance suite against the reference server | ${v(r.conformance_seconds, ' s')}, ${v(r.conformance_rps)} req/s |`,
    `| generator, whole spec | ${v(r.generator_seconds, ' s')} |`,
    `| SDK runtime, min+gzip | ${v(r.sdk_gzip_bytes, ' B')} |`,
    '',
    `${v(m.cores)} cores, Node ${v(m.node)}, ${String(m.date ?? '').slice(0, 10)}; details and method in [bench/RESULTS.md](bench/RESULTS.md).`,
  ].join('\n');
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

function renderMarkdown(r: Results): string {
  const http = r.http as {
    rs256?: LoadResult | null;
    rs256_nocache?: LoadResult | null;
    auth_off?: LoadResult | null;
    python_agentos?: LoadResult | null;
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
      `Python AgentOS ${fmt(py.agno)} (uvicorn ${fmt(py.uvicorn)}, Python ${fmt(py.python)}), RS256 + RBAC`,
      http.python_agentos,
    ),
    '',
    `- RS256 ÷ auth off: **${fmt(r.rs256_vs_auth_off)}** (uncached: **${fmt(r.rs256_nocache_vs_auth_off)}**). Cached: one token, its verification reused (\`auth/token-cache.ts\`, exp checked on every hit); uncached: the cache off and a different token on each request, so every request checks an RS256 signature.`,
    `- Reference server ÷ Python AgentOS: **${fmt(r.vs_python_agentos)}×** (target ≥ 6×; uncached ${fmt(r.vs_python_agentos_nocache)}×)${r.vs_python_agentos_reason ? ` — ${fmt(r.vs_python_agentos_reason)}` : ''}.`,
    '',
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
