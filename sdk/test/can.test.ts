/**
 * @module `can()` against the generated scope table: global, wildcard, per-resource and admin
 * scopes, list filtering, legacy aliases, and JWTs decoded without verification.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGrants, compileRoutes, decide } from '@agentos/core';
import fc from 'fast-check';
import { routes } from '../src/generated/routes.js';
import {
  type CanOptions,
  can,
  canCall,
  type OperationId,
  type Permission,
  readTokenScopes,
} from '../src/index.js';

/** An unsigned JWT with the given payload (can() never verifies; the signature part is junk). */
function jwt(payload: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.c2ln`;
}

type Case = [
  string,
  {
    who: readonly string[] | string | null;
    op: OperationId;
    params?: Record<string, string>;
    options?: CanOptions;
    want: Permission;
  },
];

const cases: Case[] = [
  ['public operation, anonymous', { who: null, op: 'getHealth', want: { allowed: true, missing: [] } }],
  [
    'secured operation, anonymous',
    { who: null, op: 'getConfig', want: { allowed: false, missing: ['config:read'] } },
  ],
  ['global scope', { who: ['config:read'], op: 'getConfig', want: { allowed: true, missing: [] } }],
  ['legacy system: alias', { who: ['system:read'], op: 'getConfig', want: { allowed: true, missing: [] } }],
  [
    'admin scope',
    {
      who: ['agent_os:admin'],
      op: 'deleteSession',
      params: { session_id: 's' },
      want: { allowed: true, missing: [] },
    },
  ],
  [
    'custom admin scope',
    { who: ['root'], op: 'getConfig', options: { adminScope: 'root' }, want: { allowed: true, missing: [] } },
  ],
  [
    'scopes are exact (case)',
    { who: ['Config:read'], op: 'getConfig', want: { allowed: false, missing: ['config:read'] } },
  ],
  [
    'per-resource scope, matching id',
    {
      who: ['agents:a1:run'],
      op: 'createAgentRun',
      params: { agent_id: 'a1' },
      want: { allowed: true, missing: [] },
    },
  ],
  [
    'per-resource scope, other id: missing is rendered',
    {
      who: ['agents:a1:run'],
      op: 'createAgentRun',
      params: { agent_id: 'a2' },
      want: { allowed: false, missing: ['agents:a2:run'] },
    },
  ],
  [
    'wildcard scope',
    {
      who: ['agents:*:run'],
      op: 'createAgentRun',
      params: { agent_id: 'zz' },
      want: { allowed: true, missing: [] },
    },
  ],
  [
    'per-resource requirement without params: only global/wildcard satisfies',
    {
      who: ['agents:a1:run'],
      op: 'createAgentRun',
      want: { allowed: false, missing: ['agents:{agent_id}:run'] },
    },
  ],
  [
    'several requirements: only the unmet ones are missing',
    {
      who: ['agents:a1:read'],
      op: 'listAgentRuns',
      params: { agent_id: 'a1' },
      want: { allowed: false, missing: ['agents:a1:run'] },
    },
  ],
  [
    'filtered list: global scope sees everything',
    { who: ['agents:read'], op: 'listAgents', want: { allowed: true, filtered: '*', missing: [] } },
  ],
  [
    'filtered list: per-resource scopes see their ids',
    {
      who: ['agents:a1:read', 'agents:a2:read', 'teams:t1:read'],
      op: 'listAgents',
      want: { allowed: true, filtered: new Set(['a1', 'a2']), missing: [] },
    },
  ],
  [
    'filtered list: a run scope does not count for a read listing',
    { who: ['agents:a1:run'], op: 'listAgents', want: { allowed: false, missing: ['agents:read'] } },
  ],
  [
    'filtered list: admin',
    { who: ['agent_os:admin'], op: 'listTeams', want: { allowed: true, filtered: '*', missing: [] } },
  ],
  [
    'JWT with a scopes array',
    {
      who: jwt({ sub: 'u', scopes: ['config:read'] }),
      op: 'getConfig',
      want: { allowed: true, missing: [] },
    },
  ],
  [
    'JWT with an RFC 9068 scope string',
    {
      who: jwt({ sub: 'u', scope: 'openid agents:a1:read' }),
      op: 'listAgents',
      want: { allowed: true, filtered: new Set(['a1']), missing: [] },
    },
  ],
  [
    'JWT with a custom claim',
    {
      who: jwt({ perms: ['config:read'] }),
      op: 'getConfig',
      options: { scopeClaim: 'perms' },
      want: { allowed: true, missing: [] },
    },
  ],
  [
    'garbage token: no scopes',
    { who: 'not.a.jwt', op: 'getConfig', want: { allowed: false, missing: ['config:read'] } },
  ],
  [
    'garbage token still allows public operations',
    { who: 'xyz', op: 'getInfo', want: { allowed: true, missing: [] } },
  ],
];

describe('can', () => {
  for (const [name, { who, op, params, options, want }] of cases) {
    it(name, () => {
      assert.deepEqual(can(who, op, params, options), want);
      assert.equal(canCall(who, op, params, options), want.allowed);
    });
  }

  it('an expired or badly signed token is still read: can() is a hint, not a check', () => {
    const expired = jwt({ exp: 1, scopes: ['config:read'] });
    assert.equal(canCall(expired, 'getConfig'), true);
  });

  it('unknown operationId is misuse', () => {
    assert.throws(() => can([], 'nope' as OperationId), {
      name: 'TypeError',
      message: /unknown operationId "nope"/,
    });
  });

  it('answers about each caller independently', () => {
    const a = ['agents:a1:read'];
    assert.equal(canCall(a, 'getAgent', { agent_id: 'a1' }), true);
    assert.equal(canCall(['agents:a2:read'], 'getAgent', { agent_id: 'a1' }), false);
    assert.equal(canCall(a, 'getAgent', { agent_id: 'a1' }), true);
  });
});

describe('can agrees with decide() of @agentos/core (the server and mocks decision)', () => {
  const index = compileRoutes(routes);
  const pool = [
    'agent_os:admin',
    'agents:read',
    'agents:run',
    'agents:*:read',
    'agents:*:run',
    'agents:a1:read',
    'agents:a2:read',
    'agents:a1:run',
    'teams:read',
    'teams:t1:read',
    'teams:t1:run',
    'workflows:w1:read',
    'workflows:w1:run',
    'sessions:read',
    'sessions:write',
    'sessions:delete',
    'config:read',
    'system:write',
    'memories:read',
    'knowledge:write',
    'approvals:write',
    'components:read',
    'bogus',
    'agents:a1:x:read',
  ];
  it('for every operation, random scopes and path values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...routes),
        fc.subarray(pool),
        fc.constantFrom('a1', 'a2', 't1', 'w1', 'zz'),
        (route, scopes, value) => {
          const params = Object.fromEntries(
            [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1]!, value]),
          );
          const d = decide(index.byOperationId(route.operationId)!, params, compileGrants(scopes));
          const p = can(scopes, route.operationId as OperationId, params);
          assert.equal(p.allowed, d.effect !== 'deny');
          if (d.effect === 'filter') assert.deepEqual(p.filtered, d.accessibleIds);
          if (d.effect === 'allow') assert.equal(p.filtered, d.accessibleIds ?? undefined);
          if (d.effect === 'deny') for (const m of p.missing) assert.ok(d.required.includes(m));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('readTokenScopes', () => {
  it('reads scopes, scope and scp; UTF-8 payloads; unpadded base64url', () => {
    assert.deepEqual(readTokenScopes(jwt({ scopes: 'one:scope' })), ['one:scope']);
    assert.deepEqual(readTokenScopes(jwt({ scp: ['a:b', 'c:d'] })), ['a:b', 'c:d']);
    assert.deepEqual(readTokenScopes(jwt({ name: 'Zoë ✓', scope: 'x:y  z:w' })), ['x:y', 'z:w']);
    assert.deepEqual(readTokenScopes(jwt({ sub: 'u' })), []);
    assert.deepEqual(readTokenScopes(''), []);
  });
});
