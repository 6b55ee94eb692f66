/**
 * Roles and deny (docs/contract.md §2 "Roles and deny"): each case is named after the contract id
 * it checks, and runs the whole decision (`decide`) on a small route table.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileRoles,
  compileRoutes,
  type Decision,
  decide,
  holdsScope,
  type RouteSpec,
  resolveGrants,
} from '../src/index.js';

const r = (
  operationId: string,
  method: 'GET' | 'POST',
  path: string,
  scopes: string[],
  extra = {},
): RouteSpec => ({
  operationId,
  method,
  path,
  scopes,
  userOwned: false,
  public: scopes.length === 0,
  ...extra,
});
const index = compileRoutes([
  r('listAgents', 'GET', '/agents', ['agents:read'], {
    filter: { resource: 'agents', action: 'read', id: 'id' },
  }),
  r('getAgent', 'GET', '/agents/{agent_id}', ['agents:{agent_id}:read']),
  r('createAgentRun', 'POST', '/agents/{agent_id}/runs', ['agents:{agent_id}:run']),
  r('listSessions', 'GET', '/sessions', ['sessions:read']),
  r('getAgentRun', 'GET', '/agents/{agent_id}/runs/{run_id}', [
    'agents:{agent_id}:read',
    'agents:{agent_id}:run',
  ]),
  r('getConfig', 'GET', '/config', ['agent_os:admin']),
]);

const roles = compileRoles({
  // agentos-3.1.md §3: the role seen on the wire.
  reader: { allow: ['agents:*:read'], deny: ['agents:support-agent:read'] },
  runner: { allow: ['agents:run'] },
  sessions: ['sessions:read'],
  blocker: { deny: ['agents:read'] },
  root: { allow: ['agent_os:admin'] },
  'root-but': { allow: ['agent_os:admin'], deny: ['agents:secret:read'] },
  denied: { deny: ['agent_os:admin'] },
});

type Case = [
  string,
  {
    scopes?: string[];
    roles?: string[];
    assigned?: string[];
    trust?: boolean;
    configured?: boolean;
    request: readonly [string, string];
    want: Decision['effect'] | { effect: 'filter'; ids: string[] | { except: string[] } };
  },
];

const cases: Case[] = [
  [
    'ROLE-NONE: token scopes decide without roles',
    { configured: false, scopes: ['agents:a1:read'], request: ['GET', '/agents/a1'], want: 'allow' },
  ],
  [
    'ROLE-NONE: token roles mean nothing without roles',
    { configured: false, roles: ['root'], request: ['GET', '/agents/a1'], want: 'deny' },
  ],
  [
    'ROLE-CLAIM: a role from the token allows',
    { roles: ['reader'], request: ['GET', '/agents/research-agent'], want: 'allow' },
  ],
  [
    'ROLE-CLAIM: several roles combine',
    { roles: ['reader', 'runner'], request: ['POST', '/agents/x/runs'], want: 'allow' },
  ],
  [
    'ROLE-CLAIM: stored assignments apply when the token names no role',
    { assigned: ['sessions'], request: ['GET', '/sessions'], want: 'allow' },
  ],
  [
    'ROLE-CLAIM: token roles win over stored assignments',
    { roles: ['reader'], assigned: ['sessions'], request: ['GET', '/sessions'], want: 'deny' },
  ],
  [
    'ROLE-UNKNOWN: an unknown role grants nothing',
    { roles: ['nobody'], request: ['GET', '/agents/a1'], want: 'deny' },
  ],
  [
    'ROLE-UNKNOWN: with a known one, the known one counts',
    { roles: ['nobody', 'sessions'], request: ['GET', '/sessions'], want: 'allow' },
  ],
  [
    'ROLE-DENY: a per-resource deny beats a wildcard allow',
    { roles: ['reader'], request: ['GET', '/agents/support-agent'], want: 'deny' },
  ],
  [
    'ROLE-DENY: the list is filtered, not refused',
    {
      roles: ['reader'],
      request: ['GET', '/agents'],
      want: { effect: 'filter', ids: { except: ['support-agent'] } },
    },
  ],
  [
    'ROLE-DENY: another role does not lift the deny',
    { roles: ['reader', 'root'], request: ['GET', '/agents/support-agent'], want: 'deny' },
  ],
  [
    'ROLE-DENY: a global deny refuses the list',
    { roles: ['reader', 'blocker'], request: ['GET', '/agents'], want: 'deny' },
  ],
  [
    'ROLE-DENY: a global deny refuses each item',
    { roles: ['root', 'blocker'], request: ['GET', '/agents/a1'], want: 'deny' },
  ],
  [
    'ROLE-DENY: a deny of one action leaves the others',
    { roles: ['blocker', 'runner'], request: ['POST', '/agents/a1/runs'], want: 'allow' },
  ],
  [
    'ROLE-DENY: denying the admin scope denies everything',
    { roles: ['root', 'denied'], request: ['GET', '/sessions'], want: 'deny' },
  ],
  [
    'ROLE-TOKEN-IGNORED: token scopes do not count with roles',
    { roles: ['reader'], scopes: ['sessions:read'], request: ['GET', '/sessions'], want: 'deny' },
  ],
  [
    'ROLE-TOKEN-IGNORED: even the admin scope',
    { scopes: ['agent_os:admin'], request: ['GET', '/config'], want: 'deny' },
  ],
  [
    'ROLE-TRUST: token scopes count with trustTokenScopes',
    {
      trust: true,
      roles: ['reader'],
      scopes: ['sessions:read'],
      request: ['GET', '/sessions'],
      want: 'allow',
    },
  ],
  [
    'ROLE-TRUST: a token scope overrides a role deny (agno)',
    {
      trust: true,
      roles: ['reader'],
      scopes: ['agents:support-agent:read'],
      request: ['GET', '/agents/support-agent'],
      want: 'allow',
    },
  ],
  [
    'ROLE-TRUST: and puts the item back in the list',
    {
      trust: true,
      roles: ['reader'],
      scopes: ['agents:support-agent:read'],
      request: ['GET', '/agents'],
      want: 'allow',
    },
  ],
  [
    'ROLE-TRUST: one source must meet every requirement (agno: each provider checks all)',
    {
      trust: true,
      roles: ['reader'],
      scopes: ['agents:run'],
      request: ['GET', '/agents/a1/runs/r1'],
      want: 'deny',
    },
  ],
  [
    'ROLE-TRUST: either source may meet it',
    {
      trust: true,
      roles: ['runner'],
      scopes: ['sessions:read'],
      request: ['GET', '/sessions'],
      want: 'allow',
    },
  ],
  [
    'ROLE-ADMIN: a role may grant the admin scope',
    { roles: ['root'], request: ['GET', '/config'], want: 'allow' },
  ],
  [
    'ROLE-ADMIN: its denies still hold',
    { roles: ['root-but'], request: ['GET', '/agents/secret'], want: 'deny' },
  ],
  [
    'ROLE-ADMIN: and carve the list',
    {
      roles: ['root-but'],
      request: ['GET', '/agents'],
      want: { effect: 'filter', ids: { except: ['secret'] } },
    },
  ],
];

describe('roles and deny (docs/contract.md §2)', () => {
  for (const [name, c] of cases) {
    test(name, () => {
      const grants = resolveGrants(
        { scopes: c.scopes ?? [], roles: c.roles, assigned: c.assigned },
        { roles: c.configured === false ? undefined : roles, trustTokenScopes: c.trust },
      );
      const m = index.match(...c.request);
      assert.equal(m.kind, 'found');
      if (m.kind !== 'found') return;
      const d = decide(m.route, m.params, grants);
      if (typeof c.want === 'string') {
        assert.equal(d.effect, c.want, JSON.stringify(d));
        return;
      }
      assert.equal(d.effect, 'filter');
      if (d.effect !== 'filter') return;
      const ids = d.accessibleIds;
      const got =
        ids instanceof Set
          ? [...ids].sort()
          : { except: [...(ids as { except: Set<string> }).except].sort() };
      assert.deepEqual(got, c.want.ids);
    });
  }

  test('ROLE-ADMIN: the caller is admin unless the admin scope is denied', () => {
    assert.equal(resolveGrants({ scopes: [], roles: ['root'] }, { roles }).admin, true);
    assert.equal(resolveGrants({ scopes: [], roles: ['root', 'denied'] }, { roles }).admin, false);
    assert.deepEqual(resolveGrants({ scopes: [], roles: ['root', 'nobody'] }, { roles }).roles, ['root']);
  });

  test('a 403 names the required and the missing scopes', () => {
    const m = index.match('GET', '/agents/support-agent');
    assert.equal(m.kind, 'found');
    if (m.kind !== 'found') return;
    const d = decide(m.route, m.params, resolveGrants({ scopes: [], roles: ['reader'] }, { roles }));
    assert.deepEqual(d, {
      effect: 'deny',
      required: ['agents:support-agent:read'],
      missing: ['agents:support-agent:read'],
    });
  });

  test('compileRoles refuses a scope outside the grammar (a typo in a deny would deny nothing)', () => {
    assert.throws(() => compileRoles({ r: { deny: ['agents:*:*'] } }), {
      name: 'TypeError',
      message: /roles\["r"\]\.deny: "agents:\*:\*" is not a scope/,
    });
    assert.throws(() => compileRoles({ r: { allow: 'agents:read' as never } }), /must be a list/);
  });
});

describe('holdsScope (ROLE-MINT)', () => {
  const cases: [string, { roles?: string[]; scopes?: string[]; scope: string; want: boolean }][] = [
    ['a held wildcard covers one id', { scopes: ['agents:*:read'], scope: 'agents:a1:read', want: true }],
    [
      'a held id does not cover the global form',
      { scopes: ['agents:a1:read'], scope: 'agents:read', want: false },
    ],
    ['admin covers anything', { scopes: ['agent_os:admin'], scope: 'sessions:write', want: true }],
    ['a denied id is not held', { roles: ['reader'], scope: 'agents:support-agent:read', want: false }],
    [
      'a global grant with a denied id is not held whole',
      { roles: ['reader'], scope: 'agents:read', want: false },
    ],
    ['another id is held', { roles: ['reader'], scope: 'agents:a1:read', want: true }],
    ['admin with a deny is not handed on', { roles: ['root-but'], scope: 'agent_os:admin', want: false }],
    ['a malformed scope is never held', { scopes: ['agent_os:admin'], scope: 'agents:a:b:c', want: false }],
  ];
  for (const [name, c] of cases) {
    test(name, () => {
      const grants = c.roles
        ? resolveGrants({ scopes: [], roles: c.roles }, { roles })
        : resolveGrants({ scopes: c.scopes ?? [] });
      assert.equal(holdsScope(grants, c.scope), c.want);
    });
  }
});
