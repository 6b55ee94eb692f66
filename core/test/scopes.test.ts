import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  accessibleIds,
  compileGrants,
  compileRequirement,
  parseScope,
  renderRequirement,
  satisfies,
} from '../src/index.js';

describe('parseScope (contract.md §2 grammar)', () => {
  const cases: [string, { given: string; admin?: string; want: ReturnType<typeof parseScope> }][] = [
    ['admin', { given: 'agent_os:admin', want: { kind: 'admin' } }],
    [
      'custom admin replaces the default',
      {
        given: 'agent_os:admin',
        admin: 'root:all',
        want: { kind: 'global', resource: 'agent_os', action: 'admin' },
      },
    ],
    ['custom admin', { given: 'root:all', admin: 'root:all', want: { kind: 'admin' } }],
    ['global', { given: 'agents:read', want: { kind: 'global', resource: 'agents', action: 'read' } }],
    [
      'per-resource',
      { given: 'agents:a1:run', want: { kind: 'resource', resource: 'agents', id: 'a1', action: 'run' } },
    ],
    ['wildcard', { given: 'agents:*:run', want: { kind: 'wildcard', resource: 'agents', action: 'run' } }],
    [
      'legacy system is config',
      { given: 'system:read', want: { kind: 'global', resource: 'config', action: 'read' } },
    ],
    ['bare admin grants nothing', { given: 'admin', want: { kind: 'unknown' } }],
    ['four parts', { given: 'agent-os:my-os:agents:read', want: { kind: 'unknown' } }],
    ['empty', { given: '', want: { kind: 'unknown' } }],
    ['empty part', { given: 'agents::run', want: { kind: 'unknown' } }],
  ];
  for (const [name, { given, admin, want }] of cases) {
    test(name, () => assert.deepEqual(parseScope(given, { adminScope: admin }), want));
  }
});

describe('satisfies (contract.md §2)', () => {
  const perAgent = compileRequirement('agents:{agent_id}:run');
  const global = compileRequirement('sessions:read');
  const cases: [
    string,
    { scopes: unknown[]; req: typeof perAgent; params?: Record<string, string>; want: boolean },
  ][] = [
    [
      'admin satisfies anything',
      { scopes: ['agent_os:admin'], req: perAgent, params: { agent_id: 'a1' }, want: true },
    ],
    ['global run', { scopes: ['agents:run'], req: perAgent, params: { agent_id: 'a1' }, want: true }],
    ['wildcard run', { scopes: ['agents:*:run'], req: perAgent, params: { agent_id: 'a1' }, want: true }],
    ['same id', { scopes: ['agents:a1:run'], req: perAgent, params: { agent_id: 'a1' }, want: true }],
    ['other id', { scopes: ['agents:a2:run'], req: perAgent, params: { agent_id: 'a1' }, want: false }],
    [
      'read does not grant run',
      { scopes: ['agents:read', 'agents:a1:read'], req: perAgent, params: { agent_id: 'a1' }, want: false },
    ],
    ['case-sensitive', { scopes: ['Agents:Run'], req: perAgent, params: { agent_id: 'a1' }, want: false }],
    ['no trimming', { scopes: [' agents:run'], req: perAgent, params: { agent_id: 'a1' }, want: false }],
    ['no prefix match', { scopes: ['agents:ru'], req: perAgent, params: { agent_id: 'a1' }, want: false }],
    [
      'id case-sensitive',
      { scopes: ['agents:A1:run'], req: perAgent, params: { agent_id: 'a1' }, want: false },
    ],
    ['global requirement, wildcard scope', { scopes: ['sessions:*:read'], req: global, want: true }],
    [
      'global requirement, per-resource scope does not count',
      { scopes: ['sessions:s1:read'], req: global, want: false },
    ],
    [
      'legacy alias satisfies config',
      { scopes: ['system:read'], req: compileRequirement('config:read'), want: true },
    ],
    ['non-string scopes ignored', { scopes: [42, null, { a: 1 }], req: global, want: false }],
    [
      'tab-joined scope grants nothing',
      { scopes: ['sessions:read\tagent_os:admin'], req: compileRequirement('agents:read'), want: false },
    ],
  ];
  for (const [name, { scopes, req, params = {}, want }] of cases) {
    test(name, () => assert.equal(satisfies(compileGrants(scopes), req, params), want));
  }
  test('admin-only requirement needs the admin scope', () => {
    const req = compileRequirement('agent_os:admin');
    assert.equal(satisfies(compileGrants(['agents:run', 'config:write']), req, {}), false);
    assert.equal(satisfies(compileGrants(['agent_os:admin']), req, {}), true);
  });
});

describe('compileRequirement', () => {
  for (const bad of ['agents', 'agents:a1:b:c', 'agents:{x', ':read', 'agents:{}:run']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => compileRequirement(bad), TypeError));
  }
  test('renders with the path value', () => {
    assert.equal(
      renderRequirement(compileRequirement('agents:{agent_id}:run'), { agent_id: 'x' }),
      'agents:x:run',
    );
    assert.equal(renderRequirement(compileRequirement('agents:read'), { agent_id: 'x' }), 'agents:read');
  });
});

describe('accessibleIds', () => {
  test('star for global, wildcard, admin', () => {
    assert.equal(accessibleIds(compileGrants(['agents:read']), 'agents', 'read'), '*');
    assert.equal(accessibleIds(compileGrants(['agents:*:read']), 'agents', 'read'), '*');
    assert.equal(accessibleIds(compileGrants(['agent_os:admin']), 'agents', 'read'), '*');
  });
  test('per-resource ids for the action only', () => {
    const ids = accessibleIds(
      compileGrants(['agents:a1:read', 'agents:a2:read', 'agents:a3:run']),
      'agents',
      'read',
    );
    assert.ok(ids instanceof Set);
    assert.deepEqual([...ids].sort(), ['a1', 'a2']);
  });
  test('run scopes do not count for read', () => {
    const ids = accessibleIds(
      compileGrants(['agents:run', 'agents:*:run', 'agents:a1:run']),
      'agents',
      'read',
    );
    assert.ok(ids instanceof Set);
    assert.equal(ids.size, 0);
  });
});

describe('scope-token characters (RFC 6749 §3.3)', () => {
  for (const bad of [
    'agents: :read',
    'agents:a\u0000:read',
    'agents:"a":read',
    'agents:a\\b:read',
    'agents:é:read',
    'agents:read\n',
  ]) {
    test(`${JSON.stringify(bad)} grants nothing`, () =>
      assert.deepEqual(parseScope(bad), { kind: 'unknown' }));
  }
});
