/**
 * The generated Express router (petstore fixture, golden output): dispatch by the auth
 * middleware's match, validation by express-openapi-validator, results and errors written as
 * the contract says.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CallerContext, compileGrants, compileRoutes, decide } from '@agentos/core';
import { createAgentosRouter } from '@agentos/runtime/express';
import express, { type RequestHandler } from 'express';
import apiSpec from './fixtures/petstore/out/openapi.json' with { type: 'json' };
import { routes } from './fixtures/petstore/out/routes.js';
import { createRouter, type Handlers, HttpError } from './fixtures/petstore/out/server.js';

const index = compileRoutes(routes);

/** A stand-in for the server's auth middleware: scopes from a header, same core decision. */
const testAuth: RequestHandler = (req, res, next) => {
  const m = index.match(req.method, req.path);
  if (m.kind !== 'found') return next();
  const scopes = String(req.headers['x-test-scopes'] ?? '')
    .split(' ')
    .filter(Boolean);
  const decision = decide(m.route, m.params, compileGrants(scopes));
  if (!m.route.spec.public && decision.effect === 'deny') {
    return void res.status(403).json({ detail: `denied: ${decision.required.join(', ')}` });
  }
  const caller: CallerContext = {
    operationId: m.route.spec.operationId,
    authenticated: true,
    userId: 'user_123',
    sessionId: null,
    scopes,
    grants: compileGrants(scopes),
    roles: [],
    claims: {},
    dependencies: {},
    sessionState: {},
    isAdmin: false,
    accessibleIds: decision.effect === 'deny' ? null : decision.accessibleIds,
    scopedUserId: null,
  };
  Object.assign(req, { auth: caller, agentos: { route: m.route, params: m.params } });
  next();
};

const calls: string[] = [];
const handlers: Handlers = {
  countPets: () => {
    calls.push('countPets');
    return { status: 200, body: { count: 2 } };
  },
  createPet: ({ body }) => ({ status: 201, body: { id: 'new', name: body.name, tag: body.tag ?? null } }),
  deletePet: () => ({ status: 204 }),
  feedPet: ({ body, path }) =>
    body.stream
      ? {
          status: 200,
          sse: (async function* () {
            yield { event: 'FeedStarted', data: { food: body.food } };
            yield { event: 'FeedCompleted', data: { fed: true, pet: path.pet_id }, id: '2' };
          })(),
        }
      : { status: 200, body: { fed: true } },
  getHealth: ({ caller }) => ({
    status: 200,
    body: { status: caller.operationId === 'getHealth' ? 'ok' : 'ok' },
  }),
  getPet: ({ path }) => {
    calls.push(`getPet:${path.pet_id}`);
    if (path.pet_id === 'missing') throw new HttpError(404, 'Not found');
    if (path.pet_id === 'gone') throw Object.assign(new Error('x'), { status: 404, detail: 'Pet gone' });
    if (path.pet_id === 'boom') throw new Error('database password is hunter2');
    if (path.pet_id === 'busy') throw { status: 503, detail: 'Service temporarily unavailable' };
    if (path.pet_id === 'wrong') return { status: 200, body: { id: 'wrong' } as never };
    return { status: 200, body: { id: path.pet_id, name: 'Rex', tag: null } };
  },
  getPetPhoto: ({ path }) => ({
    status: 200,
    body: { pet_id: path.pet_id, index: path.index, url: `typeof index: ${typeof path.index}` },
  }),
  listMyVisits: ({ caller }) => ({
    status: 200,
    body: [{ id: 'v1', user_id: caller.userId ?? '', pet_id: 'rex' }],
  }),
  listPets: ({ query, caller }) => ({
    status: 200,
    body: {
      // The handler answers every pet; the router keeps those the decision lets the caller see.
      data: [
        { id: 'rex', name: String(query.limit) },
        {
          id: 'tom',
          name:
            caller.accessibleIds instanceof Set
              ? [...caller.accessibleIds].join(',')
              : String(caller.accessibleIds),
        },
        { id: 'zed', name: 'not granted' },
      ],
      total: 3,
    },
  }),
  resetStore: () => ({ status: 204 }),
};

let base = '';
let close: () => void = () => {};
const errors: unknown[] = [];

