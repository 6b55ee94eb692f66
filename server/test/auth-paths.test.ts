/**
 * Path and method normalisation (security-anchors.md §7C, contract.md §3): the canonical request
 * is denied, and no variant gets a 2xx or reaches a handler, with or without a token.
 * Requests are sent raw (no client-side URL normalisation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bearer,
  CHALLENGE,
  claims,
  makeKey,
  rawHttp,
  request,
  sign,
  startServer,
  type TestServer,
} from './auth-helpers.js';

let srv: TestServer;
/** Holds agents:a1:read, sessions:read: denied on /config, /agents/a2, DELETE /sessions/s1. */
let weak: string;
let admin: string;

before(async () => {
  const key = await makeKey('RS256');
  srv = await startServer({
    authorization: true,
    authorizationConfig: { verificationKeys: [key.publicPem] },
  });
  weak = await sign(claims({ scopes: ['agents:a1:read', 'sessions:read'] }), key.privateKey, {
    alg: 'RS256',
  });
  admin = await sign(claims({ scopes: ['agent_os:admin'] }), key.privateKey, { alg: 'RS256' });
});
after(() => srv.close());

/** [name, method, raw path, status without token, status with the weak token] */
type Row = [string, string, string, number, number];

const rows: Row[] = [
  ['canonical /config', 'GET', '/config', 401, 403],
  ['canonical /agents/a2', 'GET', '/agents/a2', 401, 403],
  ['C1 trailing slash', 'GET', '/config/', 401, 403],
  ['C1 trailing slash on a per-resource path', 'GET', '/agents/a2/', 401, 403],
  ['C1 trailing "/."', 'GET', '/config/.', 401, 404],
  ['C2 leading "//"', 'GET', '//config', 401, 404],
  ['C2 "//" mid-path', 'GET', '/agents//a2', 401, 404],
  ['C2 empty final segment', 'GET', '/config//', 401, 404],
  ['C3 upper case', 'GET', '/CONFIG', 401, 404],
  ['C3 mixed case', 'GET', '/Config', 401, 404],
  ['C3 mixed case in a parameterised path', 'GET', '/Agents/a2', 401, 404],
  ['C4 percent-encoded unreserved character (decoded once: same route)', 'GET', '/%63onfig', 401, 403],
  ['C4 percent-encoded id (decoded once)', 'GET', '/agents/%61%32', 401, 403],
  ['C5 encoded slash stays inside the segment', 'GET', '/agents/a1%2F..%2Fa2', 401, 403],
  ['C5 encoded slash towards another operation', 'GET', '/agents%2Fa2', 401, 404],
  ['C5 double-encoded slash', 'GET', '/agents/a1%252Fa2', 401, 403],
  ['C6 "./"', 'GET', '/agents/./a2', 401, 404],
  ['C6 "x/../"', 'GET', '/agents/x/../a2', 401, 404],
  ['C6 encoded "%2e%2e/"', 'GET', '/agents/a1/%2e%2e/a2', 401, 404],
  ['C6 encoded "%2e"', 'GET', '/agents/%2e/a2', 401, 404],
  ['C6 "..;/"', 'GET', '/agents/a1/..;/a2', 401, 404],
  ['C7 matrix parameter on the id', 'GET', '/agents/a2;x=1', 401, 403],
  ['C7 matrix parameter on a literal segment', 'GET', '/config;x=1', 401, 404],
  ['C7 trailing ";"', 'GET', '/config;', 401, 404],
  ['C8 %0a appended', 'GET', '/config%0a', 401, 404],
  ['C8 %0d appended', 'GET', '/config%0d', 401, 404],
  ['C8 %09 appended', 'GET', '/config%09', 401, 404],
  ['C8 %00 appended', 'GET', '/config%00', 401, 404],
  ['C8 %20 appended', 'GET', '/config%20', 401, 404],
  ['C9 %5c backslash', 'GET', '/config%5c', 401, 404],
  ['C9 overlong %C0%AF', 'GET', '/agents%C0%AFa2', 401, 404],
  ['C9 fullwidth solidus', 'GET', '/agents%EF%BC%8Fa2', 401, 404],
  ['C10 ".json" suffix', 'GET', '/config.json', 401, 404],
  ['C10 bare "?"', 'GET', '/config?', 401, 403],
  ['C10 "%23" appended', 'GET', '/config%23', 401, 404],
  ['C10 "#" fragment sent on the wire', 'GET', '/config#x', 401, 403],
  ['C11 POST with _method=DELETE', 'POST', '/sessions/s1?_method=DELETE', 401, 405],
  ['C12 HEAD', 'HEAD', '/config', 401, 403],
  ['C14 TRACE', 'TRACE', '/config', 401, 405],
  ['C14 PROPFIND', 'PROPFIND', '/config', 401, 405],
  ['unknown path', 'GET', '/nope', 401, 404],
  ['unknown path under a known prefix', 'GET', '/agents/a1/nope/deeper', 401, 404],
  ['method not allowed', 'DELETE', '/agents', 401, 405],
];

