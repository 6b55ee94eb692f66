import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUniqueViolation } from '../src/db/index.js';
import { schedules } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: schedules', (t) => {
  test('schedules: CRUD, unique name, enable/disable, claim and complete, run records', async () => {
    const db = t.db;
    const s = await schedules.create(db, {
      id: 'sch-1',
      name: 'nightly',
      cron_expr: '0 3 * * *',
      endpoint: '/agents/a1/runs',
      payload: { message: 'go' },
      next_run_at: at('2026-11-02T03:00:00Z'),
    });
    assert.equal(s.method, 'POST');
    assert.equal(s.timezone, 'UTC');
    assert.equal(s.timeout_seconds, 3600);
    assert.equal(s.enabled, true);
    await assert.rejects(
      schedules.create(db, { name: 'nightly', cron_expr: '* * * * *', endpoint: '/x' }),
      isUniqueViolation,
    );
    assert.equal((await schedules.getByName(db, 'nightly'))?.id, 'sch-1');
    assert.equal(
      (await schedules.update(db, 'sch-1', { description: 'Nightly run' }))?.description,
      'Nightly run',
    );
    assert.equal((await schedules.list(db, { enabled: true })).total, 1);

    const stamp = at('2026-11-01T12:00:00Z');
    const disabled = await schedules.update(db, 'sch-1', { enabled: false, updated_at: stamp });
    assert.equal(disabled?.enabled, false);
    assert.deepEqual(disabled?.updated_at, stamp, "the caller's clock, when given");
    assert.deepEqual(await schedules.claimDue(db, at('2026-11-03T00:00:00Z'), 'i1'), []);
    await schedules.update(db, 'sch-1', { enabled: true, next_run_at: at('2026-11-02T03:00:00Z') });
    assert.deepEqual(await schedules.claimDue(db, at('2026-11-02T02:59:59Z'), 'i1'), []); // not due yet

    const claimed = await schedules.claimDue(db, at('2026-11-02T03:00:00Z'), 'i1', 10, {
      leaseSeconds: 30,
    });
    assert.deepEqual(
      claimed.map((c) => c.id),
      ['sch-1'],
    );
    assert.equal(claimed[0]!.claimed_by, 'i1');
    assert.equal(claimed[0]!.locked_until?.toISOString(), '2026-11-02T03:00:30.000Z');
    assert.deepEqual(await schedules.claimDue(db, at('2026-11-02T03:00:10Z'), 'i2'), []); // held
    assert.equal(await schedules.complete(db, 'sch-1', 'i2', null), false); // not i2's claim

    const run = await schedules.createRun(db, {
      schedule_id: 'sch-1',
      instance_id: 'i1',
      input: { message: 'go' },
    });
    assert.equal(run.status, 'running');
    assert.equal(run.attempt, 1);
    const stamped = await schedules.createRun(db, {
      schedule_id: 'sch-1',
      created_at: stamp,
      triggered_at: stamp,
    });
    assert.deepEqual([stamped.created_at, stamped.triggered_at], [stamp, stamp]);
    const finished = await schedules.updateRun(db, run.id, {
      status: 'success',
      status_code: 200,
      completed_at: at('2026-11-02T03:00:05Z'),
      run_id: 'r-9',
      output: { ok: true },
    });
    assert.equal(finished?.status_code, 200);
    assert.equal(await schedules.complete(db, 'sch-1', 'i1', at('2026-11-03T03:00:00Z')), true);
    const after1 = await schedules.get(db, 'sch-1');
    assert.equal(after1?.claimed_by, null);
    assert.equal(after1?.next_run_at?.toISOString(), '2026-11-03T03:00:00.000Z');

    // A lease that runs out can be taken over (the claimer crashed).
    await schedules.claimDue(db, at('2026-11-03T03:00:00Z'), 'i1', 10, { leaseSeconds: 10 });
    const takeover = await schedules.claimDue(db, at('2026-11-03T03:00:11Z'), 'i2');
    assert.equal(takeover[0]?.claimed_by, 'i2');
    assert.equal(await schedules.complete(db, 'sch-1', 'i1', null), false);
    assert.equal(await schedules.complete(db, 'sch-1', 'i2', null, { disable: true }), true);
    assert.equal((await schedules.get(db, 'sch-1'))?.enabled, false);

    assert.equal((await schedules.listRuns(db, 'sch-1')).total, 2, 'the two run records created above');
    assert.equal((await schedules.getRun(db, 'sch-1', run.id))?.run_id, 'r-9');
    assert.equal(await schedules.getRun(db, 'other', run.id), undefined);
    assert.equal(await schedules.delete(db, 'sch-1'), true);
    assert.equal((await schedules.listRuns(db, 'sch-1')).total, 0);
  });
});
