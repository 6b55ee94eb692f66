/**
 * Reliability under load (RELIABILITY=1; about 45 s): 200 concurrent keep-alive connections for
 * 30 s against the reference server in its own process (`server/bin/agentos-server.js`, RS256,
 * authorization, audience check, configured roles with `trustTokenScopes`, user isolation),
 * mixing valid, expired, wrong-audience, insufficient-scope, missing-token and filtered-list
 * requests, role tokens (allow, deny, deny across roles, unknown role, a token scope lifting a
 * role's deny), approvals and schedules (a schedule seeded through the API before the load: its
 * owner and another user, a `schedules:write` caller without the target's run scope). Every single
 * response is checked against the expected decision (the conformance suite's oracle for the token
 * scope cases; contract.md §3 for the 401 answers; §8 and §9 by hand for the role, approval and
 * schedule cases): 0 wrong decisions, 0 5xx, 0 socket errors, and the server's memory (after a
 * full GC, through the IPC probe) stable between the start and the end of the load.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createTokenFactory, DEFAULT_SPEC, loadSpec, type Operation, oracle } from '@agentos/conformance';
import {
  type HttpAnswer,
  recordReliability,
  request,
  rsaKeyPair,
  type ServerProcess,
  sleep,
  startReferenceServer,
  tempDir,
} from '../../bench/harness.js';

const ENABLED = process.env.RELIABILITY === '1';
const SKIP = ENABLED ? false : 'reliability test: set RELIABILITY=1 to run (npm run test:reliability; ~45 s)';

const CONNECTIONS = 200;
const DURATION_MS = Number(process.env.RELIABILITY_LOAD_SECONDS ?? 30) * 1000;
const WARMUP_MS = 4000;
/** Bounds of memory growth between the start and the end of the load (after a full GC). */
const HEAP_GROWTH_LIMIT = 24 * 2 ** 20;
const RSS_GROWTH_LIMIT = 96 * 2 ** 20;
const AUDIENCE = 'agentos-reliability';
/** Configured roles (contract.md §9.1): `reader` is the contract's worked example (§9.2). */
const ROLES = {
  reader: {
    allow: ['agents:*:read', 'approvals:read', 'schedules:read'],
    deny: ['agents:support-agent:read'],
  },
  'support-reader': { allow: ['agents:support-agent:read'] },
};
/** §3's 403 detail, written out (not from the oracle) for the role, approval and schedule cases. */
const insufficient = (scope: string): Expectation => ({
  status: 403,
  detail: `Insufficient permissions. Required scope(s): ${scope}`,
  challenge: 'error="insufficient_scope"',
});

interface Expectation {
  readonly status: number;
  readonly detail?: string;
  readonly challenge?: string;
  /** For 200 lists: the exact ids. */
  readonly ids?: readonly string[];
  /** For 200 objects: the id. */
  readonly id?: string;
  /** For 200 paginated lists (`{data, meta}`): the exact ids of `data`. */
  readonly dataIds?: readonly string[];
  /** For 200 counts (`{count}`). */
  readonly count?: number;
}

interface Case {
  readonly name: string;
  readonly path: string;
  readonly authorization: string | null;
  readonly expect: Expectation;
  /** Default GET. */
  readonly method?: string;
  /** A JSON body (sent with `content-type: application/json`). */
  readonly body?: string;
}

/** The headers and body of a case's request. */
function requestOf(c: Case): { method: string; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = c.authorization ? { authorization: c.authorization } : {};
  if (c.body === undefined) return { method: c.method ?? 'GET', headers };
  return {
    method: c.method ?? 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: c.body,
  };
}

