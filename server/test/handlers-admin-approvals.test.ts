/**
 * Approvals over HTTP, with user isolation on (two users and an admin) and off: list and count
 * forced to the caller, 404 for another user's approval, resolve/delete admin-only for isolated
 * callers, `resolved_by` from the token subject, 409 when not pending, service accounts always
 * scoped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json } from '../src/db/index.js';
import { ADMIN, type Harness, NOW, startHarness } from './handlers-admin-harness.js';

const at = (s: number) => new Date(s * 1000);

async function seed(h: Harness) {
  const db = h.ctx.database.db;
  await db
    .insertInto('sessions')
    .values([
      { session_id: 's-alice', session_type: 'agent', agent_id: 'research-agent', user_id: 'alice' },
      { session_id: 's-bob', session_type: 'agent', agent_id: 'research-agent', user_id: 'bob' },
    ])
    .execute();
  await db
    .insertInto('runs')
    .values([
      {
        run_id: 'r-alice',
        session_id: 's-alice',
        entity_type: 'agent',
        entity_id: 'research-agent',
        user_id: 'alice',
        status: 'PAUSED',
      },
      {
        run_id: 'r-bob',
        session_id: 's-bob',
        entity_type: 'agent',
        entity_id: 'research-agent',
        user_id: 'bob',
        status: 'PAUSED',
      },
    ])
    .execute();
  const base = {
    source_type: 'agent',
    approval_type: 'required',
    pause_type: 'confirmation',
    agent_id: 'research-agent',
  };
  await db
    .insertInto('approvals')
    .values([
      {
        ...base,
        id: 'apr-alice-1',
        run_id: 'r-alice',
        session_id: 's-alice',
        user_id: 'alice',
        tool_name: 'send_email',
        tool_args: json({ to: 'a@example.com' }),
        created_at: at(NOW - 30),
      },
      {
        ...base,
        id: 'apr-alice-2',
        run_id: 'r-alice',
        session_id: 's-alice',
        user_id: 'alice',
        status: 'approved',
        resolved_by: 'root',
        resolved_at: at(NOW - 5),
        created_at: at(NOW - 20),
      },
      {
        ...base,
        id: 'apr-bob-1',
        run_id: 'r-bob',
        session_id: 's-bob',
        user_id: 'bob',
        approval_type: 'audit',
        created_at: at(NOW - 10),
      },
      {
        ...base,
        id: 'apr-expired',
        run_id: 'r-bob',
        session_id: 's-bob',
        user_id: 'bob',
        expires_at: at(NOW - 1),
        created_at: at(NOW - 40),
      },
      {
        ...base,
        id: 'apr-sa',
        run_id: 'r-bob',
        session_id: 's-bob',
        user_id: 'sa:robot',
        created_at: at(NOW - 50),
      },
    ])
    .execute();
}

describe('approvals with user isolation on', () => {
  let h: Harness;
  let alice: string;
  let bob: string;
  let admin: string;

  before(async () => {
    h = await startHarness({ userIsolation: true });
    await seed(h);
    alice = await h.token('alice', ['approvals:read', 'approvals:write', 'approvals:delete']);
    bob = await h.token('bob', ['approvals:read']);
    admin = await h.token('root', [ADMIN]);
  });
  after(() => h.close());

  it('listApprovals: a user sees only their own; user_id cannot widen it; the admin sees all', async () => {
    const mine = await h.call('GET', '/approvals', { token: alice });
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(
      mine.body.data.map((a: { id: string }) => a.id),
      ['apr-alice-2', 'apr-alice-1'],
    );
    assert.deepEqual(mine.body.meta, { page: 1, limit: 100, total_pages: 1, total_count: 2 });
    const widened = await h.call('GET', '/approvals?user_id=bob', { token: alice });
    assert.deepEqual(
      widened.body.data.map((a: { user_id: string }) => a.user_id),
      ['alice', 'alice'],
    );
    const all = await h.call('GET', '/approvals', { token: admin });
    assert.equal(all.body.meta.total_count, 5);
    const bobs = await h.call('GET', '/approvals?user_id=bob', { token: admin });
    assert.equal(bobs.body.meta.total_count, 2);
  });

  it('listApprovals: filters and the full response shape with run_status', async () => {
    const res = await h.call(
      'GET',
      '/approvals?status=pending&approval_type=required&agent_id=research-agent&run_id=r-alice',
      { token: alice },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.length, 1);
    assert.deepEqual(res.body.data[0], {
      id: 'apr-alice-1',
      run_id: 'r-alice',
      session_id: 's-alice',
      status: 'pending',
      source_type: 'agent',
      approval_type: 'required',
      pause_type: 'confirmation',
      tool_name: 'send_email',
      tool_args: { to: 'a@example.com' },
      expires_at: null,
      agent_id: 'research-agent',
      team_id: null,
      workflow_id: null,
      user_id: 'alice',
      schedule_id: null,
      schedule_run_id: null,
      source_name: null,
      requirements: null,
      context: null,
      resolution_data: null,
      resolved_by: null,
      resolved_at: null,
      created_at: NOW - 30,
      updated_at: null,
      run_status: 'PAUSED',
    });
    const page = await h.call('GET', '/approvals?limit=2&page=2', { token: admin });
    assert.deepEqual(page.body.meta, { page: 2, limit: 2, total_pages: 3, total_count: 5 });
    assert.equal((await h.call('GET', '/approvals?status=bogus', { token: admin })).status, 422);
  });

  it('countApprovals counts pending approvals, forced to the caller', async () => {
    assert.deepEqual((await h.call('GET', '/approvals/count', { token: alice })).body, { count: 1 });
    assert.deepEqual((await h.call('GET', '/approvals/count?user_id=bob', { token: alice })).body, {
      count: 1,
    });
    assert.deepEqual((await h.call('GET', '/approvals/count?user_id=bob', { token: admin })).body, {
      count: 2,
    });
    assert.deepEqual((await h.call('GET', '/approvals/count', { token: admin })).body, { count: 4 });
  });

  it("getApproval and getApprovalStatus: another user's approval is 404, like a missing one", async () => {
    const own = await h.call('GET', '/approvals/apr-alice-2/status', { token: alice });
    assert.deepEqual(own.body, {
      approval_id: 'apr-alice-2',
      status: 'approved',
      run_id: 'r-alice',
      resolved_at: NOW - 5,
      resolved_by: 'root',
    });
    assert.equal((await h.call('GET', '/approvals/apr-alice-1', { token: alice })).status, 200);
    for (const path of [
      '/approvals/apr-bob-1',
      '/approvals/apr-bob-1/status',
      '/approvals/missing',
      '/approvals/missing/status',
    ]) {
      const res = await h.call('GET', path, { token: alice });
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { detail: 'Approval not found' });
    }
    assert.equal((await h.call('GET', '/approvals/apr-alice-1', { token: admin })).status, 200);
  });

  it('resolveApproval and deleteApproval: 404 for every isolated caller, even on their own approvals', async () => {
    const resolve = await h.call('POST', '/approvals/apr-alice-1/resolve', {
      token: alice,
      json: { status: 'approved' },
    });
    assert.equal(resolve.status, 404);
    assert.deepEqual(resolve.body, { detail: 'Approval not found' });
    const del = await h.call('DELETE', '/approvals/apr-alice-1', { token: alice });
    assert.equal(del.status, 404);
    assert.equal((await h.call('GET', '/approvals/apr-alice-1', { token: alice })).body.status, 'pending');
    // bob lacks approvals:write: the scope decision comes first.
    const forbidden = await h.call('POST', '/approvals/apr-bob-1/resolve', {
      token: bob,
      json: { status: 'approved' },
    });
    assert.equal(forbidden.status, 403);
  });

  it('the admin resolves: resolved_by is the token subject, not the body; a second resolve is 409', async () => {
    const res = await h.call('POST', '/approvals/apr-alice-1/resolve', {
      token: admin,
      json: {
        status: 'rejected',
        resolved_by: 'someone-else',
        resolution_data: { reason: 'wrong recipient' },
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'rejected');
    assert.equal(res.body.resolved_by, 'root');
    assert.equal(res.body.resolved_at, NOW);
    assert.equal(res.body.updated_at, NOW);
    assert.deepEqual(res.body.resolution_data, { reason: 'wrong recipient' });
    assert.equal(res.body.run_status, 'PAUSED');
    const again = await h.call('POST', '/approvals/apr-alice-1/resolve', {
      token: admin,
      json: { status: 'approved' },
    });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: "Approval is already 'rejected' and cannot be resolved" });
    const missing = await h.call('POST', '/approvals/missing/resolve', {
      token: admin,
      json: { status: 'approved' },
    });
    assert.equal(missing.status, 404);
    assert.equal(
      (await h.call('POST', '/approvals/apr-bob-1/resolve', { token: admin, json: { status: 'maybe' } }))
        .status,
      422,
    );
  });

  it('an approval past its expiry cannot be resolved and is recorded as expired', async () => {
    const res = await h.call('POST', '/approvals/apr-expired/resolve', {
      token: admin,
      json: { status: 'approved' },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { detail: "Approval is already 'expired' and cannot be resolved" });
    assert.equal((await h.call('GET', '/approvals/apr-expired', { token: admin })).body.status, 'expired');
  });

  it('the admin deletes a resolved approval (204); deleting again is 404; a pending one is 409', async () => {
    // contract.md §8.3: a pending approval is never deleted (it would unblock its run).
    const pending = await h.call('DELETE', '/approvals/apr-bob-1', { token: admin });
    assert.equal(pending.status, 409);
    assert.equal((await h.call('GET', '/approvals/apr-bob-1', { token: admin })).body.status, 'pending');
    const resolved = await h.call('POST', '/approvals/apr-bob-1/resolve', {
      token: admin,
      json: { status: 'rejected' },
    });
    assert.equal(resolved.status, 200);
    assert.equal((await h.call('DELETE', '/approvals/apr-bob-1', { token: admin })).status, 204);
    assert.equal((await h.call('DELETE', '/approvals/apr-bob-1', { token: admin })).status, 404);
  });
});

describe('approvals with user isolation off', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ userIsolation: false });
    await seed(h);
  });
  after(() => h.close());

  it('every approvals:read caller sees every approval; approvals:write resolves with its subject', async () => {
    const alice = await h.token('alice', ['approvals:read', 'approvals:write']);
    const list = await h.call('GET', '/approvals', { token: alice });
    assert.equal(list.body.meta.total_count, 5);
    assert.equal((await h.call('GET', '/approvals/apr-bob-1', { token: alice })).status, 200);
    const res = await h.call('POST', '/approvals/apr-bob-1/resolve', {
      token: alice,
      json: { status: 'approved' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resolved_by, 'alice');
  });

  it('a service account is always scoped to its own principal', async () => {
    const admin = await h.token('root', [ADMIN]);
    const minted = await h.call('POST', '/service-accounts', {
      token: admin,
      json: {
        name: 'robot',
        scopes: [{ scope: 'approvals:read' }, { scope: 'approvals:write' }],
        allow_privileged_scopes: true,
      },
    });
    assert.equal(minted.status, 201, minted.text);
    const pat = minted.body.token;
    const list = await h.call('GET', '/approvals?user_id=bob', { token: pat });
    assert.deepEqual(
      list.body.data.map((a: { id: string }) => a.id),
      ['apr-sa'],
    );
    assert.equal((await h.call('GET', '/approvals/apr-bob-1', { token: pat })).status, 404);
    assert.equal(
      (await h.call('POST', '/approvals/apr-sa/resolve', { token: pat, json: { status: 'approved' } }))
        .status,
      404,
    );
  });
});
