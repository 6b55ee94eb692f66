/**
 * @module The user directory (contract.md §9.4, feature `users`): subjects provisioned from their
 * token on first sight (with the default role), the `disabled` kill-switch refusing a subject on
 * every operation (the admin scope and `/users` itself included), list/search/metrics in agno's
 * shapes, and a directory that cannot be read answering 503 (fail closed). Real RS256 tokens, a
 * real PGlite database, answers validated against the spec.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ADMIN, type AuthzServer, startAuthzServer } from './authz-harness.js';
import { openSocket } from './ws-helpers.js';

let s: AuthzServer;
let admin: string;
before(async () => {
  s = await startAuthzServer({ managedRoles: true, userDirectory: true });
  admin = await s.token('root', [ADMIN], { email: 'root@example.com' });
});
after(() => s?.close());

const db = () => s.os.context.database.db;

describe('/users mounted by configuration (x-agentos-feature: users)', () => {
  it('listed in /openapi.json; off without userDirectory (404)', async () => {
    const doc = (await s.call('GET', '/openapi.json')).body;
    assert.ok(
      doc.paths['/users']?.get && doc.paths['/users/{user_id}']?.patch && doc.paths['/users/metrics']?.get,
    );
    const off = await startAuthzServer({ managedRoles: true });
    try {
      const t = await off.token('root', [ADMIN]);
      assert.equal((await off.call('GET', '/users', { token: t })).status, 404);
      assert.equal((await off.call('GET', '/agents', { token: t })).status, 200);
      const rows = await off.os.context.database.db.selectFrom('authz_users').selectAll().execute();
      assert.deepEqual(rows, [], 'no directory: nobody is provisioned');
    } finally {
      await off.close();
    }
  });

  it('non-admins are refused by the route table (403)', async () => {
    const t = await s.token('plain', ['agents:read']);
    assert.equal((await s.call('GET', '/users', { token: t })).status, 403);
    assert.equal((await s.call('PATCH', '/users/root', { token: t, json: { disabled: true } })).status, 403);
    assert.equal((await s.call('GET', '/users/root', { token: admin })).body.disabled, false);
  });
});

describe('provisioning on first sight', () => {
  it('a new subject is created from its email and name claims; non-string claims are stored as absent', async () => {
    const bob = await s.token('bob', ['agents:read'], { email: 'bob@example.com', name: 'Bob' });
    assert.equal((await s.call('GET', '/agents', { token: bob })).status, 200);
    const got = await s.call('GET', '/users/bob', { token: admin });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(
      { ...got.body, created_at: typeof got.body.created_at, updated_at: typeof got.body.updated_at },
      {
        id: 'bob',
        email: 'bob@example.com',
        name: 'Bob',
        status: 'active',
        disabled: false,
        role_slug: null,
        role_name: null,
        created_at: 'number',
        updated_at: 'number',
      },
    );
    const odd = await s.token('odd', [], { email: 42, name: { x: 1 } });
    await s.call('GET', '/health', { token: odd });
    await s.call('GET', '/agents', { token: odd });
    const o = await s.call('GET', '/users/odd', { token: admin });
    assert.deepEqual([o.body.email, o.body.name], [null, null]);
    // A public operation ignores the token: nobody is provisioned by it.
    const ghost = await s.token('ghost-public');
    await s.call('GET', '/health', { token: ghost });
    assert.equal((await s.call('GET', '/users/ghost-public', { token: admin })).status, 404);
  });

  it('the default role is given once, to a subject holding none', async () => {
    await s.call('POST', '/authz/roles', {
      token: admin,
      json: { slug: 'viewer', name: 'Viewer', is_default: true },
    });
    await s.call('PUT', '/authz/roles/viewer/scopes', { token: admin, json: { scopes: ['agents:*:read'] } });
    const carol = await s.token('carol');
    // Provisioned, then decided with the default role, on the very first request.
    assert.equal((await s.call('GET', '/agents/research-agent', { token: carol })).status, 200);
    const u = await s.call('GET', '/users/carol', { token: admin });
    assert.deepEqual([u.body.role_slug, u.body.role_name], ['viewer', 'Viewer']);
    // An existing user is not given it again after an unassignment.
    await s.call('DELETE', '/authz/subjects/carol/roles/viewer', { token: admin });
    assert.equal((await s.call('GET', '/agents/research-agent', { token: carol })).status, 403);
  });
});

describe('the disabled kill-switch (contract.md §9.4)', () => {
  it('a disabled subject is refused on every operation with a still-valid token; enabling restores it', async () => {
    const dan = await s.token('dan', ['agents:read', 'sessions:read']);
    assert.equal((await s.call('GET', '/agents', { token: dan })).status, 200);
    const off = await s.call('PATCH', '/users/dan', { token: admin, json: { disabled: true } });
    assert.equal(off.status, 200);
    assert.deepEqual([off.body.status, off.body.disabled], ['disabled', true]);
    for (const path of ['/agents', '/sessions', '/agents/research-agent']) {
      const r = await s.call('GET', path, { token: dan });
      assert.deepEqual([r.status, r.body], [403, { detail: 'User is disabled' }], path);
      assert.equal(r.headers.get('www-authenticate'), null, 'the token is valid: no challenge');
    }
    const on = await s.call('PATCH', '/users/dan', { token: admin, json: { disabled: false } });
    assert.equal(on.body.status, 'active');
    assert.equal((await s.call('GET', '/agents', { token: dan })).status, 200);
  });

  it('the admin scope does not lift it, on /users and /authz included', async () => {
    const eve = await s.token('eve', [ADMIN]);
    assert.equal((await s.call('GET', '/users', { token: eve })).status, 200);
    await s.call('PATCH', '/users/eve', { token: admin, json: { disabled: true } });
    for (const [method, path, json] of [
      ['GET', '/users', undefined],
      ['PATCH', '/users/eve', { disabled: false }],
      ['GET', '/authz/roles', undefined],
      ['POST', '/authz/roles', { slug: 'eve-made' }],
    ] as const) {
      const r = await s.call(method, path, { token: eve, json });
      assert.deepEqual([r.status, r.body], [403, { detail: 'User is disabled' }], `${method} ${path}`);
    }
    const still = await s.call('GET', '/users/eve', { token: admin });
    assert.equal(still.body.disabled, true, 'the disabled admin could not re-enable itself');
    assert.equal((await s.call('GET', '/authz/roles/eve-made', { token: admin })).status, 404);
  });

  it('the workflow socket refuses a disabled subject as REST does', async () => {
    await s.call('PATCH', '/users/wanda', { token: admin, json: { disabled: true } });
    const ws = await openSocket(s.base);
    try {
      ws.send({ action: 'authenticate', token: await s.token('wanda', [ADMIN]) });
      assert.deepEqual(await ws.next(), {
        event: 'auth_error',
        error: 'User is disabled',
        error_type: 'forbidden',
      });
      ws.send({ action: 'authenticate', token: await s.token('walter', ['workflows:read']) });
      assert.equal((await ws.next()).event, 'authenticated');
    } finally {
      ws.close();
    }
  });

  it('deleting a user removes its role too (a deleted user regains nothing through a stale assignment)', async () => {
    const fay = await s.token('fay');
    await s.call('GET', '/agents', { token: fay });
    await s.call('POST', '/authz/subjects/fay/roles', { token: admin, json: { role: 'viewer' } });
    const del = await s.call('DELETE', '/users/fay', { token: admin });
    assert.deepEqual([del.status, del.body], [200, { id: 'fay', deleted: true }]);
    assert.equal((await s.call('GET', '/authz/subjects/fay/roles', { token: admin })).body.role, null);
    // The last holder of an admin role is not deleted (agno): 409, user and role kept.
    await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'boss' } });
    await s.call('PUT', '/authz/roles/boss/scopes', { token: admin, json: { scopes: [ADMIN] } });
    await s.call('POST', '/users', { token: admin, json: { id: 'sole' } });
    await s.call('POST', '/authz/subjects/sole/roles', { token: admin, json: { role: 'boss' } });
    const refused = await s.call('DELETE', '/users/sole', { token: admin });
    assert.equal(refused.status, 409, refused.text);
    assert.equal((await s.call('GET', '/users/sole', { token: admin })).body.role_slug, 'boss');
  });
});

describe('directory reads', () => {
  it('create, list with search and include_disabled, pagination; reserved ids and role names refused', async () => {
    const created = await s.call('POST', '/users', {
      token: admin,
      json: { id: 'zed@example.com', email: 'zed@example.com', name: 'Zed' },
    });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.id, 'zed@example.com');
    const search = await s.call('GET', '/users?search=ZED', { token: admin });
    assert.deepEqual(
      search.body.data.map((u: { id: string }) => u.id),
      ['zed@example.com'],
    );
    const all = await s.call('GET', '/users?limit=100&sort_by=id&sort_order=asc', { token: admin });
    const ids = all.body.data.map((u: { id: string }) => u.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.ok(ids.includes('eve'));
    const enabled = await s.call('GET', '/users?limit=100&include_disabled=false', { token: admin });
    assert.ok(!enabled.body.data.some((u: { id: string }) => u.id === 'eve'));
    const page = await s.call('GET', '/users?limit=2&page=2', { token: admin });
    assert.equal(page.body.data.length, 2);
    assert.equal(page.body.meta.total_count, ids.length);
    assert.equal((await s.call('GET', '/users?sort_by=password', { token: admin })).status, 422);
    for (const id of ['sa:ci', '__scheduler__', 'viewer']) {
      const r = await s.call('POST', '/users', { token: admin, json: { id } });
      assert.equal(r.status, 422, id);
      assert.equal((await s.call('GET', `/users/${encodeURIComponent(id)}`, { token: admin })).status, 404);
    }
    assert.equal((await s.call('GET', '/users/nobody', { token: admin })).status, 404);
  });

  it('metrics: totals, users per role, created per day, date range checked', async () => {
    const r = await s.call('GET', '/users/metrics', { token: admin });
    assert.equal(r.status, 200, r.text);
    const users = await db().selectFrom('authz_users').selectAll().execute();
    const disabled = users.filter((u) => u.disabled).length;
    assert.deepEqual(
      [r.body.total, r.body.disabled, r.body.active],
      [users.length, disabled, users.length - disabled],
    );
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(r.body.created_per_day, [{ date: today, count: users.length }]);
    assert.ok(Array.isArray(r.body.by_role));
    assert.equal(typeof r.body.without_role, 'number');
    const bad = await s.call('GET', '/users/metrics?starting_date=2027-02-01&ending_date=2027-01-01', {
      token: admin,
    });
    assert.equal(bad.status, 422);
    const empty = await s.call('GET', '/users/metrics?starting_date=2001-01-01&ending_date=2001-01-31', {
      token: admin,
    });
    assert.deepEqual(empty.body.created_per_day, []);
  });

  it('changes are in the change trail with their actor', async () => {
    const r = await s.call('GET', '/authz/audit?search=dan&limit=100', { token: admin });
    const actions = r.body.data.map((e: { action: string }) => e.action);
    assert.ok(actions.includes('user.disabled') && actions.includes('user.enabled'), JSON.stringify(actions));
    assert.ok(r.body.data.every((e: { actor: string }) => e.actor === 'root'));
  });
});

describe('fail closed', () => {
  it('a directory that cannot be read answers 503 "User directory unavailable"; the handler never runs', async () => {
    await sql`ALTER TABLE authz_users RENAME TO authz_users_gone`.execute(db());
    try {
      const fresh = await s.token('newcomer', [ADMIN]);
      const r = await s.call('POST', '/authz/roles', { token: fresh, json: { slug: 'made-in-outage' } });
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, { detail: 'User directory unavailable' });
      assert.equal(r.headers.get('retry-after'), '5');
    } finally {
      await sql`ALTER TABLE authz_users_gone RENAME TO authz_users`.execute(db());
    }
    assert.equal((await s.call('GET', '/authz/roles/made-in-outage', { token: admin })).status, 404);
  });
});
