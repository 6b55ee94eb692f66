/**
 * @module Client behaviour against msw: tokens on secured operations only, the shared 401 refresh,
 * typed error values, body encodings per operation, streamed runs.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { type AgentOSClientOptions, createAgentOSClient, HttpError } from '../src/index.js';

const BASE = 'http://agentos.test';
const server = setupServer();

// Created before server.listen(): the client must still reach msw (fetch is looked up per request).
const early = createAgentOSClient({ baseUrl: BASE, token: 't0' });

before(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
after(() => server.close());

const client = (o: Partial<AgentOSClientOptions> = {}) => createAgentOSClient({ baseUrl: BASE, ...o });

/** Records the Authorization header of every request to `path`, answering `answer`. */
function record(
  method: 'get' | 'post',
  path: string,
  answer: (auth: string | null, req: Request) => Response | Promise<Response>,
) {
  const seen: (string | null)[] = [];
  server.use(
    http[method](`${BASE}${path}`, async ({ request }) => {
      const auth = request.headers.get('authorization');
      seen.push(auth);
      return answer(auth, request);
    }),
  );
  return seen;
}

const challenge401 = { 'WWW-Authenticate': 'Bearer realm="agentos", error="invalid_token"' };

describe('tokens', () => {
  it('attaches the bearer token to secured operations and never to public ones', async () => {
    const secured = record('get', '/agents/:id', () => HttpResponse.json({ id: 'a1' }));
    const pub = record('get', '/health', () => HttpResponse.json({ status: 'ok' }));
    const c = client({ token: 'tok' });
    assert.deepEqual((await c.GET('/agents/{agent_id}', { params: { path: { agent_id: 'a1' } } })).data, {
      id: 'a1',
    });
    await c.GET('/health');
    await c.call('getHealth');
    await c.call('getAgent', { path: { agent_id: 'a1' } });
    assert.deepEqual(secured, ['Bearer tok', 'Bearer tok']);
    assert.deepEqual(pub, [null, null]);
  });

  it('a client created before server.listen() is intercepted', async () => {
    const seen = record('get', '/agents', () => HttpResponse.json([]));
    const { data } = await early.GET('/agents');
    assert.deepEqual(data, []);
    assert.deepEqual(seen, ['Bearer t0']);
  });

  it('awaits an async getToken per secured request, not for public ones', async () => {
    const seen = record('get', '/agents', () => HttpResponse.json([]));
    record('get', '/info', () => HttpResponse.json({}));
    const calls: boolean[] = [];
    const c = client({
      getToken: async ({ forceRefresh }) => {
        calls.push(forceRefresh);
        await delay(5);
        return 'async-tok';
      },
    });
    await c.GET('/agents');
    await c.GET('/info');
    assert.deepEqual(seen, ['Bearer async-tok']);
    assert.deepEqual(calls, [false]);
  });

  it('with a prefixed baseUrl, decides by the operation, not the URL', async () => {
    const seen = record('get', '/v1/health', () => HttpResponse.json({}));
    const secured = record('get', '/v1/agents', () => HttpResponse.json([]));
    const c = createAgentOSClient({ baseUrl: `${BASE}/v1/`, token: 'tok' });
    await c.GET('/health');
    await c.GET('/agents');
    assert.deepEqual(seen, [null]);
    assert.deepEqual(secured, ['Bearer tok']);
  });

  it('keeps an Authorization header given by the caller', async () => {
    const seen = record('get', '/agents', () => HttpResponse.json([]));
    await client({ token: 'tok' }).GET('/agents', { headers: { Authorization: 'Bearer mine' } });
    assert.deepEqual(seen, ['Bearer mine']);
  });
});

