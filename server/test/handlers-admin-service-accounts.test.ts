/**
 * Service accounts over HTTP: minting (token shape, stored hash only, defaults, subset rule,
 * privileged and invalid scopes), listing without secrets, revoking, and the verifier behind the
 * auth middleware (valid, revoked, expired, unknown, the failed-lookup limiter, the cache).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anonymousCallerContext } from '../src/auth/claims.js';
import {
  createInternalToken,
  createServiceAccountVerifier,
  hashToken,
  randomBase62,
} from '../src/auth/service-accounts.js';
import { createServiceAccountStore } from '../src/db/repos/service-accounts.js';
import { createServiceAccountHandlers } from '../src/handlers/service-accounts.js';
import { ADMIN, type Harness, NOW, startHarness } from './handlers-admin-harness.js';

let h: Harness;
let admin: string;

before(async () => {
  h = await startHarness();
  admin = await h.token('root', [ADMIN]);
});
after(() => h.close());

async function mint(body: Record<string, unknown>, token = admin) {
  return h.call('POST', '/service-accounts', { token, json: body });
}

describe('createServiceAccount', () => {
  it('mints agno_pat_ + base62 with the default scopes, answers the token once and stores only its SHA-256', async () => {
    const res = await mint({ name: 'ci-bot' });
    assert.equal(res.status, 201, res.text);
    const b = res.body;
    assert.match(b.token, /^agno_pat_[0-9A-Za-z]{43}$/);
    assert.equal(b.token_prefix, b.token.slice(0, 16));
    assert.equal(b.principal, 'sa:ci-bot');
    assert.equal(b.user_id, 'root');
    assert.equal(b.created_by, 'root');
    assert.equal(b.created_at, NOW);
    assert.equal(b.expires_at, NOW + 90 * 86400);
    assert.equal(b.last_used_at, null);
    assert.equal(b.revoked_at, null);
    assert.deepEqual(
      b.scopes.map((s: { raw: string }) => s.raw),
      ['agents:run', 'teams:run', 'workflows:run', 'sessions:read', 'config:read'],
    );
    assert.deepEqual(b.scopes[0], {
      id: null,
      raw: 'agents:run',
      namespace: 'agents',
      sub_namespace: null,
      permission: 'run',
      value: 'allow',
    });
    const row = await h.ctx.database.db
      .selectFrom('service_accounts')
      .selectAll()
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.token_sha256, hashToken(b.token));
    assert.ok(!JSON.stringify(row).includes(b.token), 'the plaintext token is never stored');
  });

  it('parses per-resource and wildcard scopes, honours expires_in_days and never_expires', async () => {
    const res = await mint({
      name: 'reader',
      scopes: [{ scope: 'agents:research-agent:run' }, { scope: 'agents:*:read', effect: 'allow' }],
      never_expires: true,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.expires_at, null);
    assert.deepEqual(
      res.body.scopes.map((s: Record<string, unknown>) => [s.namespace, s.sub_namespace, s.permission]),
      [
        ['agents', 'research-agent', 'run'],
        ['agents', '*', 'read'],
      ],
    );
    const week = await mint({ name: 'weekly', scopes: [{ scope: 'sessions:read' }], expires_in_days: 7 });
    assert.equal(week.body.expires_at, NOW + 7 * 86400);
  });

  it('subset rule: a caller without the admin scope grants only scopes it holds', async () => {
    const caller = await h.token('dev', [
      'service_accounts:write',
      'agents:*:run',
      'teams:t1:run',
      'sessions:read',
    ]);
    const ok = await mint(
      {
        name: 'sub-ok',
        scopes: [{ scope: 'agents:research-agent:run' }, { scope: 'agents:run' }, { scope: 'teams:t1:run' }],
      },
      caller,
    );
    assert.equal(ok.status, 201, ok.text);
    const denied = await mint(
      {
        name: 'sub-no',
        scopes: [{ scope: 'teams:run' }, { scope: 'sessions:read' }, { scope: 'teams:t2:run' }],
      },
      caller,
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.body.detail, 'Cannot grant scope(s) you do not hold: teams:run, teams:t2:run');
    // The defaults are granted scopes too.
    const defaults = await mint({ name: 'sub-defaults' }, caller);
    assert.equal(defaults.status, 403);
    assert.equal(
      defaults.body.detail,
      'Cannot grant scope(s) you do not hold: teams:run, workflows:run, config:read',
    );
  });

  it('privileged scopes need allow_privileged_scopes, and the holder must still hold them', async () => {
    for (const scope of ['schedules:write', 'sessions:delete', ADMIN, 'service_accounts:read']) {
      const res = await mint({ name: 'priv', scopes: [{ scope }] });
      assert.equal(res.status, 400, scope);
      assert.equal(
        res.body.detail,
        `Privileged scope(s) require allow_privileged_scopes=true: ${scope}. Privileged tokens must be deliberate, never accidental.`,
      );
    }
    const res = await mint({
      name: 'priv-ok',
      scopes: [{ scope: 'schedules:write' }],
      allow_privileged_scopes: true,
    });
    assert.equal(res.status, 201, res.text);
    const writer = await h.token('dev', ['service_accounts:write', 'schedules:read']);
    const escalate = await mint(
      { name: 'priv-no', scopes: [{ scope: ADMIN }], allow_privileged_scopes: true },
      writer,
    );
    assert.equal(escalate.status, 403);
    assert.equal(escalate.body.detail, `Cannot grant scope(s) you do not hold: ${ADMIN}`);
  });

  it('unknown scopes and deny effects answer 400', async () => {
    const res = await mint({
      name: 'bad',
      scopes: [{ scope: 'bogus' }, { scope: 'agents:fly' }, { scope: 'a:b:c:d' }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.detail, 'Invalid scope(s): bogus, agents:fly, a:b:c:d');
    const deny = await mint({ name: 'bad', scopes: [{ scope: 'agents:read', effect: 'deny' }] });
    assert.equal(deny.status, 400);
    assert.match(deny.body.detail, /only "allow" scopes; remove: agents:read/);
  });

  it('names must be lowercase slugs (422 from the schema)', async () => {
    for (const name of ['CI', '_x', 'a:b', 'x'.repeat(64), 'sa:root']) {
      const res = await mint({ name });
      assert.equal(res.status, 422, name);
    }
  });

  it('an active name answers 409; after revoking it may be minted again', async () => {
    const first = await mint({ name: 'rotate', scopes: [{ scope: 'sessions:read' }] });
    assert.equal(first.status, 201);
    const dup = await mint({ name: 'rotate', scopes: [{ scope: 'sessions:read' }] });
    assert.equal(dup.status, 409);
    assert.equal(
      dup.body.detail,
      "An active service account named 'rotate' already exists. Revoke it first to rotate.",
    );
    assert.equal(
      (await h.call('DELETE', `/service-accounts/${first.body.id}`, { token: admin })).status,
      204,
    );
    const again = await mint({ name: 'rotate', scopes: [{ scope: 'sessions:read' }] });
    assert.equal(again.status, 201);
    assert.notEqual(again.body.token, first.body.token);
  });

  it('scopes: service_accounts:write is required; anonymous callers cannot mint', async () => {
    const reader = await h.token('dev', ['service_accounts:read']);
    const res = await mint({ name: 'nope' }, reader);
    assert.equal(res.status, 403);
    assert.equal(res.body.detail, 'Insufficient permissions. Required scope(s): service_accounts:write');
    assert.equal((await h.call('POST', '/service-accounts', { json: { name: 'nope' } })).status, 401);
    // An open instance lets anonymous callers through the middleware: the handler refuses them.
    const handlers = createServiceAccountHandlers(h.ctx);
    const anon = await handlers.createServiceAccount({
      body: { name: 'anon' },
      caller: anonymousCallerContext('createServiceAccount', null),
    } as never);
    assert.deepEqual(anon, {
      status: 401,
      body: { detail: 'JWT authentication is required to mint a service account.' },
    });
  });
});

describe('listServiceAccounts and revokeServiceAccount', () => {
  it('lists metadata without the token or its hash, paginated, optionally without revoked accounts', async () => {
    const a = await mint({ name: 'list-a', scopes: [{ scope: 'sessions:read' }] });
    const b = await mint({ name: 'list-b', scopes: [{ scope: 'sessions:read' }] });
    await h.call('DELETE', `/service-accounts/${b.body.id}`, { token: admin });
    const reader = await h.token('auditor', ['service_accounts:read']);
    const all = await h.call('GET', '/service-accounts?limit=100', { token: reader });
    assert.equal(all.status, 200, all.text);
    assert.ok(!all.text.includes(a.body.token), 'no plaintext token');
    assert.ok(!all.text.includes(hashToken(a.body.token)), 'no hash');
    for (const item of all.body.data) {
      assert.equal(item.token, undefined);
      assert.equal(item.token_sha256, undefined);
      assert.match(item.token_prefix, /^agno_pat_[0-9A-Za-z]{7}$/);
    }
    const names = all.body.data.map((x: { name: string }) => x.name);
    assert.ok(names.includes('list-a') && names.includes('list-b'));
    const active = await h.call('GET', '/service-accounts?include_revoked=false&limit=100', {
      token: reader,
    });
    const activeNames = active.body.data.map((x: { name: string }) => x.name);
    assert.ok(activeNames.includes('list-a') && !activeNames.includes('list-b'));
    const page = await h.call('GET', '/service-accounts?limit=1&page=2&sort_by=name&sort_order=asc', {
      token: reader,
    });
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.meta.page, 2);
    assert.equal(page.body.meta.limit, 1);
    assert.equal(page.body.meta.total_count, all.body.meta.total_count);
    assert.equal(page.body.meta.total_pages, all.body.meta.total_count);
  });

  it('revoke is idempotent (204, 204); an unknown id answers 404; the token stops working at once', async () => {
    const sa = await mint({
      name: 'revoke-me',
      scopes: [{ scope: 'schedules:read' }],
      allow_privileged_scopes: false,
    });
    assert.equal(sa.status, 201, sa.text);
    assert.equal((await h.call('GET', '/schedules', { token: sa.body.token })).status, 200);
    const deleter = await h.token('ops', ['service_accounts:delete']);
    assert.equal((await h.call('DELETE', `/service-accounts/${sa.body.id}`, { token: deleter })).status, 204);
    assert.equal((await h.call('DELETE', `/service-accounts/${sa.body.id}`, { token: deleter })).status, 204);
    const gone = await h.call('DELETE', '/service-accounts/sa_missing', { token: deleter });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.detail, "Service account 'sa_missing' not found");
    const after = await h.call('GET', '/schedules', { token: sa.body.token });
    assert.equal(after.status, 401);
    assert.equal(after.body.detail, 'Invalid or expired service account token');
    assert.equal(after.headers.get('www-authenticate'), 'Bearer realm="agentos", error="invalid_token"');
  });
});

describe('service accounts under user isolation (contract §5, agno 3.1 scoped reads)', () => {
  let iso: Harness;
  before(async () => {
    iso = await startHarness({ userIsolation: true });
  });
  after(() => iso.close());

  it("lists the caller's own and workspace-level accounts only; another user's revoke answers 404, a workspace-level one 403", async () => {
    const minter = (sub: string) =>
      iso.token(sub, [
        'service_accounts:write',
        'service_accounts:read',
        'service_accounts:delete',
        'sessions:read',
      ]);
    const alice = await minter('alice');
    const bob = await minter('bob');
    const mintAs = (token: string, name: string) =>
      iso.call('POST', '/service-accounts', { token, json: { name, scopes: [{ scope: 'sessions:read' }] } });
    const a = await mintAs(alice, 'iso-alice');
    const b = await mintAs(bob, 'iso-bob');
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(a.body.user_id, 'alice');
    // A workspace-level account: no owner (made in storage, as an operator would).
    await iso.ctx.database.db
      .insertInto('service_accounts')
      .values({
        id: 'sa_workspace',
        name: 'iso-workspace',
        user_id: null,
        token_prefix: 'agno_pat_wwwwwww',
        token_sha256: 'w'.repeat(64),
        scopes: JSON.stringify(['sessions:read']),
        created_by: null,
        principal: 'sa:iso-workspace',
      } as never)
      .execute();

    for (const query of ['', '?user_id=bob']) {
      const list = await iso.call('GET', `/service-accounts?limit=100${query.replace('?', '&')}`, {
        token: alice,
      });
      assert.equal(list.status, 200, list.text);
      const names = list.body.data.map((x: { name: string }) => x.name).sort();
      assert.deepEqual(names, ['iso-alice', 'iso-workspace'], `as alice${query}`);
      assert.equal(list.body.meta.total_count, 2);
    }

    const other = await iso.call('DELETE', `/service-accounts/${b.body.id}`, { token: alice });
    assert.equal(other.status, 404, other.text);
    assert.equal(other.body.detail, `Service account '${b.body.id}' not found`);
    const shared = await iso.call('DELETE', '/service-accounts/sa_workspace', { token: alice });
    assert.equal(shared.status, 403, shared.text);
    assert.equal(shared.body.detail, 'Cannot revoke a workspace-level service account');
    // Bob's account still works; alice revokes her own.
    const bobRow = await iso.ctx.database.db
      .selectFrom('service_accounts')
      .select('revoked_at')
      .where('id', '=', b.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(bobRow.revoked_at, null, "bob's account is not revoked by alice's refused call");
    assert.equal((await iso.call('DELETE', `/service-accounts/${a.body.id}`, { token: alice })).status, 204);
    // The admin sees and revokes every account.
    const root = await iso.token('root', [ADMIN]);
    const all = await iso.call('GET', '/service-accounts?limit=100', { token: root });
    assert.equal(all.body.meta.total_count, 3);
    assert.equal((await iso.call('DELETE', '/service-accounts/sa_workspace', { token: root })).status, 204);
  });
});

describe('service-account tokens as credentials', () => {
  it('a valid token calls as sa:<name> with exactly its scopes, and updates last_used_at', async () => {
    const sa = await mint({ name: 'caller', scopes: [{ scope: 'schedules:read' }] });
    const ok = await h.call('GET', '/schedules', { token: sa.body.token });
    assert.equal(ok.status, 200);
    const denied = await h.call('GET', '/service-accounts', { token: sa.body.token });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.detail, 'Insufficient permissions. Required scope(s): service_accounts:read');
    const who = await h.serviceAccounts.verify(sa.body.token);
    assert.equal(who?.principal, 'sa:caller');
    assert.deepEqual(who?.scopes, ['schedules:read']);
    const row = await h.ctx.database.db
      .selectFrom('service_accounts')
      .select('last_used_at')
      .where('id', '=', sa.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.last_used_at?.getTime(), NOW * 1000);
  });

  it('an expired token answers 401; an unknown one too', async () => {
    const sa = await mint({ name: 'short', scopes: [{ scope: 'schedules:read' }], expires_in_days: 1 });
    assert.equal((await h.call('GET', '/schedules', { token: sa.body.token })).status, 200);
    h.clock.advance(86_400_000 + 1000);
    try {
      const res = await h.call('GET', '/schedules', { token: sa.body.token });
      assert.equal(res.status, 401);
      assert.equal(res.body.detail, 'Invalid or expired service account token');
    } finally {
      h.clock.set(NOW);
    }
    const unknown = await h.call('GET', '/schedules', { token: `agno_pat_${randomBase62(43)}` });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.detail, 'Invalid or expired service account token');
  });

  it('the internal scheduler token calls with the scheduler scopes as __scheduler__', async () => {
    assert.equal((await h.call('GET', '/schedules', { token: h.internal.token })).status, 200);
    const res = await h.call('GET', '/service-accounts', { token: h.internal.token });
    assert.equal(res.status, 403);
    assert.equal(createInternalToken().matches(h.internal.token), false);
    assert.equal(h.internal.matches(`${h.internal.token}x`), false);
    assert.equal(h.internal.matches(h.internal.token), true);
  });
});

describe('createServiceAccountVerifier', () => {
  it('after 20 failed lookups from one address the failure answer is 429; valid tokens still pass', async () => {
    let t = NOW * 1000;
    const v = createServiceAccountVerifier({
      store: createServiceAccountStore(h.ctx.database.db),
      now: () => new Date(t),
      cacheTtlMs: 0,
    });
    const sa = await mint({ name: 'limited', scopes: [{ scope: 'schedules:read' }] });
    const bad = `agno_pat_${randomBase62(43)}`;
    for (let i = 0; i < 20; i++) assert.equal(await v.verify(bad, { ip: '10.0.0.1' }), null);
    await assert.rejects(v.verify(bad, { ip: '10.0.0.1' }), {
      status: 429,
      detail: 'Too many failed authentication attempts',
    });
    await assert.rejects(v.authenticate('agno_pat_short', { ip: '10.0.0.1' }), { status: 429 });
    assert.equal((await v.verify(sa.body.token, { ip: '10.0.0.1' }))?.principal, 'sa:limited');
    assert.equal(await v.verify(bad, { ip: '10.0.0.2' }), null, 'other addresses are not limited');
    t += 61_000;
    assert.equal(await v.verify(bad, { ip: '10.0.0.1' }), null, 'the window slides');
  });

  it('over HTTP: the 21st failure from the same client answers 429', async () => {
    const bad = `agno_pat_${randomBase62(43)}`;
    // The harness verifier has seen failures from 127.0.0.1 in earlier tests: fill up to the limit.
    let res = await h.call('GET', '/schedules', { token: bad });
    let n = 0;
    while (res.status === 401 && n++ < 25) res = await h.call('GET', '/schedules', { token: bad });
    assert.equal(res.status, 429);
    assert.equal(res.body.detail, 'Too many failed authentication attempts');
    assert.equal(res.headers.get('retry-after'), '60');
    h.clock.advance(61_000);
    h.clock.set(NOW);
  });

  it('caches successful verifications for the TTL: revocation elsewhere shows within it, invalidate at once', async () => {
    let t = NOW * 1000;
    const v = createServiceAccountVerifier({
      store: createServiceAccountStore(h.ctx.database.db),
      now: () => new Date(t),
      cacheTtlMs: 30_000,
    });
    const sa = await mint({ name: 'cached', scopes: [{ scope: 'schedules:read' }] });
    assert.ok(await v.verify(sa.body.token));
    // Another instance revokes it.
    await h.ctx.database.db
      .updateTable('service_accounts')
      .set({ revoked_at: new Date(t) })
      .where('id', '=', sa.body.id)
      .execute();
    assert.ok(await v.verify(sa.body.token), 'still cached');
    t += 30_001;
    assert.equal(await v.verify(sa.body.token), null, 'the TTL ran out');

    const sb = await mint({ name: 'cached-2', scopes: [{ scope: 'schedules:read' }] });
    assert.ok(await v.verify(sb.body.token));
    await h.ctx.database.db
      .updateTable('service_accounts')
      .set({ revoked_at: new Date(t) })
      .where('id', '=', sb.body.id)
      .execute();
    v.invalidate(hashToken(sb.body.token));
    assert.equal(await v.verify(sb.body.token), null, 'evicted');

    const strict = createServiceAccountVerifier({
      store: createServiceAccountStore(h.ctx.database.db),
      now: () => new Date(t),
      cacheTtlMs: 0,
    });
    const sc = await mint({ name: 'strict', scopes: [{ scope: 'schedules:read' }] });
    assert.ok(await strict.verify(sc.body.token));
    await h.ctx.database.db
      .updateTable('service_accounts')
      .set({ revoked_at: new Date(t) })
      .where('id', '=', sc.body.id)
      .execute();
    assert.equal(await strict.verify(sc.body.token), null, 'TTL 0 is strict');
  });

  it('a cached token still expires on time', async () => {
    let t = NOW * 1000;
    const v = createServiceAccountVerifier({
      store: createServiceAccountStore(h.ctx.database.db),
      now: () => new Date(t),
      cacheTtlMs: 3_600_000,
    });
    const sa = await mint({ name: 'cached-exp', scopes: [{ scope: 'schedules:read' }], expires_in_days: 1 });
    assert.ok(await v.verify(sa.body.token));
    t += 86_400_000;
    assert.equal(await v.verify(sa.body.token), null);
  });
});
