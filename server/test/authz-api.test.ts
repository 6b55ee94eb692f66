/**
 * @module The `/authz` feature (contract.md §9.1, §9.2, §9.6): roles stored in the database and
 * managed through the API, their allow/deny grants, subject assignments that take effect on the
 * next request, read-only configured roles, the scope catalogue, the change trail and the
 * decision audit; mounted only when configured. Real RS256 tokens, a real PGlite database, answers
 * validated against the spec.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { ADMIN, type AuthzServer, startAuthzServer } from './authz-harness.js';

let s: AuthzServer;
let admin: string;
before(async () => {
  s = await startAuthzServer({
    managedRoles: true,
    decisionAudit: { retentionDays: 30 },
    auth: { roles: { auditor: { allow: ['agents:*:read'], deny: ['agents:support-agent:read'] } } },
  });
  admin = await s.token('root', [ADMIN]);
});
after(() => s?.close());

describe('/authz mounted by configuration (x-agentos-feature: authz)', () => {
  it('off by default: 404 with an admin token and absent from /openapi.json; on: served and listed', async () => {
    const off = await startAuthzServer();
    try {
      const t = await off.token('root', [ADMIN]);
      assert.equal((await off.call('GET', '/authz/roles', { token: t })).status, 404);
      assert.equal((await off.call('GET', '/users', { token: t })).status, 404);
      const doc = (await off.call('GET', '/openapi.json')).body;
      assert.equal(doc.paths['/authz/roles'], undefined);
      assert.equal(doc.paths['/users'], undefined);
    } finally {
      await off.close();
    }
    const on = (await s.call('GET', '/openapi.json')).body;
    assert.ok(on.paths['/authz/roles']?.get);
    assert.ok(on.paths['/authz/subjects/{subject}/roles']?.post);
    assert.equal(on.paths['/users'], undefined, 'users is a separate switch');
    assert.equal((await s.call('GET', '/authz/roles', { token: admin })).status, 200);
  });

  it('the route table requires the admin scope: 401 without a token, 403 without the scope', async () => {
    assert.equal((await s.call('GET', '/authz/roles')).status, 401);
    const reader = await s.token('someone', ['agents:read']);
    const r = await s.call('POST', '/authz/roles', { token: reader, json: { slug: 'x' } });
    assert.equal(r.status, 403);
    assert.equal(
      (await s.call('GET', '/authz/roles/x', { token: admin })).status,
      404,
      'nothing was created',
    );
  });
});

describe('roles', () => {
  it('create, read, update, list, delete, with agno shapes', async () => {
    const created = await s.call('POST', '/authz/roles', {
      token: admin,
      json: { slug: 'editor', description: 'Edits things' },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(
      { ...created.body, created_at: typeof created.body.created_at },
      {
        slug: 'editor',
        name: 'editor',
        description: 'Edits things',
        is_default: false,
        created_at: 'number',
        updated_at: created.body.updated_at,
        scopes: [],
      },
    );
    const dup = await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'editor' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.detail, "Role 'editor' already exists");
    assert.equal((await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'a b' } })).status, 400);
    assert.equal((await s.call('POST', '/authz/roles', { token: admin, json: { slug: '' } })).status, 422);

    const patched = await s.call('PATCH', '/authz/roles/editor', { token: admin, json: { name: 'Editor' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Editor');
    assert.equal(patched.body.description, 'Edits things', 'fields not given are kept');

    const list = await s.call('GET', '/authz/roles?limit=100', { token: admin });
    assert.equal(list.status, 200);
    const slugs = list.body.data.map((r: { slug: string }) => r.slug);
    assert.ok(slugs.includes('editor') && slugs.includes('auditor'), JSON.stringify(slugs));
    assert.equal(list.body.meta.total_count, slugs.length);

    const del = await s.call('DELETE', '/authz/roles/editor', { token: admin });
    assert.deepEqual([del.status, del.body], [200, { slug: 'editor', deleted: true }]);
    assert.equal((await s.call('GET', '/authz/roles/editor', { token: admin })).status, 404);
    assert.equal((await s.call('DELETE', '/authz/roles/editor', { token: admin })).status, 404);
  });

  it('grants: PUT replaces, PATCH diffs, deny kept; bad scopes and a deny of the admin scope → 422', async () => {
    await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'g' } });
    const put = await s.call('PUT', '/authz/roles/g/scopes', {
      token: admin,
      json: { scopes: ['agents:*:read', { scope: 'agents:support-agent:read', effect: 'deny' }] },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, [
      {
        id: null,
        raw: 'agents:*:read',
        namespace: 'agents',
        sub_namespace: '*',
        permission: 'read',
        value: 'allow',
      },
      {
        id: null,
        raw: 'agents:support-agent:read',
        namespace: 'agents',
        sub_namespace: 'support-agent',
        permission: 'read',
        value: 'deny',
      },
    ]);
    const patch = await s.call('PATCH', '/authz/roles/g/scopes', {
      token: admin,
      json: { upsert: ['sessions:read'], remove: ['agents:*:read'] },
    });
    assert.equal(patch.status, 200);
    assert.deepEqual(
      patch.body.scopes.map((x: { raw: string; value: string }) => `${x.value} ${x.raw}`),
      ['deny agents:support-agent:read', 'allow sessions:read'],
    );
    for (const scopes of [
      ['admin'],
      ['agents:*:*'],
      ['*:read'],
      ['a:b:c:d'],
      [{ scope: 'agents:read', effect: 'maybe' }],
    ]) {
      const r = await s.call('PUT', '/authz/roles/g/scopes', { token: admin, json: { scopes } });
      assert.equal(r.status, 422, JSON.stringify(scopes));
    }
    const denyAdmin = await s.call('PUT', '/authz/roles/g/scopes', {
      token: admin,
      json: { scopes: [{ scope: ADMIN, effect: 'deny' }] },
    });
    assert.equal(denyAdmin.status, 422);
    assert.match(denyAdmin.body.detail, /deny on 'agent_os:admin' is refused/);
    assert.equal(
      (await s.call('PUT', '/authz/roles/nope/scopes', { token: admin, json: { scopes: [] } })).status,
      404,
    );
    // Nothing of the refused writes was stored.
    const g = await s.call('GET', '/authz/roles/g', { token: admin });
    assert.equal(g.body.scopes.length, 2);
  });

  it('an admin role cannot be the default (every provisioned user would be admin): 409', async () => {
    await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'ops' } });
    await s.call('PUT', '/authz/roles/ops/scopes', { token: admin, json: { scopes: [ADMIN] } });
    const r = await s.call('PATCH', '/authz/roles/ops', { token: admin, json: { is_default: true } });
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /cannot be the default role/);
  });

  it('the last holder of an admin role cannot lose it (agno last-admin guard): 409, nothing changed', async () => {
    // `ops` allows the admin scope (previous test); nobody holds it yet, so nothing is guarded.
    assert.equal(
      (await s.call('POST', '/authz/subjects/op1/roles', { token: admin, json: { role: 'ops' } })).status,
      200,
    );
    const refusals: [string, string, unknown][] = [
      ['DELETE', '/authz/subjects/op1/roles/ops', undefined],
      ['POST', '/authz/subjects/op1/roles', { role: 'auditor' }],
      ['DELETE', '/authz/roles/ops', undefined],
      ['PUT', '/authz/roles/ops/scopes', { scopes: ['agents:read'] }],
      ['PATCH', '/authz/roles/ops/scopes', { remove: [ADMIN] }],
    ];
    for (const [method, path, json] of refusals) {
      const r = await s.call(method, path, { token: admin, json });
      assert.equal(r.status, 409, `${method} ${path}: ${r.text}`);
      assert.match(r.body.detail, /would leave no subject holding a role that confers 'agent_os:admin'/);
    }
    assert.equal((await s.call('GET', '/authz/subjects/op1/roles', { token: admin })).body.role, 'ops');
    assert.equal((await s.call('GET', '/authz/roles/ops', { token: admin })).body.scopes[0].raw, ADMIN);
    // With a second holder, the first may go.
    await s.call('POST', '/authz/subjects/op2/roles', { token: admin, json: { role: 'ops' } });
    assert.equal((await s.call('DELETE', '/authz/subjects/op1/roles/ops', { token: admin })).status, 200);
  });

  it('configured roles are listed and assignable but read-only: 409 naming the configuration', async () => {
    const got = await s.call('GET', '/authz/roles/auditor', { token: admin });
    assert.equal(got.status, 200);
    assert.deepEqual(
      got.body.scopes.map((x: { raw: string; value: string }) => `${x.value} ${x.raw}`),
      ['allow agents:*:read', 'deny agents:support-agent:read'],
    );
    for (const [method, path, json] of [
      ['PATCH', '/authz/roles/auditor', { name: 'x' }],
      ['DELETE', '/authz/roles/auditor', undefined],
      ['PUT', '/authz/roles/auditor/scopes', { scopes: [ADMIN] }],
      ['PATCH', '/authz/roles/auditor/scopes', { upsert: [ADMIN] }],
    ] as const) {
      const r = await s.call(method, path, { token: admin, json });
      assert.equal(r.status, 409, `${method} ${path}`);
      assert.match(r.body.detail, /defined in the server configuration \(authorizationConfig\.roles\)/);
    }
    assert.equal(
      (await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'auditor' } })).status,
      409,
    );
    const still = await s.call('GET', '/authz/roles/auditor', { token: admin });
    assert.deepEqual(still.body, got.body);
  });
});

describe('assignments decide the next request (contract.md §9.1)', () => {
  it('assign, edit the role, revoke: each takes effect on the next request', async () => {
    const alice = await s.token('alice');
    const get = async (agent: string) => (await s.call('GET', `/agents/${agent}`, { token: alice })).status;
    assert.equal(await get('research-agent'), 403, 'no role: no grant (the token carries no scope)');

    await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'reader' } });
    await s.call('PUT', '/authz/roles/reader/scopes', {
      token: admin,
      json: { scopes: ['agents:*:read', { scope: 'agents:support-agent:read', effect: 'deny' }] },
    });
    const assigned = await s.call('POST', '/authz/subjects/alice/roles', {
      token: admin,
      json: { role: 'reader' },
    });
    assert.deepEqual([assigned.status, assigned.body], [200, { subject: 'alice', role: 'reader' }]);
    assert.deepEqual((await s.call('GET', '/authz/subjects/alice/roles', { token: admin })).body, {
      subject: 'alice',
      role: 'reader',
    });
    assert.equal(await get('research-agent'), 200);
    assert.equal(await get('support-agent'), 403, 'deny beats allow');
    const list = await s.call('GET', '/agents', { token: alice });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((a: { id: string }) => a.id),
      ['research-agent'],
    );

    // A role edit: the next request is decided on the new grants (the cache was invalidated).
    await s.call('PATCH', '/authz/roles/reader/scopes', {
      token: admin,
      json: { remove: ['agents:*:read'] },
    });
    assert.equal(await get('research-agent'), 403);
    await s.call('PATCH', '/authz/roles/reader/scopes', {
      token: admin,
      json: { upsert: ['agents:*:read'] },
    });
    assert.equal(await get('research-agent'), 200);

    // One role per subject: assigning another replaces it.
    const replaced = await s.call('POST', '/authz/subjects/alice/roles', {
      token: admin,
      json: { role: 'auditor' },
    });
    assert.equal(replaced.body.role, 'auditor');
    assert.equal(await get('research-agent'), 200, 'a configured role, assigned through the API');

    const revoked = await s.call('DELETE', '/authz/subjects/alice/roles/auditor', { token: admin });
    assert.deepEqual([revoked.status, revoked.body], [200, { subject: 'alice', role: null }]);
    assert.equal(await get('research-agent'), 403);

    // Deleting a role takes its assignments with it.
    await s.call('POST', '/authz/subjects/alice/roles', { token: admin, json: { role: 'reader' } });
    assert.equal(await get('research-agent'), 200);
    await s.call('DELETE', '/authz/roles/reader', { token: admin });
    assert.equal(await get('research-agent'), 403);
    assert.equal((await s.call('GET', '/authz/subjects/alice/roles', { token: admin })).body.role, null);
  });

  it('roles named by the token claim win over stored ones (agno); an unknown role grants nothing', async () => {
    const claimed = await startAuthzServer({
      managedRoles: true,
      auth: {
        rolesClaim: 'roles',
        roles: { boss: [ADMIN], viewer: ['agents:*:read'] },
        trustTokenScopes: false,
      },
    });
    try {
      const boss = await claimed.token('boss-user', [], { roles: ['boss'] });
      // Without trustTokenScopes an admin scope on the token is inert; the role makes the admin.
      const inert = await claimed.token('root', [ADMIN]);
      assert.equal((await claimed.call('GET', '/authz/roles', { token: inert })).status, 403);
      assert.equal((await claimed.call('GET', '/authz/roles', { token: boss })).status, 200);
      await claimed.call('POST', '/authz/subjects/dave/roles', { token: boss, json: { role: 'viewer' } });
      const dave = await claimed.token('dave');
      assert.equal((await claimed.call('GET', '/agents/research-agent', { token: dave })).status, 200);
      const daveClaims = await claimed.token('dave', [], { roles: 'ghost' });
      assert.equal((await claimed.call('GET', '/agents/research-agent', { token: daveClaims })).status, 403);
    } finally {
      await claimed.close();
    }
  });

  it('refuses a role that does not exist (404), a role as subject and a reserved principal (400)', async () => {
    const missing = await s.call('POST', '/authz/subjects/bob/roles', {
      token: admin,
      json: { role: 'ghost' },
    });
    assert.deepEqual([missing.status, missing.body.detail], [404, "Role 'ghost' not found"]);
    const asSubject = await s.call('POST', '/authz/subjects/auditor/roles', {
      token: admin,
      json: { role: 'ops' },
    });
    assert.equal(asSubject.status, 400);
    assert.match(asSubject.body.detail, /is a role, not a user/);
    const sa = await s.call('POST', '/authz/subjects/sa:ci/roles', { token: admin, json: { role: 'ops' } });
    assert.equal(sa.status, 400);
    assert.match(sa.body.detail, /reserved server principal/);
    assert.equal((await s.call('GET', '/authz/subjects/bob/roles', { token: admin })).body.role, null);
  });

  it('a new role cannot take the name of a subject holding a role (shared namespace): 409', async () => {
    await s.call('POST', '/authz/subjects/erin/roles', { token: admin, json: { role: 'auditor' } });
    const r = await s.call('POST', '/authz/roles', { token: admin, json: { slug: 'erin' } });
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /existing user id/);
  });
});

describe('scope catalogue, change trail, decisions', () => {
  it('GET /authz/scopes lists the route table scopes and the admin scope, parsed', async () => {
    const r = await s.call('GET', '/authz/scopes', { token: admin });
    assert.equal(r.status, 200);
    const raws = r.body.map((x: { raw: string }) => x.raw);
    assert.ok(raws.includes(ADMIN) && raws.includes('agents:read'));
    assert.deepEqual([...raws].sort(), raws);
    assert.deepEqual(
      r.body.find((x: { raw: string }) => x.raw === 'agents:{agent_id}:read'),
      { raw: 'agents:{agent_id}:read', namespace: 'agents', sub_namespace: '{agent_id}', permission: 'read' },
    );
  });

  it('GET /authz/audit: role and assignment changes with their actor, searchable, paginated', async () => {
    const r = await s.call('GET', '/authz/audit?search=alice&limit=2', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.length, 2);
    assert.ok(r.body.meta.total_count >= 4, JSON.stringify(r.body.meta));
    for (const e of r.body.data) {
      assert.equal(e.actor, 'root');
      assert.equal(e.target, 'alice');
      assert.match(e.action, /^user\.(un)?assigned$/);
    }
    const asc = await s.call('GET', '/authz/audit?sort_by=created_at&sort_order=asc&limit=1', {
      token: admin,
    });
    assert.equal(asc.body.data[0].action, 'role.created');
    const bad = await s.call('GET', '/authz/audit?sort_by=password', { token: admin });
    assert.equal(bad.status, 422);
  });

  it('GET /authz/decisions: allows and denials, filtered and paginated; never the token', async () => {
    const carol = await s.token('carol-audit', ['agents:read']);
    assert.equal(
      (await s.call('GET', '/agents', { token: carol })).status,
      200,
      'trustTokenScopes: the token scope counts',
    );
    assert.equal((await s.call('GET', '/sessions', { token: carol })).status, 403);
    await sleep(1300);
    const r = await s.call('GET', '/authz/decisions?search=carol-audit', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.data.length >= 1);
    const row = r.body.data.find((d: { target: string }) => d.target === 'GET /agents');
    assert.ok(row, r.text);
    assert.equal(row.actor, 'carol-audit');
    assert.equal(row.action, 'access.allowed');
    assert.deepEqual(row.metadata.required, ['agents:read']);
    const denied = r.body.data.find((d: { target: string }) => d.target === 'GET /sessions');
    assert.deepEqual([denied.action, denied.reason], ['access.denied', 'insufficient_scope']);
    assert.equal(typeof row.metadata.token, 'string');
    assert.equal(row.metadata.token.length, 12);
    for (const part of carol.split('.'))
      assert.ok(!r.text.includes(part), 'no part of the token is answered');
    const page = await s.call('GET', '/authz/decisions?limit=1&page=2', { token: admin });
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.meta.page, 2);
    assert.ok(page.body.meta.total_count > 1);
    assert.equal((await s.call('GET', '/authz/decisions?sort_by=token', { token: admin })).status, 422);
  });

  it('decision audit off: GET /authz/decisions is 404 "Decision audit is not enabled" (as agno)', async () => {
    const quiet = await startAuthzServer({ managedRoles: true });
    try {
      const t = await quiet.token('root', [ADMIN]);
      const r = await quiet.call('GET', '/authz/decisions', { token: t });
      assert.deepEqual([r.status, r.body], [404, { detail: 'Decision audit is not enabled' }]);
    } finally {
      await quiet.close();
    }
  });
});

describe('fail closed', () => {
  it('a role store that cannot be read answers 503 "Authorization unavailable", never the handler', async () => {
    await sql`ALTER TABLE authz_subject_roles RENAME TO authz_subject_roles_gone`.execute(
      s.os.context.database.db,
    );
    try {
      const fresh = await s.token('never-seen', [ADMIN]);
      const r = await s.call('POST', '/authz/roles', { token: fresh, json: { slug: 'during-outage' } });
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, { detail: 'Authorization unavailable' });
      assert.equal(r.headers.get('retry-after'), '5');
    } finally {
      await sql`ALTER TABLE authz_subject_roles_gone RENAME TO authz_subject_roles`.execute(
        s.os.context.database.db,
      );
    }
    assert.equal((await s.call('GET', '/authz/roles/during-outage', { token: admin })).status, 404);
  });
});
