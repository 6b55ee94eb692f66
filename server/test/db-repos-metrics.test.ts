import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics, runs, sessions } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: metrics', (t) => {
  test('metrics: aggregate from runs and sessions, upsert, list by date, refresh state', async () => {
    const db = t.db;
    await sessions.create(db, {
      session_id: 'met-s1',
      session_type: 'agent',
      user_id: 'mx1',
      created_at: at('2030-01-01T10:00:00Z'),
    });
    await sessions.create(db, {
      session_id: 'met-s2',
      session_type: 'team',
      user_id: 'mx2',
      created_at: at('2030-01-02T23:59:00Z'),
    });
    for (const [id, day, type, tokens] of [
      ['met-r1', '2030-01-01T10:00:00Z', 'agent', 10],
      ['met-r2', '2030-01-01T11:00:00Z', 'agent', 5],
      ['met-r3', '2030-01-02T23:59:30Z', 'team', 7],
    ] as const) {
      await runs.create(db, {
        run_id: id,
        session_id: type === 'agent' ? 'met-s1' : 'met-s2',
        entity_type: type,
        entity_id: 'x',
        user_id: type === 'agent' ? 'mx1' : 'mx2',
        metrics: { input_tokens: tokens, total_tokens: tokens * 2, note: 'n/a' },
        output: { model: 'gpt-4o', model_provider: 'openai' },
        created_at: at(day),
      });
    }
    const days = await metrics.aggregate(db, { from: '2030-01-01', to: '2030-01-02' });
    assert.deepEqual(
      days.map((d) => d.date),
      ['2030-01-01', '2030-01-02'],
    );
    assert.equal(days[0]!.agent_runs_count, 2);
    assert.equal(days[0]!.agent_sessions_count, 1);
    assert.equal(days[0]!.users_count, 1);
    assert.deepEqual(days[0]!.token_metrics, { input_tokens: 15, total_tokens: 30 });
    assert.deepEqual(days[0]!.model_metrics, [{ model_id: 'gpt-4o', model_provider: 'openai', count: 2 }]);
    assert.equal(days[1]!.team_runs_count, 1);
    assert.equal(days[1]!.team_sessions_count, 1);
    assert.equal((await metrics.aggregate(db, { from: '2030-01-02', to: '2030-01-02' })).length, 1);

    const stored = await metrics.upsertDays(db, days);
    assert.equal(stored.length, 2);
    await metrics.upsertDays(db, [{ ...days[0]!, agent_runs_count: 3 }]);
    const listed = await metrics.list(db, { startingDate: '2030-01-01', endingDate: '2030-01-01' });
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.date, '2030-01-01');
    assert.equal(listed[0]!.agent_runs_count, 3);
    assert.ok((await metrics.lastUpdatedAt(db)) instanceof Date);
    await assert.rejects(metrics.aggregate(db, { from: '01/01/2030' }));

    assert.equal((await metrics.getRefreshStatus(db)).status, 'idle');
    assert.equal(await metrics.tryStartRefresh(db, { instanceId: 'i1' }), true);
    assert.equal(await metrics.tryStartRefresh(db, { instanceId: 'i2' }), false);
    assert.equal((await metrics.getRefreshStatus(db)).instance_id, 'i1');
    const done = await metrics.finishRefresh(db, { status: 'failed', error: 'boom' });
    assert.equal(done.status, 'failed');
    assert.equal(done.error, 'boom');
    assert.ok(done.finished_at instanceof Date);
    assert.equal(await metrics.tryStartRefresh(db), true);
    assert.equal(await metrics.tryStartRefresh(db, { staleAfterMs: 0 }), true); // a stale run is taken over
    await metrics.finishRefresh(db, { status: 'completed' });
    await sessions.deleteMany(db, ['met-s1', 'met-s2']);
  });
});