describe('401 refresh', () => {
  /** A server where only `valid` is accepted. */
  function tokenServer(valid: () => string) {
    const log: string[] = [];
    const handler =
      (name: string) =>
      async ({ request }: { request: Request }) => {
        const auth = request.headers.get('authorization');
        const body = request.method === 'POST' ? await request.text() : '';
        log.push(`${name} ${auth} ${body}`);
        if (auth !== `Bearer ${valid()}`)
          return HttpResponse.json({ detail: 'Token has expired' }, { status: 401, headers: challenge401 });
        return HttpResponse.json({ ok: name, body });
      };
    server.use(
      http.get(`${BASE}/agents`, handler('list')),
      http.get(`${BASE}/agents/:id`, handler('get')),
      http.post(`${BASE}/sessions`, handler('createSession')),
      http.post(`${BASE}/agents/:id/runs`, handler('run')),
    );
    return log;
  }

  it('N concurrent 401s share one refresh and each request is retried once, bodies intact', async () => {
    const log = tokenServer(() => 'fresh');
    let refreshes = 0;
    let issued = 'stale';
    const c = client({
      getToken: async ({ forceRefresh }) => {
        if (!forceRefresh) return issued;
        refreshes++;
        await delay(20);
        issued = 'fresh';
        return issued;
      },
    });
    const results = await Promise.all([
      c.GET('/agents'),
      c.GET('/agents/{agent_id}', { params: { path: { agent_id: 'a1' } } }),
      c.call('getAgent', { path: { agent_id: 'a2' } }),
      c.call('createSession', { body: { session_name: 'n1' } }),
      c.call('createAgentRun', {
        path: { agent_id: 'a1' },
        body: { message: 'hello', stream: false } as never,
      }),
      c.POST('/sessions', { body: { session_name: 'n2' } }),
    ]);
    for (const r of results) assert.equal(r.error, undefined, String(r.error));
    assert.equal(refreshes, 1);
    assert.equal(log.filter((l) => l.includes('Bearer stale')).length, 6);
    assert.equal(log.filter((l) => l.includes('Bearer fresh')).length, 6);
    assert.ok(log.includes('createSession Bearer fresh {"session_name":"n1"}'));
    assert.ok(log.includes('run Bearer fresh message=hello&stream=false'));
  });

  it('a 401 arriving after the refresh finished reuses the new token without refreshing again', async () => {
    let refreshes = 0;
    let slowSeen = 0;
    server.use(
      http.get(`${BASE}/agents`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer new'
          ? HttpResponse.json([])
          : HttpResponse.json({ detail: 'Token has expired' }, { status: 401, headers: challenge401 }),
      ),
      http.get(`${BASE}/teams`, async ({ request }) => {
        if (request.headers.get('authorization') === 'Bearer new') return HttpResponse.json([]);
        slowSeen++;
        await delay(80);
        return HttpResponse.json({ detail: 'Token has expired' }, { status: 401, headers: challenge401 });
      }),
    );
    const c = client({
      getToken: async ({ forceRefresh }) => {
        if (!forceRefresh) return 'old';
        refreshes++;
        return 'new';
      },
    });
    const [a, b] = await Promise.all([c.GET('/agents'), c.GET('/teams')]);
    assert.equal(a.error, undefined);
    assert.equal(b.error, undefined);
    assert.equal(slowSeen, 1);
    assert.equal(refreshes, 1);
  });

  it('a second 401 is returned as an error value, not retried again', async () => {
    const log = tokenServer(() => 'never');
    let refreshes = 0;
    const c = client({
      getToken: ({ forceRefresh }) => {
        if (forceRefresh) refreshes++;
        return forceRefresh ? `t${refreshes}` : 't0';
      },
    });
    const { data, error, response } = await c.GET('/agents');
    assert.equal(data, undefined);
    assert.ok(error instanceof HttpError);
    assert.equal(error.code, 'ERR_INVALID_TOKEN');
    assert.equal(error.status, 401);
    assert.equal(error.detail, 'Token has expired');
    assert.equal(response.status, 401);
    assert.equal(refreshes, 1);
    assert.deepEqual(log, ['list Bearer t0 ', 'list Bearer t1 ']);
  });

  it('a static token is not retried without onUnauthorized', async () => {
    const log = tokenServer(() => 'never');
    const { error } = await client({ token: 'x' }).GET('/agents');
    assert.equal(error?.status, 401);
    assert.equal(log.length, 1);
  });

  it('onUnauthorized supplies the new token, which later requests keep using', async () => {
    let valid = 'v1';
    const log = tokenServer(() => valid);
    let called = 0;
    const c = client({
      token: 'v1',
      onUnauthorized: async ({ response }) => {
        assert.equal(response.status, 401);
        called++;
        return 'v2';
      },
    });
    assert.equal((await c.GET('/agents')).error, undefined);
    valid = 'v2';
    assert.equal((await c.GET('/agents')).error, undefined);
    assert.equal((await c.GET('/agents')).error, undefined);
    assert.equal(called, 1);
    assert.deepEqual(
      log.map((l) => l.split(' ')[2]),
      ['v1', 'v1', 'v2', 'v2'],
    );
  });

  it('onUnauthorized returning nothing re-reads getToken; null gives up', async () => {
    let valid = 'a';
    let store = 'a';
    tokenServer(() => valid);
    const c = client({
      getToken: () => store,
      onUnauthorized: () => {
        store = 'b';
      },
    });
    valid = 'b';
    assert.equal((await c.GET('/agents')).error, undefined);
    const giveUp = client({ getToken: () => 'z', onUnauthorized: () => null });
    assert.equal((await giveUp.GET('/agents')).error?.status, 401);
  });

  it('a failing refresh leaves the 401 as the answer', async () => {
    tokenServer(() => 'never');
    const c = client({
      getToken: ({ forceRefresh }) => {
        if (forceRefresh) throw new Error('idp down');
        return 'x';
      },
    });
    assert.equal((await c.GET('/agents')).error?.code, 'ERR_INVALID_TOKEN');
  });
});

