/**
 * The operations agno 3.x added (issue 12) on the shipped server, over real HTTP with the real auth
 * middleware (RS256 tokens), the real handlers and run engine, and an in-memory PGlite: operations
 * mounted only with a feature are not served without one (the auth middleware still decides: 401
 * without a token, 403 without the scopes; then 404), and the base operations answer what agno 3.1.10
 * answers for this server's concepts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Database, openDatabase } from '../src/db/index.js';
import {
  bearer,
  claims,
  makeKey,
  request,
  sign,
  startServer,
  type TestKey,
  type TestServer,
} from './auth-helpers.js';

let key: TestKey;
let srv: TestServer;
let database: Database;

async function token(scopes: string[], sub = 'alice'): Promise<string> {
  return sign(claims({ sub, scopes }), key.privateKey, { alg: 'RS256' });
}

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

async function call(method: string, path: string, scopes: string[] | null, body?: unknown, sub?: string) {
  const headers: Record<string, string> = scopes ? bearer(await token(scopes, sub)) : {};
  let text: string | undefined;
  if (body instanceof FormData) {
    const res = await fetch(`http://127.0.0.1:${srv.port}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: {}, text, body: JSON.parse(text) };
  }
  if (body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    text = body.toString();
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    text = JSON.stringify(body);
  }
  return request(srv.port, method, path, headers, text);
}

const ADMIN = ['agent_os:admin'];

before(async () => {
  key = await makeKey('RS256');
  // Its own in-memory database, closed after every suite of this file has run.
  database = await openDatabase({ memory: true });
  srv = await startServer(
    {
      database,
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      agents: [
        { id: 'research-agent', name: 'Research Agent' },
        { id: 'support-agent', name: 'Support Agent' },
      ],
    },
    false,
  );
});
after(async () => {
  await srv.close();
  await database.close();
});

describe('operations mounted only with a feature, on a server without the feature', () => {
  const FEATURE_OPS: [string, string][] = [
    ['GET', '/authz/roles'],
    ['POST', '/authz/subjects/alice/roles'],
    ['GET', '/users'],
    ['GET', '/users/metrics'],
    ['GET', '/company/products'],
    ['PUT', '/company/wiki/home'],
    ['GET', '/queue/jobs'],
    ['POST', '/queue/jobs/j1/requeue'],
  ];
  for (const [method, path] of FEATURE_OPS) {
    test(`${method} ${path}: 401 without a token, 403 without its scopes, then 404 (not served)`, async () => {
      assert.equal((await call(method, path, null)).status, 401);
      assert.equal(
        (await call(method, path, ['agents:read'], method === 'GET' ? undefined : {})).status,
        403,
      );
      const r = await call(method, path, ADMIN, method === 'GET' ? undefined : {});
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.deepEqual(r.body, { detail: 'Not Found' });
    });
  }
});

describe('/queue without a durable queue', () => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    test(`${method} /queue: 503 naming the switch for an admin, 403 otherwise`, async () => {
      const r = await call(method, '/queue', ADMIN);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, {
        detail:
          'Queue not available: pass a `queue=QueueConfig(durable=True)` to AgentOS to enable this feature.',
      });
      assert.equal((await call(method, '/queue', ['agents:read'])).status, 403);
    });
  }
});

describe('sessions: run previews, media, compaction', () => {
  let sessionId = '';
  before(async () => {
    const run = await call(
      'POST',
      '/agents/research-agent/runs',
      ['agents:research-agent:run'],
      new URLSearchParams({ message: 'hello there', stream: 'false' }),
    );
    assert.equal(run.status, 200, run.text);
    sessionId = run.body.session_id;
  });

  test('GET /sessions/{id}/run-previews lists the runs trimmed to previews', async () => {
    const r = await call('GET', `/sessions/${sessionId}/run-previews`, ['sessions:read']);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.length, 1);
    const [p] = r.body;
    assert.equal(p.agent_id, 'research-agent');
    assert.equal(p.status, 'COMPLETED');
    assert.equal(p.run_input, 'hello there');
    assert.equal(typeof p.content_preview, 'string');
    assert.ok(p.content_preview.length <= 280);
    assert.equal(p.messages, undefined, 'no messages in a preview');
    const none = await call('GET', `/sessions/${sessionId}/run-previews?status=error`, ['sessions:read']);
    assert.deepEqual(none.body, []);
    const some = await call('GET', `/sessions/${sessionId}/run-previews?status=completed`, ['sessions:read']);
    assert.equal(some.body.length, 1);
    assert.equal((await call('GET', '/sessions/nope/run-previews', ['sessions:read'])).status, 404);
    assert.equal((await call('GET', `/sessions/${sessionId}/run-previews`, ['agents:read'])).status, 403);
  });

  test('GET /sessions/{id}/media/{key}: the session holds no media (404), after its ownership check', async () => {
    const r = await call('GET', `/sessions/${sessionId}/media/img-1`, ['sessions:read']);
    assert.deepEqual([r.status, r.body], [404, { detail: 'Media not found in this session' }]);
    // A storage key with `/` travels percent-encoded in its one segment and reaches the handler.
    const nested = await call('GET', `/sessions/${sessionId}/media/user%2Fimg-1.png`, ['sessions:read']);
    assert.deepEqual([nested.status, nested.body], [404, { detail: 'Media not found in this session' }]);
    const missing = await call('GET', '/sessions/nope/media/img-1', ['sessions:read']);
    assert.deepEqual([missing.status, missing.body], [404, { detail: "Session 'nope' not found" }]);
    const foreign = await call('GET', `/sessions/${sessionId}/media/img-1?user_id=bob`, ['sessions:read']);
    assert.deepEqual([foreign.status, foreign.body], [404, { detail: `Session '${sessionId}' not found` }]);
  });

  test('POST /agents/{id}/sessions/{sid}/compact: not_enabled for the agent owning the session, else 404', async () => {
    const run = ['agents:research-agent:run'];
    const r = await call('POST', `/agents/research-agent/sessions/${sessionId}/compact`, run);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      status: 'not_enabled',
      message: 'Compaction is not enabled on this agent.',
      compacted: false,
      record: null,
      metrics: null,
    });
    // The session belongs to research-agent: another agent's path does not reach it.
    const other = await call('POST', `/agents/support-agent/sessions/${sessionId}/compact`, [
      'agents:support-agent:run',
    ]);
    assert.deepEqual([other.status, other.body], [404, { detail: 'Session not found' }]);
    const missing = await call('POST', '/agents/research-agent/sessions/nope/compact', run);
    assert.deepEqual([missing.status, missing.body], [404, { detail: 'Session not found' }]);
    const agent = await call('POST', `/agents/ghost/sessions/${sessionId}/compact`, ['agents:ghost:run']);
    assert.deepEqual([agent.status, agent.body], [404, { detail: 'Agent not found' }]);
    const foreign = await call(
      'POST',
      `/agents/research-agent/sessions/${sessionId}/compact?user_id=bob`,
      run,
    );
    assert.equal(foreign.status, 404);
    // The run scope of the agent in the path is required.
    assert.equal(
      (
        await call('POST', `/agents/research-agent/sessions/${sessionId}/compact`, [
          'agents:support-agent:run',
        ])
      ).status,
      403,
    );
  });
});

describe('components: restore', () => {
  test('a live component is not archived (409); a deleted one is gone (404)', async () => {
    const rw = ['components:read', 'components:write', 'components:delete'];
    const created = await call('POST', '/components', rw, {
      name: 'Triage',
      component_id: 'triage-agent',
      component_type: 'agent',
    });
    assert.equal(created.status, 201, created.text);
    const live = await call('POST', '/components/triage-agent/restore', rw);
    assert.deepEqual([live.status, live.body], [409, { detail: 'Component is not archived' }]);
    assert.equal((await call('DELETE', '/components/triage-agent', rw)).status, 204);
    const gone = await call('POST', '/components/triage-agent/restore', rw);
    assert.deepEqual([gone.status, gone.body], [404, { detail: 'Component triage-agent not found' }]);
    assert.equal((await call('POST', '/components/triage-agent/restore', ['components:write'])).status, 403);
  });
});

describe('knowledge: refresh', () => {
  test('URL content is read again from its source; other content has none (400); unknown 404', async () => {
    const rw = ['knowledge:read', 'knowledge:write'];
    const text = await call('POST', '/knowledge/content', rw, form({ text_content: 'Refunds take 5 days.' }));
    assert.equal(text.status, 202, text.text);
    const r1 = await call('POST', `/knowledge/content/${text.body.id}/refresh`, rw);
    assert.deepEqual([r1.status, r1.body], [400, { detail: 'Content has no source URL to refresh from' }]);

    const url = await call('POST', '/knowledge/content', rw, form({ url: 'https://example.com/a' }));
    assert.equal(url.status, 202, url.text);
    const r2 = await call('POST', `/knowledge/content/${url.body.id}/refresh`, rw);
    assert.equal(r2.status, 202, r2.text);
    assert.equal(r2.body.id, url.body.id);
    assert.equal(r2.body.status, 'failed');
    assert.match(r2.body.status_message, /no outbound requests/);

    const r3 = await call('POST', '/knowledge/content/nope/refresh', rw);
    assert.deepEqual([r3.status, r3.body], [404, { detail: 'Content not found: nope' }]);
    assert.equal(
      (await call('POST', `/knowledge/content/${url.body.id}/refresh`, ['knowledge:read'])).status,
      403,
    );
  });
});

describe('filesystem: no agent of this server has one', () => {
  const fs = ['filesystem:read', 'agents:read'];
  test('GET /filesystem/files lists nothing across agents; a named agent answers why', async () => {
    const all = await call('GET', '/filesystem/files', fs);
    assert.deepEqual(
      [all.status, all.body],
      [200, { entries: [], meta: { page: 1, limit: 20, total_pages: 0, total_count: 0 } }],
    );
    const one = await call('GET', '/filesystem/files?agent_id=research-agent', fs);
    assert.deepEqual([one.status, one.body], [404, { detail: 'This agent does not have a filesystem' }]);
    const ghost = await call('GET', '/filesystem/files?agent_id=ghost', fs);
    assert.deepEqual([ghost.status, ghost.body], [404, { detail: 'Agent not found' }]);
  });

  test('entries, content and search need a namespace or an agent', async () => {
    for (const path of [
      '/filesystem/entries',
      '/filesystem/content?path=a.txt',
      '/filesystem/search?query=x',
    ]) {
      const sep = path.includes('?') ? '&' : '?';
      const none = await call('GET', path, fs);
      assert.deepEqual(
        [none.status, none.body],
        [400, { detail: 'Provide a namespace, an agent_id, or both' }],
        path,
      );
      const ns = await call('GET', `${path}${sep}namespace=docs`, fs);
      assert.deepEqual([ns.status, ns.body], [404, { detail: 'Filesystem not found' }], path);
      const agent = await call('GET', `${path}${sep}agent_id=research-agent`, fs);
      assert.deepEqual(
        [agent.status, agent.body],
        [404, { detail: 'This agent does not have a filesystem' }],
        path,
      );
    }
  });

  test('an agent the caller may not read is refused (403), as agno does', async () => {
    const onlySupport = ['filesystem:read', 'agents:support-agent:read'];
    const r = await call('GET', '/filesystem/files?agent_id=research-agent', onlySupport);
    assert.deepEqual(
      [r.status, r.body],
      [403, { detail: 'Insufficient permissions. Required scope(s): agents:read' }],
    );
    // (differs) agno answers 403 to a caller who may read no agent; here the listing is empty.
    const none = await call('GET', '/filesystem/files', ['filesystem:read']);
    assert.deepEqual([none.status, none.body.entries], [200, []]);
    assert.equal((await call('GET', '/filesystem/files', ['agents:read'])).status, 403);
  });
});

describe('the served surface', () => {
  test('/openapi.json lists the base operations, and no feature operation this server does not serve', async () => {
    const doc = (await call('GET', '/openapi.json', null)).body;
    assert.ok(doc.paths['/queue']?.get, 'the base /queue surface is listed');
    assert.ok(doc.paths['/filesystem/files']?.get);
    assert.ok(doc.paths['/sessions/{session_id}/run-previews']?.get);
    for (const path of ['/authz/roles', '/users', '/company/products', '/queue/jobs'])
      assert.equal(doc.paths[path], undefined, `${path} is not served`);
  });

  test('a feature operation given a handler is served, behind its scopes, and listed', async () => {
    const roles = { data: [], meta: { page: 1, limit: 20, total_pages: 0, total_count: 0 } };
    const withRoles = await startServer(
      {
        database,
        authorization: true,
        authorizationConfig: { verificationKeys: [key.publicPem] },
        handlers: { listRoles: () => ({ status: 200, body: roles }) },
      },
      false,
    );
    try {
      const as = async (scopes: string[] | null) =>
        request(withRoles.port, 'GET', '/authz/roles', scopes ? bearer(await token(scopes)) : {});
      assert.deepEqual([(await as(ADMIN)).status, (await as(ADMIN)).body], [200, roles]);
      assert.equal((await as(['agents:read'])).status, 403);
      assert.equal((await as(null)).status, 401);
      // Its sibling operations without a handler stay unserved.
      const post = await request(
        withRoles.port,
        'POST',
        '/authz/roles',
        {
          ...bearer(await token(ADMIN)),
          'content-type': 'application/json',
        },
        '{"slug":"x"}',
      );
      assert.equal(post.status, 404);
      const doc = (await request(withRoles.port, 'GET', '/openapi.json')).body;
      assert.deepEqual(
        Object.keys(doc.paths['/authz/roles']).filter((k) => k !== 'parameters'),
        ['get'],
      );
      assert.equal(doc.paths['/authz/roles/{slug}'], undefined);
    } finally {
      await withRoles.close();
    }
  });
});
