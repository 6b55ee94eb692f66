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
import { globMatch } from './plan-context.js';
import { runPool } from './pool.js';
import { evaluateHygiene, finishCors } from './probes/hygiene.js';
import type { TokenFactory, TokenSpec } from './tokens.js';
import type {
  Case,
  CaseResult,
  CaseStatus,
  CheckContext,
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
  /** Probes that are not (operation × probe) cases (security key, WebSocket); run after the plan. */
  extra?: () => Promise<CaseResult[]>;
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
  /** Checks answered by an identical request already sent (not counted in `requests`). */
  deduplicated: number;
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
  /** The target's own operations against the spec's (when its /openapi.json was read). */
  surface?: import('./plan-context.js').Surface;
}

class ScriptSkip extends Error {}

const DEDUPE_FAMILIES = new Set(['SCOPE', 'PATH', 'FILTER', 'PUB', 'SURFACE', 'DIFF']);

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
    } else if (k.toLowerCase() === 'cookie')
      // A cookie carrying the token: keep the names, never the values.
      parts.push('-H', shellQuote(`Cookie: ${v.replace(/=([^;]*)/g, `=${authLabel ?? '<redacted>'}`)}`));
    else parts.push('-H', shellQuote(`${k}: ${v.replace(/[\t\n]/g, (c) => (c === '\t' ? '\\t' : '\\n'))}`));
  }
  if (req.body !== undefined) parts.push('--data-raw', shellQuote(req.body));
  return parts.join(' ');
}

/** The `agentos-token` command that mints a token equivalent to `spec` (or why none can). */
export function mintCommand(spec: TokenSpec, tokens: TokenFactory): string {
  if (spec.attack) return `(a crafted token, attack ${spec.attack.kind}: not mintable with agentos-token)`;
  const o = tokens.options;
  const parts = ['npx agentos-token', '--key <signing-key>'];
  if (o.alg !== 'RS256') parts.push('--alg', o.alg);
  const sub = spec.sub === undefined ? 'conformance-user' : spec.sub;
  if (sub !== null) parts.push('--sub', shellQuote(sub));
  if (Array.isArray(spec.scopes)) parts.push('--scopes', shellQuote(spec.scopes.join(',')));
  else if (spec.scopes !== undefined)
    parts.push('--claim', shellQuote(`${o.scopesClaim}=${JSON.stringify(spec.scopes)}`));
  if (o.scopesClaim !== 'scopes') parts.push('--scopes-claim', o.scopesClaim);
  if (o.audience) parts.push('--aud', shellQuote(o.audience));
  if (o.issuer) parts.push('--iss', shellQuote(o.issuer));
  if (o.kid) parts.push('--kid', shellQuote(o.kid));
  for (const [k, v] of Object.entries(spec.claims ?? {}))
    parts.push('--claim', shellQuote(`${k}=${v === undefined ? '' : JSON.stringify(v)}`));
  if (spec.header) parts.push(`# header ${JSON.stringify(spec.header)}`);
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
  let deduplicated = 0;
  const sent = new Map<string, Promise<HttpResponse>>();
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
    else if (typeof auth === 'object' && 'cookie' in auth) headers.cookie = `${auth.cookie}=${token ?? ''}`;
    else if (typeof auth === 'object') headers.authorization = auth.template.replace('{token}', token ?? '');
    else if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const raw: RawRequest = { method: r.method, path, headers };
    if (r.body !== undefined) raw.body = r.body;
    if (r.absoluteForm) raw.absoluteForm = true;
    // Identical requests of stateless probes (same method, target, headers, body and token) are sent
    // once: many scope and path variants coincide. Scripted cases and writes that change state never share.
    const shareable = !c.script && DEDUPE_FAMILIES.has(c.probe.family) && c.phase <= 1;
    const key = shareable
      ? // Keyed on the token's spec: two mints of one spec in different seconds differ only in iat/exp.
        `${raw.method} ${raw.path}\n${JSON.stringify({ ...raw.headers, authorization: undefined })}\n${raw.body ?? ''}\n${JSON.stringify(spec ?? null)}\n${JSON.stringify(r.auth ?? 'bearer')}`
      : '';
    let pending = shareable ? sent.get(key) : undefined;
    if (!pending) {
      requests++;
      pending = client.send(raw);
      if (shareable) sent.set(key, pending);
    } else deduplicated++;
    const res = await pending;
    if (res.error?.startsWith('ECONNREFUSED')) refused++;
    let failure = s.expect.check(res, { token });
    // SURFACE-NOT-SERVED: an operation the target declares answered an authorized call as unrouted.
    if (
      !failure &&
      plan.context.surface &&
      s.oracle === 'allow' &&
      c.method === r.method &&
      (res.status === 405 || (res.status === 404 && !c.path.includes('{')))
    )
      failure = `${res.status} to an authorized call on an operation the target declares: not served is not "authorized" (SURFACE-NOT-SERVED)`;
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
    if (spec) result.mint = mintCommand(spec, target.tokens);
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
    if (c.script) {
      try {
        await c.script({
          async send(label, request, expect, oracle) {
            let res: HttpResponse | undefined;
            const step = {
              label,
              request,
              expect: {
                describe: expect?.describe ?? 'recorded',
                check(r: HttpResponse, cx: CheckContext) {
                  res = r;
                  return expect?.check(r, cx);
                },
              },
              ...(oracle ? { oracle } : {}),
            };
            base.steps.push(await sendStep(c, step));
            const got = res as HttpResponse;
            let json: unknown;
            try {
              json = JSON.parse(got.body);
            } catch {
              json = undefined;
            }
            return { ...got, json };
          },
          skip(reason: string): never {
            throw new ScriptSkip(reason);
          },
        });
      } catch (e) {
        if (!(e instanceof ScriptSkip)) throw e;
        if (!base.steps.some((s) => !s.pass)) return { ...base, status: 'skip', message: e.message };
      }
    } else for (const s of c.steps) base.steps.push(await sendStep(c, s));
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
  // An operation whose only documented answer is a 5xx (e.g. agno's `/queue` without a durable
  // queue: 503 naming the switch) answers it by contract; HYG-NO-5XX does not count those.
  const fiveOnly = new Set(
    plan.operations
      .filter((o) => {
        const answers = o.responses.filter((c) => c !== '401' && c !== '403');
        return answers.length > 0 && answers.every((c) => c.startsWith('5'));
      })
      .map((o) => o.operationId),
  );
  if (target.hygiene !== false) results.push(...evaluateHygiene(results, tokensSent, fiveOnly));
  if (target.extra) results.push(...(await target.extra()));

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
    deduplicated,
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
  if (plan.context.surface) result.surface = plan.context.surface;
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
