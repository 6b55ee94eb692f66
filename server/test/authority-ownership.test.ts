/**
 * @module Regression tests of the ownership findings of the security review (research
 * agentos-3.1.md §5): 6 service-account principals are unique forever. Real HTTP, real database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, type AuthorityServer, startAuthorityServer } from './authority-harness.js';

let s: AuthorityServer;
before(async () => {
  s = await startAuthorityServer({ userIsolation: true });
});
after(() => s?.close());

describe('finding 6: a service-account name minted again never inherits the revoked account rows', () => {
  it('the new account gets its own principal and sees none of the old sessions', async () => {
    const root = await s.token('root', [ADMIN]);
    const mint = () =>
      s.call('POST', '/service-accounts', {
        token: root,
        json: {
          name: 'ci-bot',
          scopes: [{ scope: 'sessions:read' }, { scope: 'sessions:write' }, { scope: 'agents:run' }],
          allow_privileged_scopes: true,
        },
      });
    const first = await mint();
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.principal, 'sa:ci-bot');
    const created = await s.call('POST', '/sessions', {
      token: first.body.token,
      json: { session_type: 'agent', agent_id: 'research-agent', session_name: 'secret-notes' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.user_id, 'sa:ci-bot');
    assert.equal((await s.call('DELETE', `/service-accounts/${first.body.id}`, { token: root })).status, 204);

    const second = await mint();
    assert.equal(second.status, 201, second.text);
    assert.notEqual(second.body.principal, 'sa:ci-bot');
    assert.equal(second.body.principal, `sa:ci-bot.${second.body.id}`);
    const list = await s.call('GET', '/sessions', { token: second.body.token });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.data, []);
    const theirs = await s.call('GET', `/sessions/${created.body.session_id}`, { token: second.body.token });
    assert.equal(theirs.status, 404);
  });
});

describe('finding 4: a fired schedule re-checks its owner', () => {
  it('an owner revoked after creating the schedule: the firing is refused, recorded, and the schedule disabled', async () => {
    const server = await startAuthorityServer({ userIsolation: false, scheduler: true });
    try {
      const root = await server.token('root', [ADMIN]);
      const sa = await server.call('POST', '/service-accounts', {
        token: root,
        json: {
          name: 'sched-bot',
          scopes: [{ scope: 'schedules:write' }, { scope: 'agents:research-agent:run' }],
          allow_privileged_scopes: true,
        },
      });
      assert.equal(sa.status, 201, sa.text);
      const created = await server.call('POST', '/schedules', {
        token: sa.body.token,
        json: {
          name: 'nightly',
          endpoint: '/agents/research-agent/runs',
          cron_expr: '0 3 * * *',
          payload: { message: 'hi' },
        },
      });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      const fired = await server.call('POST', `/schedules/${id}/trigger`, { token: root });
      assert.equal(fired.status, 200, fired.text);
      assert.equal(fired.body.status, 'success', fired.text);

      assert.equal(
        (await server.call('DELETE', `/service-accounts/${sa.body.id}`, { token: root })).status,
        204,
      );
      const refused = await server.call('POST', `/schedules/${id}/trigger`, { token: root });
      assert.equal(refused.status, 200, refused.text);
      assert.equal(refused.body.status, 'failed');
      assert.match(
        refused.body.error,
        /^Schedule owner is not authorized to run this target: owner "sa:sched-bot" is disabled/,
      );
      assert.equal(refused.body.status_code, 403);
      assert.equal(refused.body.run_id, null);
      const runs = await server.call('GET', `/schedules/${id}/runs`, { token: root });
      assert.equal(runs.body.data.length, 2);
    } finally {
      await server.close();
    }
  });

  it('an owner whose recorded scopes no longer reach the target, or no owner at all: refused', async () => {
    const server = await startAuthorityServer({ userIsolation: false, scheduler: true });
    try {
      const root = await server.token('root', [ADMIN]);
      const created = await server.call('POST', '/schedules', {
        token: root,
        json: { name: 'legacy', endpoint: '/agents/research-agent/runs', cron_expr: '0 3 * * *' },
      });
      const id = created.body.id as string;
      const db = server.os.context.database.db;
      // A schedule stored before owners were recorded, then one whose owner held too little.
      await db
        .updateTable('schedules')
        .set({ user_id: null, owner_scopes: null })
        .where('id', '=', id)
        .execute();
      const ownerless = await server.call('POST', `/schedules/${id}/trigger`, { token: root });
      assert.match(ownerless.body.error, /not authorized to run this target: no owner on record/);
      await db
        .updateTable('schedules')
        .set({
          user_id: 'alice',
          owner_scopes: JSON.stringify(['agents:support-agent:run']) as never,
          enabled: true,
        })
        .where('id', '=', id)
        .execute();
      const narrow = await server.call('POST', `/schedules/${id}/trigger`, { token: root });
      assert.match(
        narrow.body.error,
        /not authorized to run this target: owner "alice" may no longer call POST \/agents\/research-agent\/runs/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('finding 5: writes to user-owned data are the caller own', () => {
  it('a learning without user_id is the caller own, not everyone', async () => {
    const alice = await s.token('alice', ['learnings:write', 'learnings:read']);
    const bob = await s.token('bob', ['learnings:write', 'learnings:read']);
    const created = await s.call('POST', '/learnings', {
      token: alice,
      json: { learning_type: 'decision_log', content: { note: 'alice only' } },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.user_id, 'alice');
    const bobs = await s.call('GET', '/learnings', { token: bob });
    assert.equal(bobs.status, 200);
    assert.equal(
      bobs.body.data.some((l: { learning_id: string }) => l.learning_id === created.body.learning_id),
      false,
    );
    const other = await s.call('POST', '/learnings', {
      token: alice,
      json: { learning_type: 'decision_log', content: {}, user_id: 'bob' },
    });
    assert.equal(other.status, 403);
  });

  it("another user's session_context key cannot be claimed", async () => {
    const bob = await s.token('bob', ['learnings:write', 'sessions:write', 'sessions:read']);
    const alice = await s.token('alice', ['learnings:write']);
    const session = await s.call('POST', '/sessions', {
      token: bob,
      json: { agent_id: 'research-agent', session_name: 'bob' },
    });
    assert.equal(session.status, 201, session.text);
    const sid = session.body.session_id as string;
    const claim = await s.call('POST', '/learnings', {
      token: alice,
      json: { learning_type: 'session_context', session_id: sid, content: { summary: 'mine now' } },
    });
    assert.equal(claim.status, 404, claim.text);
    assert.deepEqual(claim.body, { detail: 'Session not found' });
    const own = await s.call('POST', '/learnings', {
      token: bob,
      json: { learning_type: 'session_context', session_id: sid, content: { summary: 'bob' } },
    });
    assert.equal(own.status, 201, own.text);
    assert.equal(own.body.user_id, 'bob');
  });
});

describe('finding 9: no existence oracles under isolation', () => {
  it('a run into another user session answers exactly like one into a missing session', async () => {
    const bob = await s.token('bob', ['agents:run', 'sessions:write']);
    const alice = await s.token('alice', ['agents:run']);
    const session = await s.call('POST', '/sessions', { token: bob, json: { agent_id: 'research-agent' } });
    assert.equal(session.status, 201, session.text);
    const run = (sid: string) =>
      s.call('POST', '/agents/research-agent/runs', {
        token: alice,
        form: { message: 'hi', stream: 'false', session_id: sid },
      });
    const foreign = await run(session.body.session_id);
    const missing = await run('00000000-0000-4000-8000-000000000000');
    assert.equal(foreign.status, 404, foreign.text);
    assert.deepEqual([missing.status, missing.text], [foreign.status, foreign.text]);
  });

  it('creating a session with a chosen id is refused the same way whether the id is taken or free', async () => {
    const bob = await s.token('bob', ['sessions:write']);
    const alice = await s.token('alice', ['sessions:write']);
    const taken = await s.call('POST', '/sessions', { token: bob, json: { agent_id: 'research-agent' } });
    const tries = await Promise.all(
      [taken.body.session_id, 'free-session-id'].map((sid) =>
        s.call('POST', '/sessions', { token: alice, json: { agent_id: 'research-agent', session_id: sid } }),
      ),
    );
    assert.equal(tries[0]!.status, 422, tries[0]!.text);
    assert.deepEqual([tries[1]!.status, tries[1]!.text], [tries[0]!.status, tries[0]!.text]);
    const server = await s.call('POST', '/sessions', { token: alice, json: { agent_id: 'research-agent' } });
    assert.equal(server.status, 201);
  });
});