describe('§7C path and method normalisation', () => {
  for (const [name, method, path, anonymous, weakStatus] of rows) {
    test(`${name}: ${method} ${path}`, async () => {
      for (const [tok, want] of [
        [null, anonymous],
        [weak, weakStatus],
      ] as const) {
        const before = srv.calls.length;
        const res = await request(srv.port, method, path, tok ? bearer(tok) : {});
        assert.equal(res.status, want, `${tok ? 'weak token' : 'no token'}: ${res.text}`);
        assert.equal(srv.calls.length, before, 'no handler runs');
        if (want === 401) assert.equal(res.headers['www-authenticate'], CHALLENGE.missing);
        if (want === 403) assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
        if (want === 404 && method !== 'HEAD') assert.deepEqual(res.body, { detail: 'Not Found' });
        if (want === 405) {
          assert.ok(res.headers.allow, 'a 405 carries Allow');
          if (method !== 'HEAD') assert.deepEqual(res.body, { detail: 'Method Not Allowed' });
        }
      }
    });
  }

  test('an unknown path answers 404 whatever its body holds (the body is not parsed before routing)', async () => {
    for (const [path, body] of [
      ['/%73chedules//', '{not json'],
      ['/nope', '['.repeat(5_000)],
    ] as const) {
      const res = await request(
        srv.port,
        'PATCH',
        path,
        { ...bearer(weak), 'content-type': 'application/json' },
        body,
      );
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assert.deepEqual(res.body, { detail: 'Not Found' });
    }
  });

  test('C1 a trailing slash is the same route for an allowed caller too', async () => {
    for (const path of ['/agents/a1', '/agents/a1/']) {
      const res = await request(srv.port, 'GET', path, bearer(weak));
      assert.equal(res.status, 200, path);
      assert.equal(res.body.operationId, 'getAgent');
      assert.deepEqual(res.body.path, { agent_id: 'a1' });
    }
  });

  test('C5 an encoded slash binds the whole decoded segment as the id', async () => {
    const res = await request(srv.port, 'GET', '/agents/a%2Fb', bearer(admin));
    assert.equal(res.status, 200);
    assert.equal(res.body.operationId, 'getAgent');
    assert.deepEqual(res.body.path, { agent_id: 'a/b' });
  });

  test('C11 method-override headers never turn a POST into a DELETE', async () => {
    for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      const before = srv.calls.length;
      const res = await request(srv.port, 'POST', '/sessions/s1', { ...bearer(weak), [header]: 'DELETE' });
      assert.equal(res.status, 405);
      assert.equal(srv.calls.length, before);
    }
    // With a token that may delete, the override is still ignored: POST stays POST.
    const res = await request(srv.port, 'POST', '/sessions/s1', {
      ...bearer(admin),
      'x-http-method-override': 'DELETE',
    });
    assert.equal(res.status, 405);
    assert.ok(!srv.calls.some((c) => c.operationId === 'deleteSession'));
  });

  test('C12 HEAD with a sufficient token → 200 with an empty body, as GET', async () => {
    const res = await request(srv.port, 'HEAD', '/agents/a1', bearer(weak));
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });

  test('C13 OPTIONS without a token → 204 with Allow and CORS headers, no body, no handler', async () => {
    const before = srv.calls.length;
    const res = await request(srv.port, 'OPTIONS', '/sessions/s1', {
      origin: 'http://localhost:3000',
      'access-control-request-method': 'DELETE',
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.allow, 'DELETE, GET, HEAD, OPTIONS, PATCH');
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000');
    assert.equal(res.text, '');
    assert.equal(srv.calls.length, before);
  });

  test('C14 an unknown method never reaches a handler', async () => {
    const res = await rawHttp(srv.port, `FOO /config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${weak}`);
    assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}`);
  });

  test('C15 routing-override headers do not change the decision', async () => {
    const headers = {
      'x-original-url': '/health',
      'x-rewrite-url': '/health',
      'x-forwarded-prefix': '/health',
      'x-middleware-subrequest': 'middleware',
      'x-forwarded-for': '127.0.0.1',
    };
    assert.equal((await request(srv.port, 'GET', '/config', headers)).status, 401);
    assert.equal((await request(srv.port, 'GET', '/config', { ...headers, ...bearer(weak) })).status, 403);
  });

  test('C16 absolute-form request target and a conflicting Host → same decision', async () => {
    const anon = await rawHttp(srv.port, 'GET http://evil.example/config HTTP/1.1\r\nHost: other.example');
    assert.equal(anon.status, 401);
    const res = await rawHttp(
      srv.port,
      `GET http://evil.example/config HTTP/1.1\r\nHost: other.example\r\nAuthorization: Bearer ${weak}`,
    );
    assert.equal(res.status, 403);
    const pub = await rawHttp(srv.port, 'GET http://evil.example/health HTTP/1.1\r\nHost: other.example');
    assert.equal(pub.status, 200);
  });
});