before(async () => {
  const app = express();
  app.use(
    createRouter(handlers, { auth: testAuth, validateResponses: true, onError: (e) => errors.push(e) }),
  );
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
after(() => close());

async function call(
  method: string,
  path: string,
  options: { scopes?: string; json?: unknown; body?: string; type?: string } = {},
) {
  const headers: Record<string, string> = { 'x-test-scopes': options.scopes ?? 'agent_os:admin' };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.body !== undefined) {
    body = options.body;
    headers['content-type'] = options.type ?? 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

describe('generated router', () => {
  it('answers JSON with the handler status', async () => {
    const r = await call('POST', '/pets', { json: { name: 'Tom' } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { id: 'new', name: 'Tom', tag: null });
  });

  it('dispatches on the auth middleware match: literal /pets/count beats /pets/{pet_id}', async () => {
    calls.length = 0;
    const r = await call('GET', '/pets/count');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { count: 2 });
    assert.deepEqual(calls, ['countPets']);
  });

  it('passes the decision to the handler, filters the list by x-scope-filter, applies query defaults', async () => {
    const r = await call('GET', '/pets', { scopes: 'pets:rex:read pets:tom:read' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      data: [
        { id: 'rex', name: '20' },
        { id: 'tom', name: 'rex,tom' },
      ],
      total: 3,
    });
  });

  it('coerces query and path parameters to their schema types', async () => {
    assert.deepEqual((await call('GET', '/pets?limit=5')).json, {
      data: [
        { id: 'rex', name: '5' },
        { id: 'tom', name: '*' },
        { id: 'zed', name: 'not granted' },
      ],
      total: 3,
    });
    assert.deepEqual((await call('GET', '/pets/rex/photos/3')).json, {
      pet_id: 'rex',
      index: 3,
      url: 'typeof index: number',
    });
  });

  it('percent-decodes path parameters once', async () => {
    calls.length = 0;
    await call('GET', '/pets/a%20b');
    assert.deepEqual(calls, ['getPet:a b']);
  });

  it('answers 204 without a body', async () => {
    const r = await call('DELETE', '/pets/rex');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
  });

  it('streams SSE frames with the event-stream headers', async () => {
    const r = await call('POST', '/pets/rex/feed', { json: { food: 'kibble', stream: true } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(
      r.text,
      'event: FeedStarted\ndata: {"food":"kibble"}\n\nid: 2\nevent: FeedCompleted\ndata: {"fed":true,"pet":"rex"}\n\n',
    );
  });

  it('answers the JSON variant of an SSE operation when the handler returns a body', async () => {
    const r = await call('POST', '/pets/rex/feed', { json: { food: 'kibble' } });
    assert.deepEqual([r.status, r.json], [200, { fed: true }]);
  });

  it('turns request validation errors into 422 {detail: [{loc, msg, type}]}', async () => {
    const missing = await call('POST', '/pets', { json: { tag: 'cat' } });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.json, {
      detail: [{ loc: ['body', 'name'], msg: "must have required property 'name'", type: 'missing' }],
    });
    const query = await call('GET', '/pets?limit=abc');
    assert.equal(query.status, 422);
    assert.deepEqual((query.json as { detail: { loc: unknown }[] }).detail[0]!.loc, ['query', 'limit']);
    const path = await call('GET', '/pets/rex/photos/first');
    assert.equal(path.status, 422);
    assert.deepEqual((path.json as { detail: { loc: unknown }[] }).detail[0]!.loc, ['path', 'index']);
  });

  it('answers 400 for a malformed body and 415 for an undocumented media type', async () => {
    const bad = await call('POST', '/pets', { body: '{"name":' });
    assert.deepEqual([bad.status, bad.json], [400, { detail: 'Malformed request body: invalid JSON' }]);
    const xml = await call('POST', '/pets', { body: '<pet/>', type: 'application/xml' });
    assert.equal(xml.status, 415);
    assert.equal(typeof (xml.json as { detail: unknown }).detail, 'string');
  });

  it('answers 422 (body missing), as FastAPI does, for a write without a body where one is required', async () => {
    const none = await call('POST', '/pets');
    assert.deepEqual(
      [none.status, none.json],
      [422, { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] }],
    );
    // A body sent without a media type is still refused as an undocumented media type.
    const res = await fetch(`${base}/pets`, {
      method: 'POST',
      headers: { 'x-test-scopes': 'agent_os:admin', 'content-type': '' },
      body: new Uint8Array([123, 125]),
    });
    assert.notEqual(res.status, 422);
  });

  it('writes thrown {status, detail} errors as {detail}', async () => {
    assert.deepEqual(await call('GET', '/pets/missing').then((r) => [r.status, r.json]), [
      404,
      { detail: 'Not found' },
    ]);
    assert.deepEqual(await call('GET', '/pets/gone').then((r) => [r.status, r.json]), [
      404,
      { detail: 'Pet gone' },
    ]);
  });

  it('hides anything else behind 500 {detail: "Internal server error"}', async () => {
    errors.length = 0;
    const r = await call('GET', '/pets/boom');
    assert.deepEqual([r.status, r.json], [500, { detail: 'Internal server error' }]);
    assert.doesNotMatch(r.text, /hunter2|at /);
    assert.equal(errors.length, 1);
  });

  it('answers 500 when validateResponses is on and the answer does not match the document', async () => {
    const r = await call('GET', '/pets/wrong');
    assert.equal(r.status, 500);
    assert.match((r.json as { detail: string }).detail, /^Response validation failed: .*name/);
  });

  it('leaves 401/403 to the auth middleware: the handler does not run', async () => {
    calls.length = 0;
    const r = await call('GET', '/pets/rex', { scopes: 'pets:tom:read' });
    assert.deepEqual([r.status, r.json], [403, { detail: 'denied: pets:rex:read' }]);
    assert.deepEqual(calls, []);
  });

  it('answers 404 and 405 for what no operation covers', async () => {
    assert.deepEqual(await call('GET', '/nowhere').then((r) => [r.status, r.json]), [
      404,
      { detail: 'Not Found' },
    ]);
    const r = await call('PATCH', '/pets');
    assert.deepEqual([r.status, r.json], [405, { detail: 'Method Not Allowed' }]);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, POST');
  });

  it('validates the operation dispatch chose, whatever spelling of the path the client used', async () => {
    // The validator sees the template filled with the decoded parameters, not the raw path.
    const query = await call('GET', '/p%65ts?limit=abc');
    assert.equal(query.status, 422);
    assert.deepEqual((query.json as { detail: { loc: unknown }[] }).detail[0]!.loc, ['query', 'limit']);
    assert.deepEqual((await call('GET', '/%70ets?limit=5')).json, {
      data: [
        { id: 'rex', name: '5' },
        { id: 'tom', name: '*' },
        { id: 'zed', name: 'not granted' },
      ],
      total: 3,
    });
    const path = await call('GET', '/pets/r%65x/photo%73/first');
    assert.equal(path.status, 422);
    assert.deepEqual((path.json as { detail: { loc: unknown }[] }).detail[0]!.loc, ['path', 'index']);
    const missing = await call('POST', '/p%65ts', { json: { tag: 'cat' } });
    assert.equal(missing.status, 422);
    calls.length = 0;
    await call('GET', '/pets/a%2Fb%25');
    assert.deepEqual(calls, ['getPet:a/b%']);
  });

  it('validates HEAD as the GET operation that answers it', async () => {
    const bad = await call('HEAD', '/pets?limit=abc');
    assert.deepEqual([bad.status, bad.text], [422, '']);
    const ok = await call('HEAD', '/pets?limit=5');
    assert.deepEqual([ok.status, ok.text], [200, '']);
  });

  it('treats a trailing slash as the same route, and HEAD as GET without a body', async () => {
    assert.equal((await call('GET', '/pets/count/')).status, 200);
    const head = await call('HEAD', '/pets/rex');
    assert.deepEqual([head.status, head.text], [200, '']);
  });
});

describe('createRouter misuse', () => {
  it('throws when a handler is missing', () => {
    const { getPet: _, ...rest } = handlers;
    // @ts-expect-error — getPet is required: a missing handler is a compile error.
    assert.throws(() => createRouter(rest, { auth: testAuth }), /no handler for getPet/);
  });

  it('leaves out a feature operation without a handler: 404 after the auth decision, handler not run', async () => {
    // The petstore has no x-agentos-feature; the table marks getPet optional as a generated one would.
    const { getPet: _, ...rest } = handlers;
    const table = { routes, pathParamTypes: { getPetPhoto: { index: 'integer' as const } }, apiSpec };
    assert.throws(() => createAgentosRouter(rest, table, { auth: testAuth }), /no handler for getPet/);
    const app = express();
    app.use(createAgentosRouter(rest, { ...table, optionalOperations: ['getPet'] }, { auth: testAuth }));
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      calls.length = 0;
      // Decided by the auth middleware, then not found (the path's DELETE is still served).
      const r = await fetch(`${url}/pets/rex`, { headers: { 'x-test-scopes': 'agent_os:admin' } });
      assert.equal(r.status, 404);
      assert.deepEqual(await r.json(), { detail: 'Not Found' });
      const del = await fetch(`${url}/pets/rex`, {
        method: 'DELETE',
        headers: { 'x-test-scopes': 'agent_os:admin' },
      });
      assert.equal(del.status, 204);
      // The auth middleware still decides first: without the scope, 403 (no existence leak beyond it).
      const denied = await fetch(`${url}/pets/rex`, { headers: { 'x-test-scopes': 'nothing:read' } });
      assert.equal(denied.status, 403);
      // The operations that have a handler are served as before.
      const count = await fetch(`${url}/pets/count`, { headers: { 'x-test-scopes': 'agent_os:admin' } });
      assert.equal(count.status, 200);
      assert.deepEqual(calls, ['countPets']);
    } finally {
      server.close();
    }
  });

  it('throws without an auth middleware', () => {
    // @ts-expect-error — auth is required.
    assert.throws(() => createRouter(handlers, {}), /options\.auth must be an Express middleware/);
  });

  it('fails closed when the auth middleware lets an operation through undecided', async () => {
    const app = express();
    const seen: unknown[] = [];
    app.use(createRouter(handlers, { auth: (_req, _res, next) => next(), onError: (e) => seen.push(e) }));
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      calls.length = 0;
      const r = await fetch(`${url}/pets/rex`);
      assert.equal(r.status, 500);
      assert.deepEqual(await r.json(), { detail: 'Internal server error' });
      assert.deepEqual(calls, []);
      assert.equal((await fetch(`${url}/nowhere`)).status, 404);
    } finally {
      server.close();
    }
  });
});

describe('generated router: a non-AgentOS document (library)', async () => {
  const { createRouter: createLibraryRouter } = await import('./fixtures/library/out/server.js');
  const { routes: libraryRoutes } = await import('./fixtures/library/out/routes.js');
  const libraryIndex = compileRoutes(libraryRoutes, { adminScope: 'library:admin' });
  const auth: RequestHandler = (req, _res, next) => {
    const m = libraryIndex.match(req.method, req.path);
    if (m.kind === 'found')
      Object.assign(req, { auth: { operationId: m.route.spec.operationId }, agentos: m });
    next();
  };
  const app = express();
  // Mounted under the document's server path: the router works on paths relative to its mount.
  app.use(
    '/v2',
    createLibraryRouter(
      {
        getStatus: () => ({ status: 200, body: 'up', contentType: 'text/plain' }),
        listBooks: () => ({ status: 200, body: [] }),
        addBook: ({ body }) => ({ status: 201, body: { isbn: body.isbn, title: body.title, year: null } }),
        getBook: () => ({ status: 404, body: { detail: 'No such book' } }),
        updateBook: ({ body }) => ({ status: 200, body }),
        lendBook: ({ path, query, caller }) => ({
          status: 201,
          body: { loan_id: 'l1', isbn: path.book_id, user_id: caller.operationId, days: query.days },
        }),
        purgeBook: () => ({ status: 204 }),
        getShelf: ({ path }) => ({ status: 200, body: { shelf_id: path.shelf_id, books: [] } }),
        renewLoan: ({ path }) => ({
          status: 200,
          body: { loan_id: path.loan_id, isbn: 'x', user_id: 'u1' },
        }),
        scheduleReminder: () => ({ status: 201 }),
      },
      { auth, validateResponses: true },
    ),
  );
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
  after(() => server.close());

  it('answers text/plain results with their content type', async () => {
    const r = await fetch(`${url}/status`);
    assert.deepEqual(
      [r.status, r.headers.get('content-type'), await r.text()],
      [200, 'text/plain; charset=utf-8', 'up'],
    );
  });

  it('parses and validates form bodies', async () => {
    const ok = await fetch(`${url}/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'isbn=123&title=SICP',
    });
    assert.deepEqual([ok.status, await ok.json()], [201, { isbn: '123', title: 'SICP', year: null }]);
    const bad = await fetch(`${url}/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'isbn=123',
    });
    assert.equal(bad.status, 422);
  });

  it('applies query defaults and returns documented error statuses', async () => {
    const r = await fetch(`${url}/books/b1/loans`, { method: 'POST' });
    assert.deepEqual(await r.json(), { loan_id: 'l1', isbn: 'b1', user_id: 'lendBook', days: 14 });
    const missing = await fetch(`${url}/books/b1`);
    assert.deepEqual([missing.status, await missing.json()], [404, { detail: 'No such book' }]);
  });
});
