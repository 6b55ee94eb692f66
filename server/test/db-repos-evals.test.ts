import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evals } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

describeEachBackend('repositories: evals', (t) => {
  test('evals: create, get, list filters, sort, update, delete', async () => {
    const db = t.db;
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    const created = await evals.create(db, {
      id: 'ev-1',
      eval_type: 'accuracy',
      agent_id: 'research-agent',
      model_id: 'gpt-4o',
      model_provider: 'openai',
      eval_data: { avg_score: 8.5 },
      eval_input: { input: 'q' },
      created_at: createdAt,
    });
    assert.deepEqual(created.created_at, createdAt);
    assert.deepEqual(created.updated_at, createdAt);
    await evals.create(db, { id: 'ev-2', eval_type: 'performance', team_id: 'research-team' });
    await evals.create(db, {
      id: 'ev-3',
      eval_type: 'reliability',
      agent_id: 'math-agent',
      model_id: 'gpt-4o',
      created_at: createdAt,
    });
    assert.deepEqual((await evals.get(db, 'ev-1'))?.eval_data, { avg_score: 8.5 });
    assert.equal(await evals.get(db, 'nope'), undefined);

    assert.equal((await evals.list(db, { type: 'agent' })).total, 2);
    assert.equal((await evals.list(db, { type: 'team' })).rows[0]?.id, 'ev-2');
    assert.equal((await evals.list(db, { type: 'workflow' })).total, 0);
    assert.equal((await evals.list(db, { evalTypes: ['accuracy', 'reliability'] })).total, 2);
    assert.equal((await evals.list(db, { modelId: 'gpt-4o', agentId: 'research-agent' })).total, 1);
    assert.equal((await evals.list(db, { teamId: 'research-team' })).total, 1);

    const ids = async (opts: evals.ListEvalRunsOptions) => (await evals.list(db, opts)).rows.map((r) => r.id);
    assert.deepEqual(await ids({ sortBy: 'agent_id', sortOrder: 'asc' }), ['ev-3', 'ev-1', 'ev-2']);
    // Equal created_at: ties follow the id in the requested order.
    assert.deepEqual(await ids({ modelId: 'gpt-4o' }), ['ev-3', 'ev-1']);
    assert.deepEqual(await ids({ modelId: 'gpt-4o', sortOrder: 'asc' }), ['ev-1', 'ev-3']);
    const page = await evals.list(db, { sortBy: 'team_id', sortOrder: 'asc', limit: 2, page: 2 });
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.rows.map((r) => r.id),
      ['ev-3'],
      'nulls last, then by id',
    );

    const updatedAt = new Date('2026-03-04T05:06:07.000Z');
    const renamed = await evals.update(db, 'ev-1', { name: 'Nightly', updated_at: updatedAt });
    assert.equal(renamed?.name, 'Nightly');
    assert.deepEqual(renamed?.updated_at, updatedAt);
    assert.deepEqual(renamed?.created_at, createdAt);
    assert.equal(await evals.update(db, 'nope', { name: 'x' }), undefined);
    assert.equal(await evals.deleteMany(db, ['ev-1', 'ev-2', 'ev-4']), 2);
    assert.equal(await evals.deleteMany(db, []), 0);
    assert.deepEqual(
      (await evals.list(db)).rows.map((r) => r.id),
      ['ev-3'],
    );
  });
});
