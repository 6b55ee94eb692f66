/**
 * The seeds' own examples, verbatim where they give values (seeds/agentos-jwt-rbac.txt,
 * seeds/agentos-security-layers.txt), plus the caller context, CORS on errors and the decision log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Router } from 'express';
import {
  bearer,
  CHALLENGE,
  captureLogger,
  claims,
  HS_SECRET,
  hs256,
  makeKey,
  NOW,
  request,
  sign,
  startServer,
  type TestKey,
  type TestServer,
} from './auth-helpers.js';

let key: TestKey;
before(async () => {
  key = await makeKey('RS256');
});

describe('seed: complete example (production-os, admin and limited tokens)', () => {
  let srv: TestServer;
  let adminToken: string;
  let limitedToken: string;
  before(async () => {
    srv = await startServer(
      {
        id: 'production-os',
        description: 'Production AgentOS with RBAC',
        agents: [
          { id: 'research-agent', name: 'Research Agent', model: { id: 'gpt-4o', provider: 'OpenAI' } },
          { id: 'support-agent', name: 'Support Agent', model: { id: 'gpt-4o', provider: 'OpenAI' } },
        ],
        authorization: true,
        authorizationConfig: { verificationKeys: [key.publicPem], algorithm: 'RS256', verifyAudience: true },
        corsAllowedOrigins: ['https://yourdomain.com'],
      },
      false,
    );
    adminToken = await sign(
      { sub: 'admin_user', aud: 'production-os', scopes: ['agent_os:admin'], exp: NOW + 86400, iat: NOW },
      key.privateKey,
      { alg: 'RS256' },
    );
    limitedToken = await sign(
      {
        sub: 'user_123',
        aud: 'production-os',
        scopes: ['agents:research-agent:read', 'agents:research-agent:run'],
        exp: NOW + 86400,
        iat: NOW,
      },
      key.privateKey,
      { alg: 'RS256' },
    );
  });
  after(() => srv.close());

  const ids = (body: { id: string }[]) => body.map((a) => a.id);

  test('admin token: every agent, the config', async () => {
    const agents = await request(srv.port, 'GET', '/agents', bearer(adminToken));
    assert.equal(agents.status, 200);
    assert.deepEqual(ids(agents.body), ['research-agent', 'support-agent']);
    const config = await request(srv.port, 'GET', '/config', bearer(adminToken));
    assert.equal(config.status, 200);
    assert.equal(config.body.os_id, 'production-os');
    assert.equal(config.body.description, 'Production AgentOS with RBAC');
  });

  test('limited token: only research-agent is listed and readable', async () => {
    const agents = await request(srv.port, 'GET', '/agents', bearer(limitedToken));
    assert.equal(agents.status, 200);
    assert.deepEqual(ids(agents.body), ['research-agent']);
    assert.equal(
      (await request(srv.port, 'GET', '/agents/research-agent', bearer(limitedToken))).status,
      200,
    );
    const other = await request(srv.port, 'GET', '/agents/support-agent', bearer(limitedToken));
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, {
      detail: 'Insufficient permissions. Required scope(s): agents:support-agent:read',
    });
    assert.equal(other.headers['www-authenticate'], CHALLENGE.scope('agents:support-agent:read'));
  });

  test('limited token: may run research-agent (past auth), not support-agent', async () => {
    const run = await request(
      srv.port,
      'POST',
      '/agents/research-agent/runs',
      {
        ...bearer(limitedToken),
        'content-type': 'application/x-www-form-urlencoded',
      },
      'message=Hello!',
    );
    assert.ok(![401, 403].includes(run.status), `got ${run.status}`);
    const denied = await request(
      srv.port,
      'POST',
      '/agents/support-agent/runs',
      bearer(limitedToken),
      'message=Hello!',
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['www-authenticate'], CHALLENGE.scope('agents:support-agent:run'));
    assert.equal((await request(srv.port, 'GET', '/config', bearer(limitedToken))).status, 403);
  });

  test('mismatched aud → 401 with the audience message', async () => {
    const t = await sign(claims({ aud: 'staging-os', scopes: ['agent_os:admin'] }), key.privateKey, {
      alg: 'RS256',
    });
    const res = await request(srv.port, 'GET', '/agents', bearer(t));
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, {
      detail: 'Invalid token audience - token not valid for this AgentOS instance',
    });
  });

  test('CORS: the same headers on 200, 401, 403 and 404 for the allowed origin, none for another', async () => {
    const origin = 'https://yourdomain.com';
    const answers = [
      await request(srv.port, 'GET', '/agents', { origin, ...bearer(adminToken) }),
      await request(srv.port, 'GET', '/agents', { origin }),
      await request(srv.port, 'GET', '/config', { origin, ...bearer(limitedToken) }),
      await request(srv.port, 'GET', '/nope', { origin, ...bearer(limitedToken) }),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 401, 403, 404],
    );
    for (const a of answers) {
      assert.equal(a.headers['access-control-allow-origin'], origin);
      assert.equal(a.headers['access-control-allow-credentials'], 'true');
      assert.equal(a.headers['access-control-expose-headers'], 'WWW-Authenticate');
    }
    const foreign = await request(srv.port, 'GET', '/agents', { origin: 'https://evil.example' });
    assert.equal(foreign.status, 401);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  });

  test('CORS preflight is answered without a token', async () => {
    const res = await request(srv.port, 'OPTIONS', '/agents/research-agent/runs', {
      origin: 'https://yourdomain.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'https://yourdomain.com');
    assert.match(String(res.headers['access-control-allow-headers']), /authorization/i);
  });
});

describe('seed: HS256 for development', () => {
  test('the seed token (sub user_123, aud my-agent-os, agents:read, 24 h) lists agents', async () => {
    const srv = await startServer(
      {
        id: 'my-agent-os',
        agents: [{ id: 'agent-1' }],
        authorization: true,
        authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
      },
      false,
    );
    try {
      const token = hs256(
        { alg: 'HS256', typ: 'JWT' },
        { sub: 'user_123', aud: 'my-agent-os', scopes: ['agents:read'], exp: NOW + 86400 },
        HS_SECRET,
      );
      const res = await request(srv.port, 'GET', '/agents', bearer(token));
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.map((a: { id: string }) => a.id),
        ['agent-1'],
      );
    } finally {
      await srv.close();
    }
  });
});

describe('seed: response filtering (agent-1, agent-2)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer(
      {
        id: 'my-os',
        agents: [
          { id: 'agent-1', name: 'Agent 1' },
          { id: 'agent-2', name: 'Agent 2' },
          { id: 'agent-3', name: 'Agent 3' },
        ],
        authorization: true,
        authorizationConfig: { verificationKeys: [key.publicPem] },
      },
      false,
    );
  });
  after(() => srv.close());

  test('scopes ["agents:agent-1:read", "agents:agent-2:read"] → only agent-1 and agent-2', async () => {
    const t = await sign(claims({ scopes: ['agents:agent-1:read', 'agents:agent-2:read'] }), key.privateKey, {
      alg: 'RS256',
    });
    const res = await request(srv.port, 'GET', '/agents', bearer(t));
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.map((a: { id: string; name: string }) => ({ id: a.id, name: a.name })),
      [
        { id: 'agent-1', name: 'Agent 1' },
        { id: 'agent-2', name: 'Agent 2' },
      ],
    );
  });

  test('scopes ["agents:read"] → every agent', async () => {
    const t = await sign(claims({ scopes: ['agents:read'] }), key.privateKey, { alg: 'RS256' });
    const res = await request(srv.port, 'GET', '/agents', bearer(t));
    assert.deepEqual(
      res.body.map((a: { id: string }) => a.id),
      ['agent-1', 'agent-2', 'agent-3'],
    );
  });

  test('only run scopes → 403 agents:read', async () => {
    const t = await sign(claims({ scopes: ['agents:agent-1:run'] }), key.privateKey, { alg: 'RS256' });
    const res = await request(srv.port, 'GET', '/agents', bearer(t));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'Insufficient permissions. Required scope(s): agents:read' });
    assert.equal(res.headers['www-authenticate'], CHALLENGE.scope('agents:read'));
  });
});

describe('seed: custom scope mappings and a /me route reading claims', () => {
  let srv: TestServer;
  const customCalls: string[] = [];
  const mint = (scopes: string[], extra: Record<string, unknown> = {}) =>
    sign(claims({ scopes, email: 'john@example.com', name: 'John Doe', ...extra }), key.privateKey, {
      alg: 'RS256',
    });

  before(async () => {
    srv = await startServer(
      {
        id: 'my-agent-os',
        agents: [{ id: 'agent-1' }],
        authorization: true,
        authorizationConfig: { verificationKeys: [key.publicPem], algorithm: 'RS256' },
        userIdClaim: 'sub',
        sessionIdClaim: 'session_id',
        dependenciesClaims: ['email', 'name'],
        scopeMappings: {
          'GET /agents': ['custom:list_agents'],
          'POST /custom/endpoint': ['custom:action'],
          'GET /public/health': [],
        },
        routes: (router: Router) => {
          router.get('/me', (req, res) => {
            customCalls.push('me');
            const auth = req.auth!;
            res.json({
              user_id: auth.userId,
              email: auth.dependencies.email,
              name: auth.dependencies.name,
              scopes: auth.scopes,
            });
          });
          router.post('/custom/endpoint', (req, res) => {
            customCalls.push('custom');
            res.json({ ok: true, body: req.body });
          });
          router.get('/public/health', (req, res) => {
            customCalls.push('public');
            res.json({ status: 'ok', authenticated: req.auth!.authenticated });
          });
        },
      },
      false,
    );
  });
  after(() => srv.close());

  test('"GET /agents": ["custom:list_agents"] overrides the default', async () => {
    const denied = await request(srv.port, 'GET', '/agents', bearer(await mint(['agents:read'])));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['www-authenticate'], CHALLENGE.scope('custom:list_agents'));
    const allowed = await request(srv.port, 'GET', '/agents', bearer(await mint(['custom:list_agents'])));
    assert.equal(allowed.status, 200);
    assert.deepEqual(
      allowed.body.map((a: { id: string }) => a.id),
      ['agent-1'],
    );
  });

  test('"POST /custom/endpoint": ["custom:action"]', async () => {
    const before = customCalls.length;
    assert.equal((await request(srv.port, 'POST', '/custom/endpoint')).status, 401);
    const denied = await request(srv.port, 'POST', '/custom/endpoint', bearer(await mint(['agents:read'])));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['www-authenticate'], CHALLENGE.scope('custom:action'));
    assert.equal(customCalls.length, before, 'the custom handler did not run');
    const ok = await request(
      srv.port,
      'POST',
      '/custom/endpoint',
      { ...bearer(await mint(['custom:action'])), 'content-type': 'application/json' },
      '{"x":1}',
    );
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { ok: true, body: { x: 1 } });
  });

  test('custom routes are case-sensitive like the mappings (no bypass by case)', async () => {
    const before = customCalls.length;
    const res = await request(srv.port, 'POST', '/CUSTOM/endpoint', bearer(await mint(['agents:read'])));
    assert.equal(res.status, 404);
    assert.equal(customCalls.length, before);
  });

  test('"GET /public/health": [] is public, even with a garbage token', async () => {
    for (const headers of [{}, bearer('garbage')]) {
      const res = await request(srv.port, 'GET', '/public/health', headers);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok', authenticated: false });
    }
  });

  test('/me reads the claims (user_id, email, name, scopes)', async () => {
    const res = await request(srv.port, 'GET', '/me', bearer(await mint(['agents:read'])));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      user_id: 'user_123',
      email: 'john@example.com',
      name: 'John Doe',
      scopes: ['agents:read'],
    });
  });

  test('/me without a token → 401; with a bad token → 401 invalid_token', async () => {
    const before = customCalls.length;
    assert.equal((await request(srv.port, 'GET', '/me')).status, 401);
    const bad = await request(srv.port, 'GET', '/me', bearer('a.b.c'));
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['www-authenticate'], CHALLENGE.invalid);
    assert.equal(customCalls.length, before);
  });
});

describe('caller context (req.auth)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      id: 'my-os',
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem], userIsolation: true },
      userIdClaim: 'uid',
      sessionIdClaim: 'sid',
      dependenciesClaims: ['email', 'tenant'],
      sessionStateClaims: ['plan'],
    });
  });
  after(() => srv.close());

  test('every field, for a non-admin caller on a user-owned operation', async () => {
    const t = await sign(
      claims({
        uid: 'u-1',
        sid: 's-9',
        email: 'a@b.c',
        tenant: 't1',
        plan: 'pro',
        other: 1,
        scopes: ['sessions:read'],
      }),
      key.privateKey,
      { alg: 'RS256' },
    );
    const res = await request(srv.port, 'GET', '/sessions', bearer(t));
    assert.equal(res.status, 200);
    const { claims: tokenClaims, grants, ...caller } = res.body.caller;
    // The compiled grants (sets and maps) do not survive JSON; core's tests cover them.
    assert.equal(typeof grants, 'object');
    assert.deepEqual(caller, {
      operationId: 'listSessions',
      authenticated: true,
      userId: 'u-1',
      sessionId: 's-9',
      scopes: ['sessions:read'],
      roles: [],
      dependencies: { email: 'a@b.c', tenant: 't1' },
      sessionState: { plan: 'pro' },
      isAdmin: false,
      accessibleIds: null,
      scopedUserId: 'u-1',
    });
    assert.equal(tokenClaims.other, 1);
    assert.equal(tokenClaims.uid, 'u-1');
  });

  test('admin callers see the unscoped view', async () => {
    const t = await sign(claims({ uid: 'root', scopes: ['agent_os:admin'] }), key.privateKey, {
      alg: 'RS256',
    });
    const res = await request(srv.port, 'GET', '/sessions', bearer(t));
    assert.equal(res.body.caller.isAdmin, true);
    assert.equal(res.body.caller.scopedUserId, null);
  });

  test('operations that are not user-owned have no scoped user', async () => {
    const t = await sign(claims({ uid: 'u-1', scopes: ['config:read'] }), key.privateKey, { alg: 'RS256' });
    const res = await request(srv.port, 'GET', '/config', bearer(t));
    assert.equal(res.body.caller.scopedUserId, null);
  });

  test('with user isolation on, a token without the user id claim is refused on user-owned operations', async () => {
    // AgentOS 3.1 (contract.md §8.1): 403 where it would see per-user data, not 401 for the token.
    const t = await sign({ exp: NOW + 60, scopes: ['sessions:read'] }, key.privateKey, { alg: 'RS256' });
    const res = await request(srv.port, 'GET', '/sessions', bearer(t));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, {
      detail: 'Authenticated request is missing a user identity',
    });
  });

  test('without user isolation the scoped user is null', async () => {
    const plain = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
    });
    try {
      const t = await sign(claims({ scopes: ['sessions:read'] }), key.privateKey, { alg: 'RS256' });
      const res = await request(plain.port, 'GET', '/sessions', bearer(t));
      assert.equal(res.body.caller.userId, 'user_123');
      assert.equal(res.body.caller.scopedUserId, null);
    } finally {
      await plain.close();
    }
  });
});

describe('token from a cookie', () => {
  const rows: [string, 'cookie' | 'both', Record<string, string>, number, string?][] = [
    ['cookie source: the cookie is read', 'cookie', { cookie: 'access_token=TOKEN' }, 200],
    [
      'cookie source: the header is not read',
      'cookie',
      { authorization: 'Bearer TOKEN' },
      401,
      "JWT cookie 'access_token' missing",
    ],
    ['both: the header is read', 'both', { authorization: 'Bearer TOKEN' }, 200],
    ['both: the cookie is read', 'both', { cookie: 'x=1; access_token=TOKEN' }, 200],
    [
      'both: the header wins over the cookie',
      'both',
      { authorization: 'Bearer TOKEN', cookie: 'access_token=garbage' },
      200,
    ],
    [
      'both: nothing',
      'both',
      {},
      401,
      "JWT token missing from both Authorization header and 'access_token' cookie",
    ],
  ];
  for (const [name, tokenSource, headers, status, detail] of rows) {
    test(name, async () => {
      const srv = await startServer({
        authorization: true,
        tokenSource,
        authorizationConfig: { verificationKeys: [key.publicPem] },
      });
      try {
        const t = await sign(claims({ scopes: ['config:read'] }), key.privateKey, { alg: 'RS256' });
        const filled = Object.fromEntries(
          Object.entries(headers).map(([k, v]) => [k, v.replace('TOKEN', t)]),
        );
        const res = await request(srv.port, 'GET', '/config', filled);
        assert.equal(res.status, status, res.text);
        if (detail) {
          assert.deepEqual(res.body, { detail });
          assert.equal(res.headers['www-authenticate'], CHALLENGE.missing);
        }
        if (status === 200) assert.equal(res.headers.vary, 'Origin, Authorization, Cookie');
      } finally {
        await srv.close();
      }
    });
  }
});

describe('decision log: one line per request, no token contents', () => {
  test('allowed, filtered, denied, unauthenticated, public', async () => {
    const cap = captureLogger();
    const srv = await startServer({
      logger: cap.logger,
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
    });
    try {
      const t = async (scopes: string[]) => sign(claims({ scopes }), key.privateKey, { alg: 'RS256' });
      const tokens = [await t(['config:read']), await t(['agents:a1:read']), await t([])];
      cap.lines.length = 0;
      await request(srv.port, 'GET', '/config', bearer(tokens[0]!));
      await request(srv.port, 'GET', '/agents', bearer(tokens[1]!));
      await request(srv.port, 'GET', '/config', bearer(tokens[2]!));
      await request(srv.port, 'GET', '/config', bearer('x.y.z'));
      await request(srv.port, 'GET', '/health');
      const auth = cap.lines.filter((l) => l.auth).map((l) => l.auth as Record<string, unknown>);
      assert.equal(auth.length, 5, 'one line per request');
      assert.deepEqual(auth[0], {
        decision: 'allowed',
        reason: 'scopes_satisfied',
        sub: 'user_123',
        operationId: 'getConfig',
        method: 'GET',
        route: '/config',
        required: ['config:read'],
      });
      assert.deepEqual([auth[1]!.decision, auth[1]!.reason], ['filtered', 'per_resource_scopes']);
      assert.deepEqual(
        [auth[2]!.decision, auth[2]!.reason, auth[2]!.required],
        ['denied', 'insufficient_scope', ['config:read']],
      );
      assert.deepEqual(
        [auth[3]!.decision, auth[3]!.reason, auth[3]!.sub],
        ['unauthenticated', 'malformed', null],
      );
      assert.deepEqual([auth[4]!.decision, auth[4]!.reason], ['public', 'public_operation']);
      const text = cap.text();
      for (const tok of tokens)
        for (const part of tok.split('.')) assert.ok(!text.includes(part), 'no token contents in logs');
    } finally {
      await srv.close();
    }
  });
});
