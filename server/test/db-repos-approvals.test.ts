import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvals, runs, sessions } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: approvals', (t) => {
  test('approvals: create, list with run status, count, resolve once, cancel, expire, delete', async () => {
    const db = t.db;
    await sessions.create(db, { session_id: 'apr-s', session_type: 'agent', user_id: 'au1' });
    await runs.create(db, {
      run_id: 'apr-r',
      session_id: 'apr-s',
      entity_type: 'agent',
      entity_id: 'a1',
      status: 'PAUSED',
    });
    await approvals.create(db, {
      id: 'apr-1',
      run_id: 'apr-r',
      session_id: 'apr-s',
      source_type: 'agent',
      approval_type: 'required',
      pause_type: 'confirmation',
      tool_name: 'send_email',
      tool_args: { to: 'team@example.com' },
      agent_id: 'a1',
      user_id: 'au1',
    });
    await approvals.create(db, {
      id: 'apr-2',
      run_id: 'apr-r',
      session_id: 'apr-s',
      source_type: 'agent',
      user_id: 'au2',
      expires_at: at('2000-01-01T00:00:00Z'),
    });
    const createdAt = at('2026-11-01T09:00:00Z');
    const stamped = await approvals.create(db, {
      id: 'apr-0',
      run_id: 'apr-r',
      session_id: 'apr-s',
      source_type: 'agent',
      status: 'approved',
      created_at: createdAt,
    });
    assert.deepEqual([stamped.created_at, stamped.updated_at], [createdAt, null]);
    await approvals.delete(db, 'apr-0');
    const got = await approvals.get(db, 'apr-1');
    assert.equal(got?.run_status, 'PAUSED');
    assert.deepEqual(got?.tool_args, { to: 'team@example.com' });
    assert.equal(await approvals.get(db, 'apr-1', { userId: 'au2' }), undefined);
    assert.equal(
      (await approvals.list(db, { userId: 'au1', status: 'pending' })).rows[0]?.run_status,
      'PAUSED',
    );
    assert.equal((await approvals.list(db, { runId: 'apr-r' })).total, 2);
    assert.equal((await approvals.list(db, { approvalType: 'required', agentId: 'a1' })).total, 1);
    assert.equal(await approvals.countPending(db), 2);
    assert.equal(await approvals.countPending(db, { userId: 'au1' }), 1);
    assert.equal((await approvals.listPendingForRun(db, 'apr-r')).length, 2);
    assert.deepEqual(
      (await approvals.listPendingForRun(db, 'apr-r', { approvalType: 'required' })).map((a) => a.id),
      ['apr-1'],
    );
    assert.deepEqual((await approvals.getMany(db, ['apr-2', 'apr-none', 'apr-1'])).map((a) => a.id).sort(), [
      'apr-1',
      'apr-2',
    ]);
    assert.deepEqual(await approvals.getMany(db, []), []);

    assert.equal(await approvals.expire(db), 1);
    assert.equal((await approvals.get(db, 'apr-2'))?.status, 'expired');

    const [first, second] = await Promise.all([
      approvals.resolve(db, 'apr-1', {
        status: 'approved',
        resolvedBy: 'admin',
        resolutionData: { ok: 1 },
      }),
      approvals.resolve(db, 'apr-1', { status: 'rejected', resolvedBy: 'other' }),
    ]);
    assert.ok((first === undefined) !== (second === undefined), 'exactly one resolver wins');
    const resolved = (first ?? second)!;
    assert.ok(resolved.resolved_at instanceof Date);
    assert.equal((await approvals.get(db, 'apr-1'))?.resolved_by, resolved.resolved_by);

    // Expiry is judged at the given time: past it, resolve refuses and a scoped expire moves only that one.
    const expiresAt = at('2030-01-01T00:00:00Z');
    for (const id of ['apr-4', 'apr-5'])
      await approvals.create(db, {
        id,
        run_id: 'apr-r',
        session_id: 'apr-s',
        source_type: 'agent',
        expires_at: expiresAt,
      });
    const later = at('2030-01-01T00:00:01Z');
    assert.equal(await approvals.resolve(db, 'apr-4', { status: 'approved' }, later), undefined);
    const early = await approvals.resolve(db, 'apr-5', { status: 'rejected' }, at('2029-12-31T00:00:00Z'));
    assert.equal(early?.status, 'rejected');
    assert.equal(early?.resolution_data, null, 'no resolution data given: none stored');
    assert.deepEqual(early?.updated_at, at('2029-12-31T00:00:00Z'));
    assert.equal(
      await approvals.expire(db, later, { id: 'apr-5' }),
      0,
      'a resolved approval does not expire',
    );
    assert.equal(await approvals.expire(db, later, { id: 'apr-4' }), 1);
    assert.equal((await approvals.get(db, 'apr-4'))?.status, 'expired');
    await approvals.delete(db, 'apr-4');
    await approvals.delete(db, 'apr-5');

    await approvals.create(db, { id: 'apr-3', run_id: 'apr-r', session_id: 'apr-s', source_type: 'agent' });
    assert.equal(await approvals.cancelForRun(db, 'apr-r'), 1);
    assert.equal((await approvals.get(db, 'apr-3'))?.status, 'cancelled');
    assert.equal(await approvals.delete(db, 'apr-3'), true);
    assert.equal(await approvals.delete(db, 'apr-3'), false);
    await sessions.delete(db, 'apr-s');
    assert.equal((await approvals.get(db, 'apr-1'))?.run_status, null); // run gone, approval kept
  });
});
