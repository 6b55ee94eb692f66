import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileGrants, compileRoutes, compileScopeMappings, decide, type RouteSpec } from '../src/index.js';

const r = (
  operationId: string,
  method: RouteSpec['method'],
  path: string,
  scopes: string[],
  extra: Partial<RouteSpec> = {},
): RouteSpec => ({
  operationId,
  method,
  path,
  scopes,
  userOwned: false,
  public: scopes.length === 0,
  ...extra,
});

const table: RouteSpec[] = [
  r('getRoot', 'GET', '/', []),
  r('listAgents', 'GET', '/agents', ['agents:read'], {
    filter: { resource: 'agents', action: 'read', id: 'id' },
  }),
  r('getAgent', 'GET', '/agents/{agent_id}', ['agents:{agent_id}:read']),
  r('createAgentRun', 'POST', '/agents/{agent_id}/runs', ['agents:{agent_id}:run']),
  r('getAgentRun', 'GET', '/agents/{agent_id}/runs/{run_id}', [
    'agents:{agent_id}:read',
    'agents:{agent_id}:run',
  ]),
  r('getCurrentConfig', 'GET', '/components/{component_id}/configs/current', ['components:read']),
  r('getConfig', 'GET', '/components/{component_id}/configs/{version}', ['components:read']),
  r('updateConfig', 'PATCH', '/components/{component_id}/configs/{version}', ['components:write']),
];
const index = compileRoutes(table);

describe('compileRoutes().match', () => {
  const cases: [
    string,
    { method: string; path: string; want: string | null | string[]; params?: Record<string, string> },
  ][] = [
    ['root', { method: 'GET', path: '/', want: 'getRoot' }],
    ['literal', { method: 'GET', path: '/agents', want: 'listAgents' }],
    ['trailing slash is the same route', { method: 'GET', path: '/agents/', want: 'listAgents' }],
    ['param', { method: 'GET', path: '/agents/a1', want: 'getAgent', params: { agent_id: 'a1' } }],
    ['decoded once', { method: 'GET', path: '/agents/a%201', want: 'getAgent', params: { agent_id: 'a 1' } }],
    [
      'double-encoded stays encoded once',
      { method: 'GET', path: '/agents/a%252F', want: 'getAgent', params: { agent_id: 'a%2F' } },
    ],
    [
      'encoded slash is one segment',
      { method: 'GET', path: '/agents/a%2Fruns%2Fr', want: 'getAgent', params: { agent_id: 'a/runs/r' } },
    ],
    ['percent-encoded literal', { method: 'GET', path: '/%61gents', want: 'listAgents' }],
    [
      'two params',
      {
        method: 'GET',
        path: '/agents/a1/runs/r1',
        want: 'getAgentRun',
        params: { agent_id: 'a1', run_id: 'r1' },
      },
    ],
    [
      'literal beats param',
      { method: 'GET', path: '/components/c1/configs/current', want: 'getCurrentConfig' },
    ],
    [
      'param when method only on param',
      {
        method: 'PATCH',
        path: '/components/c1/configs/current',
        want: 'updateConfig',
        params: { component_id: 'c1', version: 'current' },
      },
    ],
    ['HEAD uses GET', { method: 'HEAD', path: '/agents', want: 'listAgents' }],
    ['case-sensitive', { method: 'GET', path: '/Agents', want: null }],
    ['double slash', { method: 'GET', path: '//agents', want: null }],
    ['mid double slash', { method: 'GET', path: '/agents//runs', want: null }],
    ['dot segment', { method: 'GET', path: '/agents/.', want: null }],
    ['dot-dot segment', { method: 'GET', path: '/agents/../agents', want: null }],
    ['encoded dot-dot', { method: 'GET', path: '/agents/%2e%2e', want: null }],
    ['bad percent', { method: 'GET', path: '/agents/%E0%A4%A', want: null }],
    ['unknown', { method: 'GET', path: '/nope', want: null }],
    ['relative', { method: 'GET', path: 'agents', want: null }],
    ['method not allowed', { method: 'DELETE', path: '/agents', want: ['GET'] }],
  ];
  for (const [name, { method, path, want, params }] of cases) {
    test(name, () => {
      const m = index.match(method, path);
      if (want === null) return assert.equal(m.kind, 'not-found');
      if (Array.isArray(want)) {
        assert.equal(m.kind, 'method-not-allowed');
        return assert.deepEqual(m.kind === 'method-not-allowed' && m.allowed, want);
      }
      assert.equal(m.kind, 'found');
      if (m.kind !== 'found') return;
      assert.equal(m.route.spec.operationId, want);
      if (params) assert.deepEqual(m.params, params);
    });
  }
  test('duplicate method+path refused', () => {
    assert.throws(() => compileRoutes([r('a', 'GET', '/x', []), r('b', 'GET', '/x', [])]), /Two operations/);
  });
});

