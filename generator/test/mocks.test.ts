/**
 * The generated msw handlers: the contract's 401/403/filtering, answers from examples or `data`,
 * for the AgentOS-style fixture and the non-AgentOS one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { setupServer } from 'msw/node';
import { createMockHandlers as createLibraryMocks } from './fixtures/library/out/mocks.js';
import { createMockHandlers } from './fixtures/petstore/out/mocks.js';

const PETS = 'http://pets.test/api';
const LIBRARY = 'https://library.test/v2';
const keys = await generateKeyPair('RS256');
const stranger = await generateKeyPair('RS256');
const unknownKey = await generateKeyPair('RS256');
const unhandled: string[] = [];

function token(
  claims: JWTPayload & { scopes?: unknown },
  options: { key?: CryptoKey; exp?: number | string | null } = {},
) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256' });
  if (claims.sub === undefined) jwt = jwt.setSubject('user_123');
  if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? '1h');
  return jwt.sign(options.key ?? keys.privateKey);
}

const server = setupServer(
  ...createMockHandlers({
    baseUrl: PETS,
    keys: [stranger.publicKey, keys.publicKey],
    audience: 'pets-os',
    data: {
      getPet: ({ params, caller }) => ({ id: params.pet_id!, name: `for ${caller.userId}`, tag: null }),
    },
  }),
  ...createLibraryMocks({
    baseUrl: LIBRARY,
    adminScope: 'library:admin',
    data: {
      getShelf: {
        shelf_id: 's1',
        books: [
          { isbn: 'a', title: 'A' },
          { isbn: 'b', title: 'B' },
        ],
      },
    },
    verify: async (t) => {
      if (t === 'expired')
        throw Object.assign(new Error('"exp" claim timestamp check failed'), { code: 'ERR_JWT_EXPIRED' });
      if (!t.startsWith('scopes=')) throw new Error('unknown token');
      return { sub: 'reader', scopes: t.slice('scopes='.length).split(',').filter(Boolean) };
    },
  }),
);
before(() =>
  server.listen({
    onUnhandledRequest: (request, print) => {
      unhandled.push(request.url);
      if (!request.url.startsWith('https://library.test/v3/')) print.error();
    },
  }),
);
after(() => server.close());

async function call(
  url: string,
  init: { method?: string; token?: string; auth?: string; accept?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.auth !== undefined) headers.authorization = init.auth;
  if (init.accept) headers.accept = init.accept;
  const res = await fetch(url, { method: init.method ?? 'GET', headers });
  const text = await res.text();
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    type: res.headers.get('content-type'),
    text,
    json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
  };
}

const aud = { aud: 'pets-os' };

describe('generated msw handlers: authentication', () => {
  it('answers public operations without a token', async () => {
    assert.deepEqual(await call(`${PETS}/health`).then((r) => [r.status, r.json]), [200, { status: 'ok' }]);
  });

  it('no token → 401 "Authorization header missing" with a bare Bearer challenge', async () => {
    const r = await call(`${PETS}/pets`);
    assert.deepEqual(
      [r.status, r.json, r.challenge],
      [401, { detail: 'Authorization header missing' }, 'Bearer realm="agentos"'],
    );
  });

  const invalid: [string, () => Promise<string>, string][] = [
    ['garbage', async () => 'not-a-jwt', 'Invalid token: Invalid Compact JWS'],
    [
      'expired',
      () => token({ ...aud, scopes: ['pets:read'] }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      'Token has expired',
    ],
    [
      'no exp',
      () => token({ ...aud, scopes: ['pets:read'] }, { exp: null }),
      'Invalid token: missing required "exp" claim',
    ],
    [
      'unknown key',
      () => token({ ...aud, scopes: ['pets:read'] }, { key: unknownKey.privateKey }),
      'Invalid token: signature verification failed',
    ],
    [
      'other audience',
      () => token({ aud: 'elsewhere', scopes: ['pets:read'] }),
      'Invalid token audience - token not valid for this AgentOS instance',
    ],
    [
      'reserved subject',
      () => token({ ...aud, sub: 'sa:robot', scopes: ['pets:read'] }),
      'Invalid token subject',
    ],
  ];
  for (const [name, make, detail] of invalid) {
    it(`${name} → 401 invalid_token`, async () => {
      const r = await call(`${PETS}/pets`, { token: await make() });
      assert.deepEqual(
        [r.status, r.json, r.challenge],
        [401, { detail }, 'Bearer realm="agentos", error="invalid_token"'],
      );
    });
  }

  it('accepts any listed key, the scheme in any case, and a bare token', async () => {
    const t = await token({ ...aud, scopes: ['pets:read'] });
    assert.equal((await call(`${PETS}/pets/count`, { auth: `bEaReR ${t}` })).status, 200);
    assert.equal((await call(`${PETS}/pets/count`, { auth: t })).status, 200);
    const signedByFirst = await token({ ...aud, scopes: ['pets:read'] }, { key: stranger.privateKey });
    assert.equal((await call(`${PETS}/pets/count`, { token: signedByFirst })).status, 200);
  });
});

describe('generated msw handlers: scopes', () => {
  it('missing scopes → 403 with the contract detail and an insufficient_scope challenge', async () => {
    const r = await call(`${PETS}/pets/rex/feed`, {
      method: 'POST',
      token: await token({ ...aud, scopes: ['pets:rex:feed'] }),
    });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      detail: 'Insufficient permissions. Required scope(s): pets:rex:feed, food:write',
    });
    assert.equal(
      r.challenge,
      'Bearer realm="agentos", error="insufficient_scope", scope="pets:rex:feed food:write"',
    );
  });

  it('per-resource scopes bind to the path parameter', async () => {
    const t = await token({ ...aud, scopes: ['pets:tom:read'] });
    assert.equal((await call(`${PETS}/pets/rex`, { token: t })).status, 403);
    const ok = await call(`${PETS}/pets/tom`, { token: t });
    assert.deepEqual([ok.status, ok.json], [200, { id: 'tom', name: 'for user_123', tag: null }]);
  });

  it('filters lists to the accessible ids (by the filter id property)', async () => {
    const some = await call(`${PETS}/pets`, {
      token: await token({ ...aud, scopes: ['pets:tom:read', 'pets:nobody:read'] }),
    });
    assert.deepEqual(some.json, { data: [{ id: 'tom', name: 'Tom', tag: 'cat' }], total: 2 });
    const none = await call(`${PETS}/pets`, { token: await token({ ...aud, scopes: ['pets:nobody:read'] }) });
    assert.deepEqual([none.status, none.json.data], [200, []]);
    const all = await call(`${PETS}/pets`, { token: await token({ ...aud, scopes: ['pets:*:read'] }) });
    assert.equal(all.json.data.length, 2);
    const wrongAction = await call(`${PETS}/pets`, {
      token: await token({ ...aud, scopes: ['pets:tom:feed'] }),
    });
    assert.deepEqual(
      [wrongAction.status, wrongAction.json],
      [403, { detail: 'Insufficient permissions. Required scope(s): pets:read' }],
    );
  });

  it('answers the SSE example when the client accepts text/event-stream', async () => {
    const t = await token({ ...aud, scopes: ['agent_os:admin'] });
    const r = await call(`${PETS}/pets/rex/feed`, { method: 'POST', token: t, accept: 'text/event-stream' });
    assert.equal(r.type, 'text/event-stream');
    assert.match(r.text, /^event: FeedStarted\ndata: /);
    const json = await call(`${PETS}/pets/rex/feed`, { method: 'POST', token: t });
    assert.deepEqual(json.json, { fed: true });
  });

  it('unknown paths: 401 without a token, 404 with one; 405 for a wrong method', async () => {
    assert.equal((await call(`${PETS}/nowhere`)).status, 401);
    const t = await token({ ...aud, scopes: [] });
    assert.deepEqual(await call(`${PETS}/nowhere`, { token: t }).then((r) => [r.status, r.json]), [
      404,
      { detail: 'Not Found' },
    ]);
    assert.equal((await call(`${PETS}/pets`, { method: 'PATCH', token: t })).status, 405);
  });
});

describe('generated msw handlers: a non-AgentOS document', () => {
  it('uses its own admin scope and base path', async () => {
    const r = await call(`${LIBRARY}/admin/books/x`, { method: 'DELETE', token: 'scopes=library:admin' });
    assert.equal(r.status, 204);
    const denied = await call(`${LIBRARY}/admin/books/x`, {
      method: 'DELETE',
      token: 'scopes=agent_os:admin',
    });
    assert.equal(denied.status, 403);
  });

  it('filters a bare-array list by `isbn`', async () => {
    const r = await call(`${LIBRARY}/books`, { token: 'scopes=books:9780262510875:read' });
    assert.deepEqual(r.json, [
      { isbn: '9780262510875', title: 'Structure and Interpretation of Computer Programs', year: 1996 },
    ]);
  });

  it('checks books:{book_id}:write against the path', async () => {
    assert.equal(
      (
        await call(`${LIBRARY}/books/b1/loans`, {
          method: 'POST',
          token: 'scopes=books:b1:write,loans:write',
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await call(`${LIBRARY}/books/b2/loans`, {
          method: 'POST',
          token: 'scopes=books:b1:write,loans:write',
        })
      ).status,
      403,
    );
  });

  it('answers text/plain examples, and maps custom verify errors', async () => {
    const r = await call(`${LIBRARY}/status`);
    assert.deepEqual([r.status, r.type, r.text], [200, 'text/plain', 'up']);
    assert.deepEqual((await call(`${LIBRARY}/books`, { token: 'expired' })).json, {
      detail: 'Token has expired',
    });
    assert.deepEqual((await call(`${LIBRARY}/books`, { token: 'who' })).json, {
      detail: 'Invalid token: unknown token',
    });
  });

  it('does not answer for paths outside the base', async () => {
    await assert.rejects(fetch('https://library.test/v3/books'));
    assert.deepEqual(unhandled, ['https://library.test/v3/books']);
  });
});

describe('generated msw handlers: object-level checks (contract.md §8)', () => {
  it('x-nested-filters: a nested array keeps the items the caller may read', async () => {
    const shelf = (scopes: string) =>
      call(`${LIBRARY}/shelves/s1`, { token: `scopes=${scopes}` }).then((r) => [
        r.status,
        r.json?.books?.map((b: { isbn: string }) => b.isbn),
      ]);
    assert.deepEqual(await shelf('shelves:read,books:read'), [200, ['a', 'b']]);
    assert.deepEqual(await shelf('shelves:read,books:*:read'), [200, ['a', 'b']]);
    assert.deepEqual(await shelf('shelves:read,books:b:read'), [200, ['b']]);
    assert.deepEqual(await shelf('shelves:read,books:b:write'), [200, []]);
    assert.deepEqual(await shelf('library:admin'), [200, ['a', 'b']]);
  });

  const post = async (body: unknown, scopes: string) => {
    const res = await fetch(`${LIBRARY}/reminders`, {
      method: 'POST',
      headers: { authorization: `Bearer scopes=${scopes}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return [res.status, text ? JSON.parse(text).detail : undefined, res.headers.get('www-authenticate')];
  };
  const cases: [string, { body: unknown; scopes: string; want: unknown[] }][] = [
    [
      'x-body-scopes: the body names a book the caller cannot read → 403 naming the bound scope',
      {
        body: { book_id: 'b', endpoint: '/status', method: 'GET' },
        scopes: 'reminders:write,books:a:read',
        want: [
          403,
          'Insufficient permissions. Required scope(s): books:b:read, library:admin',
          'Bearer realm="agentos", error="insufficient_scope", scope="books:b:read library:admin"',
        ],
      },
    ],
    [
      'x-body-scopes: a null field adds nothing; x-scope-target: a non-run endpoint needs the admin scope',
      {
        body: { book_id: null, endpoint: '/books/x', method: 'PUT' },
        scopes: 'reminders:write,books:x:write',
        want: [
          403,
          'Insufficient permissions. Required scope(s): library:admin',
          'Bearer realm="agentos", error="insufficient_scope", scope="library:admin"',
        ],
      },
    ],
    [
      'x-scope-target: an endpoint no operation serves needs the admin scope',
      {
        body: { endpoint: '/nowhere' },
        scopes: 'reminders:write',
        want: [
          403,
          'Insufficient permissions. Required scope(s): library:admin',
          'Bearer realm="agentos", error="insufficient_scope", scope="library:admin"',
        ],
      },
    ],
    [
      'x-scope-target: a run endpoint needs the run scope of the id it names (percent-decoded)',
      {
        body: { endpoint: '/agents/a%201/runs', method: 'post' },
        scopes: 'reminders:write,agents:a2:run',
        want: [
          403,
          'Insufficient permissions. Required scope(s): agents:a 1:run',
          'Bearer realm="agentos", error="insufficient_scope", scope="agents:a 1:run"',
        ],
      },
    ],
    [
      'x-scope-target: the run scope of the named agent is enough (method defaults to POST)',
      {
        body: { endpoint: '/agents/a1/runs/' },
        scopes: 'reminders:write,agents:a1:run',
        want: [201, undefined, null],
      },
    ],
    [
      'x-scope-target: a run endpoint with a query string is not a run endpoint',
      {
        body: { endpoint: '/agents/a1/runs?x=1' },
        scopes: 'reminders:write,agents:a1:run',
        want: [
          403,
          'Insufficient permissions. Required scope(s): library:admin',
          'Bearer realm="agentos", error="insufficient_scope", scope="library:admin"',
        ],
      },
    ],
    [
      'x-scope-target: another method on a run endpoint needs the admin scope',
      {
        body: { endpoint: '/teams/t1/runs', method: 'GET' },
        scopes: 'reminders:write,teams:t1:run',
        want: [
          403,
          'Insufficient permissions. Required scope(s): library:admin',
          'Bearer realm="agentos", error="insufficient_scope", scope="library:admin"',
        ],
      },
    ],
    [
      'a non-string body id is satisfied only by a global grant',
      {
        body: { book_id: 7, endpoint: '/status' },
        scopes: 'reminders:write,books:7:read,library:admin',
        want: [201, undefined, null],
      },
    ],
    [
      'all satisfied → the handler answers',
      {
        body: { book_id: 'b', endpoint: '/books/b', method: 'PUT' },
        scopes: 'reminders:write,library:admin',
        want: [201, undefined, null],
      },
    ],
  ];
  for (const [name, { body, scopes, want }] of cases) {
    it(name, async () => assert.deepEqual(await post(body, scopes), want));
  }

  it('a non-string body id without a global grant → 403 with the unbound template', async () => {
    assert.deepEqual(await post({ book_id: 7, endpoint: '/status' }, 'reminders:write,books:7:read'), [
      403,
      'Insufficient permissions. Required scope(s): books:{body.book_id}:read, library:admin',
      'Bearer realm="agentos", error="insufficient_scope", scope="books:{body.book_id}:read library:admin"',
    ]);
  });
});

describe('createMockHandlers misuse', () => {
  it('needs keys or verify, and an absolute baseUrl', () => {
    assert.throws(() => createMockHandlers({ baseUrl: PETS }), /pass `keys`/);
    assert.throws(() => createMockHandlers({ baseUrl: '/api', keys: [keys.publicKey] }), /absolute URL/);
  });
});