function check(c: Case, r: HttpAnswer): string | null {
  const e = c.expect;
  if (r.status !== e.status) return `status ${r.status}, expected ${e.status}: ${r.body.slice(0, 200)}`;
  const body = r.json as { detail?: unknown } | unknown[] | undefined;
  if (e.detail !== undefined && (body as { detail?: unknown })?.detail !== e.detail) {
    return `detail ${JSON.stringify((body as { detail?: unknown })?.detail)}, expected ${JSON.stringify(e.detail)}`;
  }
  if (e.challenge !== undefined && !String(r.headers['www-authenticate'] ?? '').includes(e.challenge)) {
    return `WWW-Authenticate ${JSON.stringify(r.headers['www-authenticate'])} lacks ${e.challenge}`;
  }
  if (e.ids !== undefined) {
    const ids = Array.isArray(body) ? body.map((a) => (a as { id?: unknown }).id).sort() : null;
    if (JSON.stringify(ids) !== JSON.stringify([...e.ids].sort())) {
      return `list ids ${JSON.stringify(ids)}, expected ${JSON.stringify(e.ids)}`;
    }
  }
  if (e.id !== undefined && (body as { id?: unknown })?.id !== e.id) {
    return `object id ${JSON.stringify((body as { id?: unknown })?.id)}, expected ${e.id}`;
  }
  if (e.dataIds !== undefined) {
    const data = (body as { data?: unknown } | undefined)?.data;
    const ids = Array.isArray(data) ? data.map((a) => (a as { id?: unknown }).id).sort() : null;
    if (JSON.stringify(ids) !== JSON.stringify([...e.dataIds].sort())) {
      return `data ids ${JSON.stringify(ids)}, expected ${JSON.stringify(e.dataIds)}`;
    }
  }
  if (e.count !== undefined && (body as { count?: unknown })?.count !== e.count) {
    return `count ${JSON.stringify((body as { count?: unknown })?.count)}, expected ${e.count}`;
  }
  return null;
}

/** The expected answer of a valid token on `op`, from the suite's oracle (contract.md §3). */
function fromOracle(
  op: Operation,
  values: Record<string, string>,
  scopes: string[],
  all: readonly string[],
): Expectation {
  const d = oracle.decide(op, values, scopes);
  switch (d.kind) {
    case 'deny':
      return {
        status: 403,
        detail: oracle.insufficientDetail(d.required),
        challenge: 'error="insufficient_scope"',
      };
    case 'filter':
      return { status: 200, ids: all.filter((id) => d.ids.includes(id)) };
    default:
      return op.path === '/agents' ? { status: 200, ids: all } : { status: 200, id: values.agent_id! };
  }
}

