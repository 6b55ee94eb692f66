/**
 * Scope logic (security-anchors.md §7B, contract.md §2–§3) over HTTP against the spec's route
 * table: exact status, `detail`, `WWW-Authenticate` with the required scopes, handler not run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bearer,
  CHALLENGE,
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
let scp: TestServer;

const token = (scopes: unknown, extra: Record<string, unknown> = {}) =>
  sign(claims({ scopes, ...extra }), key.privateKey, { alg: 'RS256' });

before(async () => {
  key = await makeKey('RS256');
  srv = await startServer({
    id: 'my-os',
    authorization: true,
    authorizationConfig: { verificationKeys: [key.publicPem] },
  });
  scp = await startServer({
    id: 'my-os',
    authorization: true,
    scopesClaim: 'scope',
    authorizationConfig: { verificationKeys: [key.publicPem] },
  });
});
after(async () => {
  await srv.close();
  await scp.close();
});

type Row = [name: string, method: string, path: string, scopes: unknown, want: number | string[]];

/**
 * Runs a row: `want` is 200 (the handler runs) or the required scopes of the expected 403.
 * `extra` are more claims; `server` the target.
 */
async function check(
  s: TestServer,
  method: string,
  path: string,
  tok: string | null,
  want: number | string[],
  headers: Record<string, string> = {},
) {
  const before = s.calls.length;
  const res = await request(s.port, method, path, { ...(tok === null ? {} : bearer(tok)), ...headers });
  if (typeof want === 'number') {
    assert.equal(res.status, want, res.text);
    if (want === 200) assert.equal(s.calls.length, before + 1, 'the handler runs');
    return res;
  }
  assert.equal(res.status, 403, res.text);
  if (method !== 'HEAD')
    assert.deepEqual(res.body, { detail: `Insufficient permissions. Required scope(s): ${want.join(', ')}` });
  assert.equal(res.headers['www-authenticate'], CHALLENGE.scope(...want));
  assert.equal(s.calls.length, before, 'the handler must not run');
  return res;
}

