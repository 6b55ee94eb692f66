/**
 * @module run — executes a plan against a target: phases in order, cases of a phase through the
 * bounded pool, the steps of a case in order. Then the checks that need the whole run (jku
 * listener, CORS comparison, response hygiene) and the expected-failures file.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HarnessError } from './errors.js';
import { createHttpClient, type RawRequest } from './http.js';
import type { Plan } from './plan.js';
import { globMatch } from './plan.js';
import { runPool } from './pool.js';
import { evaluateHygiene, finishCors } from './probes/hygiene.js';
import type { TokenFactory, TokenSpec } from './tokens.js';
import type {
  Case,
  CaseResult,
  CaseStatus,
  HttpResponse,
  PlannedRequest,
  RunState,
  Severity,
  StepResult,
} from './types.js';

/** The system under test. */
export interface Target {
  baseUrl: string;
  tokens: TokenFactory;
  /** Extra headers on every request (from the config file). */
  headers?: Record<string, string>;
  /** Per-request timeout, ms. Default 10000. */
  timeoutMs?: number;
  /** Requests in flight. Default 8. */
  concurrency?: number;
  /** Called after each case. */
  onProgress?: (done: number, total: number, result: CaseResult) => void;
  /** Known failures (e.g. the (differs) points of another implementation). */
  expected?: ExpectedFailure[];
  /** Judge every response by the AgentOS hygiene rules after the run (default true; off for --profile generic). */
  hygiene?: boolean;
}

export interface ExpectedFailure {
  /** Glob on the probe id. */
  probe: string;
  /** Glob on operationId or `METHOD /path`; default `*`. */
  operation?: string;
  reason: string;
  /** Contract point this follows from, e.g. `differs: exp-required` or `defect`. */
  kind?: string;
}

export interface Summary {
  cases: number;
  pass: number;
  fail: number;
  skip: number;
  xfail: number;
  mustFailures: number;
  shouldFailures: number;
  requests: number;
  wallMs: number;
  requestsPerSecond: number;
  /** Probe id → failing operations. */
  failuresByProbe: Record<string, number>;
  /** Expected-failure entries that matched nothing (stale). */
  unusedExpectations: ExpectedFailure[];
  exitCode: 0 | 1 | 2 | 3;
}

export interface SuiteResult {
  meta: { baseUrl: string; startedAt: string; mode: string; alg: string; operations: number; tool: string };
  notes: string[];
  results: CaseResult[];
  summary: Summary;
  /** Why the run is not complete (exit 3), if it is not. */
  incomplete?: string;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie']);

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlFor(
  url: string,
  req: RawRequest,
  authLabel: string | undefined,
  tokenInQuery: string | undefined,
): string {
  const parts = ['curl', '-sS', '-i', '--path-as-is'];
  if (req.method !== 'GET') parts.push('-X', req.method);
  let u = url;
  if (tokenInQuery) u = u.replace(tokenInQuery, authLabel ?? '<redacted>');
  if (req.absoluteForm) parts.push('--request-target', shellQuote(u));
  parts.push(shellQuote(u));
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === 'authorization' && authLabel) {
      const scheme = /^(\S+)\s+\S/.exec(v)?.[1];
      parts.push(
        '-H',
        shellQuote(`Authorization: ${scheme && v.split(' ').length > 1 ? `${scheme} ` : ''}${authLabel}`),
      );
    } else parts.push('-H', shellQuote(`${k}: ${v.replace(/[\t\n]/g, (c) => (c === '\t' ? '\\t' : '\\n'))}`));
  }
  if (req.body !== undefined) parts.push('--data-raw', shellQuote(req.body));
  return parts.join(' ');
}

async function startListener(): Promise<{
  url: string;
  hits: Map<string, number>;
  close: () => Promise<void>;
  setJwks: (j: string) => void;
}> {
  const hits = new Map<string, number>();
  let jwks = '{"keys":[]}';
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0] as string;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(jwks);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    setJwks: (j) => {
      jwks = j;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function substituteListener(spec: TokenSpec | undefined, listener: string): TokenSpec | undefined {
  if (!spec?.header) return spec;
  const header = Object.fromEntries(
    Object.entries(spec.header).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace('$LISTENER', listener) : v,
    ]),
  );
  return { ...spec, header };
}

