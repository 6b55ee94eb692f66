/**
 * @module probes/ws — family WS: the workflow WebSocket `GET /workflows/ws` of any target that
 * serves it (contract.md §8, `spec/agentos.asyncapi.yaml`). Over real sockets: actions before
 * `authenticate` refused; bad, expired and foreign tokens refused; `start-workflow` without the
 * workflow's run scope refused; `reconnect` to another user's run refused with and without
 * `workflow_id` (user isolation, `--mode full` or `--seed`: it needs a run); `continue-workflow` without the
 * run scope refused; oversize frames end the socket. A refusal is any `error`/`auth_*` frame, as
 * long as no run event (`event_index`, `run_id` of the run, `replay`, `pong`) reaches the caller.
 */
import WebSocket from 'ws';
import { createHttpClient } from '../http.js';
import type { TokenFactory, TokenSpec } from '../tokens.js';
import { fromNow } from '../tokens.js';
import type { CaseResult, ProbeInfo, Severity, StepResult } from '../types.js';

export interface WsProbeOptions {
  readonly baseUrl: string;
  /** JWT mode: the suite's token factory (tokens the target trusts). */
  readonly tokens?: TokenFactory | undefined;
  /** Security-key mode: the key. */
  readonly securityKey?: string | undefined;
  /** Tokens the target does not trust (another key), for the foreign-token probe. */
  readonly foreignTokens?: TokenFactory | undefined;
  readonly adminScope: string;
  readonly userIsolation: boolean;
  readonly mode: 'safe' | 'full';
  /** `--seed`: a disposable target, so safe mode may start the run the reconnect probes attack. */
  readonly seed?: boolean | undefined;
  readonly headers?: Record<string, string> | undefined;
  readonly timeoutMs?: number | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: frames are read loosely.
type Frame = Record<string, any>;

const REF = 'contract.md §8; spec/agentos.asyncapi.yaml';
const PATH = '/workflows/ws';
const QUIET_MS = 800;

const probe = (id: string, severity: Severity, title: string): ProbeInfo => ({
  id,
  family: 'WS',
  severity,
  title,
  reference: REF,
});

/** A socket whose frames are kept in order, with a transcript for the report. */
class Conn {
  readonly frames: Frame[] = [];
  readonly transcript: string[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];
  private constructor(
    readonly ws: WebSocket,
    private readonly redact: (s: string) => string,
  ) {
    ws.on('message', (d) => {
      const f = parseFrame(d.toString());
      this.frames.push(f);
      this.transcript.push(`< ${this.redact(JSON.stringify(f)).slice(0, 400)}`);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.transcript.push(`< close ${code} ${reason.toString()}`);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
  }

  static open(
    url: string,
    headers: Record<string, string>,
    redact: (s: string) => string,
    timeoutMs: number,
  ) {
    return new Promise<Conn>((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs, maxPayload: 16 * 1024 * 1024 });
      const conn = new Conn(ws, redact);
      ws.once('open', () => resolve(conn));
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade answered HTTP ${res.statusCode}`)),
      );
      ws.once('error', (e) => reject(e));
    });
  }

  send(m: Record<string, unknown> | string): void {
    const text = typeof m === 'string' ? m : JSON.stringify(m);
    this.transcript.push(
      `> ${this.redact(text).slice(0, 400)}${text.length > 400 ? `… (${text.length} bytes)` : ''}`,
    );
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** The next frame from `from` on matching `pred`, or undefined after `ms`. */
  async waitFor(pred: (f: Frame) => boolean, ms: number, from = 0): Promise<Frame | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.slice(from).find(pred);
      if (f || this.closed) return f;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Frames that arrive within `ms` of now. */
  async collect(ms: number): Promise<Frame[]> {
    const from = this.frames.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.slice(from);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 200).unref();
  }
}

/**
 * A frame's JSON: plain JSON, or the SSE text agno 2.9–3.1 sends for live run events
 * (`event: X\ndata: {…}\n\n`, its `WebSocketHandler.format_sse_event`).
 */
export function parseFrame(text: string): Frame {
  try {
    return JSON.parse(text) as Frame;
  } catch {
    const data = text
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    try {
      return JSON.parse(data) as Frame;
    } catch {
      return { event: '(not JSON)', raw: text.slice(0, 200) };
    }
  }
}

const isRunFrame = (f: Frame) =>
  typeof f.event_index === 'number' ||
  ['replay', 'catch_up', 'subscribed', 'pong'].includes(String(f.event)) ||
  /^(Workflow|Step|Run|TeamRun)/.test(String(f.event));
const isRefusal = (f: Frame) => ['error', 'auth_error', 'auth_required'].includes(String(f.event));

/**
 * Runs the WS probes; an empty list when the target does not serve `/workflows/ws`.
 * @example await wsProbes({ baseUrl, tokens, adminScope: 'agent_os:admin', userIsolation: true, mode: 'full' })
 */
export async function wsProbes(options: WsProbeOptions): Promise<CaseResult[]> {
  const { tokens, securityKey, adminScope } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = `${options.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}${PATH}`;
  const secrets = new Set<string>();
  if (securityKey) secrets.add(securityKey);
  const redact = (s: string) => {
    let out = s;
    for (const t of secrets) out = out.split(t).join(t === securityKey ? '<security-key>' : '<token>');
    return out;
  };
  const open = () => Conn.open(url, { ...options.headers }, redact, timeoutMs);

  // Does the target serve the socket at all?
  let probeConn: Conn;
  try {
    probeConn = await open();
  } catch {
    return [];
  }
  const hello = await probeConn.waitFor((f) => f.event === 'connected', 3000);
  probeConn.close();
  const requiresAuth = hello?.requires_auth !== false;

  const mint = async (spec: TokenSpec, factory = tokens): Promise<string> => {
    if (!factory) throw new Error('no token factory');
    const t = await factory.mint(spec);
    secrets.add(t);
    return t;
  };
  const adminCredential = async () => securityKey ?? (await mint({ scopes: [adminScope] }));

  // The workflows the target serves (admin view).
  const http = createHttpClient(options.baseUrl, { timeoutMs, concurrency: 2 });
  let workflows: string[] = [];
  try {
    const res = await http.send({
      method: 'GET',
      path: '/workflows',
      headers: {
        accept: 'application/json',
        ...options.headers,
        authorization: `Bearer ${await adminCredential()}`,
      },
    });
    if (res.status === 200) {
      const body = JSON.parse(res.body) as unknown;
      const list = Array.isArray(body) ? body : ((body as { data?: unknown[] }).data ?? []);
      workflows = list
        .map((w) => (w as { id?: unknown }).id)
        .filter((id): id is string => typeof id === 'string');
    }
  } catch {
    workflows = [];
  } finally {
    http.close();
  }
  const wf = workflows[0];
  // The probes run concurrently, each on its own socket (most of their time is the quiet period after
  // a refusal); `results` keeps the order in which they are started.
  const results: Promise<CaseResult>[] = [];

  function run(
    info: ProbeInfo,
    body: (c: Conn, fail: (m: string) => void) => Promise<void>,
    skip?: string,
    note?: string,
  ): void {
    results.push(runProbe(info, body, skip, note));
  }

  async function runProbe(
    info: ProbeInfo,
    body: (c: Conn, fail: (m: string) => void) => Promise<void>,
    skip?: string,
    note?: string,
  ): Promise<CaseResult> {
    const base: CaseResult = {
      probeId: info.id,
      family: info.family,
      severity: info.severity,
      title: info.title,
      reference: info.reference,
      operationId: '(workflow socket)',
      method: 'GET',
      path: PATH,
      status: 'pass',
      steps: [],
      ...(note ? { note } : {}),
    };
    if (skip) {
      return { ...base, status: 'skip', message: skip };
    }
    const failures: string[] = [];
    let conn: Conn | undefined;
    const started = performance.now();
    try {
      conn = await open();
      await conn.waitFor((f) => f.event === 'connected', 3000);
      await body(conn, (m) => failures.push(m));
    } catch (e) {
      failures.push(`harness: ${(e as Error).message}`);
    } finally {
      conn?.close();
    }
    const step: StepResult = {
      label: info.title,
      method: 'GET',
      url,
      requestHeaders: { upgrade: 'websocket' },
      expected: 'see title',
      status: 101,
      responseHeaders: {},
      bodyExcerpt: (conn?.transcript ?? []).join('\n').slice(0, 4000),
      elapsedMs: Math.round(performance.now() - started),
      pass: failures.length === 0,
      curl: `websocat ${url}   # then send the '>' lines of the transcript`,
    };
    if (failures.length) {
      step.message = failures.join('; ');
      base.status = 'fail';
      base.message = step.message;
    }
    base.steps.push(step);
    return base;
  }

  /** Sends `m` and expects a refusal and no run frame within the quiet period. */
  async function expectRefused(c: Conn, m: Record<string, unknown>, what: string, fail: (s: string) => void) {
    const from = c.frames.length;
    c.send(m);
    // Wake on the first refusal or the first leaked run frame (a replay can be long: waiting out the
    // timeout for a refusal that never comes only slows the verdict, which the frames below decide).
    await c.waitFor((f) => isRefusal(f) || isRunFrame(f), timeoutMs, from);
    const after = [...c.frames.slice(from), ...(await c.collect(QUIET_MS))];
    const leaked = after.find(isRunFrame);
    if (leaked) fail(`${what}: the target answered ${JSON.stringify(leaked.event)} (not refused)`);
    else if (!after.some(isRefusal) && !c.closed) fail(`${what}: no refusal frame`);
  }

  async function authenticate(c: Conn, token: string): Promise<boolean> {
    const from = c.frames.length;
    c.send({ action: 'authenticate', token });
    const f = await c.waitFor(
      (x) => x.event === 'authenticated' || x.event === 'auth_error',
      timeoutMs,
      from,
    );
    // agno 2.9.0 sends two `authenticated` frames for a JWT or a service account (the generic one,
    // then one with user_id): wait for the second so it is not read as the answer to the next action.
    if (f?.event === 'authenticated' && f.user_id === undefined)
      await c.waitFor((x) => x.event === 'authenticated' && x.user_id !== undefined, 500, from);
    return f?.event === 'authenticated';
  }

  const noAuth = requiresAuth
    ? undefined
    : 'the target reports requires_auth: false (no authentication on the socket)';
  const jwtOnly = tokens ? undefined : 'needs --signing-key (JWT tokens the target trusts)';
  const needWf = wf ? undefined : 'the target lists no workflow';

  run(
    probe('WS-UNAUTH-ACTIONS', 'MUST', 'Every action but authenticate is refused before authentication'),
    async (c, fail) => {
      for (const action of ['ping', 'start-workflow', 'reconnect', 'continue-workflow']) {
        await expectRefused(
          c,
          {
            action,
            workflow_id: wf ?? 'conformance-workflow',
            run_id: 'conformance-run',
            message: 'conformance',
          },
          action,
          fail,
        );
      }
    },
    noAuth,
  );

  run(
    probe('WS-BAD-TOKEN', 'MUST', 'A malformed token is refused and leaves the socket unauthenticated'),
    async (c, fail) => {
      if (await authenticate(c, 'conformance.not-a.token')) fail('a malformed token was accepted');
      await expectRefused(c, { action: 'ping' }, 'ping after a refused token', fail);
    },
    noAuth,
  );

  run(
    probe('WS-EXPIRED', 'MUST', 'An expired token is refused'),
    async (c, fail) => {
      if (await authenticate(c, await mint({ scopes: [adminScope], claims: { exp: fromNow(-3600) } })))
        fail('an expired token was accepted');
      const err = c.frames.find((f) => f.event === 'auth_error');
      if (err && err.error_type !== undefined && err.error_type !== 'expired')
        fail(`error_type ${JSON.stringify(err.error_type)}, expected "expired"`);
    },
    noAuth ?? jwtOnly,
  );

  run(
    probe('WS-FOREIGN-TOKEN', 'MUST', 'A token signed by a key the target does not trust is refused'),
    async (c, fail) => {
      const token = tokens
        ? await mint({ scopes: [adminScope], attack: { kind: 'foreign-key' } })
        : options.foreignTokens
          ? await mint({ scopes: [adminScope] }, options.foreignTokens)
          : undefined;
      if (!token) return fail('harness: no foreign token');
      if (await authenticate(c, token)) fail('a token signed by a foreign key was accepted');
      if (securityKey && (await authenticate(c, `${securityKey}x`)))
        fail('the key with a suffix was accepted');
      await expectRefused(c, { action: 'ping' }, 'ping after refused tokens', fail);
    },
    noAuth,
  );

  run(
    probe('WS-AUTH-OK', 'MUST', 'The credential the target trusts authenticates the socket'),
    async (c, fail) => {
      if (!(await authenticate(c, await adminCredential()))) return fail('the admin credential was refused');
      const from = c.frames.length;
      c.send({ action: 'ping' });
      if (!(await c.waitFor((f) => f.event === 'pong', timeoutMs, from)))
        fail('no pong after authentication');
    },
    noAuth,
  );

  const scopeSkip = noAuth ?? jwtOnly ?? needWf;
  run(
    probe('WS-START-NO-SCOPE', 'MUST', "start-workflow without the workflow's run scope is refused"),
    async (c, fail) => {
      const token = await mint({
        sub: 'conformance-ws-reader',
        scopes: ['workflows:read', 'workflows:conformance-other-workflow:run'],
      });
      if (!(await authenticate(c, token))) return fail('harness: the reader token was refused');
      await expectRefused(
        c,
        { action: 'start-workflow', workflow_id: wf, message: 'conformance' },
        'start',
        fail,
      );
    },
    scopeSkip,
  );

  run(
    probe('WS-CONTINUE-NO-SCOPE', 'MUST', 'continue-workflow without the run scope is refused'),
    async (c, fail) => {
      const token = await mint({ sub: 'conformance-ws-reader', scopes: ['workflows:read'] });
      if (!(await authenticate(c, token))) return fail('harness: the reader token was refused');
      await expectRefused(
        c,
        {
          action: 'continue-workflow',
          workflow_id: wf,
          run_id: 'conformance-run',
          session_id: 'conformance-session',
        },
        'continue',
        fail,
      );
    },
    scopeSkip,
  );

  // A run of user A, for the reconnect probes (full mode: it writes a run).
  const ownerSkip =
    scopeSkip ??
    (options.userIsolation ? undefined : 'needs --user-isolation (without it any run scope may reconnect)') ??
    (options.mode === 'full' || options.seed
      ? undefined
      : 'needs --mode full or --seed (it starts a workflow run)');
  let victim: { runId: string; sessionId: string } | undefined;
  if (!ownerSkip && wf) {
    const c = await open();
    try {
      await c.waitFor((f) => f.event === 'connected', 3000);
      // The run executes the workflow's agents and teams: a server that checks run permission on
      // each member (contract §10.2) needs those scopes too; others ignore them.
      const owner = {
        sub: 'conformance-ws-alice',
        scopes: [`workflows:${wf}:run`, 'agents:*:run', 'teams:*:run'],
      };
      if (await authenticate(c, await mint(owner))) {
        c.send({ action: 'start-workflow', workflow_id: wf, message: 'conformance: private run' });
        const first = await c.waitFor((f) => typeof f.run_id === 'string' || isRefusal(f), timeoutMs);
        if (first && typeof first.run_id === 'string')
          victim = { runId: first.run_id, sessionId: String(first.session_id ?? '') };
        await c.waitFor(
          (f) => /^Workflow(Completed|Error|Paused|Cancelled)$/.test(String(f.event)),
          timeoutMs,
        );
      }
    } finally {
      c.close();
    }
  }
  const victimSkip = ownerSkip ?? (victim ? undefined : 'harness: could not start a run as user A');

  run(
    probe(
      'WS-RECONNECT-FOREIGN',
      'MUST',
      "reconnect to another user's run is refused, with and without workflow_id",
    ),
    async (c, fail) => {
      const v = victim!;
      const token = await mint({ sub: 'conformance-ws-bob', scopes: [`workflows:${wf}:run`] });
      if (!(await authenticate(c, token))) return fail('harness: bob was refused');
      await expectRefused(
        c,
        { action: 'reconnect', run_id: v.runId, last_event_index: -1 },
        'without workflow_id',
        fail,
      );
      await expectRefused(
        c,
        { action: 'reconnect', run_id: v.runId, workflow_id: wf, last_event_index: -1 },
        'with workflow_id',
        fail,
      );
      await expectRefused(
        c,
        {
          action: 'reconnect',
          run_id: v.runId,
          workflow_id: wf,
          session_id: v.sessionId,
          last_event_index: -1,
        },
        "with workflow_id and the owner's session_id",
        fail,
      );
    },
    victimSkip,
  );

  run(
    probe('WS-RECONNECT-NO-SUB', 'MUST', "a token without a subject cannot reconnect to another user's run"),
    async (c, fail) => {
      const v = victim!;
      const token = await mint({ sub: null, scopes: [`workflows:${wf}:run`] });
      // Refusing the token itself is a refusal too.
      if (!(await authenticate(c, token))) return;
      await expectRefused(
        c,
        { action: 'reconnect', run_id: v.runId, workflow_id: wf, last_event_index: -1 },
        'reconnect without sub, with workflow_id',
        fail,
      );
      await expectRefused(
        c,
        {
          action: 'reconnect',
          run_id: v.runId,
          workflow_id: wf,
          session_id: v.sessionId,
          last_event_index: -1,
        },
        "reconnect without sub, with workflow_id and the owner's session_id",
        fail,
      );
    },
    victimSkip,
  );

  run(
    probe('WS-RECONNECT-NO-SCOPE', 'MUST', 'reconnect without the run scope is refused, even for the owner'),
    async (c, fail) => {
      const v = victim!;
      const token = await mint({ sub: 'conformance-ws-alice', scopes: ['workflows:read'] });
      if (!(await authenticate(c, token))) return fail('harness: the reader token was refused');
      await expectRefused(
        c,
        {
          action: 'reconnect',
          run_id: v.runId,
          workflow_id: wf,
          session_id: v.sessionId,
          last_event_index: -1,
        },
        'reconnect',
        fail,
      );
    },
    victimSkip,
  );

  run(
    probe('WS-OVERSIZE', 'SHOULD', 'A 1 MiB frame closes the socket (1009) or is refused'),
    async (c, fail) => {
      if (requiresAuth && !(await authenticate(c, await adminCredential()))) return fail('harness: refused');
      const from = c.frames.length;
      c.send(JSON.stringify({ action: 'ping', pad: 'x'.repeat(1024 * 1024) }));
      await c.waitFor(() => true, timeoutMs, from);
      await c.collect(200);
      if (c.frames.slice(from).some((f) => f.event === 'pong'))
        fail('the 1 MiB frame was processed (pong): the target bounds no frame size');
      else if (!c.closed && !c.frames.slice(from).some(isRefusal)) fail('no close and no refusal');
    },
  );

  return Promise.all(results);
}
