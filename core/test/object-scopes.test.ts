import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileBodyScope,
  compileGrants,
  decideBodyScopes,
  decideMembers,
  decideTarget,
  filterNested,
} from '../src/index.js';

describe('x-body-scopes (contract.md §8.4)', () => {
  const scopes = ['agents:{body.agent_id}:run', 'teams:{body.team_id}:run'].map((t) => compileBodyScope(t));
  const cases: [string, { grants: string[]; body: unknown; want: ReturnType<typeof decideBodyScopes> }][] = [
    [
      'agent named, run scope on it',
      { grants: ['agents:a1:run'], body: { agent_id: 'a1' }, want: { effect: 'allow' } },
    ],
    [
      'agent named, wildcard',
      { grants: ['agents:*:run'], body: { agent_id: 'a1' }, want: { effect: 'allow' } },
    ],
    [
      'agent named, scope on another',
      {
        grants: ['agents:a2:run'],
        body: { agent_id: 'a1' },
        want: { effect: 'deny', required: ['agents:a1:run'] },
      },
    ],
    ['field absent: not required', { grants: [], body: { name: 'x' }, want: { effect: 'allow' } }],
    ['field null: not required', { grants: [], body: { agent_id: null }, want: { effect: 'allow' } }],
    [
      'both named: both required',
      {
        grants: ['agents:a1:run'],
        body: { agent_id: 'a1', team_id: 't1' },
        want: { effect: 'deny', required: ['teams:t1:run'] },
      },
    ],
    [
      'a non-string id names nothing: refused',
      {
        grants: ['agents:run'],
        body: { agent_id: { $ne: 1 } },
        want: {
          effect: 'deny',
          required: ['agents:{body.agent_id}:run'],
          reason: '"agent_id" must name one resource',
        },
      },
    ],
    [
      'admin',
      { grants: ['agent_os:admin'], body: { agent_id: 'a1', team_id: 't1' }, want: { effect: 'allow' } },
    ],
  ];
  for (const [name, { grants, body, want }] of cases) {
    test(name, () => assert.deepEqual(decideBodyScopes(compileGrants(grants), scopes, body), want));
  }
  test('a template binding anything but a body field is refused at compile time', () => {
    assert.throws(() => compileBodyScope('agents:{agent_id}:run'), /must be "\{body\.<field>\}"/);
  });
});

describe('x-scope-target (contract.md §8.2)', () => {
  const cases: [string, { grants: string[]; method: string; endpoint: string; want: string | null }][] = [
    [
      'run endpoint, its run scope',
      { grants: ['agents:a1:run'], method: 'POST', endpoint: '/agents/a1/runs', want: null },
    ],
    [
      'method case-insensitive, trailing slash',
      { grants: ['teams:run'], method: 'post', endpoint: '/teams/t1/runs/', want: null },
    ],
    [
      'run endpoint, another agent',
      { grants: ['agents:a2:run'], method: 'POST', endpoint: '/agents/a1/runs', want: 'agents:a1:run' },
    ],
    [
      'id decoded once',
      { grants: ['agents:a-1:run'], method: 'POST', endpoint: '/agents/a%2D1/runs', want: null },
    ],
    [
      'id decoding to a slash: admin',
      { grants: ['agents:run'], method: 'POST', endpoint: '/agents/a%2F1/runs', want: 'agent_os:admin' },
    ],
    [
      'query string: admin',
      { grants: ['agents:run'], method: 'POST', endpoint: '/agents/a1/runs?x=1', want: 'agent_os:admin' },
    ],
    [
      'another method: admin',
      { grants: ['agents:run'], method: 'GET', endpoint: '/agents/a1/runs', want: 'agent_os:admin' },
    ],
    [
      'not a run endpoint: admin',
      { grants: ['sessions:delete'], method: 'DELETE', endpoint: '/sessions', want: 'agent_os:admin' },
    ],
    [
      'cancel is not a run endpoint',
      {
        grants: ['agents:run'],
        method: 'POST',
        endpoint: '/agents/a1/runs/r1/cancel',
        want: 'agent_os:admin',
      },
    ],
    ['admin: anything', { grants: ['agent_os:admin'], method: 'DELETE', endpoint: '/sessions', want: null }],
  ];
  for (const [name, { grants, method, endpoint, want }] of cases) {
    test(name, () =>
      assert.deepEqual(
        decideTarget(compileGrants(grants), method, endpoint),
        want === null ? { effect: 'allow' } : { effect: 'deny', required: [want] },
      ),
    );
  }
});

describe('member runs (contract.md §8.6)', () => {
  test('every member needs its run scope', () => {
    const members = [
      { resource: 'agents', id: 'a1' },
      { resource: 'agents', id: 'a2' },
    ];
    assert.deepEqual(decideMembers(compileGrants(['agents:a1:run']), members), {
      effect: 'deny',
      required: ['agents:a2:run'],
    });
    assert.deepEqual(decideMembers(compileGrants(['agents:run']), members), { effect: 'allow' });
  });
});

describe('x-nested-filters (contract.md §8.6)', () => {
  const team = {
    id: 't1',
    members: [{ id: 'a1', instructions: 'x' }, { id: 'a2', instructions: 'secret' }, { name: 'no id' }],
  };
  const filters = [{ at: '/members', resource: 'agents', action: 'read', id: 'id' }];
  test('keeps only readable members; items without the id property are kept; input unchanged', () => {
    const out = filterNested(team, filters, compileGrants(['agents:a1:read']));
    assert.deepEqual(out.members, [{ id: 'a1', instructions: 'x' }, { name: 'no id' }]);
    assert.equal(team.members.length, 3);
  });
  test('a global read keeps everything', () => {
    assert.deepEqual(filterNested(team, filters, compileGrants(['agents:read'])), team);
  });
  test('mixed arrays: with kindOf each item is checked in its own family only', () => {
    const mixed = {
      members: [
        { id: 'x', kind: 'agent' },
        { id: 'x', kind: 'team', members: [] },
      ],
    };
    const both = [
      { at: '/members', resource: 'agents', action: 'read', id: 'id' },
      { at: '/members', resource: 'teams', action: 'read', id: 'id' },
    ];
    const kindOf = (i: unknown) => ((i as { kind: string }).kind === 'team' ? 'teams' : 'agents');
    // A team read on id "x" does not reveal the agent "x".
    assert.deepEqual(filterNested(mixed, both, compileGrants(['teams:x:read']), kindOf).members, [
      { id: 'x', kind: 'team', members: [] },
    ]);
    // Without kindOf (the mocks), an item any entry grants stays.
    assert.equal(filterNested(mixed, both, compileGrants(['teams:x:read'])).members.length, 2);
  });
  test('`*` segments reach every item of a list answer; string items are ids', () => {
    const list = [team, { id: 't2', members: ['a1', 'a2'] }];
    const out = filterNested(
      list,
      [{ at: '/*/members', resource: 'agents', action: 'read', id: 'id' }],
      compileGrants(['agents:a2:read']),
    );
    assert.deepEqual(out[0]!.members, [{ id: 'a2', instructions: 'secret' }, { name: 'no id' }]);
    assert.deepEqual(out[1]!.members, ['a2']);
  });
});