describe('decide (contract.md §3)', () => {
  const at = (method: string, path: string) => {
    const m = index.match(method, path);
    assert.equal(m.kind, 'found');
    return m as Extract<typeof m, { kind: 'found' }>;
  };
  const cases: [string, { method: string; path: string; scopes: string[]; want: unknown }][] = [
    ['public', { method: 'GET', path: '/', scopes: [], want: { effect: 'allow', accessibleIds: null } }],
    [
      'list with global read',
      {
        method: 'GET',
        path: '/agents',
        scopes: ['agents:read'],
        want: { effect: 'allow', accessibleIds: '*' },
      },
    ],
    [
      'list filtered',
      {
        method: 'GET',
        path: '/agents',
        scopes: ['agents:a1:read', 'agents:a2:read'],
        want: { effect: 'filter', accessibleIds: new Set(['a1', 'a2']) },
      },
    ],
    [
      'list with only run scopes is 403',
      {
        method: 'GET',
        path: '/agents',
        scopes: ['agents:a1:run', 'agents:run'],
        want: { effect: 'deny', required: ['agents:read'], missing: ['agents:read'] },
      },
    ],
    [
      'per-id read',
      {
        method: 'GET',
        path: '/agents/a1',
        scopes: ['agents:a1:read'],
        want: { effect: 'allow', accessibleIds: null },
      },
    ],
    [
      'per-id read other',
      {
        method: 'GET',
        path: '/agents/a1',
        scopes: ['agents:a2:read'],
        want: { effect: 'deny', required: ['agents:a1:read'], missing: ['agents:a1:read'] },
      },
    ],
    [
      'run read needs both',
      {
        method: 'GET',
        path: '/agents/a1/runs/r1',
        scopes: ['agents:a1:run'],
        want: { effect: 'deny', required: ['agents:a1:read', 'agents:a1:run'], missing: ['agents:a1:read'] },
      },
    ],
    [
      'run read with both',
      {
        method: 'GET',
        path: '/agents/a1/runs/r1',
        scopes: ['agents:a1:run', 'agents:*:read'],
        want: { effect: 'allow', accessibleIds: null },
      },
    ],
    [
      'admin',
      {
        method: 'POST',
        path: '/agents/a1/runs',
        scopes: ['agent_os:admin'],
        want: { effect: 'allow', accessibleIds: null },
      },
    ],
  ];
  for (const [name, { method, path, scopes, want }] of cases) {
    test(name, () => {
      const m = at(method, path);
      assert.deepEqual(decide(m.route, m.params, compileGrants(scopes)), want);
    });
  }
});

describe('compileScopeMappings (contract.md §4)', () => {
  const o = compileScopeMappings({
    'GET /agents/*': ['custom:any'],
    'GET /agents/{agent_id}/runs/*': [
      'custom:runs:{agent_id}'.replace(':runs:{agent_id}', ':{agent_id}:runs'),
    ],
    'GET /agents': ['custom:list_agents'],
    'GET /public/health': [],
  });
  test('exact beats pattern', () => assert.equal(o.find('GET', '/agents')?.key, 'GET /agents'));
  test('public mapping', () => assert.equal(o.find('GET', '/public/health/')?.public, true));
  test('longer literal prefix wins', () => {
    assert.equal(o.find('GET', '/agents/a1/runs/r1')?.key, 'GET /agents/*');
  });
  test('star crosses slashes like fnmatch', () =>
    assert.equal(o.find('GET', '/agents/a/b/c')?.key, 'GET /agents/*'));
  test('method must match', () => assert.equal(o.find('POST', '/agents'), undefined));
  test('binds params', () => {
    const p = compileScopeMappings({ 'GET /x/{id}/y': ['things:{id}:read'] }).find('GET', '/x/42/y');
    assert.deepEqual(p?.params, { id: '42' });
  });
  test('malformed key', () => assert.throws(() => compileScopeMappings({ '/agents': [] }), /must look like/));
  test('malformed scope', () =>
    assert.throws(() => compileScopeMappings({ 'GET /a': ['nope'] }), /scopeMappings\["GET \/a"\]/));
});

describe('compileRoutes().match: the literal-path shortcut agrees with the trie walk', () => {
  // A path without `%` may be answered from the table of literal templates; the same path with a
  // letter percent-encoded always takes the walk. Both must give the same answer.
  const encodeALetter = (path: string) => path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  const seg = fc.constantFrom(
    'agents',
    'a1',
    'runs',
    'r1',
    'components',
    'configs',
    'current',
    '',
    '.',
    '..',
  );
  const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PATCH', 'DELETE');
  test("for paths made of the table's segments", () => {
    fc.assert(
      fc.property(method, fc.array(seg, { maxLength: 5 }), fc.boolean(), (m, segs, slash) => {
        const path = `/${segs.join('/')}${slash ? '/' : ''}`;
        if (!/[a-z]/.test(path)) return;
        assert.deepEqual(index.match(m, path), index.match(m, encodeALetter(path)));
      }),
      { numRuns: 2000 },
    );
  });
  test('a literal template that lacks the method falls back to the walk', () => {
    const t = compileRoutes([
      r('getThing', 'GET', '/things/{id}', []),
      r('makeNew', 'POST', '/things/new', []),
    ]);
    assert.deepEqual(t.match('GET', '/things/new'), t.match('GET', '/things/%6eew'));
    assert.equal(t.match('GET', '/things/new').kind, 'found');
  });
});

describe('bearerChallenge', () => {
  test('drops characters a header cannot carry', async () => {
    const { bearerChallenge } = await import('../src/index.js');
    const h = bearerChallenge({ error: 'insufficient_scope', scope: ['teams:\u0000x"\\\r\n:read'] });
    assert.equal(h, 'Bearer realm="agentos", error="insufficient_scope", scope="teams:x:read"');
  });
});
