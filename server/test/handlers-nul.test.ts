/**
 * U+0000 cannot be stored by PostgreSQL (text or jsonb): every operation of the shipped server,
 * with real handlers and storage, answers a NUL in a path parameter, a query value or a JSON
 * body string with 422 in FastAPI's shape (`loc` names where), never 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { isNulRejection } from '../src/db/errors.js';
import { openDatabase } from '../src/db/index.js';
import { routes } from '../src/generated/routes.js';
import { bearer, claims, makeKey, request, sign, startServer, type TestServer } from './auth-helpers.js';

let srv: TestServer;
let admin: Record<string, string>;

before(async () => {
  const key = await makeKey('RS256');
  srv = await startServer(
    {
      id: 'nul-os',
      storage: { memory: true },
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      agents: [{ id: 'research-agent', name: 'Research Agent', model: 'openai:gpt-4o' }],
    },
    false,
  );
  const token = await sign(claims({ scopes: ['agent_os:admin'], aud: 'nul-os' }), key.privateKey, {
    alg: 'RS256',
  });
  admin = bearer(token);
});
after(() => srv.close());

const WITH_BODY = new Set(['post', 'put', 'patch']);

describe('a NUL character is refused with 422, never stored or answered 500', () => {
  test('in every path parameter of every operation', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      if (!r.path.includes('{')) continue;
      const path = r.path.replace(/\{[^}]+\}/g, 'a%00b');
      const body = WITH_BODY.has(r.method.toLowerCase()) ? '{}' : undefined;
      const headers = { ...admin, ...(body ? { 'content-type': 'application/json' } : {}) };
      const res = await request(srv.port, r.method.toUpperCase(), path, headers, body);
      checked += 1;
      // The validator may refuse the request first (a missing body field, an integer parameter).
      if (res.status >= 500 || res.status < 400)
        failures.push(`${r.method} ${path} → ${res.status} ${res.text.slice(0, 120)}`);
    }
    assert.ok(checked > 40, `only ${checked} operations have path parameters`);
    assert.deepEqual(failures, []);
  });

  test('the answer names where: path, query, body (nested)', async () => {
    const inPath = await request(srv.port, 'GET', '/sessions/s%00', admin);
    assert.equal(inPath.status, 422, inPath.text);
    assert.deepEqual(inPath.body.detail[0].loc, ['path', 'session_id']);
    assert.match(inPath.body.detail[0].msg, /NUL/);

    const inQuery = await request(srv.port, 'GET', '/sessions?user_id=u%00', admin);
    assert.equal(inQuery.status, 422, inQuery.text);
    assert.deepEqual(inQuery.body.detail[0].loc, ['query', 'user_id']);

    const inBody = await request(
      srv.port,
      'POST',
      '/memories',
      { ...admin, 'content-type': 'application/json' },
      JSON.stringify({ memory: 'likes tea', user_id: 'u1', topics: ['ok', 'bad\u0000'] }),
    );
    assert.equal(inBody.status, 422, inBody.text);
    assert.deepEqual(inBody.body.detail[0].loc, ['body', 'topics', 1]);
  });

  test('nothing was stored by a refused write; the same write without NUL succeeds', async () => {
    const ok = await request(
      srv.port,
      'POST',
      '/memories',
      { ...admin, 'content-type': 'application/json' },
      JSON.stringify({ memory: 'likes tea', user_id: 'nul-user', topics: ['ok'] }),
    );
    assert.equal(ok.status, 200, ok.text);
    const list = await request(srv.port, 'GET', '/memories?user_id=nul-user', admin);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.data.length, 1);
  });
});

describe('a NUL character the request scan cannot see reaches the database and is answered 422', () => {
  test('in an uploaded file name (RFC 5987 filename*): 422, nothing stored', async () => {
    const boundary = 'nul-boundary';
    const part = (disposition: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const headers = { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` };
    const before = await request(srv.port, 'GET', '/knowledge/content', admin);
    const bad = await request(
      srv.port,
      'POST',
      '/knowledge/content',
      headers,
      part("filename*=UTF-8''a%00b.txt"),
    );
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.body.detail[0].msg, /NUL/);
    const after = await request(srv.port, 'GET', '/knowledge/content', admin);
    assert.equal(after.body.meta.total_count, before.body.meta.total_count);
    const ok = await request(
      srv.port,
      'POST',
      '/knowledge/content',
      headers,
      part("filename*=UTF-8''ab.txt"),
    );
    assert.equal(ok.status, 202, ok.text);
  });

  test('isNulRejection recognises both PostgreSQL refusals (text 22021, jsonb 22P05), nothing else', async () => {
    const database = await openDatabase({ memory: true });
    try {
      const refused = (query: Promise<unknown>) =>
        query.then(
          () => assert.fail('the database accepted the value'),
          (e: unknown) => e,
        );
      const text = await refused(sql`select ${'a\u0000b'}::text`.execute(database.db));
      const jsonb = await refused(
        sql`select ${JSON.stringify({ a: 'x\u0000' })}::jsonb`.execute(database.db),
      );
      const notNul = await refused(sql`select ${'x'}::integer`.execute(database.db));
      assert.equal(isNulRejection(text), true, String(text));
      assert.equal(isNulRejection(jsonb), true, String(jsonb));
      assert.equal(isNulRejection(notNul), false, String(notNul));
    } finally {
      await database.close();
    }
  });
});
