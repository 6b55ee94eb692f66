/**
 * Reliability under load (RELIABILITY=1; about 45 s): 200 concurrent keep-alive connections for
 * 30 s against the reference server in its own process (`server/bin/agentos-server.js`, RS256,
 * authorization, audience check), mixing valid, expired, wrong-audience, insufficient-scope,
 * missing-token and filtered-list requests. Every single response is checked against the
 * expected decision (the conformance suite's oracle for scope decisions, contract.md §3 for the
 * 401 answers): 0 wrong decisions, 0 5xx, 0 socket errors, and the server's memory (after a full
 * GC, through the IPC probe) stable between the start and the end of the load.
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

interface Expectation {
  readonly status: number;
  readonly detail?: string;
  readonly challenge?: string;
  /** For 200 lists: the exact ids. */
  readonly ids?: readonly string[];
  /** For 200 objects: the id. */
  readonly id?: string;
}

interface Case {
  readonly name: string;
  readonly path: string;
  readonly authorization: string | null;
  readonly expect: Expectation;
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
    const bearer = async (scopes: string[], claims?: Record<string, unknown>) =>
      `Bearer ${await tokens.mint({ sub: 'load-user', scopes, ...(claims ? { claims } : {}) })}`;
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
    // Sanity: the oracle's view of the cases is the intended mix.
    assert.deepEqual(
      cases.map((c) => c.expect.status),
      [200, 200, 200, 200, 200, 403, 403, 401, 401, 401],
    );
    assert.deepEqual(cases[3]!.expect.ids, ['support-agent']);
  });

  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test(`${CONNECTIONS} connections × ${DURATION_MS / 1000} s: every decision right, no 5xx, memory stable`, async () => {
    // Each case answered once, one by one, before the load: a broken case fails here readably.
    for (const c of cases) {
      const r = await request(server.url, c.path, {
        headers: c.authorization ? { authorization: c.authorization } : {},
      });
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
          const r = await request(server.url, c.path, {
            agent,
            timeoutMs: 15_000,
            headers: c.authorization ? { authorization: c.authorization } : {},
          });
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