describe('§7B scope logic (default "scopes" claim)', () => {
  const rows: Row[] = [
    ['B1 exactly the required scope', 'GET', '/config', ['config:read'], 200],
    ['B2 no scope claim at all', 'GET', '/config', undefined, ['config:read']],
    ['B3 scopes: ""', 'GET', '/config', '', ['config:read']],
    ['B3 scopes: []', 'GET', '/config', [], ['config:read']],
    ['B4 an unrelated scope only', 'GET', '/config', ['agents:read'], ['config:read']],
    ['B5 read scope on a write operation', 'POST', '/sessions', ['sessions:read'], ['sessions:write']],
    ['B5 read scope on a delete operation', 'DELETE', '/sessions/s1', ['sessions:read'], ['sessions:delete']],
    [
      'B6 write scope on a read operation (write does not imply read)',
      'GET',
      '/sessions',
      ['sessions:write'],
      ['sessions:read'],
    ],
    ['B7 prefix config:rea', 'GET', '/config', ['config:rea'], ['config:read']],
    ['B7 suffix config:read2', 'GET', '/config', ['config:read2'], ['config:read']],
    ['B7 superstring xconfig:read', 'GET', '/config', ['xconfig:read'], ['config:read']],
    ['B7 parent "config"', 'GET', '/config', ['config'], ['config:read']],
    ['B8 case variant Config:Read', 'GET', '/config', ['Config:Read'], ['config:read']],
    ['B8 admin scope in another case', 'GET', '/config', ['AGENT_OS:ADMIN'], ['config:read']],
    ['B9 comma-joined in one string', 'GET', '/config', ['agents:read,config:read'], ['config:read']],
    ['B9 semicolon-joined in one string', 'GET', '/config', ['agents:read;config:read'], ['config:read']],
    [
      'B9 space-joined string in the "scopes" claim is one scope',
      'GET',
      '/config',
      'agents:read config:read',
      ['config:read'],
    ],
    ['B10 leading space (no trimming)', 'GET', '/config', [' config:read'], ['config:read']],
    ['B10 trailing space (no trimming)', 'GET', '/config', ['config:read '], ['config:read']],
    [
      'B10 tab-joined never grants admin',
      'GET',
      '/config',
      ['config:write\tagent_os:admin'],
      ['config:read'],
    ],
    [
      'B10 newline-joined never grants admin',
      'GET',
      '/config',
      ['config:write\nagent_os:admin'],
      ['config:read'],
    ],
    ['B11 duplicated scope', 'GET', '/config', ['config:read', 'config:read'], 200],
    ['B12 homoglyph (Cyrillic с)', 'GET', '/config', ['\u0441onfig:read'], ['config:read']],
    ['B13 bare "*"', 'GET', '/config', ['*'], ['config:read']],
    ['B13 "config:*"', 'GET', '/config', ['config:*'], ['config:read']],
    ['B13 "*:read"', 'GET', '/config', ['*:read'], ['config:read']],
    ['B13 "admin:*"', 'GET', '/config', ['admin:*'], ['config:read']],
    ['B13 "agent_os:*"', 'GET', '/config', ['agent_os:*'], ['config:read']],
    ['bare "admin" grants nothing', 'GET', '/config', ['admin'], ['config:read']],
    ['four-part scope grants nothing', 'GET', '/config', ['agent-os:my-os:config:read'], ['config:read']],
    ['empty parts grant nothing', 'GET', '/config', [':read', 'config:', 'agents::read'], ['config:read']],
    ['legacy system:read reads as config:read', 'GET', '/config', ['system:read'], 200],
    ['the admin scope grants everything', 'DELETE', '/sessions/s1', ['agent_os:admin'], 200],
    // Per-resource requirements (contract.md §2).
    ['per-resource scope for this id', 'GET', '/agents/a1', ['agents:a1:read'], 200],
    ['per-resource scope for another id', 'GET', '/agents/a2', ['agents:a1:read'], ['agents:a2:read']],
    ['global scope satisfies a per-resource requirement', 'GET', '/agents/a2', ['agents:read'], 200],
    ['wildcard scope satisfies a per-resource requirement', 'GET', '/agents/a2', ['agents:*:read'], 200],
    ['run does not satisfy read', 'GET', '/agents/a1', ['agents:a1:run'], ['agents:a1:read']],
    ['per-resource run for another agent', 'POST', '/agents/a2/runs', ['agents:a1:run'], ['agents:a2:run']],
    ['the id is compared after percent-decoding', 'GET', '/agents/my%2Dagent', ['agents:my-agent:read'], 200],
    [
      'a scope id is compared exactly (no prefix)',
      'GET',
      '/agents/a10',
      ['agents:a1:read'],
      ['agents:a10:read'],
    ],
    ['teams and workflows alike', 'POST', '/workflows/w1/runs', ['teams:w1:run'], ['workflows:w1:run']],
    // B14: AND within x-required-scopes.
    [
      'B14 AND: read without run',
      'GET',
      '/agents/a1/runs?session_id=s',
      ['agents:a1:read'],
      ['agents:a1:read', 'agents:a1:run'],
    ],
    [
      'B14 AND: run without read',
      'GET',
      '/agents/a1/runs?session_id=s',
      ['agents:a1:run'],
      ['agents:a1:read', 'agents:a1:run'],
    ],
    ['B14 AND: both', 'GET', '/agents/a1/runs?session_id=s', ['agents:a1:read', 'agents:a1:run'], 200],
    [
      'B14 AND: mixed global and per-resource',
      'GET',
      '/agents/a1/runs?session_id=s',
      ['agents:read', 'agents:*:run'],
      200,
    ],
    // B16: wrong types never 5xx.
    ['B16 scopes as a number', 'GET', '/config', 42, ['config:read']],
    ['B16 scopes as an object', 'GET', '/config', { 'config:read': true }, ['config:read']],
    ['B16 scopes null', 'GET', '/config', null, ['config:read']],
    ['B16 scopes true', 'GET', '/config', true, ['config:read']],
    [
      'B16 non-string members are dropped, strings kept',
      'GET',
      '/config',
      [5, null, { a: 1 }, 'config:read'],
      200,
    ],
    ['a lone string in "scopes" is one scope', 'GET', '/config', 'config:read', 200],
    // B18: method swap on the same path.
    ['B18 GET with the read scope', 'GET', '/sessions/s1', ['sessions:read'], 200],
    ['B18 DELETE with the read scope', 'DELETE', '/sessions/s1', ['sessions:read'], ['sessions:delete']],
    ['B18 PATCH with the read scope', 'PATCH', '/sessions/s1', ['sessions:read'], ['sessions:write']],
    ['B18 DELETE with the admin scope', 'DELETE', '/sessions/s1', ['agent_os:admin'], 200],
    ['HEAD has the decision of GET', 'HEAD', '/config', ['agents:read'], ['config:read']],
  ];
  for (const [name, method, path, scopes, want] of rows) {
    test(name, async () => {
      await check(srv, method, path, await token(scopes), want);
    });
  }

  test('per-resource run for a run operation (with a valid form body)', async () => {
    const before = srv.calls.length;
    const res = await request(
      srv.port,
      'POST',
      '/agents/a1/runs',
      { ...bearer(await token(['agents:a1:run'])), 'content-type': 'application/x-www-form-urlencoded' },
      'message=Hello!&stream=false',
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(srv.calls.length, before + 1);
    assert.equal(res.body.operationId, 'createAgentRun');
  });

  test('B15 privilege in claims the server does not read (scp, scope, roles, permissions, groups, realm_access)', async () => {
    const t = await sign(
      claims({
        scp: ['config:read', 'agent_os:admin'],
        scope: 'config:read agent_os:admin',
        roles: ['agent_os:admin'],
        permissions: ['config:read'],
        groups: ['agent_os:admin'],
        realm_access: { roles: ['agent_os:admin'] },
      }),
      key.privateKey,
      { alg: 'RS256' },
    );
    await check(srv, 'GET', '/config', t, ['config:read']);
  });

  test('B17 400 scopes including the right one → 200; without it → 403', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `agents:a${i}:read`);
    await check(srv, 'GET', '/config', await token([...many, 'config:read']), 200);
    await check(srv, 'GET', '/config', await token(many), ['config:read']);
  });

  test('B19 privilege asserted outside the token is ignored', async () => {
    const t = await token(['agents:read']);
    await check(srv, 'GET', '/config', t, ['config:read'], {
      'x-scopes': 'agent_os:admin',
      'x-user-role': 'admin',
      'x-forwarded-user': 'admin',
    });
    await check(srv, 'GET', '/config?scope=agent_os:admin&scopes=config:read', t, ['config:read']);
  });

  test('B20 a public operation: no token, a valid token, a garbage token → 200 each, token ignored', async () => {
    for (const headers of [
      {},
      bearer(await token(['agent_os:admin'])),
      bearer('garbage'),
      { authorization: 'Bearer' },
    ]) {
      const before = srv.calls.length;
      const res = await request(srv.port, 'GET', '/health', headers);
      assert.equal(res.status, 200);
      assert.equal(srv.calls.length, before + 1);
      assert.equal(res.body.caller.authenticated, false);
      assert.equal(res.body.caller.isAdmin, false);
      assert.equal(res.headers['www-authenticate'], undefined);
    }
  });

  test('B20 every public operation of the spec answers without a token', async () => {
    for (const path of [
      '/',
      '/health',
      '/info',
      '/docs',
      '/redoc',
      '/openapi.json',
      '/docs/oauth2-redirect',
    ]) {
      const res = await request(srv.port, 'GET', path, bearer('garbage'));
      assert.equal(res.status, 200, path);
    }
  });

  test('no token on a protected operation → 401 without an error code', async () => {
    const res = await request(srv.port, 'GET', '/config');
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], CHALLENGE.missing);
  });
});

