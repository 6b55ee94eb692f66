import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { evals } from '../src/db/repos/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

for (const backend of testBackends()) {
  describe(`repositories: evals (${backend})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.close());

    test('evals: create, get, list filters, update, delete', async () => {
      const db = t.db;
      await evals.create(db, {
        id: 'ev-1',
        eval_type: 'accuracy',
        agent_id: 'research-agent',
        model_id: 'gpt-4o',
        model_provider: 'openai',
        eval_data: { avg_score: 8.5 },
        eval_input: { input: 'q' },
      });
      await evals.create(db, { id: 'ev-2', eval_type: 'performance', team_id: 'research-team' });
      assert.deepEqual((await evals.get(db, 'ev-1'))?.eval_data, { avg_score: 8.5 });
      assert.equal((await evals.list(db, { type: 'agent' })).total, 1);
      assert.equal((await evals.list(db, { type: 'team' })).rows[0]?.id, 'ev-2');
      assert.equal((await evals.list(db, { evalTypes: ['accuracy', 'reliability'] })).total, 1);
      assert.equal((await evals.list(db, { modelId: 'gpt-4o', agentId: 'research-agent' })).total, 1);
      assert.equal((await evals.update(db, 'ev-1', { name: 'Nightly' }))?.name, 'Nightly');
      assert.equal(await evals.deleteMany(db, ['ev-1', 'ev-2', 'ev-3']), 2);
      assert.equal(await evals.delete(db, 'ev-1'), false);
    });
  });
}
