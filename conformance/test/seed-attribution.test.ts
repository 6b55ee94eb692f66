/**
 * Rows the suite seeded as user A, on a target whose listing answers no owner field (agno's
 * knowledge content has no `user_id`): `attributeSeeded` marks them as A's in the admin listing,
 * and ISO-LIST-OWN then fails a listing of user B that shows one of them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planSuite } from '../src/plan.js';
import { attributeSeeded } from '../src/seed.js';
import type { HttpResponse } from '../src/types.js';
import { miniSpec } from './helpers.js';

const res = (body: unknown): HttpResponse => ({
  status: 200,
  headers: {},
  body: JSON.stringify(body),
  elapsedMs: 1,
});

describe('seeded rows without an owner field', () => {
  test('are attributed to their creator, and found in another user listing', async () => {
    const spec = await miniSpec();
    const discovery = attributeSeeded(
      {
        ids: {},
        lists: {
          listSessions: [
            { session_id: 's-a' },
            { session_id: 's-shared' },
            { session_id: 's-c', user_id: 'C' },
          ],
        },
      },
      spec,
      [{ path: '/sessions', id: 's-a', owner: 'A' }],
      'user_id',
    );
    assert.deepEqual(discovery.lists.listSessions, [
      { session_id: 's-a', user_id: 'A' },
      { session_id: 's-shared' },
      { session_id: 's-c', user_id: 'C' },
    ]);
    const plan = planSuite(spec, {
      alg: 'RS256',
      userIsolation: true,
      users: { a: 'A', b: 'B' },
      discovery,
      only: ['ISO-LIST-OWN'],
    });
    const own = plan.cases.find((c) => c.probe.id === 'ISO-LIST-OWN' && c.operationId === 'listSessions');
    assert.ok(own, 'ISO-LIST-OWN planned for listSessions');
    const asB = own.steps.find((s) => s.label === 'as B');
    assert.ok(asB, JSON.stringify(own.steps.map((s) => s.label)));
    const check = (body: unknown) => asB.expect.check(res(body), {} as never);
    assert.match(String(check([{ session_id: 's-a' }])), /row\(s\) of other users listed \(user_id = A\)/);
    assert.equal(check([{ session_id: 's-shared' }, { session_id: 's-b', user_id: 'B' }]), undefined);
  });
});

describe('seeded rows in a scope-filtered listing under isolation', () => {
  test('FILTER-GLOBAL neither expects nor refuses a row seeded as another user', async () => {
    const spec = await miniSpec();
    const plan = planSuite(spec, {
      alg: 'RS256',
      userIsolation: true,
      discovery: { ids: {}, lists: { listAgents: [{ id: 'a1' }, { id: 'seed-x' }] }, seeded: ['seed-x'] },
      only: ['FILTER-GLOBAL'],
    });
    const global = plan.cases.find((c) => c.probe.id === 'FILTER-GLOBAL' && c.operationId === 'listAgents');
    assert.ok(global, 'FILTER-GLOBAL planned for listAgents');
    const check = (body: unknown) => global.steps[0]!.expect.check(res(body), {} as never);
    assert.equal(check([{ id: 'a1' }]), undefined, 'hidden from another user: fine');
    assert.equal(check([{ id: 'a1' }, { id: 'seed-x' }]), undefined, 'shown: fine too');
    assert.match(String(check([])), /missing: a1/);
    assert.match(String(check([{ id: 'a1' }, { id: 'other' }])), /outside the token's scopes: other/);
  });
});