describe('§7B with scopesClaim "scope" (RFC 9068 space-delimited string)', () => {
  const t = (scope: unknown) => sign(claims({ scope }), key.privateKey, { alg: 'RS256' });
  const rows: [string, unknown, number | string[]][] = [
    ['a space-delimited string is split', 'agents:read config:read', 200],
    ['B3 scope: ""', '', ['config:read']],
    ['B10 doubled, leading and trailing spaces are tolerated', '  agents:read   config:read  ', 200],
    ['B10 tab never separates scopes', 'agents:read\tconfig:read', ['config:read']],
    ['B10 newline never separates scopes', 'agents:read\nconfig:read', ['config:read']],
    ['B11 duplicated scope', 'config:read config:read', 200],
    ['B9 comma is not a delimiter', 'agents:read,config:read', ['config:read']],
    ['an array is taken as is', ['config:read'], 200],
    ['B16 a number', 7, ['config:read']],
    ['B15 the seeds "scopes" claim is not read', undefined, ['config:read']],
  ];
  for (const [name, scope, want] of rows) {
    test(name, async () => {
      await check(scp, 'GET', '/config', await t(scope), want);
    });
  }
  test('B15 "scopes" array ignored when the server reads "scope"', async () => {
    await check(
      scp,
      'GET',
      '/config',
      await sign(claims({ scopes: ['config:read'] }), key.privateKey, { alg: 'RS256' }),
      ['config:read'],
    );
  });
  test('B10 "config:read\\tagent_os:admin" never grants admin', async () => {
    await check(scp, 'DELETE', '/sessions/s1', await t('config:read\tagent_os:admin'), ['sessions:delete']);
  });
});

