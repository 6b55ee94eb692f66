import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { memories } from '../src/db/repos/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

const at = (iso: string) => new Date(iso);

for (const backend of testBackends()) {
  describe(`repositories: memories (${backend})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.close());

    test('memories: CRUD, topic and content filters, topics list, per-user stats, replace', async () => {
      const db = t.db;
      await memories.create(db, {
        memory_id: 'm1',
        memory: 'Likes Python and long walks',
        topics: ['python', 'hobbies'],
        user_id: 'mu1',
        agent_id: 'a1',
        updated_at: at('2026-11-01T10:00:00Z'),
      });
      await memories.create(db, {
        memory_id: 'm2',
        memory: 'Works at ACME',
        topics: ['work'],
        user_id: 'mu1',
        updated_at: at('2026-11-01T11:00:00Z'),
      });
      await memories.create(db, {
        memory_id: 'm3',
        memory: 'Prefers tea',
        topics: ['food', 'python'],
        user_id: 'mu2',
        team_id: 't1',
        updated_at: at('2026-11-01T12:00:00Z'),
      });
      const m = await memories.get(db, 'm1');
      assert.deepEqual(m?.topics, ['python', 'hobbies']);
      assert.equal(await memories.get(db, 'm1', { userId: 'mu2' }), undefined);

      const mu1 = await memories.list(db, { userId: 'mu1' });
      assert.equal(mu1.total, 2);
      assert.deepEqual(
        mu1.rows.map((r) => r.memory_id),
        ['m2', 'm1'],
      ); // updated_at desc
      assert.deepEqual(
        (await memories.list(db, { topics: ['python'] })).rows.map((r) => r.memory_id).sort(),
        ['m1', 'm3'],
      );
      assert.deepEqual(
        (await memories.list(db, { topics: ['python', 'food'] })).rows.map((r) => r.memory_id),
        ['m3'],
      );
      assert.equal((await memories.list(db, { searchContent: 'acme' })).rows[0]?.memory_id, 'm2');
      assert.equal((await memories.list(db, { agentId: 'a1' })).total, 1);
      assert.equal((await memories.list(db, { teamId: 't1' })).total, 1);

      assert.deepEqual(await memories.topics(db, { userId: 'mu1' }), ['hobbies', 'python', 'work']);
      assert.deepEqual(await memories.topics(db), ['food', 'hobbies', 'python', 'work']);

      const stats = await memories.userStats(db);
      assert.equal(stats.total, 2);
      assert.deepEqual(
        stats.rows.map((r) => [r.user_id, r.total_memories]),
        [
          ['mu2', 1],
          ['mu1', 2],
        ],
      );
      assert.ok(stats.rows[0]!.last_memory_updated_at instanceof Date);
      assert.equal((await memories.userStats(db, { userId: 'mu1' })).rows[0]?.total_memories, 2);

      const upd = await memories.update(
        db,
        'm1',
        { memory: 'Likes Rust', topics: ['rust'] },
        { userId: 'mu1' },
      );
      assert.deepEqual(upd?.topics, ['rust']);
      assert.equal(await memories.update(db, 'm1', { memory: 'x' }, { userId: 'mu2' }), undefined);

      const replaced = await memories.replaceForUser(db, 'mu1', [{ memory: 'Likes Rust; works at ACME' }]);
      assert.equal(replaced.length, 1);
      assert.equal(replaced[0]!.user_id, 'mu1');
      assert.deepEqual(
        (await memories.listForUser(db, 'mu1')).map((r) => r.memory),
        ['Likes Rust; works at ACME'],
      );

      assert.equal(await memories.delete(db, 'm3', { userId: 'mu1' }), false);
      assert.equal(await memories.deleteMany(db, ['m3', replaced[0]!.memory_id], { userId: 'mu2' }), 1);
      assert.equal(await memories.delete(db, replaced[0]!.memory_id), true);
    });
  });
}
