/**
 * @module `npm run bench:profile -- <workload>`: where the reference server spends its time under
 * one of the benchmark's workloads, from a V8 CPU profile of the server process (the figures of
 * bench/PROFILE.md).
 *
 * Starts the server as `npm run bench` does (bench/harness.ts, RS256, user isolation, the same
 * workload code), from a bundle built one statement per line (AGENTOS_BUILD_READABLE=1, so a
 * sample names its source module), with `--cpu-prof`; seeds, warms up, loads, stops the server,
 * rebuilds the normal bundle, and prints the profile's time by module and the heaviest functions.
 * The .cpuprofile file stays (open it in Chrome DevTools).
 *
 *   workload: agents | sessions | run | stream       (default sessions)
 *   --auth off          the server without authentication (default RS256)
 *   --postgres URL      on PostgreSQL instead of the embedded PGlite data directory
 *   --seconds N         measured load (default 8); --sessions N seeded (default 1000)
 *   --top N             functions listed (default 25); --out DIR for the profile (default a temp dir)
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain ES module without types (server/scripts/build.mjs)
import { build as buildServer } from '../server/scripts/build.mjs';
import { ROOT, rsaKeyPair, startReferenceServer, tempDir } from './harness.js';
import { runWorkloads, workloadServerEnv, workloadTokens } from './workloads.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    auth: { type: 'string', default: 'rs256' },
    postgres: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    sessions: { type: 'string', default: '1000' },
    top: { type: 'string', default: '25' },
    out: { type: 'string' },
  },
});
const WORKLOADS = ['agents', 'sessions', 'run', 'stream'] as const;
type Workload = (typeof WORKLOADS)[number];
const workload = (positionals[0] ?? 'sessions') as Workload;
if (!WORKLOADS.includes(workload)) {
  console.error(`bench:profile: unknown workload '${workload}' (one of ${WORKLOADS.join(', ')})`);
  process.exit(2);
}
if (values.auth !== 'rs256' && values.auth !== 'off') {
  console.error(`bench:profile: --auth is rs256 or off, not '${values.auth}'`);
  process.exit(2);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The bundle's module of each line: esbuild writes `// path` before each module when not minified. */
function moduleIndex(bundle: string): (line: number) => string {
  const starts: [number, string][] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs|json))$/.exec(text);
      if (m) starts.push([i, m[1]!.replace(/^.*node_modules\//, 'npm:')]);
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/**
 * Self time by group and by function, in % of the samples taken in `window` (µs of the profile's
 * clock): the measured load only, not the start, the seeding or the warm-up.
 */
function summarize(
  profile: CpuProfile,
  moduleOf: (line: number) => string,
  top: number,
  window: [number, number],
): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at >= window[0] && at <= window[1]) self.set(id, (self.get(id) ?? 0) + dt);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    let group: string;
    let where: string;
    if (url.includes('/server/dist/')) {
      const mod = moduleOf(lineNumber);
      // npm:<package> or the workspace folder and file (server/src/auth/..., core/src/...)
      group = mod.startsWith('npm:')
        ? mod
            .split('/')
            .slice(0, mod.startsWith('npm:@') ? 2 : 1)
            .join('/')
        : mod;
      where = mod;
      if (url.includes('pglite')) group = where = 'PGlite (JavaScript)';
    } else if (url.startsWith('wasm://')) group = where = 'PGlite (WebAssembly: PostgreSQL)';
    else if (url.includes('pglite')) group = where = 'PGlite (JavaScript)';
    else if (url.startsWith('node:')) group = where = 'Node.js (http, streams, events)';
    else if (url === '') group = where = `(${functionName || 'native'})`;
    else group = where = url.split('/').slice(-2).join('/');
    add(groups, group, t);
    add(functions, `${functionName || '(anonymous)'}  ${where}`, t);
  }
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${pct(v)}  ${k}`)
      .join('\n');
  return `samples: ${(total / 1e6).toFixed(1)} s\n\nself time by module:\n${list(groups, 30)}\n\nheaviest functions (self time):\n${list(functions, top)}`;
}

const out = values.out ?? tempDir('agentos-profile-').dir;
mkdirSync(out, { recursive: true });
const tmp = tempDir();
process.env.AGENTOS_BUILD_READABLE = '1';
await buildServer();
delete process.env.AGENTOS_BUILD_READABLE;
process.env.BENCH_REQUIRE_DIST = '1';
const keys = rsaKeyPair();
const userTokens = await workloadTokens(keys.privatePem, 10);
const env: Record<string, string> =
  values.auth === 'off'
    ? { AUTHORIZATION_ENABLED: 'false', AGENTOS_SCHEDULER: 'off' }
    : workloadServerEnv(keys.publicPem);
if (values.postgres) env.DATABASE_URL = values.postgres;
process.env.BENCH_SERVER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${out}`;
const proc = await startReferenceServer({ env, cwd: join(tmp.dir, 'server') });
// The end of the measured load (the workload logs its figure then), and the server's exit.
let measuredEnd = 0;
let exited = 0;
try {
  await runWorkloads({
    base: proc.url,
    userTokens,
    tmp: tmp.dir,
    connections: 32,
    durationSeconds: Number(values.seconds),
    warmupSeconds: 2,
    sessions: workload === 'sessions' ? Number(values.sessions) : 10,
    log: (m) => {
      measuredEnd = Date.now();
      process.stderr.write(`bench:profile: ${m}\n`);
    },
    only: ['seed', workload],
  });
} finally {
  await proc.stop(10_000);
  exited = Date.now();
  tmp.cleanup();
}
const file = readdirSync(out)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(out, f))
  .sort()
  .pop();
if (!file) throw new Error(`no CPU profile in ${out}: the server did not write one`);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
// The profile ends when the server exits: the measured window is placed back from there.
const windowEnd = profile.endTime - (exited - measuredEnd) * 1000;
const summary = summarize(profile, moduleIndex(join(ROOT, 'server/dist/cli.mjs')), Number(values.top), [
  windowEnd - Number(values.seconds) * 1e6,
  windowEnd,
]);
await buildServer();
console.log(
  `# ${workload}, ${values.postgres ? 'PostgreSQL' : 'PGlite'}, auth ${values.auth}\n${summary}\n\nprofile: ${file}`,
);