function pickHeaders(h: HttpResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Runs every case of `plan` against `target`.
 * @throws {HarnessError} only for harness problems before the run starts.
 */
export async function runSuite(plan: Plan, target: Target): Promise<SuiteResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const concurrency = target.concurrency ?? 8;
  const client = createHttpClient(target.baseUrl, { timeoutMs: target.timeoutMs ?? 10_000, concurrency });
  const listener = await startListener();
  listener.setJwks(await target.tokens.attackerJwks());
  const state: RunState = { listenerHits: listener.hits };
  const tokensSent = new Map<StepResult, string | undefined>();
  const byOpProbe = new Map<string, CaseStatus>();
  let requests = 0;
  let refused = 0;
  let done = 0;
  const results: CaseResult[] = [];

  const sendStep = async (c: Case, s: Case['steps'][number]): Promise<StepResult> => {
    const spec = substituteListener(s.request.token, listener.url);
    const token = spec ? await target.tokens.mint(spec) : undefined;
    const r: PlannedRequest = s.request;
    const headers: Record<string, string> = { accept: 'application/json', ...target.headers, ...r.headers };
    let path = r.path;
    const auth = r.auth ?? 'bearer';
    if (auth === 'query' && token) path += `${path.includes('?') ? '&' : '?'}access_token=${token}`;
    else if (typeof auth === 'object') headers.authorization = auth.template.replace('{token}', token ?? '');
    else if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const raw: RawRequest = { method: r.method, path, headers };
    if (r.body !== undefined) raw.body = r.body;
    if (r.absoluteForm) raw.absoluteForm = true;
    requests++;
    const res = await client.send(raw);
    if (res.error?.startsWith('ECONNREFUSED')) refused++;
    const failure = s.expect.check(res, { token });
    const label = spec ? target.tokens.describe(spec) : undefined;
    const result: StepResult = {
      label: s.label,
      method: r.method,
      url: `${client.origin}${client.basePath}${auth === 'query' && token ? path.replace(token, label ?? '<redacted>') : path}`,
      requestHeaders: Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [
          k.toLowerCase(),
          SECRET_HEADERS.has(k.toLowerCase()) ? (label ?? '<redacted>') : v,
        ]),
      ),
      expected: s.expect.describe,
      status: res.status,
      responseHeaders: pickHeaders(res.headers),
      bodyExcerpt: res.body.slice(0, 4000),
      elapsedMs: Math.round(res.elapsedMs),
      pass: failure === undefined,
      curl: curlFor(
        `${client.origin}${client.basePath}${path}`,
        raw,
        label,
        auth === 'query' ? token : undefined,
      ),
    };
    if (r.body !== undefined) result.requestBody = r.body.slice(0, 2000);
    if (s.oracle) result.oracle = s.oracle;
    if (res.error) result.error = res.error;
    if (s.hyg) result.hyg = s.hyg;
    if (failure) result.message = failure;
    tokensSent.set(result, token);
    void c;
    return result;
  };

  const runCase = async (c: Case): Promise<CaseResult> => {
    const base: CaseResult = {
      probeId: c.probe.id,
      family: c.probe.family,
      severity: c.probe.severity,
      title: c.probe.title,
      reference: c.probe.reference,
      operationId: c.operationId,
      method: c.method,
      path: c.path,
      status: 'pass',
      steps: [],
    };
    if (c.probe.differs) base.differs = c.probe.differs;
    if (c.note) base.note = c.note;
    if (c.skip) return { ...base, status: 'skip', message: c.skip };
    if (c.gate && byOpProbe.get(`${c.operationId}|${c.gate}`) === 'fail') {
      return {
        ...base,
        status: 'skip',
        message: `blocked: ${c.gate} failed on this operation (it enforces no scope at all), so near-miss scope variants say nothing more`,
      };
    }
    for (const s of c.steps) base.steps.push(await sendStep(c, s));
    const failed = base.steps.filter((s) => !s.pass);
    if (failed.length) {
      base.status = 'fail';
      base.message = failed.map((f) => `${f.label}: ${f.message}`).join('; ');
    }
    return base;
  };

  const phases = [...new Set(plan.cases.map((c) => c.phase))].sort((a, b) => a - b);
  const total = plan.cases.length;
  const finalChecks: [Case, CaseResult][] = [];
  try {
    for (const phase of phases) {
      const cases = plan.cases.filter((c) => c.phase === phase);
      const out = await runPool(cases, concurrency, async (c) => {
        const r = await runCase(c);
        byOpProbe.set(`${c.operationId}|${c.probe.id}`, r.status);
        done++;
        target.onProgress?.(done, total, r);
        if (c.finalCheck) finalChecks.push([c, r]);
        return r;
      });
      results.push(...out);
    }
    // Give a target that fetches jku/x5u URLs in the background a moment to do so.
    if (finalChecks.length) await new Promise((r) => setTimeout(r, 300));
    for (const [c, r] of finalChecks) {
      const msg = c.finalCheck?.(state);
      if (msg && r.status !== 'skip') {
        r.status = 'fail';
        r.message = r.message ? `${r.message}; ${msg}` : msg;
      }
      finishCors(r);
    }
  } finally {
    client.close();
    await listener.close();
  }
  if (target.hygiene !== false) results.push(...evaluateHygiene(results, tokensSent));

  const unused = applyExpectations(results, target.expected ?? []);
  const wallMs = Math.round(performance.now() - started);
  const count = (s: CaseStatus) => results.filter((r) => r.status === s).length;
  const failing = results.filter((r) => r.status === 'fail');
  const sev = (s: Severity) => failing.filter((r) => r.severity === s).length;
  const failuresByProbe: Record<string, number> = {};
  for (const r of failing) failuresByProbe[r.probeId] = (failuresByProbe[r.probeId] ?? 0) + 1;
  const incomplete =
    refused > 0
      ? `${refused} request(s) found the target refusing connections: it stopped or crashed during the run`
      : undefined;
  const summary: Summary = {
    cases: results.length,
    pass: count('pass'),
    fail: count('fail'),
    skip: count('skip'),
    xfail: count('xfail'),
    mustFailures: sev('MUST'),
    shouldFailures: sev('SHOULD'),
    requests,
    wallMs,
    requestsPerSecond: Math.round((requests / Math.max(wallMs, 1)) * 1000),
    failuresByProbe,
    unusedExpectations: unused,
    exitCode: incomplete ? 3 : sev('MUST') > 0 ? 1 : sev('SHOULD') > 0 ? 2 : 0,
  };
  const result: SuiteResult = {
    meta: {
      baseUrl: target.baseUrl,
      startedAt,
      mode: plan.context.mode,
      alg: plan.context.alg,
      operations: plan.operations.length,
      tool: 'agentos-conformance 0.1.0',
    },
    notes: plan.notes,
    results,
    summary,
  };
  if (incomplete) result.incomplete = incomplete;
  return result;
}

