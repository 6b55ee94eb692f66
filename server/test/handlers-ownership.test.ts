/**
 * Ownership of the kinds agno 3.1 made user-owned (contract.md §5) through HTTP, with user
 * isolation on: knowledge content and components (own + workspace-level rows: shared ones are
 * read but never written, 403 with agno's detail) and evaluation runs (own rows only). For each:
 * a list shows the caller's rows (and the shared ones) only and `?user_id=` cannot widen it;
 * another user's row answers 404 on get, update and delete like a missing one; a shared row 403
 * on a write; the admin sees and changes everything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN as ADMIN_SCOPE, type Harness, startHarness } from './handlers-admin-harness.js';
import { ADMIN, ALICE, BOB, type DataServer, startDataServer } from './handlers-data-harness.js';

function textForm(name: string, text: string): FormData {
  const f = new FormData();
  f.append('name', name);
  f.append('text_content', text);
  return f;
}

describe('knowledge content under user isolation', () => {
  let s: DataServer;
  const ids: Record<string, string> = {};
  before(async () => {
    s = await startDataServer({ isolation: true });
    // The same text from alice, from bob and from the admin (workspace-level): three items.
    for (const [who, as] of [
      ['alice', ALICE],
      ['bob', BOB],
      ['shared', ADMIN],
    ] as const) {
      const r = await s.request('POST', '/knowledge/content', {
        as,
        form: textForm(`${who} notes`, `Quarterly ${who} planning notes about the zeppelin budget.`),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids[who] = r.body.id;
    }
    const same = await s.request('POST', '/knowledge/content', {
      as: BOB,
      form: textForm('alice notes', 'Quarterly alice planning notes about the zeppelin budget.'),
    });
    assert.notEqual(same.body.id, ids.alice, "bob's identical upload never replaces alice's item");
    ids.bobCopy = same.body.id;
  });
  after(async () => {
    assert.deepEqual(s.errors, [], 'no request answered 500');
    await s.close();
  });

  test('the owner is stored: the scoped caller for its uploads, none for the admin', async () => {
    const rows = await s.database.db
      .selectFrom('knowledge_contents')
      .select(['id', 'user_id'])
      .where('id', 'in', [ids.alice!, ids.shared!])
      .execute();
    const owner = Object.fromEntries(rows.map((r) => [r.id, r.user_id]));
    assert.equal(owner[ids.alice!], 'alice');
    assert.equal(owner[ids.shared!], null);
  });

  test('a list shows own and shared items only; ?user_id= cannot widen it; the admin sees all', async () => {
    for (const q of ['', '?user_id=bob']) {
      const r = await s.request('GET', `/knowledge/content${q}`, { as: ALICE });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.data.map((c: { id: string }) => c.id).sort(),
        [ids.alice, ids.shared].sort(),
        q,
      );
      assert.equal(r.body.meta.total_count, 2);
    }
    const all = await s.request('GET', '/knowledge/content', { as: ADMIN });
    assert.equal(all.body.meta.total_count, 4);
  });

  test("another user's item answers 404 on get, status, update, refresh and delete, like a missing one", async () => {
    const missing = '00000000-0000-5000-8000-000000000000';
    for (const id of [ids.bob!, missing]) {
      const get = await s.request('GET', `/knowledge/content/${id}`, { as: ALICE });
      assert.equal(get.status, 404);
      assert.equal(get.body.detail, `Content not found: ${id}`);
      const status = await s.request('GET', `/knowledge/content/${id}/status`, { as: ALICE });
      assert.equal(status.status, 404);
      assert.equal(status.body.detail, `Content not found: ${id}`);
      const f = new FormData();
      f.append('name', 'taken over');
      const patch = await s.request('PATCH', `/knowledge/content/${id}`, { as: ALICE, form: f });
      assert.equal(patch.status, 404);
      assert.equal(patch.body.detail, `Content not found: ${id}`);
      const refresh = await s.request('POST', `/knowledge/content/${id}/refresh`, { as: ALICE });
      assert.equal(refresh.status, 404);
      const del = await s.request('DELETE', `/knowledge/content/${id}`, { as: ALICE });
      assert.equal(del.status, 404);
      assert.equal(del.body.detail, `Content not found: ${id}`);
    }
    const bobs = await s.request('GET', `/knowledge/content/${ids.bob}`, { as: BOB });
    assert.equal(bobs.status, 200);
    assert.equal(bobs.body.name, 'bob notes', "bob's item is unchanged");
  });

  test('a shared item is readable but a write answers 403 with agno detail', async () => {
    const get = await s.request('GET', `/knowledge/content/${ids.shared}`, { as: ALICE });
    assert.equal(get.status, 200);
    const f = new FormData();
    f.append('name', 'mine now');
    const patch = await s.request('PATCH', `/knowledge/content/${ids.shared}`, { as: ALICE, form: f });
    assert.equal(patch.status, 403);
    assert.equal(patch.body.detail, 'Cannot modify shared content');
    const refresh = await s.request('POST', `/knowledge/content/${ids.shared}/refresh`, { as: ALICE });
    assert.equal(refresh.status, 403);
    assert.equal(refresh.body.detail, 'Cannot refresh shared content');
    const del = await s.request('DELETE', `/knowledge/content/${ids.shared}`, { as: ALICE });
    assert.equal(del.status, 403);
    assert.equal(del.body.detail, 'Cannot delete shared content');
  });

  test('search answers chunks of own and shared items only', async () => {
    const r = await s.request('POST', '/knowledge/search', { as: ALICE, body: { query: 'zeppelin budget' } });
    assert.equal(r.status, 200);
    const owners = new Set(r.body.data.map((d: { content_id: string }) => d.content_id));
    assert.deepEqual([...owners].sort(), [ids.alice, ids.shared].sort());
  });

  test('the owner updates its item; a scoped delete-all clears its own items only', async () => {
    const f = new FormData();
    f.append('description', 'edited');
    const patch = await s.request('PATCH', `/knowledge/content/${ids.alice}`, { as: ALICE, form: f });
    assert.equal(patch.status, 200);
    assert.equal(patch.body.description, 'edited');
    const clear = await s.request('DELETE', '/knowledge/content', { as: ALICE });
    assert.equal(clear.status, 200);
    const left = await s.database.db.selectFrom('knowledge_contents').select('id').execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [ids.bob, ids.bobCopy, ids.shared].sort());
    // The admin writes shared content.
    const admin = new FormData();
    admin.append('name', 'renamed by admin');
    const ok = await s.request('PATCH', `/knowledge/content/${ids.shared}`, { as: ADMIN, form: admin });
    assert.equal(ok.status, 200);
  });
});

describe('evaluation runs under user isolation', () => {
  let s: DataServer;
  const ids: Record<string, string> = {};
  const body = { agent_id: 'math-agent', eval_type: 'accuracy', input: '2+2?', expected_output: '4' };
  before(async () => {
    s = await startDataServer({ isolation: true });
    s.runtime.reply = () => ({ content: '4' });
    for (const [who, as] of [
      ['alice', ALICE],
      ['bob', BOB],
      ['admin', ADMIN],
    ] as const) {
      const r = await s.request('POST', '/eval-runs', { as, body: { ...body, name: `${who} eval` } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      ids[who] = r.body.id;
    }
    // A run stored before runs had owners.
    await s.database.db
      .insertInto('eval_runs')
      .values({ id: 'ownerless', eval_type: 'accuracy', name: 'legacy' } as never)
      .execute();
  });
  after(async () => {
    assert.deepEqual(s.errors, [], 'no request answered 500');
    await s.close();
  });

  test('the creator is recorded and answered as user_id', async () => {
    const r = await s.request('GET', `/eval-runs/${ids.alice}`, { as: ALICE });
    assert.equal(r.status, 200);
    assert.equal(r.body.user_id, 'alice');
    const admin = await s.request('GET', `/eval-runs/${ids.admin}`, { as: ADMIN });
    assert.equal(admin.body.user_id, 'root');
  });

  test('a list shows own runs only; ?user_id= cannot widen it; the admin sees all', async () => {
    for (const q of ['', '?user_id=bob']) {
      const r = await s.request('GET', `/eval-runs${q}`, { as: ALICE });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.data.map((e: { id: string }) => e.id),
        [ids.alice],
        q,
      );
    }
    const all = await s.request('GET', '/eval-runs', { as: ADMIN });
    assert.equal(all.body.meta.total_count, 4);
  });

  test("another user's run, and an ownerless one, answer 404 on get and rename; a delete leaves them", async () => {
    for (const id of [ids.bob!, 'ownerless', 'missing']) {
      const get = await s.request('GET', `/eval-runs/${id}`, { as: ALICE });
      assert.equal(get.status, 404);
      assert.equal(get.body.detail, `Eval run with id '${id}' not found`);
      const patch = await s.request('PATCH', `/eval-runs/${id}`, { as: ALICE, body: { name: 'mine' } });
      assert.equal(patch.status, 404);
      assert.equal(patch.body.detail, `Eval run with id '${id}' not found`);
    }
    const del = await s.request('DELETE', '/eval-runs', {
      as: ALICE,
      body: { eval_run_ids: [ids.bob, 'ownerless', ids.alice] },
    });
    assert.equal(del.status, 204);
    const left = await s.database.db.selectFrom('eval_runs').select(['id', 'name']).execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [ids.bob, ids.admin, 'ownerless'].sort());
    assert.ok(left.every((r) => r.name !== 'mine'));
  });
});

describe('components under user isolation', () => {
  let h: Harness;
  let alice: string;
  let bob: string;
  let root: string;
  const SCOPES = ['components:read', 'components:write', 'components:delete'];
  before(async () => {
    h = await startHarness({ userIsolation: true });
    alice = await h.token('alice', SCOPES);
    bob = await h.token('bob', SCOPES);
    root = await h.token('root', [ADMIN_SCOPE]);
    const create = async (token: string, id: string) => {
      const r = await h.call('POST', '/components', {
        token,
        json: { component_id: id, component_type: 'agent', name: id, config: { instructions: 'x' } },
      });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const a = await create(alice, 'alice-agent');
    assert.equal(a.user_id, 'alice');
    await create(bob, 'bob-agent');
    // A workspace-level component (no owner), made in storage as an operator would.
    await h.ctx.database.db
      .insertInto('components')
      .values({ component_id: 'shared-agent', component_type: 'agent', name: 'Shared', user_id: null })
      .execute();
    await h.ctx.database.db
      .insertInto('component_configs')
      .values({ component_id: 'shared-agent', version: 1, config: '{}' as never, stage: 'draft' })
      .execute();
  });
  after(() => h.close());

  test('a list shows own and shared components only; ?user_id= cannot widen it; the admin sees all', async () => {
    for (const q of ['', '&user_id=bob']) {
      const r = await h.call('GET', `/components?limit=100${q}`, { token: alice });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.body.data.map((c: { component_id: string }) => c.component_id).sort(),
        ['alice-agent', 'shared-agent'],
        q,
      );
    }
    const all = await h.call('GET', '/components?limit=100', { token: root });
    assert.equal(all.body.meta.total_count, 3);
  });

  test("another user's component answers 404 on every read and write, like a missing one", async () => {
    for (const id of ['bob-agent', 'no-such-agent']) {
      const calls: [string, string, unknown?][] = [
        ['GET', `/components/${id}`],
        ['GET', `/components/${id}/configs`],
        ['GET', `/components/${id}/configs/current`],
        ['GET', `/components/${id}/configs/1`],
        ['PATCH', `/components/${id}`, { name: 'mine' }],
        ['POST', `/components/${id}/configs`, { config: { instructions: 'y' } }],
        ['PATCH', `/components/${id}/configs/1`, { notes: 'mine' }],
        ['POST', `/components/${id}/configs/1/set-current`],
        ['DELETE', `/components/${id}/configs/1`],
        ['DELETE', `/components/${id}`],
      ];
      for (const [method, path, json] of calls) {
        const r = await h.call(method, path, { token: alice, json });
        if (id === 'bob-agent') {
          assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
          assert.equal(r.body.detail, 'Component not found', `${method} ${path}`);
        }
      }
    }
    const bobs = await h.call('GET', '/components/bob-agent', { token: bob });
    assert.equal(bobs.status, 200);
    assert.equal(bobs.body.name, 'bob-agent', "bob's component is unchanged");
    const configs = await h.call('GET', '/components/bob-agent/configs', { token: bob });
    assert.equal(configs.body.length, 1, 'no config was added to it');
  });

  test('a shared component is readable; a write answers 403 with agno detail', async () => {
    assert.equal((await h.call('GET', '/components/shared-agent', { token: alice })).status, 200);
    assert.equal((await h.call('GET', '/components/shared-agent/configs', { token: alice })).status, 200);
    for (const [method, path, json, detail] of [
      ['PATCH', '/components/shared-agent', { name: 'mine' }, 'Cannot modify shared component'],
      ['POST', '/components/shared-agent/configs', { config: {} }, 'Cannot modify shared component'],
      ['PATCH', '/components/shared-agent/configs/1', { notes: 'x' }, 'Cannot modify shared component'],
      ['DELETE', '/components/shared-agent/configs/1', undefined, 'Cannot delete shared component'],
      ['DELETE', '/components/shared-agent', undefined, 'Cannot delete shared component'],
    ] as const) {
      const r = await h.call(method, path, { token: alice, json });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.detail, detail);
    }
    const admin = await h.call('PATCH', '/components/shared-agent', {
      token: root,
      json: { name: 'Renamed' },
    });
    assert.equal(admin.status, 200, admin.text);
  });

  test("a team names only members its writer can see; a name-derived id carries the owner's suffix", async () => {
    const team = await h.call('POST', '/components', {
      token: alice,
      json: {
        component_id: 'alice-team',
        component_type: 'team',
        name: 'T',
        config: { members: ['bob-agent'] },
      },
    });
    assert.equal(team.status, 400, team.text);
    assert.match(team.body.detail, /Unresolved team member\(s\): bob-agent/);
    const byName = async (token: string) =>
      h.call('POST', '/components', { token, json: { component_type: 'agent', name: 'Helper' } });
    const a = await byName(alice);
    const b = await byName(bob);
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.match(a.body.component_id, /^helper-[0-9a-f]{8}$/);
    assert.notEqual(a.body.component_id, b.body.component_id);
  });
});

describe('metrics under user isolation', () => {
  let s: DataServer;
  const day = new Date().toISOString().slice(0, 10);
  before(async () => {
    s = await startDataServer({ isolation: true });
    // Today: alice has two agent sessions, bob one team session.
    for (const [id, user, type] of [
      ['m-a1', 'alice', 'agent'],
      ['m-a2', 'alice', 'agent'],
      ['m-b1', 'bob', 'team'],
    ] as const) {
      await s.database.db
        .insertInto('sessions')
        .values({
          session_id: id,
          session_type: type,
          user_id: user,
          ...(type === 'agent' ? { agent_id: 'math-agent' } : { team_id: 'research-team' }),
        } as never)
        .execute();
    }
  });
  after(async () => {
    assert.deepEqual(s.errors, [], 'no request answered 500');
    await s.close();
  });

  test("a scoped caller's metrics count its own sessions only; ?user_id= cannot widen them", async () => {
    for (const q of ['', '?user_id=bob']) {
      const r = await s.request('GET', `/metrics${q}`, { as: ALICE });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.metrics.length, 1, q);
      const m = r.body.metrics[0];
      assert.equal(m.id, `${day}_alice_daily`);
      assert.equal(m.agent_sessions_count, 2);
      assert.equal(m.team_sessions_count, 0, `bob's session is not counted${q}`);
      assert.equal(m.users_count, 1);
    }
    const refreshed = await s.request('POST', '/metrics/refresh?user_id=bob', { as: ALICE });
    assert.equal(refreshed.status, 200);
    assert.deepEqual(
      refreshed.body.map((m: { id: string; team_sessions_count: number }) => [m.id, m.team_sessions_count]),
      [[`${day}_alice_daily`, 0]],
    );
  });

  test('the admin reads the workspace days, or one user with ?user_id=', async () => {
    await s.request('POST', '/metrics/refresh', { as: ADMIN });
    const all = await s.request('GET', '/metrics', { as: ADMIN });
    assert.equal(all.body.metrics.length, 1);
    assert.equal(all.body.metrics[0].agent_sessions_count, 2);
    assert.equal(all.body.metrics[0].team_sessions_count, 1);
    assert.equal(all.body.metrics[0].users_count, 2);
    const bob = await s.request('GET', '/metrics?user_id=bob', { as: ADMIN });
    assert.equal(bob.body.metrics[0].id, `${day}_bob_daily`);
    assert.equal(bob.body.metrics[0].team_sessions_count, 1);
    assert.equal(bob.body.metrics[0].agent_sessions_count, 0);
  });
});