describe('list filtering (x-scope-filter, contract.md §3)', () => {
  const cases: [string, string[], number | string[], string[] | '*' | null][] = [
    ['admin sees everything', ['agent_os:admin'], 200, '*'],
    ['global read sees everything', ['agents:read'], 200, '*'],
    ['wildcard read sees everything', ['agents:*:read'], 200, '*'],
    [
      'per-resource reads see those ids',
      ['agents:agent-1:read', 'agents:agent-2:read'],
      200,
      ['agent-1', 'agent-2'],
    ],
    ['a per-resource read of a missing id filters to it', ['agents:ghost:read'], 200, ['ghost']],
    [
      'run scopes do not count for a read listing',
      ['agents:agent-1:run', 'agents:*:run', 'agents:run'],
      ['agents:read'],
      null,
    ],
    ['no scope at all', ['teams:read'], ['agents:read'], null],
  ];
  for (const [name, scopes, want, ids] of cases) {
    test(name, async () => {
      const res = await check(srv, 'GET', '/agents', await token(scopes), want);
      if (want === 200) assert.deepEqual(res.body.caller.accessibleIds, ids);
    });
  }
  test('a non-list operation has accessibleIds null', async () => {
    const res = await check(srv, 'GET', '/config', await token(['config:read']), 200);
    assert.equal(res.body.caller.accessibleIds, null);
  });
});

describe('a custom adminScope replaces the default', () => {
  let custom: TestServer;
  before(async () => {
    custom = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem], adminScope: 'root' },
    });
  });
  after(() => custom.close());
  test('the custom admin scope grants everything', async () => {
    const res = await check(custom, 'DELETE', '/sessions/s1', await token(['root']), 200);
    assert.equal(res.body.caller.isAdmin, true);
  });
  test('agent_os:admin no longer does', async () => {
    await check(custom, 'DELETE', '/sessions/s1', await token(['agent_os:admin']), ['sessions:delete']);
  });
});

describe('authorization off with a key: tokens verified, scopes not enforced', () => {
  let verifyOnly: TestServer;
  before(async () => {
    verifyOnly = await startServer({ authorizationConfig: { verificationKeys: [key.publicPem] } });
  });
  after(() => verifyOnly.close());
  test('a valid token without scopes calls a protected operation', async () => {
    const res = await check(verifyOnly, 'DELETE', '/sessions/s1', await token([]), 200);
    assert.equal(res.body.caller.authenticated, true);
  });
  test('lists are unfiltered', async () => {
    const res = await check(verifyOnly, 'GET', '/agents', await token([]), 200);
    assert.equal(res.body.caller.accessibleIds, '*');
  });
  test('no token → 401', async () => {
    const res = await request(verifyOnly.port, 'GET', '/config');
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], CHALLENGE.missing);
  });
  test('a bad token → 401 invalid_token', async () => {
    const res = await request(verifyOnly.port, 'GET', '/config', bearer('a.b.c'));
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], CHALLENGE.invalid);
  });
});

describe('no key and authorization off: open', () => {
  test('every operation answers without a token; lists are unfiltered', async () => {
    const open = await startServer({});
    try {
      const res = await request(open.port, 'GET', '/agents');
      assert.equal(res.status, 200);
      assert.equal(res.body.caller.authenticated, false);
      assert.equal(res.body.caller.accessibleIds, '*');
      assert.equal((await request(open.port, 'DELETE', '/sessions/s1', bearer('garbage'))).status, 200);
      assert.equal((await request(open.port, 'GET', '/nope')).status, 404);
    } finally {
      await open.close();
    }
  });
});

describe('excludedRoutePaths (fnmatch; replaces the default list)', () => {
  let ex: TestServer;
  before(async () => {
    ex = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      excludedRoutePaths: ['/agents', '/sessions/*'],
    });
  });
  after(() => ex.close());
  test('an excluded operation ignores the token and sees every item', async () => {
    for (const headers of [{}, bearer('garbage')]) {
      const res = await request(ex.port, 'GET', '/agents', headers);
      assert.equal(res.status, 200);
      assert.equal(res.body.caller.authenticated, false);
      assert.equal(res.body.caller.accessibleIds, '*');
    }
  });
  test('"*" spans segments, as in Python fnmatch', async () => {
    assert.equal((await request(ex.port, 'GET', '/sessions/s1/runs')).status, 200);
  });
  test('paths not listed still need a token; public operations stay public', async () => {
    assert.equal((await request(ex.port, 'GET', '/config')).status, 401);
    assert.equal((await request(ex.port, 'GET', '/sessions')).status, 401);
    assert.equal((await request(ex.port, 'GET', '/health')).status, 200);
  });
  test('an encoded variant of an excluded path is not excluded', async () => {
    assert.equal((await request(ex.port, 'GET', '/%61gents')).status, 401);
  });
});
