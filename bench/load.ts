/**
 * @module The HTTP load generator of the benchmark, always in its own process: Debian's `wrk`
 * (C, one thread, keep-alive; scripts/ci-bench-deps.sh installs it), else a small keep-alive
 * generator on node:http (`node --import tsx bench/load.ts '<json options>'`). Both print the same
 * result shape. Bounded: fixed duration, per-request timeout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

export interface LoadOptions {
  url: string;
  /** Request headers (e.g. Authorization). Ignored when `tokensFile` is set for the token. */
  headers?: Record<string, string>;
  /** A file with one token per line, sent round-robin as `Authorization: Bearer <token>`. */
  tokensFile?: string;
  connections: number;
  durationSeconds: number;
  /** Per-request timeout (default 5 s). */
  timeoutSeconds?: number;
  /** Request method (default GET) and body (sent with `contentType`) of every request. */
  method?: string;
  body?: string;
  contentType?: string;
}

export interface LoadResult {
  generator: string;
  connections: number;
  duration_s: number;
  requests: number;
  rps: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Non-2xx/3xx answers. */
  non_2xx: number;
  /** connect/read/write/timeout errors. */
  socket_errors: number;
}

/** The wrk binary, or null. */
export function wrkPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

export function wrkVersion(bin: string): string {
  // `wrk -v` prints its version on stdout and exits 1.
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  const m = /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`);
  return m ? `wrk ${m[1]}` : 'wrk';
}

const WRK_DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.3f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;

const WRK_ROTATE = `
local tokens = {}
local idx = 0
init = function(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  idx = math.random(#tokens)
end
request = function()
  idx = idx % #tokens + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Authorization"] = "Bearer " .. tokens[idx]
  return wrk.format(nil, nil, headers, nil)
end
`;

/** Lua that sets the method, body and content type of every request. */
const luaString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
function wrkRequestLua(options: LoadOptions): string {
  const lines: string[] = [];
  if (options.method) lines.push(`wrk.method = ${luaString(options.method)}`);
  if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`);
  if (options.contentType) lines.push(`wrk.headers["Content-Type"] = ${luaString(options.contentType)}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

let scripts = 0;
const ms = (us: number) => Math.round(us / 10) / 100;

/** Runs wrk once; `scriptDir` receives the Lua script. */
export function runWrk(bin: string, options: LoadOptions, scriptDir: string): Promise<LoadResult> {
  const script = join(scriptDir, `wrk-${process.pid}-${++scripts}.lua`);
  writeFileSync(script, wrkRequestLua(options) + (options.tokensFile ? WRK_ROTATE : '') + WRK_DONE);
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    `--timeout`,
    `${options.timeoutSeconds ?? 5}s`,
    '-s',
    script,
  ];
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (options.tokensFile && k.toLowerCase() === 'authorization') continue;
    args.push('-H', `${k}: ${v}`);
  }
  args.push(options.url);
  if (options.tokensFile) args.push('--', options.tokensFile);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), (options.durationSeconds + 30) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
      if (!line) {
        reject(new Error(`wrk exited ${code} without a result:\n${out.slice(-2000)}`));
        return;
      }
      const r = JSON.parse(line.slice(8)) as Record<string, number>;
      const seconds = r.duration_us! / 1e6;
      resolve({
        generator: 'wrk',
        connections: options.connections,
        duration_s: Math.round(seconds * 100) / 100,
        requests: r.requests!,
        rps: Math.round(r.requests! / seconds),
        latency_ms: { p50: ms(r.p50!), p90: ms(r.p90!), p99: ms(r.p99!), max: ms(r.max!), mean: ms(r.mean!) },
        non_2xx: r.status!,
        socket_errors: r.connect! + r.read! + r.write! + r.timeout!,
      });
    });
  });
}

/** The node:http generator in a child process (same result shape). */
export function runNodeLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), (options.durationSeconds + 30) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch {
        reject(new Error(`node load generator exited ${code}: ${out.slice(-1000)}`));
      }
    });
  });
}

/** Runs one load with wrk when installed, else the node generator. */
export function runLoad(options: LoadOptions, scriptDir: string): Promise<LoadResult> {
  const bin = wrkPath();
  return bin ? runWrk(bin, options, scriptDir) : runNodeLoad(options);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The node:http generator itself (runs in the child). */
async function nodeLoadMain(options: LoadOptions): Promise<LoadResult> {
  const { readFileSync } = await import('node:fs');
  const url = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const tokens = options.tokensFile
    ? readFileSync(options.tokensFile, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
    : null;
  let next = 0;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.contentType) headers['content-type'] = options.contentType;
      if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
      if (tokens) headers.authorization = `Bearer ${tokens[next++ % tokens.length]}`;
      const t0 = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: options.method ?? 'GET',
          headers,
          agent,
          timeout: (options.timeoutSeconds ?? 5) * 1000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            if ((res.statusCode ?? 0) >= 400) non2xx++;
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
      for (let i = 0; i < 10_000_000 && performance.now() < deadline; i++) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  return {
    generator: `node:http ${process.version}`,
    connections: options.connections,
    duration_s: r2(seconds),
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    latency_ms: {
      p50: r2(percentile(sorted, 50)),
      p90: r2(percentile(sorted, 90)),
      p99: r2(percentile(sorted, 99)),
      max: r2(sorted[sorted.length - 1] ?? 0),
      mean: r2(mean),
    },
    non_2xx: non2xx,
    socket_errors: errors,
  };
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2]) {
  const result = await nodeLoadMain(JSON.parse(process.argv[2]) as LoadOptions);
  console.log(JSON.stringify(result));
}