describe('reliability: load', { skip: SKIP, timeout: 180_000 }, () => {
  let server: ServerProcess;
  let cases: Case[];
  const tmp = tempDir('agentos-rel-load-');

  before(async () => {
    const keys = rsaKeyPair();
    server = await startReferenceServer({
      cwd: tmp.dir,
      memoryProbe: true,
      env: {
        AUTHORIZATION_ENABLED: 'true',
        JWT_VERIFICATION_KEY: keys.publicPem,
        JWT_VERIFY_AUDIENCE: 'true',
        JWT_AUDIENCE: AUDIENCE,
      },
      config: {
        id: 'agentos-reliability',
        agents: [
          { id: 'research-agent', name: 'Research Agent' },
          { id: 'support-agent', name: 'Support Agent' },
        ],
        authorizationConfig: {
          roles: ROLES,
          rolesClaim: 'role',
          // The token-scope cases keep their meaning: the token's scopes are a second grant plane
          // (contract.md §9.1 item 3), so the oracle's scope decisions still hold for tokens that
          // name no role.
          trustTokenScopes: true,
          userIsolation: true,
        },
      },
    });
    const tokens = await createTokenFactory({
      alg: 'RS256',
      signingKey: keys.privatePem,
      audience: AUDIENCE,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
      lifetime: 3600,
    });
    const spec = await loadSpec(DEFAULT_SPEC);
    const op = (id: string) => spec.operations.find((o) => o.operationId === id)!;
    const list = op('listAgents');
    const get = op('getAgent');
    const all = ['research-agent', 'support-agent'];
    const bearer = async (
      scopes: string[] | undefined,
      claims?: Record<string, unknown>,
      sub = 'load-user',
    ) => `Bearer ${await tokens.mint({ sub, ...(scopes ? { scopes } : {}), ...(claims ? { claims } : {}) })}`;
    /** A token naming `role` (a string or a list) and, by default, no scopes claim at all. */
    const roleBearer = (role: string | string[], scopes?: string[], sub = 'load-user') =>
      bearer(scopes, { role }, sub);

    // Seeded through the API before the load: a schedule of `load-user` aimed at an agent it may
    // run (contract.md §8.2), disabled at once so it never fires during the test.
    const daily = JSON.stringify({
      name: 'reliability digest',
      cron_expr: '0 9 * * *',
      endpoint: '/agents/research-agent/runs',
      payload: { message: 'Summarise the news' },
    });
    const writer = await bearer(['schedules:write', 'agents:research-agent:run']);
    const created = await request(server.url, '/schedules', {
      method: 'POST',
      headers: { authorization: writer, 'content-type': 'application/json' },
      body: daily,
    });
    assert.equal(created.status, 201, `seeding a schedule: ${created.body}`);
    const scheduleId = (created.json as { id: string }).id;
    const disabled = await request(server.url, `/schedules/${scheduleId}/disable`, {
      method: 'POST',
      headers: { authorization: writer },
    });
    assert.equal(disabled.status, 200, `disabling the seeded schedule: ${disabled.body}`);
    const valid = async (name: string, o: Operation, scopes: string[], agent?: string): Promise<Case> => {
      const values: Record<string, string> = agent ? { agent_id: agent } : {};
      return {
        name,
        path: agent ? `/agents/${agent}` : '/agents',
        authorization: await bearer(scopes),
        expect: fromOracle(o, values, scopes, all),
      };
    };
    cases = [
      await valid('valid: per-id read', get, ['agents:research-agent:read'], 'research-agent'),
      await valid('valid: global list', list, ['agents:read']),
      await valid('valid: admin get', get, ['agent_os:admin'], 'support-agent'),
      await valid('filtered list: one id', list, ['agents:support-agent:read']),
      await valid('filtered list: wildcard', list, ['agents:*:read']),
      await valid(
        'insufficient scope: other agent',
        get,
        ['agents:support-agent:read', 'teams:read'],
        'research-agent',
      ),
      await valid('insufficient scope: run is not read', list, ['agents:research-agent:run']),
      {
        name: 'expired',
        path: '/agents',
        authorization: await bearer(['agent_os:admin'], { exp: { $now: -120 }, iat: { $now: -3600 } }),
        expect: { status: 401, detail: 'Token has expired', challenge: 'error="invalid_token"' },
      },
      {
        name: 'wrong audience',
        path: '/agents/research-agent',
        authorization: await bearer(['agent_os:admin'], { aud: 'another-agentos' }),
        expect: {
          status: 401,
          detail: 'Invalid token audience - token not valid for this AgentOS instance',
          challenge: 'error="invalid_token"',
        },
      },
      {
        name: 'no token',
        path: '/agents',
        authorization: null,
        expect: { status: 401, detail: 'Authorization header missing', challenge: 'Bearer realm=' },
      },
    ];
    // Sanity: the oracle's view of the token-scope cases is the intended mix.
    assert.deepEqual(
      cases.map((c) => c.expect.status),
      [200, 200, 200, 200, 200, 403, 403, 401, 401, 401],
    );
    assert.deepEqual(cases[3]!.expect.ids, ['support-agent']);

    // Roles (contract.md §9.1, §9.2; expectations written by hand from its worked example). The
    // tokens carry no scopes claim unless said: their grants are their roles'.
    cases.push(
      {
        name: 'role reader: allowed agent',
        path: '/agents/research-agent',
        authorization: await roleBearer('reader'),
        expect: { status: 200, id: 'research-agent' },
      },
      {
        name: 'role reader: denied agent',
        path: '/agents/support-agent',
        authorization: await roleBearer('reader'),
        expect: insufficient('agents:support-agent:read'),
      },
      {
        name: 'role reader: list without the denied agent',
        path: '/agents',
        authorization: await roleBearer('reader'),
        expect: { status: 200, ids: ['research-agent'] },
      },
      {
        name: 'role reader (array claim, empty scopes): allowed agent',
        path: '/agents/research-agent',
        authorization: await roleBearer(['reader'], []),
        expect: { status: 200, id: 'research-agent' },
      },
      {
        name: 'unknown role: nothing granted',
        path: '/agents/research-agent',
        authorization: await roleBearer('ghost'),
        expect: insufficient('agents:research-agent:read'),
      },
      {
        name: 'unknown role: list refused',
        path: '/agents',
        authorization: await roleBearer(['ghost', 'nobody']),
        expect: insufficient('agents:read'),
      },
      {
        // Deny beats allow across all the roles held (§9.2): support-reader's allow does not lift
        // reader's deny.
        name: 'roles reader + support-reader: deny wins',
        path: '/agents/support-agent',
        authorization: await roleBearer(['reader', 'support-reader']),
        expect: insufficient('agents:support-agent:read'),
      },
      {
        name: 'roles reader + support-reader: list still without the denied agent',
        path: '/agents',
        authorization: await roleBearer(['support-reader', 'reader']),
        expect: { status: 200, ids: ['research-agent'] },
      },
      {
        name: 'role support-reader alone: its agent',
        path: '/agents/support-agent',
        authorization: await roleBearer('support-reader'),
        expect: { status: 200, id: 'support-agent' },
      },
      {
        // trustTokenScopes: the token's scopes are a second plane, OR-ed (§9.2, ROLE-TRUST).
        name: 'role reader + token scope: the token plane lifts the deny',
        path: '/agents/support-agent',
        authorization: await roleBearer('reader', ['agents:support-agent:read']),
        expect: { status: 200, id: 'support-agent' },
      },
      {
        name: 'unknown role + token scope: the token plane alone',
        path: '/agents',
        authorization: await roleBearer('ghost', ['agents:support-agent:read']),
        expect: { status: 200, ids: ['support-agent'] },
      },
    );

    // Approvals (none exists: the decisions and the not-found answer, §3 and §8.3).
    cases.push(
      {
        name: 'approvals: role reader lists',
        path: '/approvals',
        authorization: await roleBearer('reader'),
        expect: { status: 200, dataIds: [] },
      },
      {
        name: 'approvals: role reader counts',
        path: '/approvals/count',
        authorization: await roleBearer('reader'),
        expect: { status: 200, count: 0 },
      },
      {
        name: 'approvals: role reader, unknown id',
        path: '/approvals/apr-does-not-exist',
        authorization: await roleBearer('reader'),
        expect: { status: 404, detail: 'Approval not found' },
      },
      {
        name: 'approvals: scope approvals:read, unknown id',
        path: '/approvals/apr-does-not-exist/status',
        authorization: await bearer(['approvals:read']),
        expect: { status: 404, detail: 'Approval not found' },
      },
      {
        name: 'approvals: role without approvals:read',
        path: '/approvals',
        authorization: await roleBearer('support-reader'),
        expect: insufficient('approvals:read'),
      },
      {
        name: 'approvals: count without approvals:read',
        path: '/approvals/count',
        authorization: await bearer(['agents:read', 'schedules:read']),
        expect: insufficient('approvals:read'),
      },
    );

    // Schedules (§5 isolation, §8.2 scheduled targets, §8.3 containment).
    cases.push(
      {
        name: 'schedules: owner (role reader) lists its schedule',
        path: '/schedules',
        authorization: await roleBearer('reader'),
        expect: { status: 200, dataIds: [scheduleId] },
      },
      {
        name: 'schedules: owner (role reader) reads its schedule',
        path: `/schedules/${scheduleId}`,
        authorization: await roleBearer('reader'),
        expect: { status: 200, id: scheduleId },
      },
      {
        name: 'schedules: another user (role reader) lists nothing',
        path: '/schedules',
        authorization: await roleBearer('reader', undefined, 'other-user'),
        expect: { status: 200, dataIds: [] },
      },
      {
        name: 'schedules: another user (role reader) gets 404',
        path: `/schedules/${scheduleId}`,
        authorization: await roleBearer('reader', undefined, 'other-user'),
        expect: { status: 404, detail: 'Schedule not found' },
      },
      {
        name: 'schedules: admin reads any schedule',
        path: `/schedules/${scheduleId}`,
        authorization: await bearer(['agent_os:admin'], undefined, 'admin-user'),
        expect: { status: 200, id: scheduleId },
      },
      {
        name: 'schedules: role without schedules:read',
        path: `/schedules/${scheduleId}`,
        authorization: await roleBearer('support-reader'),
        expect: insufficient('schedules:read'),
      },
      {
        // Nothing is created: were one created, the owner's list above would show it.
        name: 'schedules: create without the target run scope',
        path: '/schedules',
        authorization: await bearer(['schedules:write', 'agents:support-agent:run']),
        body: daily,
        expect: insufficient('agents:research-agent:run'),
      },
      {
        name: 'schedules: create by role reader (no schedules:write)',
        path: '/schedules',
        authorization: await roleBearer('reader'),
        body: daily,
        expect: insufficient('schedules:write'),
      },
    );
  });

  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test(`${CONNECTIONS} connections × ${DURATION_MS / 1000} s: every decision right, no 5xx, memory stable`, async () => {
    // Each case answered once, one by one, before the load: a broken case fails here readably.
    for (const c of cases) {
      const r = await request(server.url, c.path, requestOf(c));
      assert.equal(check(c, r), null, `${c.name}: ${check(c, r)}`);
    }

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
    const counts = new Map<string, number>();
    const wrong: string[] = [];
    let wrongTotal = 0;
    let fiveXx = 0;
    let socketErrors = 0;
    let total = 0;
    const latencies: number[] = [];
    let measuring = false;
    const start = Date.now();
    const deadline = start + WARMUP_MS + DURATION_MS;
    const memory: { at: number; rss: number; heapUsed: number }[] = [];

    const worker = async (w: number) => {
      for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) {
        const c = cases[(w + i) % cases.length]!;
        try {
          const r = await request(server.url, c.path, { ...requestOf(c), agent, timeoutMs: 15_000 });
          total++;
          if (measuring) latencies.push(r.ms);
          counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
          if (r.status >= 500) fiveXx++;
          const problem = check(c, r);
          if (problem) {
            wrongTotal++;
            if (wrong.length < 20) wrong.push(`${c.name}: ${problem}`);
          }
        } catch (e) {
          socketErrors++;
          if (wrong.length < 20) wrong.push(`${c.name}: ${(e as Error).message}`);
        }
      }
    };
    const sampler = (async () => {
      await sleep(WARMUP_MS);
      measuring = true;
      const m0 = await server.memory();
      memory.push({ at: Date.now() - start, rss: m0.rss, heapUsed: m0.heapUsed });
      while (Date.now() < deadline - 10_000) {
        await sleep(10_000);
        const m = await server.memory();
        memory.push({ at: Date.now() - start, rss: m.rss, heapUsed: m.heapUsed });
      }
    })();
    await Promise.all([...Array.from({ length: CONNECTIONS }, (_, w) => worker(w)), sampler]);
    agent.destroy();
    await sleep(1000);
    const end = await server.memory();
    memory.push({ at: Date.now() - start, rss: end.rss, heapUsed: end.heapUsed });

    const sorted = latencies.sort((a, b) => a - b);
    const p = (q: number) => Math.round((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 10) / 10;
    const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    const first = memory[0]!;
    const summary = {
      requests: total,
      rps: Math.round(total / ((Date.now() - start) / 1000)),
      latency_ms: { p50: p(0.5), p99: p(0.99) },
      wrong_decisions: wrongTotal,
      five_xx: fiveXx,
      socket_errors: socketErrors,
      per_case: Object.fromEntries(counts),
      memory_mb: memory.map((m) => ({ at_s: Math.round(m.at / 1000), rss: mb(m.rss), heap: mb(m.heapUsed) })),
    };
    recordReliability('load', { connections: CONNECTIONS, seconds: DURATION_MS / 1000, ...summary });
    console.log(`reliability-load: ${JSON.stringify(summary)}`);

    assert.deepEqual(
      wrong,
      [],
      `${wrongTotal} wrong answers, ${socketErrors} socket errors (first 20 shown)`,
    );
    assert.equal(fiveXx, 0, '5xx answers');
    assert.equal(socketErrors, 0, 'socket errors');
    assert.ok(total > CONNECTIONS * 10, `only ${total} requests completed`);
    for (const c of cases) assert.ok((counts.get(c.name) ?? 0) > 0, `case ${c.name} never ran`);
    assert.ok(
      end.heapUsed - first.heapUsed < HEAP_GROWTH_LIMIT,
      `heap grew from ${mb(first.heapUsed)} MB to ${mb(end.heapUsed)} MB (limit +${mb(HEAP_GROWTH_LIMIT)} MB)`,
    );
    assert.ok(
      end.rss - first.rss < RSS_GROWTH_LIMIT,
      `RSS grew from ${mb(first.rss)} MB to ${mb(end.rss)} MB (limit +${mb(RSS_GROWTH_LIMIT)} MB)`,
    );
    assert.ok(server.alive(), 'the server exited during the load');
  });
});
