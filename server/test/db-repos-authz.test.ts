import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUniqueViolation } from '../src/db/index.js';
import { authz, decisions, users } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: authz, users', (t) => {
  test('roles: one default at a time, grants replaced, delete takes the assignments', async () => {
    const db = t.db;
    const now = at('2027-01-15T08:00:00Z');
    await authz.createRole(db, { slug: 'a', is_default: true, now });
    await authz.createRole(db, {
      slug: 'b',
      is_default: true,
      scopes: [{ scope: 'agents:read', effect: 'allow' }],
      now,
    });
    await assert.rejects(authz.createRole(db, { slug: 'a', now }), (e: unknown) => isUniqueViolation(e));
    assert.deepEqual(
      (await authz.listRoles(db)).map((r) => [r.slug, r.is_default]),
      [
        ['a', false],
        ['b', true],
      ],
    );
    await authz.updateRole(db, 'a', { is_default: true, now });
    assert.equal((await authz.getRole(db, 'b'))!.is_default, false);
    const set = await authz.setRoleScopes(db, 'a', [{ scope: 'agents:x:read', effect: 'deny' }], now);
    assert.deepEqual(set!.scopes, [{ scope: 'agents:x:read', effect: 'deny' }]);
    assert.equal(await authz.setRoleScopes(db, 'nope', [], now), undefined);

    await authz.assignRole(db, 'alice', 'a', now);
    await authz.assignRole(db, 'alice', 'b', now);
    assert.deepEqual(await authz.rolesOf(db, 'alice'), ['b'], 'assigning replaces (one role per subject)');
    assert.equal(await authz.assignIfNone(db, 'alice', 'a', now), false);
    assert.equal(await authz.assignIfNone(db, 'bob', 'a', now), true);
    assert.equal(await authz.deleteRole(db, 'b'), true);
    assert.deepEqual(await authz.rolesOf(db, 'alice'), []);
    assert.deepEqual(Object.fromEntries(await authz.rolesOfMany(db, ['alice', 'bob'])), {
      alice: [],
      bob: ['a'],
    });
    assert.equal(await authz.unassignRole(db, 'bob', 'a'), true);
    assert.equal(await authz.unassignRole(db, 'bob', 'a'), false);
  });

  test('change trail and decisions: search is a literal substring (LIKE wildcards escaped), sorted, counted', async () => {
    const db = t.db;
    for (const [i, target] of ['50%_off', '50 percent', 'plain'].entries()) {
      await authz.recordChange(db, {
        actor: 'root',
        action: 'role.created',
        target,
        after: { i },
        now: at(`2027-01-15T08:00:0${i}Z`),
      });
    }
    const hit = await authz.listChanges(db, {
      limit: 10,
      offset: 0,
      search: '%_',
      sortBy: 'created_at',
      order: 'asc',
    });
    assert.deepEqual(
      hit.rows.map((r) => r.target),
      ['50%_off'],
    );
    assert.equal(hit.total, 1);
    const all = await authz.listChanges(db, { limit: 2, offset: 0, sortBy: 'target', order: 'desc' });
    assert.deepEqual([all.rows.map((r) => r.target), all.total], [['plain', '50%_off'], 3]);

    await decisions.insertMany(db, [
      {
        created_at: at('2027-01-15T08:00:00Z'),
        action: 'access.denied',
        principal: 'Carol',
        target: 'GET /sessions',
        operation_id: 'listSessions',
        required: ['sessions:read'],
        scopes: [],
        reason: 'insufficient_scope',
        token_ref: 'abc',
      },
    ]);
    const d = await decisions.page(db, {
      limit: 5,
      offset: 0,
      search: 'carol',
      sortBy: 'actor',
      order: 'asc',
    });
    assert.deepEqual([d.total, d.rows[0]!.principal, d.rows[0]!.token_ref], [1, 'Carol', 'abc']);
    assert.equal(
      (await decisions.page(db, { limit: 5, offset: 0, search: 'DENIED', sortBy: 'action', order: 'asc' }))
        .total,
      1,
    );
  });

  test('users: upsert keeps what is not given, disable, list filters, counts and days', async () => {
    const db = t.db;
    const first = await users.upsert(db, {
      id: 'u1',
      email: 'u1@x',
      name: null,
      now: at('2027-01-14T23:00:00Z'),
    });
    assert.equal(first.created, true);
    const again = await users.upsert(db, { id: 'u1', name: 'U One', now: at('2027-01-15T01:00:00Z') });
    assert.deepEqual([again.created, again.row.email, again.row.name], [false, 'u1@x', 'U One']);
    await users.upsert(db, { id: 'u2', now: at('2027-01-15T09:00:00Z') });
    await users.setDisabled(db, 'u2', true, at('2027-01-15T10:00:00Z'));
    assert.deepEqual(await users.countByStatus(db), { total: 2, disabled: 1 });
    const enabled = await users.list(db, {
      limit: 10,
      offset: 0,
      includeDisabled: false,
      sortBy: 'id',
      order: 'asc',
    });
    assert.deepEqual(
      enabled.rows.map((u) => u.id),
      ['u1'],
    );
    assert.deepEqual(await users.createdByDay(db, {}), [
      { date: '2027-01-14', count: 1 },
      { date: '2027-01-15', count: 1 },
    ]);
    assert.deepEqual(await users.createdByDay(db, { from: at('2027-01-15T00:00:00Z') }), [
      { date: '2027-01-15', count: 1 },
    ]);
    assert.equal(await users.remove(db, 'u2'), true);
    assert.equal(await users.get(db, 'u2'), undefined);
  });

  test('the directory port provisions once, with the default role, and never a role name', async () => {
    const db = t.db;
    const now = () => at('2027-01-16T00:00:00Z');
    await authz.createRole(db, { slug: 'starter', is_default: true, now: now() });
    const dir = users.createDirectory(() => db, { roleNames: ['configured'], now, withRoles: true });
    assert.deepEqual(await dir.provision('newbie', { email: 'n@x', name: null }), { disabled: false });
    assert.deepEqual(await authz.rolesOf(db, 'newbie'), ['starter']);
    await users.setDisabled(db, 'newbie', true, now());
    assert.deepEqual(await dir.provision('newbie', { email: null, name: null }), { disabled: true });
    for (const name of ['configured', 'starter']) {
      assert.deepEqual(await dir.provision(name, { email: null, name: null }), { disabled: false });
      assert.equal(await users.get(db, name), undefined, name);
    }
  });
});
