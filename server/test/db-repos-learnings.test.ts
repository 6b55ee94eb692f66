import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learnings } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: learnings', (t) => {
  test('learnings: CRUD, owned + unowned scope, filters, user stats, delete by user', async () => {
    const db = t.db;
    await learnings.create(db, {
      learning_id: 'l1',
      learning_type: 'user_profile',
      namespace: 'user',
      user_id: 'lu1',
      agent_id: 'a1',
      content: { name: 'Ada' },
    });
    await learnings.create(db, { learning_id: 'l2', learning_type: 'decision_log', content: { d: 1 } });
    await learnings.create(db, {
      learning_id: 'l3',
      learning_type: 'entity_memory',
      user_id: 'lu2',
      entity_id: 'e1',
      entity_type: 'company',
      content: { e: 1 },
    });
    // A taken id writes nothing.
    assert.equal(
      await learnings.create(db, { learning_id: 'l1', learning_type: 'user_profile', content: {} }),
      undefined,
    );
    assert.deepEqual((await learnings.get(db, 'l1'))?.content, { name: 'Ada' });
    assert.equal(await learnings.get(db, 'l2', { userId: 'lu1' }), undefined);
    assert.equal((await learnings.get(db, 'l2', { userId: 'lu1', includeUnowned: true }))?.learning_id, 'l2');

    const isolated = await learnings.list(db, {
      userId: 'lu1',
      includeUnowned: true,
      sortBy: 'created_at',
    });
    assert.deepEqual(isolated.rows.map((r) => r.learning_id).sort(), ['l1', 'l2']);
    assert.equal((await learnings.list(db, { userId: 'lu1' })).total, 1);
    assert.equal((await learnings.list(db, { entityType: 'company', entityId: 'e1' })).total, 1);
    assert.equal((await learnings.list(db, { learningType: 'decision_log' })).total, 1);
    assert.equal((await learnings.list(db, { namespace: 'user', agentId: 'a1' })).total, 1);
    // Equal sort values: ties broken by learning_id in the same direction.
    const same = { created_at: at('2026-11-01T10:00:00Z'), updated_at: at('2026-11-01T10:00:00Z') };
    await learnings.create(db, { learning_id: 't1', learning_type: 'tie', content: {}, ...same });
    await learnings.create(db, { learning_id: 't2', learning_type: 'tie', content: {}, ...same });
    for (const sortOrder of ['asc', 'desc'] as const)
      assert.deepEqual(
        (await learnings.list(db, { learningType: 'tie', sortOrder })).rows.map((r) => r.learning_id),
        sortOrder === 'asc' ? ['t1', 't2'] : ['t2', 't1'],
      );
    assert.equal(await learnings.delete(db, 't1'), true);
    assert.equal(await learnings.delete(db, 't2'), true);

    const stats = await learnings.userStats(db);
    assert.equal(stats.total, 2);
    assert.deepEqual(stats.rows.map((r) => r.user_id).sort(), ['lu1', 'lu2']);
    for (const sortOrder of ['asc', 'desc'] as const)
      assert.deepEqual(
        (await learnings.userStats(db, { sortBy: 'user_id', sortOrder })).rows.map((r) => r.user_id),
        sortOrder === 'asc' ? ['lu1', 'lu2'] : ['lu2', 'lu1'],
      );

    const editedAt = at('2026-11-05T12:00:00Z');
    const upd = await learnings.update(
      db,
      'l1',
      { content: { name: 'Ada L.' }, updated_at: editedAt },
      { userId: 'lu1' },
    );
    assert.deepEqual(upd?.content, { name: 'Ada L.' });
    assert.equal(upd?.updated_at.getTime(), editedAt.getTime());
    assert.equal(upd?.metadata, null); // metadata left alone
    assert.equal(await learnings.update(db, 'l2', { metadata: { x: 1 } }, { userId: 'lu1' }), undefined);
    assert.deepEqual((await learnings.update(db, 'l2', { metadata: { x: 1 } }))?.metadata, { x: 1 });

    assert.equal(await learnings.deleteByUser(db, 'lu2', { learningType: 'user_profile' }), 0);
    assert.equal(await learnings.deleteByUser(db, 'lu2'), 1);
    assert.equal(await learnings.delete(db, 'l1', { userId: 'lu2' }), false);
    assert.equal(await learnings.delete(db, 'l1'), true);
    assert.equal(await learnings.delete(db, 'l2'), true);
  });
});
