/**
 * @module The database workloads of `npm run bench` (bench/run.ts), run the same way against the
 * reference server and the Python AgentOS:
 *
 * - cost: start to the first `/health` 200, resident memory idle and its peak under the load
 *   (the process and its children: uvicorn's workers count);
 * - seeding: 1,000 sessions of 10 users created through `POST /sessions` (each user's own token),
 *   every acknowledged id checked afterwards (a lost write is an acknowledged id not found);
 * - `GET /sessions` under user isolation, the 10 users' tokens round-robin (wrk);
 * - `POST /agents/{id}/runs` with `stream=false` and the offline model (wrk);
 * - a streamed run (`stream=true`): runs/s, events/s and the time to the first event (a keep-alive
 *   node:http client here, the same for every target);
 * - `GET /agents` (wrk).
 *
 * Plus a loopback round-robin (bench/rr-proxy.mjs) for the scale-out measure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createTokenFactory } from '@agentos/conformance';
import { freePort, HOST, ROOT, type ServerProcess, sleep, treeRss, waitFor } from './harness.js';
import { type LoadResult, runLoad } from './load.js';

export const AGENT_ID = 'research-agent';
/** Scopes of every workload token: both spellings of the run scope (the spec's per-agent one, agno's global one). */
export const WORKLOAD_SCOPES = [
  'agents:read',
  'sessions:read',
  'sessions:write',
  `agents:${AGENT_ID}:run`,
  'agents:run',
];

/** The audience of every benchmark token and server. */
export const BENCH_AUDIENCE = 'agentos-conformance';
/** agno 3.x pins the issuer (conformance/targets/agno/app.py's default); 2.9 and ours ignore it. */
export const BENCH_ISSUER = 'https://issuer.conformance.example';

/** One RS256 token per user (`user_0` …), each with `WORKLOAD_SCOPES`, signed with `privatePem`. */
export async function workloadTokens(privatePem: string, users: number): Promise<string[]> {
  const factory = await createTokenFactory({
    alg: 'RS256',
    signingKey: privatePem,
    audience: BENCH_AUDIENCE,
    issuer: BENCH_ISSUER,
    scopesClaim: 'scopes',
    userIdClaim: 'sub',
    lifetime: 6 * 3600,
  });
  const tokens: string[] = [];
  for (let i = 0; i < users; i++)
    tokens.push(await factory.mint({ sub: `user_${i}`, scopes: WORKLOAD_SCOPES }));
  return tokens;
}

/** The reference server's environment for the workloads: RS256 with `publicPem`, audience, user isolation. */
export function workloadServerEnv(publicPem: string): Record<string, string> {
  return {
    AUTHORIZATION_ENABLED: 'true',
    JWT_VERIFICATION_KEY: publicPem,
    JWT_ALGORITHM: 'RS256',
    JWT_VERIFY_AUDIENCE: 'true',
    JWT_AUDIENCE: BENCH_AUDIENCE,
    AGENTOS_USER_ISOLATION: 'true',
    AGENTOS_SCHEDULER: 'off',
  };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const mb = (bytes: number | null) => (bytes === null ? null : r1(bytes / 2 ** 20));

/** Samples a process tree's RSS every 200 ms; `stop()` answers the peak (MB). */
export function rssSampler(pid: number): { stop(): number | null } {
  let peak = 0;
  const take = () => {
    peak = Math.max(peak, treeRss(pid) ?? 0);
  };
  take();
  const timer = setInterval(take, 200);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak > 0 ? mb(peak) : null;
    },
  };
}

/** Starts a server and answers it with the seconds from spawn to its first `/health` 200. */
export async function timedStart(
  start: () => Promise<ServerProcess>,
): Promise<{ proc: ServerProcess; seconds: number }> {
  const t0 = performance.now();
  const proc = await start();
  return { proc, seconds: r2((performance.now() - t0) / 1000) };
}

/** RSS (MB) of the process tree after `idleMs` without requests. */
export async function idleRss(proc: ServerProcess, idleMs = 2000): Promise<number | null> {
  await sleep(idleMs);
  return mb(treeRss(proc.pid));
}

// ------------------------------------------------------------------------------ HTTP client

interface Answer {
  status: number;
  body: string;
}