/** Marks failures the expectations explain as `xfail`; returns the entries that matched nothing. */
export function applyExpectations(results: CaseResult[], expected: ExpectedFailure[]): ExpectedFailure[] {
  const used = new Set<ExpectedFailure>();
  for (const r of results) {
    if (r.status !== 'fail') continue;
    const e = expected.find(
      (x) =>
        globMatch(x.probe, r.probeId) &&
        (globMatch(x.operation ?? '*', r.operationId) ||
          globMatch(x.operation ?? '*', `${r.method} ${r.path}`)),
    );
    if (e) {
      used.add(e);
      r.status = 'xfail';
      r.message = `expected: ${e.reason}${r.message ? ` — observed: ${r.message}` : ''}`;
    }
  }
  return expected.filter((e) => !used.has(e));
}

export function assertExpectations(value: unknown, file: string): ExpectedFailure[] {
  const list = (value as { expectedFailures?: unknown })?.expectedFailures;
  if (!Array.isArray(list))
    throw new HarnessError(
      'ERR_EXPECT_FILE',
      `${file}: expected {"expectedFailures": [{"probe", "operation", "reason"}]}`,
    );
  return list.map((e, i) => {
    if (
      !e ||
      typeof e !== 'object' ||
      typeof (e as ExpectedFailure).probe !== 'string' ||
      typeof (e as ExpectedFailure).reason !== 'string'
    )
      throw new HarnessError(
        'ERR_EXPECT_FILE',
        `${file}: expectedFailures[${i}] needs "probe" and "reason" strings`,
      );
    return e as ExpectedFailure;
  });
}
