import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { memories } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: memories', (t) => {
  test('memories: CRUD, filters, sorting, topics list, per-user stats, upsert, merge', async () => {
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
    assert.deepEqual((await memories.list(db, { topics: ['python'] })).rows.map((r) => r.memory_id).sort(), [
      'm1',
      'm3',
    ]);
    assert.deepEqual(
      (await memories.list(db, { topics: ['python', 'food'] })).rows.map((r) => r.memory_id),
      ['m3'],
    );
    assert.equal((await memories.list(db, { searchContent: 'acme' })).rows[0]?.memory_id, 'm2');
    assert.equal((await memories.list(db, { agentId: 'a1' })).total, 1);
    assert.equal((await memories.list(db, { teamId: 't1' })).total, 1);
    assert.deepEqual(
      (await memories.list(db, { sortBy: 'team_id', sortOrder: 'asc' })).rows.map((r) => r.memory_id),
      ['m3', 'm1', 'm2'],
    ); // nulls last; ties broken by memory_id in the same direction
    assert.deepEqual(
      (await memories.list(db, { sortBy: 'team_id', sortOrder: 'desc' })).rows.map((r) => r.memory_id),
      ['m2', 'm1', 'm3'],
    );

    assert.deepEqual(await memories.topics(db, { userId: 'mu1' }), ['hobbies', 'python', 'work']);
    // A topics value that is not an array (another client wrote it) counts as no topics.
    await sql`insert into memories (memory_id, memory, topics, user_id)
        values ('m-scalar', 'x', '"solo"'::jsonb, 'mu3')`.execute(db);
    assert.deepEqual(await memories.topics(db), ['food', 'hobbies', 'python', 'work']);
    assert.equal(await memories.delete(db, 'm-scalar'), true);

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

    // upsert: an existing memory gets the new text, topics, owner and updated_at, and keeps the rest.
    const upserted = await memories.upsert(db, 'm1', {
      memory: 'Likes Rust',
      topics: ['rust'],
      user_id: 'mu1',
      created_at: at('2026-11-02T09:00:00Z'),
      updated_at: at('2026-11-02T09:00:00Z'),
    });
    assert.equal(upserted.memory, 'Likes Rust');
    assert.deepEqual(upserted.topics, ['rust']);
    assert.equal(upserted.agent_id, 'a1');
    assert.notEqual(upserted.created_at.getTime(), at('2026-11-02T09:00:00Z').getTime());
    assert.equal(upserted.updated_at.getTime(), at('2026-11-02T09:00:00Z').getTime());
    const fresh = await memories.upsert(db, 'm4', { memory: 'Likes Rust too', user_id: 'mu1' });
    assert.deepEqual([fresh.memory_id, fresh.topics, fresh.user_id], ['m4', [], 'mu1']);

    assert.deepEqual(
      (await memories.listForUser(db, 'mu1')).map((r) => r.memory_id),
      ['m4', 'm1', 'm2'],
    ); // most recently updated first

    // merge: removed memories are deleted, kept ones get the merged topics; others are untouched.
    const mergedAt = at('2026-11-03T08:00:00Z');
    await memories.merge(db, [{ keepId: 'm4', topics: ['rust', 'work'], removeIds: ['m1'] }], mergedAt);
    const afterMerge = await memories.listForUser(db, 'mu1');
    assert.deepEqual(
      afterMerge.map((r) => [r.memory_id, r.topics]),
      [
        ['m4', ['rust', 'work']],
        ['m2', ['work']],
      ],
    );
    assert.equal(afterMerge[0]!.updated_at.getTime(), mergedAt.getTime());
    await memories.merge(db, [], mergedAt); // nothing to do

    assert.equal(await memories.delete(db, 'm3', { userId: 'mu1' }), false);
    assert.equal(await memories.deleteMany(db, ['m3', 'm4'], { userId: 'mu2' }), 1);
    assert.equal(await memories.deleteMany(db, []), 0);
    assert.equal(await memories.delete(db, 'm4'), true);
  });
});