function send(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  token: string,
  body?: string,
  contentType = 'application/json',
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined
            ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `task(i)` for i < total with `concurrency` workers. */
async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

export interface SeedResult {
  sessions: number;
  users: number;
  acknowledged: number;
  failed: number;
  seconds: number;
  writes_per_s: number;
  /** First failures (status and body), for the log. */
  failures: string[];
  /** Acknowledged session ids with the index of their user. */
  acked: { id: string; user: number }[];
}

/**
 * Creates `total` sessions through `POST /sessions?type=agent`, user `i % tokens.length` each
 * (its own token, so the owner is the token subject), `concurrency` at a time over keep-alive.
 */
export async function seedSessions(
  base: string,
  tokens: readonly string[],
  total: number,
  concurrency = 8,
): Promise<SeedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const acked: { id: string; user: number }[] = [];
  const failures: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  const sessionIdOf = (text: string): string | undefined => {
    try {
      const v = (JSON.parse(text) as { session_id?: unknown }).session_id;
      return typeof v === 'string' && v !== '' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  await pool(total, concurrency, async (i) => {
    const user = i % tokens.length;
    // No chosen session_id: under user isolation the reference server assigns it (contract §10.3).
    const body = JSON.stringify({ session_name: `bench session ${i}`, agent_id: AGENT_ID });
    try {
      const r = await send(agent, base, 'POST', '/sessions?type=agent', tokens[user]!, body);
      const id = r.status === 200 || r.status === 201 ? sessionIdOf(r.body) : undefined;
      if (id) acked.push({ id, user });
      else {
        failed++;
        if (failures.length < 3) failures.push(`${r.status} ${r.body.slice(0, 200)}`);
      }
    } catch (e) {
      failed++;
      if (failures.length < 3) failures.push((e as Error).message);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return {
    sessions: total,
    users: tokens.length,
    acknowledged: acked.length,
    failed,
    seconds: r2(seconds),
    writes_per_s: Math.round(acked.length / seconds),
    failures,
    acked,
  };
}

/** How many acknowledged sessions `GET /sessions/{id}` does not find (lost writes), via `base`. */
export async function lostWrites(
  base: string,
  tokens: readonly string[],
  acked: readonly { id: string; user: number }[],
): Promise<{ checked: number; lost: number; sample: string[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let lost = 0;
  const sample: string[] = [];
  await pool(acked.length, 8, async (i) => {
    const { id, user } = acked[i]!;
    let status = 0;
    try {
      status = (await send(agent, base, 'GET', `/sessions/${id}?type=agent`, tokens[user]!)).status;
    } catch {
      status = -1;
    }
    if (status !== 200) {
      lost++;
      if (sample.length < 3) sample.push(`${id}: ${status}`);
    }
  });
  agent.destroy();
  return { checked: acked.length, lost, sample };
}

// ------------------------------------------------------------------------------ streamed runs

export interface StreamResult {
  connections: number;
  duration_s: number;
  runs: number;
  runs_per_s: number;
  events: number;
  events_per_s: number;
  events_per_run: number;
  /** From sending the request to the first complete SSE frame. */
  first_event_ms: { p50: number; p99: number };
  errors: number;
}

/** Streamed runs (`stream=true`) back to back on `connections` keep-alive connections for `durationSeconds`. */
export async function streamLoad(options: {
  base: string;
  path: string;
  token: string;
  body: string;
  connections: number;
  durationSeconds: number;
}): Promise<StreamResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.base);
  const firsts: number[] = [];
  let runs = 0;
  let events = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      let seen = 0;
      let carry = '';
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: options.path,
          agent,
          timeout: 30_000,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'text/event-stream',
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(Buffer.byteLength(options.body)),
          },
        },
        (res) => {
          if (res.statusCode !== 200) {
            errors++;
            res.resume();
            res.on('end', resolve);
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const frames = (carry + chunk).split(/\r?\n\r?\n/);
            carry = frames.pop() ?? '';
            for (const f of frames) {
              if (!/^data:/m.test(f)) continue;
              if (seen === 0) firsts.push(performance.now() - t0);
              seen++;
            }
          });
          res.on('end', () => {
            if (/^data:/m.test(carry)) seen++;
            if (seen === 0) errors++;
            else {
              runs++;
              events += seen;
            }
            resolve();
          });
          res.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(options.body);
    });
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(firsts).sort();
  const pct = (p: number) =>
    sorted.length ? r2(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!) : 0;
  return {
    connections: options.connections,
    duration_s: r2(seconds),
    runs,
    runs_per_s: r1(runs / seconds),
    events,
    events_per_s: Math.round(events / seconds),
    events_per_run: runs ? r1(events / runs) : 0,
    first_event_ms: { p50: pct(0.5), p99: pct(0.99) },
    errors,
  };
}

// ------------------------------------------------------------------------------ the workloads

export interface WorkloadOptions {
  base: string;
  /** One token per user (10), each with `WORKLOAD_SCOPES` and its own `sub`. */
  userTokens: readonly string[];
  tmp: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  sessions: number;
  log: (msg: string) => void;
  /** Server process to sample for the peak RSS under load. */
  proc?: ServerProcess;
  /** Only these workloads (default all). */
  only?: readonly ('seed' | 'sessions' | 'run' | 'stream' | 'agents')[];
}

export interface WorkloadResults {
  seed: Omit<SeedResult, 'acked'> & { lost: number };
  sessions: LoadResult | null;
  run: LoadResult | null;
  stream: StreamResult | null;
  agents: LoadResult | null;
  rss_load_mb: number | null;
}

