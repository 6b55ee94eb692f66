import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics, runs, sessions } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: metrics', (t) => {
  test('metrics: aggregate from runs and sessions, replace the stored days, list by date, refresh state', async () => {
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
    // A member run of the team run: part of it, not counted again.
    await runs.create(db, {
      run_id: 'met-r4',
      parent_run_id: 'met-r3',
      session_id: 'met-s2',
      entity_type: 'agent',
      entity_id: 'member',
      user_id: 'mx3',
      metrics: { input_tokens: 100 },
      output: { model: 'other-model' },
      created_at: at('2030-01-02T23:59:40Z'),
    });
    const days = await metrics.aggregate(db);
    assert.deepEqual(
      days.map((d) => d.date),
      ['2030-01-01', '2030-01-02'],
    );
    assert.equal(days[0]!.agent_runs_count, 2);
    assert.equal(days[0]!.agent_sessions_count, 1);
    assert.equal(days[0]!.users_count, 1);
    assert.equal(days[0]!.token_metrics.input_tokens, 15);
    assert.equal(days[0]!.token_metrics.total_tokens, 30);
    assert.deepEqual(
      Object.keys(days[0]!.token_metrics),
      [...metrics.TOKEN_KEYS],
      'every key, 0 when unused',
    );
    assert.equal(days[0]!.token_metrics.reasoning_tokens, 0);
    assert.deepEqual(days[0]!.model_metrics, [{ model_id: 'gpt-4o', model_provider: 'openai', count: 2 }]);
    assert.equal(days[1]!.team_runs_count, 1);
    assert.equal(days[1]!.agent_runs_count, 0, 'the member run is not counted');
    assert.equal(days[1]!.team_sessions_count, 1);
    assert.equal(days[1]!.users_count, 1, "the member run's user is not counted");
    assert.equal(days[1]!.token_metrics.input_tokens, 7);

    const first = at('2030-01-03T00:00:00Z');
    const stored = await metrics.replaceDays(db, days, first);
    assert.equal(stored.length, 2);
    assert.deepEqual(stored[0]!.created_at, first);
    // Replacing: a known day keeps its id and creation time; a day no longer present is deleted.
    const second = at('2030-01-04T00:00:00Z');
    const again = await metrics.replaceDays(db, [{ ...days[0]!, agent_runs_count: 3 }], second);
    assert.equal(again[0]!.id, stored[0]!.id);
    assert.deepEqual(again[0]!.created_at, first);
    assert.deepEqual(again[0]!.updated_at, second);
    const listed = await metrics.list(db, { startingDate: '2030-01-01', endingDate: '2030-01-02' });
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.date, '2030-01-01');
    assert.equal(listed[0]!.agent_runs_count, 3);
    await assert.rejects(metrics.list(db, { startingDate: '01/01/2030' }));

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
    await metrics.replaceDays(db, [], second);
  });
});