describe('errors as values', () => {
  it('403 insufficient_scope: code, detail, required scopes, WWW-Authenticate parsed', async () => {
    server.use(
      http.get(`${BASE}/agents/:id`, ({ params }) =>
        HttpResponse.json(
          { detail: `Insufficient permissions. Required scope(s): agents:${params.id}:read` },
          {
            status: 403,
            headers: {
              'WWW-Authenticate': `Bearer realm="agentos", error="insufficient_scope", scope="agents:${params.id}:read"`,
            },
          },
        ),
      ),
    );
    const { data, error } = await client({ token: 't' }).call('getAgent', { path: { agent_id: 'a9' } });
    assert.equal(data, undefined);
    assert.ok(error);
    assert.equal(error.code, 'ERR_SCOPE_INSUFFICIENT');
    assert.equal(error.status, 403);
    assert.equal(error.detail, 'Insufficient permissions. Required scope(s): agents:a9:read');
    assert.deepEqual(error.body, { detail: 'Insufficient permissions. Required scope(s): agents:a9:read' });
    assert.deepEqual(error.requiredScopes, ['agents:a9:read']);
    assert.equal(error.challenge?.error, 'insufficient_scope');
    assert.equal(error.challenge?.realm, 'agentos');
  });

  it('401 without a token: ERR_UNAUTHENTICATED', async () => {
    server.use(
      http.get(`${BASE}/agents`, () =>
        HttpResponse.json(
          { detail: 'Authorization header missing' },
          { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="agentos"' } },
        ),
      ),
    );
    const { error } = await client().GET('/agents');
    assert.equal(error?.code, 'ERR_UNAUTHENTICATED');
    assert.equal(error?.detail, 'Authorization header missing');
  });

  it('an empty error body still gives an error value', async () => {
    server.use(http.delete(`${BASE}/sessions/:id`, () => new HttpResponse(null, { status: 404 })));
    const { error, response } = await client({ token: 't' }).call('deleteSession', {
      path: { session_id: 's' },
    });
    assert.equal(response.status, 404);
    assert.equal(error?.code, 'ERR_HTTP');
    assert.equal(error?.body, undefined);
  });

  it('422 keeps the validation items in detail', async () => {
    const items = [{ loc: ['body', 'message'], msg: 'Field required', type: 'missing' }];
    server.use(http.post(`${BASE}/sessions`, () => HttpResponse.json({ detail: items }, { status: 422 })));
    const { error } = await client({ token: 't' }).call('createSession', { body: {} });
    assert.deepEqual(error?.detail, items);
  });

  it('network failures reject (not an HTTP answer)', async () => {
    server.use(http.get(`${BASE}/agents`, () => HttpResponse.error()));
    await assert.rejects(client({ token: 't' }).GET('/agents'), TypeError);
  });
});

describe('request encoding', () => {
  function echo(method: 'post' | 'patch', path: string) {
    const got: { type: string | null; body: string; form?: [string, string][] }[] = [];
    server.use(
      http[method](`${BASE}${path}`, async ({ request }) => {
        const type = request.headers.get('content-type');
        if (type?.startsWith('multipart/form-data')) {
          const fd = await request.formData();
          got.push({
            type: 'multipart',
            body: '',
            form: [...fd.entries()].map(([k, v]) => [
              k,
              typeof v === 'string' ? v : `file:${v.name}:${v.size}`,
            ]),
          });
        } else got.push({ type, body: await request.text() });
        return HttpResponse.json({ run_id: 'r1', session_id: 's1', status: 'PENDING' });
      }),
    );
    return got;
  }

  it('form operations send application/x-www-form-urlencoded (exact header)', async () => {
    const got = echo('post', '/agents/:id/runs');
    await client({ token: 't' }).call('createAgentRun', {
      path: { agent_id: 'a1' },
      body: { message: 'héllo & bye', stream: false, background: true, metadata: { k: 1 } } as never,
    });
    assert.deepEqual(got, [
      {
        type: 'application/x-www-form-urlencoded',
        body: 'message=h%C3%A9llo+%26+bye&stream=false&background=true&metadata=%7B%22k%22%3A1%7D',
      },
    ]);
  });

  it('a body with files goes multipart, one part per file', async () => {
    const got = echo('post', '/agents/:id/runs');
    const files = [
      new File(['abc'], 'a.txt', { type: 'text/plain' }),
      new File(['defg'], 'b.pdf', { type: 'application/pdf' }),
    ];
    await client({ token: 't' }).call('createAgentRun', {
      path: { agent_id: 'a1' },
      body: { message: 'm', stream: false, files } as never,
    });
    assert.deepEqual(got, [
      {
        type: 'multipart',
        body: '',
        form: [
          ['message', 'm'],
          ['stream', 'false'],
          ['files', 'file:a.txt:3'],
          ['files', 'file:b.pdf:4'],
        ],
      },
    ]);
  });

  it('form-or-multipart operations: fields alone as a form, a Blob or a FormData as multipart', async () => {
    // POST /knowledge/content takes both media types, as FastAPI's Form does (agno's client sends text
    // content urlencoded).
    const got = echo('post', '/knowledge/content');
    const c = client({ token: 't' });
    await c.call('createKnowledgeContent', { body: { name: 'doc' } as never });
    await c.call('createKnowledgeContent', {
      body: { name: 'doc', file: new File(['abc'], 'a.txt') } as never,
    });
    const fd = new FormData();
    fd.append('name', 'x');
    await c.POST('/knowledge/content', { body: fd as never });
    assert.deepEqual(got, [
      { type: 'application/x-www-form-urlencoded', body: 'name=doc' },
      {
        type: 'multipart',
        body: '',
        form: [
          ['name', 'doc'],
          ['file', 'file:a.txt:3'],
        ],
      },
      { type: 'multipart', body: '', form: [['name', 'x']] },
    ]);
  });

  it('JSON operations send JSON; query parameters are serialized', async () => {
    const got = echo('post', '/sessions');
    let url = '';
    server.use(
      http.get(`${BASE}/sessions`, ({ request }) => {
        url = request.url;
        return HttpResponse.json({ data: [], meta: {} });
      }),
    );
    const c = client({ token: 't' });
    await c.call('createSession', { body: { session_name: 'x' }, query: { type: 'team' } });
    await c.call('listSessions', { query: { type: 'agent', limit: 5 } });
    assert.deepEqual(got, [{ type: 'application/json', body: '{"session_name":"x"}' }]);
    assert.equal(url, `${BASE}/sessions?type=agent&limit=5`);
  });
});

describe('streaming runs', () => {
  const enc = new TextEncoder();
  /** An SSE body sent in awkward chunks (split inside lines, CRLFs, a heartbeat). */
  function sse(frames: string, chunk = 7, pause = 0) {
    return new ReadableStream<Uint8Array>({
      async start(c) {
        const all = enc.encode(frames);
        for (let i = 0; i < all.length; i += chunk) {
          c.enqueue(all.slice(i, i + chunk));
          if (pause) await delay(pause);
        }
        c.close();
      },
    });
  }
  const frames =
    'event: RunStarted\r\ndata: {"event":"RunStarted","run_id":"r1","agent_id":"a1"}\r\n\r\n' +
    ': heartbeat\r\n\r\n' +
    'event: RunContent\ndata: {"event":"RunContent","run_id":"r1","content":"Hel"}\n\n' +
    'event: RunContent\ndata: {"event":"RunContent","run_id":"r1",\ndata: "content":"lo"}\n\n' +
    'event: RunCompleted\ndata: {"event":"RunCompleted","run_id":"r1","content":"Hello"}\n\n';

  it('yields typed events across chunk boundaries, sending stream=true with the token', async () => {
    let seen: { auth: string | null; accept: string | null; body: string } | undefined;
    server.use(
      http.post(`${BASE}/agents/:id/runs`, async ({ request }) => {
        seen = {
          auth: request.headers.get('authorization'),
          accept: request.headers.get('accept'),
          body: await request.text(),
        };
        return new HttpResponse(sse(frames), { headers: { 'Content-Type': 'text/event-stream' } });
      }),
    );
    const out: string[] = [];
    let content = '';
    for await (const ev of client({ token: 't' }).streamAgentRun('a1', { message: 'hi', session_id: 's1' })) {
      out.push(ev.event);
      if (ev.event === 'RunContent') content += String(ev.content);
    }
    assert.deepEqual(out, ['RunStarted', 'RunContent', 'RunContent', 'RunCompleted']);
    assert.equal(content, 'Hello');
    assert.deepEqual(seen, {
      auth: 'Bearer t',
      accept: 'text/event-stream',
      body: 'message=hi&session_id=s1&stream=true',
    });
  });

  it('teams and workflows use their operations; resume sends last_event_index and no stream field', async () => {
    const bodies: string[] = [];
    const answer = async ({ request }: { request: Request }) => {
      bodies.push(`${new URL(request.url).pathname} ${await request.text()}`);
      return new HttpResponse(
        sse('event: catch_up\ndata: {"event":"catch_up","missed_events":1}\n\nevent: X\ndata: not json\n\n'),
        { headers: { 'Content-Type': 'text/event-stream' } },
      );
    };
    server.use(
      http.post(`${BASE}/teams/:id/runs`, answer),
      http.post(`${BASE}/workflows/:id/runs/:run/resume`, answer),
      http.post(`${BASE}/agents/:id/runs/:run/continue`, answer),
    );
    const c = client({ token: 't' });
    const all = [];
    for await (const ev of c.streamTeamRun('t1', { message: 'm' })) all.push(ev);
    for await (const ev of c.resumeWorkflowRun('w1', 'r1', { last_event_index: 3, session_id: 's' }))
      all.push(ev);
    for await (const ev of c.continueAgentRun('a1', 'r1', { tools: '[]' })) all.push(ev);
    assert.deepEqual(bodies, [
      '/teams/t1/runs message=m&stream=true',
      '/workflows/w1/runs/r1/resume last_event_index=3&session_id=s',
      '/agents/a1/runs/r1/continue tools=%5B%5D&stream=true',
    ]);
    assert.deepEqual(all[0], { event: 'catch_up', missed_events: 1 });
    assert.deepEqual(all[1], { event: 'X', content: 'not json' });
  });

  it('a refused run throws the HttpError from the iterator; stream() returns it as a value', async () => {
    server.use(
      http.post(`${BASE}/agents/:id/runs`, () =>
        HttpResponse.json(
          { detail: 'Insufficient permissions. Required scope(s): agents:a1:run' },
          {
            status: 403,
            headers: {
              'WWW-Authenticate': 'Bearer realm="agentos", error="insufficient_scope", scope="agents:a1:run"',
            },
          },
        ),
      ),
    );
    const c = client({ token: 't' });
    await assert.rejects(
      async () => {
        for await (const _ of c.streamAgentRun('a1', { message: 'm' })) assert.fail('no events');
      },
      (e: unknown) =>
        e instanceof HttpError &&
        e.code === 'ERR_SCOPE_INSUFFICIENT' &&
        e.requiredScopes[0] === 'agents:a1:run',
    );
    const { data, error } = await c.stream('createAgentRun', {
      path: { agent_id: 'a1' },
      body: { message: 'm' } as never,
    });
    assert.equal(data, undefined);
    assert.equal(error?.status, 403);
  });

  it('aborts mid-stream with the AbortSignal', async () => {
    server.use(
      http.post(`${BASE}/agents/:id/runs`, () => {
        const body = new ReadableStream<Uint8Array>({
          async start(c) {
            for (let i = 0; i < 100; i++) {
              c.enqueue(enc.encode(`event: RunContent\ndata: {"event":"RunContent","content":"${i}"}\n\n`));
              await delay(10);
            }
            c.close();
          },
        });
        return new HttpResponse(body, { headers: { 'Content-Type': 'text/event-stream' } });
      }),
    );
    const ac = new AbortController();
    const got: string[] = [];
    await assert.rejects(
      async () => {
        for await (const ev of client({ token: 't' }).streamAgentRun(
          'a1',
          { message: 'm' },
          { signal: ac.signal },
        )) {
          got.push(String(ev.content));
          if (got.length === 3) ac.abort();
        }
      },
      { name: 'AbortError' },
    );
    assert.deepEqual(got, ['0', '1', '2']);
  });

  it('a 401 on a stream is refreshed and retried like any request', async () => {
    server.use(
      http.post(`${BASE}/agents/:id/runs`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer new'
          ? new HttpResponse(sse('data: {"event":"RunCompleted"}\n\n'), {
              headers: { 'Content-Type': 'text/event-stream' },
            })
          : HttpResponse.json({ detail: 'Token has expired' }, { status: 401, headers: challenge401 }),
      ),
    );
    const c = client({ getToken: ({ forceRefresh }) => (forceRefresh ? 'new' : 'old') });
    const names: string[] = [];
    for await (const ev of c.streamAgentRun('a1', { message: 'm' })) names.push(ev.event);
    assert.deepEqual(names, ['RunCompleted']);
  });
});

describe('misuse throws TypeError', () => {
  const bad: [string, unknown][] = [
    ['no options', undefined],
    ['no baseUrl', {}],
    ['token and getToken', { baseUrl: BASE, token: 'a', getToken: () => 'b' }],
    ['getToken not a function', { baseUrl: BASE, getToken: 'x' }],
    ['fetch not a function', { baseUrl: BASE, fetch: 1 }],
  ];
  for (const [name, options] of bad) {
    it(name, () => assert.throws(() => createAgentOSClient(options as AgentOSClientOptions), TypeError));
  }
  it('unknown operationId', () => {
    assert.throws(() => client().call('nope' as 'getHealth'), /unknown operationId "nope"/);
  });
});

describe('injected fetch', () => {
  it('is used for every request, including the retry', async () => {
    const urls: string[] = [];
    let n = 0;
    const c = createAgentOSClient({
      baseUrl: 'http://injected.test',
      getToken: ({ forceRefresh }) => (forceRefresh ? 'b' : 'a'),
      fetch: async (req) => {
        urls.push(`${req.headers.get('authorization')} ${req.url}`);
        return n++ === 0 ? new Response('{"detail":"x"}', { status: 401 }) : Response.json({ status: 'ok' });
      },
    });
    const { data } = await c.GET('/agents');
    assert.deepEqual(data, { status: 'ok' });
    assert.deepEqual(urls, ['Bearer a http://injected.test/agents', 'Bearer b http://injected.test/agents']);
  });
});