/** Seeds, then measures each workload (warm-up, then the measured run) against `base`. */
export async function runWorkloads(o: WorkloadOptions): Promise<WorkloadResults> {
  const want = (w: NonNullable<WorkloadOptions['only']>[number]) => !o.only || o.only.includes(w);
  const sampler = o.proc ? rssSampler(o.proc.pid) : null;
  const seeded = await seedSessions(o.base, o.userTokens, o.sessions);
  if (seeded.failed) o.log(`  seeding: ${seeded.failed} failed, e.g. ${seeded.failures.join(' | ')}`);
  const check = await lostWrites(o.base, o.userTokens, seeded.acked);
  if (check.lost)
    o.log(`  seeding: ${check.lost} acknowledged sessions not found, e.g. ${check.sample.join(', ')}`);
  const { acked: _acked, ...seed } = seeded;
  o.log(
    `  seeded ${seeded.acknowledged}/${o.sessions} sessions in ${seeded.seconds} s (${seeded.writes_per_s}/s), ${check.lost} lost`,
  );
  const tokensFile = join(o.tmp, `users-${randomUUID().slice(0, 8)}.txt`);
  writeFileSync(tokensFile, `${o.userTokens.join('\n')}\n`);
  const auth = { Authorization: `Bearer ${o.userTokens[0]}` };
  // Requests the warm-up left in flight (a run goes on after wrk closes its connection) are
  // drained before the measured load starts.
  const drain = () => sleep(1000);
  const measure = async (name: string, load: Parameters<typeof runLoad>[0]): Promise<LoadResult> => {
    if (o.warmupSeconds > 0) {
      await runLoad({ ...load, durationSeconds: o.warmupSeconds }, o.tmp);
      await drain();
    }
    const r = await runLoad(load, o.tmp);
    o.log(
      `  ${name}: ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms${r.non_2xx + r.socket_errors ? `, ${r.non_2xx} non-2xx, ${r.socket_errors} socket errors` : ''}`,
    );
    return r;
  };
  const sessions = want('sessions')
    ? await measure('GET /sessions', {
        url: `${o.base}/sessions?type=agent`,
        tokensFile,
        connections: o.connections,
        durationSeconds: o.durationSeconds,
      })
    : null;
  // Runs hold a request open for the whole run: fewer connections keep their latency within wrk's
  // timeout, and at least 5 s of load counts enough of them even in a short run.
  const runConnections = Math.min(o.connections, 8);
  const runSeconds = Math.max(o.durationSeconds, 5);
  const runBody = 'message=hello&stream=false';
  const run = want('run')
    ? await measure('POST /agents/{id}/runs (stream=false)', {
        url: `${o.base}/agents/${AGENT_ID}/runs`,
        headers: auth,
        method: 'POST',
        body: runBody,
        contentType: 'application/x-www-form-urlencoded',
        connections: runConnections,
        durationSeconds: runSeconds,
        // A run of the Python AgentOS 2.9.0 takes up to ~5 s under this load (p99): counted, not
        // cut off by the 5 s default and turned into socket errors (which void the ratio).
        timeoutSeconds: 30,
      })
    : null;
  let stream: StreamResult | null = null;
  if (want('stream')) {
    const streamOptions = {
      base: o.base,
      path: `/agents/${AGENT_ID}/runs`,
      token: o.userTokens[0]!,
      body: 'message=hello&stream=true',
      connections: runConnections,
    };
    if (o.warmupSeconds > 0) {
      await streamLoad({ ...streamOptions, durationSeconds: o.warmupSeconds });
      await drain();
    }
    stream = await streamLoad({ ...streamOptions, durationSeconds: runSeconds });
    o.log(
      `  streamed runs: ${stream.runs_per_s} runs/s, ${stream.events_per_s} events/s (${stream.events_per_run}/run), first event p50 ${stream.first_event_ms.p50} ms${stream.errors ? `, ${stream.errors} errors` : ''}`,
    );
  }
  const agents = want('agents')
    ? await measure('GET /agents', {
        url: `${o.base}/agents`,
        headers: auth,
        connections: o.connections,
        durationSeconds: o.durationSeconds,
      })
    : null;
  return {
    seed: { ...seed, lost: check.lost },
    sessions,
    run,
    stream,
    agents,
    rss_load_mb: sampler?.stop() ?? null,
  };
}

// ------------------------------------------------------------------------------ round-robin

/** A loopback TCP round-robin over `backends` (one connection to the next backend), in its own process. */
export async function startRoundRobin(
  backends: readonly string[],
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bench/rr-proxy.mjs'), String(port), ...backends.map((b) => new URL(b).port)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const url = `http://${HOST}:${port}`;
  await waitFor(url, '/health', { timeoutMs: 10_000, isAlive: () => child.exitCode === null });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
