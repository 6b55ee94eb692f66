import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, parseScope, readScopesClaim } from '../src/oracle.js';

const perId = { requiredScopes: ['agents:{agent_id}:run'], scopeFilter: undefined };
const both = { requiredScopes: ['agents:{agent_id}:read', 'agents:{agent_id}:run'], scopeFilter: undefined };
const list = {
  requiredScopes: ['agents:read'],
  scopeFilter: { resource: 'agents', action: 'read', id: 'id' },
};
const cfg = { requiredScopes: ['config:read'], scopeFilter: undefined };

describe('oracle: contract.md §2–§3', () => {
  const cases: [string, { op: typeof perId | typeof list; scopes: string[]; want: string }][] = [
    ['admin scope', { op: perId, scopes: ['agent_os:admin'], want: 'allow' }],
    ['global res:act', { op: perId, scopes: ['agents:run'], want: 'allow' }],
    ['wildcard', { op: perId, scopes: ['agents:*:run'], want: 'allow' }],
    ['same id', { op: perId, scopes: ['agents:a1:run'], want: 'allow' }],
    ['other id', { op: perId, scopes: ['agents:a2:run'], want: 'deny' }],
    ['read for run', { op: perId, scopes: ['agents:a1:read'], want: 'deny' }],
    ['case variant', { op: perId, scopes: ['Agents:a1:run'], want: 'deny' }],
    ['bare admin', { op: perId, scopes: ['admin'], want: 'deny' }],
    ['four parts', { op: perId, scopes: ['agent-os:x:agents:run'], want: 'deny' }],
    ['trailing space', { op: perId, scopes: ['agents:run '], want: 'deny' }],
    ['tab-joined admin', { op: perId, scopes: ['x:read\tagent_os:admin'], want: 'deny' }],
    ['empty', { op: perId, scopes: [''], want: 'deny' }],
    ['res:* is no wildcard', { op: perId, scopes: ['agents:*'], want: 'deny' }],
    ['AND: half', { op: both, scopes: ['agents:a1:read'], want: 'deny' }],
    ['AND: both', { op: both, scopes: ['agents:a1:read', 'agents:run'], want: 'allow' }],
    ['list, per-id read', { op: list, scopes: ['agents:a1:read'], want: 'filter:a1' }],
    ['list, run does not list', { op: list, scopes: ['agents:a1:run'], want: 'deny' }],
    ['list, wildcard read', { op: list, scopes: ['agents:*:read'], want: 'allow' }],
    ['legacy system:', { op: cfg, scopes: ['system:read'], want: 'allow' }],
  ];
  for (const [name, { op, scopes, want }] of cases) {
    test(name, () => {
      const d = decide(op, { agent_id: 'a1' }, scopes);
      assert.equal(d.kind === 'filter' ? `filter:${d.ids.join(',')}` : d.kind, want);
    });
  }
  test('deny names the rendered scopes', () => {
    assert.deepEqual(decide(perId, { agent_id: 'a1' }, []), { kind: 'deny', required: ['agents:a1:run'] });
  });
  test('a custom admin scope replaces the default', () => {
    assert.equal(decide(perId, { agent_id: 'a1' }, ['agent_os:admin'], 'root').kind, 'deny');
    assert.equal(parseScope('root', 'root').kind, 'admin');
  });
  test('a scope outside the RFC 6749 scope-token characters grants nothing (§2)', () => {
    for (const bad of [
      'agents:":read',
      'agents:a\\1:read',
      'agents:é:read',
      'agents :read',
      'agents:a\u0000:read',
    ])
      assert.equal(parseScope(bad).kind, 'unknown', bad);
    assert.equal(decide(perId, { agent_id: '"' }, ['agents:":run']).kind, 'deny');
    assert.equal(parseScope('agents:a~1!:read').kind, 'resource');
  });
  test('claim reading (§1)', () => {
    assert.deepEqual(readScopesClaim('a:b c:d', 'scopes'), ['a:b c:d']);
    assert.deepEqual(readScopesClaim('a:b c:d', 'scope'), ['a:b', 'c:d']);
    assert.deepEqual(readScopesClaim(42, 'scopes'), []);
    assert.deepEqual(readScopesClaim(['a:b', 1], 'scopes'), ['a:b']);
  });
});
