/**
 * Memories and learnings handlers through HTTP (generated router, response validation on,
 * in-memory PGlite): every operation's documented shape, and two-user isolation (learnings with
 * the research §5 rules: own + NULL-owner rows, 403 messages of the Python AgentOS).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, ALICE, BOB, type DataServer, startDataServer } from './handlers-data-harness.js';

let s: DataServer;

before(async () => {
  s = await startDataServer();
});
after(async () => {
  assert.deepEqual(s.errors, [], 'no request answered 500');
  await s.close();
});

const ids = (page: { data: { memory_id?: string; learning_id?: string }[] }) =>
  page.data.map((m) => m.memory_id ?? m.learning_id).sort();

describe('memories', () => {
  const created: Record<string, string> = {};

  test('createMemory: 200 with the memory; a user id is required', async () => {
    for (const [key, as, memory, topics] of [
      ['a1', ALICE, 'User likes coffee.', ['preferences', 'food']],
      ['a2', ALICE, 'User prefers technical explanations.', ['preferences', 'technical']],
      ['a3', ALICE, 'user likes   coffee', ['drinks']],
      ['b1', BOB, 'Bob has a dog named Max.', ['pets']],
    ] as const) {
      const r = await s.request('POST', '/memories', { as, body: { memory, topics, user_id: as.user } });
      assert.equal(r.status, 200);
      assert.equal(r.body.memory, memory);
      assert.deepEqual(r.body.topics, topics);
      assert.equal(r.body.user_id, as.user);
      assert.equal(typeof r.body.updated_at, 'string');
      created[key] = r.body.memory_id;
    }
    const noUser = await s.request('POST', '/memories', { as: ALICE, body: { memory: 'x' } });
    assert.equal(noUser.status, 400);
    assert.equal(noUser.body.detail, 'User ID is required');
    const tooShort = await s.request('POST', '/memories', {
      as: ALICE,
      body: { memory: '', user_id: 'alice' },
    });
    assert.equal(tooShort.status, 422);
  });

  test('listMemories: filters, topics (all of them), fuzzy search, pages', async () => {
    const all = await s.request('GET', '/memories', { as: ALICE });
    assert.equal(all.status, 200);
    assert.equal(all.body.meta.total_count, 4);
    const alice = await s.request('GET', '/memories?user_id=alice', { as: ALICE });
    assert.equal(alice.body.meta.total_count, 3);
    const topics = await s.request('GET', '/memories?topics=preferences,technical', { as: ALICE });
    assert.deepEqual(ids(topics.body), [created.a2]);
    const search = await s.request('GET', '/memories?search_content=COFFEE', { as: ALICE });
    assert.deepEqual(ids(search.body), [created.a1, created.a3].sort());
    const page = await s.request('GET', '/memories?limit=3&page=2&sort_by=memory&sort_order=asc', {
      as: ALICE,
    });
    assert.equal(page.body.meta.total_pages, 2);
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.data[0].memory, 'user likes   coffee');
  });

  test('getMemory, updateMemory (upsert), topics, stats', async () => {
    const one = await s.request('GET', `/memories/${created.a1}`, { as: ALICE });
    assert.equal(one.status, 200);
    assert.equal(one.body.memory_id, created.a1);
    const wrongUser = await s.request('GET', `/memories/${created.a1}?user_id=bob`, { as: ALICE });
    assert.equal(wrongUser.status, 404);
    assert.equal(wrongUser.body.detail, `Memory with ID ${created.a1} not found`);

    const updated = await s.request('PATCH', `/memories/${created.a1}`, {
      as: ALICE,
      body: { memory: 'User likes strong black coffee.', user_id: 'alice' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.memory, 'User likes strong black coffee.');
    assert.deepEqual(updated.body.topics, [], 'omitted topics become []');
    const upsert = await s.request('PATCH', '/memories/mem-new', {
      as: ALICE,
      body: { memory: 'New one', user_id: 'alice' },
    });
    assert.equal(upsert.status, 200);
    assert.equal(upsert.body.memory_id, 'mem-new');
    const noUser = await s.request('PATCH', '/memories/mem-new', { as: ALICE, body: { memory: 'x' } });
    assert.equal(noUser.status, 400);

    const topics = await s.request('GET', '/memory_topics?user_id=alice', { as: ALICE });
    assert.equal(topics.status, 200);
    assert.deepEqual(topics.body, ['drinks', 'preferences', 'technical']);
    const allTopics = await s.request('GET', '/memory_topics', { as: ALICE });
    assert.ok(allTopics.body.includes('pets'));

    const stats = await s.request('GET', '/user_memory_stats', { as: ALICE });
    assert.equal(stats.status, 200);
    assert.deepEqual(
      stats.body.data
        .map((r: { user_id: string; total_memories: number }) => [r.user_id, r.total_memories])
        .sort(),
      [
        ['alice', 4],
        ['bob', 1],
      ],
    );
    assert.equal(stats.body.meta.total_count, 2);
    const bobStats = await s.request('GET', '/user_memory_stats?user_id=bob', { as: ALICE });
    assert.equal(bobStats.body.data.length, 1);
  });

  test('optimizeMemories: duplicates merged deterministically; preview with apply=false', async () => {
    await s.request('POST', '/memories', {
      as: ALICE,
      body: { memory: 'User likes strong black coffee!', topics: ['x'], user_id: 'alice' },
    });
    const preview = await s.request('POST', '/optimize-memories', {
      as: ALICE,
      body: { user_id: 'alice', apply: false },
    });
    assert.equal(preview.status, 200);
    assert.equal(preview.body.memories_before, 5);
    assert.equal(preview.body.memories_after, 4);
    assert.ok(preview.body.tokens_saved > 0);
    assert.equal(preview.body.tokens_before - preview.body.tokens_after, preview.body.tokens_saved);
    assert.ok(preview.body.reduction_percentage > 0 && preview.body.reduction_percentage <= 100);
    const still = await s.request('GET', '/memories?user_id=alice', { as: ALICE });
    assert.equal(still.body.meta.total_count, 5, 'apply=false saves nothing');

    const applied = await s.request('POST', '/optimize-memories', {
      as: ALICE,
      body: { user_id: 'alice', model: 'openai:gpt-4o-mini' },
    });
    assert.equal(applied.status, 200);
    assert.equal(applied.body.memories_after, 4);
    const merged = applied.body.memories.find((m: { memory: string }) => /black coffee/.test(m.memory));
    assert.deepEqual([...merged.topics].sort(), ['x']);
    const after = await s.request('GET', '/memories?user_id=alice', { as: ALICE });
    assert.equal(after.body.meta.total_count, 4);

    const again = await s.request('POST', '/optimize-memories', { as: ALICE, body: { user_id: 'alice' } });
    assert.equal(again.body.memories_before, 4);
    assert.equal(again.body.memories_after, 4);
    assert.equal(again.body.reduction_percentage, 0);

    const badModel = await s.request('POST', '/optimize-memories', {
      as: ALICE,
      body: { user_id: 'alice', model: 'gpt' },
    });
    assert.equal(badModel.status, 400);
    const nobody = await s.request('POST', '/optimize-memories', { as: ALICE, body: { user_id: 'nobody' } });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body.detail, 'No memories found for user nobody');
  });

  test('deleteMemory and deleteMemories', async () => {
    const del = await s.request('DELETE', '/memories/mem-new', { as: ALICE });
    assert.equal(del.status, 204);
    assert.equal((await s.request('GET', '/memories/mem-new', { as: ALICE })).status, 404);
    const bulkWrongUser = await s.request('DELETE', '/memories', {
      as: ALICE,
      body: { memory_ids: [created.b1], user_id: 'alice' },
    });
    assert.equal(bulkWrongUser.status, 204);
    assert.equal(
      (await s.request('GET', `/memories/${created.b1}`, { as: BOB })).status,
      200,
      'restricted to user_id',
    );
    const bulk = await s.request('DELETE', '/memories', {
      as: ALICE,
      body: { memory_ids: [created.a2, 'unknown'] },
    });
    assert.equal(bulk.status, 204);
    assert.equal((await s.request('GET', `/memories/${created.a2}`, { as: ALICE })).status, 404);
  });

  test('user isolation: reads limited to the caller, writes attributed to the caller', async () => {
    s.setIsolation(true);
    try {
      const list = await s.request('GET', '/memories?user_id=bob', { as: ALICE });
      assert.ok(list.body.data.length > 0);
      assert.ok(list.body.data.every((m: { user_id: string }) => m.user_id === 'alice'));
      const other = await s.request('GET', `/memories/${created.b1}`, { as: ALICE });
      assert.equal(other.status, 404);
      const topics = await s.request('GET', '/memory_topics?user_id=bob', { as: ALICE });
      assert.ok(!topics.body.includes('pets'));
      const stats = await s.request('GET', '/user_memory_stats?user_id=bob', { as: ALICE });
      assert.deepEqual(
        stats.body.data.map((r: { user_id: string }) => r.user_id),
        ['alice'],
      );

      const created2 = await s.request('POST', '/memories', {
        as: ALICE,
        body: { memory: 'Mine', user_id: 'bob' },
      });
      assert.equal(created2.body.user_id, 'alice');
      const overwrite = await s.request('PATCH', `/memories/${created.b1}`, {
        as: ALICE,
        body: { memory: 'pwned', user_id: 'bob' },
      });
      assert.equal(overwrite.status, 404);
      assert.equal(overwrite.body.detail, 'Memory not found');
      const upsertNew = await s.request('PATCH', '/memories/brand-new', { as: ALICE, body: { memory: 'x' } });
      assert.equal(upsertNew.status, 404, 'an isolated caller cannot create by naming an id');
      const own = await s.request('PATCH', `/memories/${created2.body.memory_id}`, {
        as: ALICE,
        body: { memory: 'Mine, edited', user_id: 'bob' },
      });
      assert.equal(own.status, 200);
      assert.equal(own.body.user_id, 'alice');

      assert.equal((await s.request('DELETE', `/memories/${created.b1}`, { as: ALICE })).status, 204);
      assert.equal(
        (await s.request('DELETE', '/memories', { as: ALICE, body: { memory_ids: [created.b1] } })).status,
        204,
      );
      const optimize = await s.request('POST', '/optimize-memories', {
        as: ALICE,
        body: { user_id: 'bob', apply: true },
      });
      assert.equal(optimize.status, 200);
      assert.ok(optimize.body.memories.every((m: { user_id: string }) => m.user_id === 'alice'));

      const bobStill = await s.request('GET', `/memories/${created.b1}`, { as: BOB });
      assert.equal(bobStill.status, 200);
      assert.equal(bobStill.body.memory, 'Bob has a dog named Max.');
      const admin = await s.request('GET', `/memories/${created.b1}`, { as: ADMIN });
      assert.equal(admin.status, 200);
    } finally {
      s.setIsolation(false);
    }
  });
});

describe('learnings', () => {
  test('createLearning: identity-keyed ids, 409 on a duplicate identity, 422 without identity', async () => {
    const profile = await s.request('POST', '/learnings', {
      as: ALICE,
      body: {
        learning_type: 'user_profile',
        content: { name: 'Ada' },
        namespace: 'user',
        user_id: 'alice',
        agent_id: 'research-agent',
        metadata: { source: 'api' },
      },
    });
    assert.equal(profile.status, 201);
    assert.equal(profile.body.learning_id, 'user_profile_alice');
    assert.equal(typeof profile.body.created_at, 'number');
    const dup = await s.request('POST', '/learnings', {
      as: ALICE,
      body: { learning_type: 'user_profile', content: {}, user_id: 'alice' },
    });
    assert.equal(dup.status, 409);
    assert.match(dup.body.detail, /already exists for this identity/);
    const noIdentity = await s.request('POST', '/learnings', {
      as: ALICE,
      body: { learning_type: 'user_memory', content: {} },
    });
    assert.equal(noIdentity.status, 422);
    const entity = await s.request('POST', '/learnings', {
      as: ALICE,
      body: {
        learning_type: 'entity_memory',
        content: { facts: [] },
        entity_id: 'acme',
        entity_type: 'company',
      },
    });
    assert.equal(entity.status, 201);
    assert.equal(entity.body.learning_id, 'entity_global_company_acme');
    assert.equal(entity.body.namespace, 'global');
    assert.equal(entity.body.user_id, null);
    const log = await s.request('POST', '/learnings', {
      as: BOB,
      body: { learning_type: 'decision_log', content: { decision: 'x' }, user_id: 'bob' },
    });
    assert.equal(log.status, 201);
    assert.match(log.body.learning_id, /^[0-9a-f-]{36}$/);
    const bobProfile = await s.request('POST', '/learnings', {
      as: BOB,
      body: { learning_type: 'user_profile', content: { name: 'Bob' }, user_id: 'bob' },
    });
    assert.equal(bobProfile.status, 201);
  });

  test('listLearnings, getLearning, updateLearning, listLearningUsers', async () => {
    const all = await s.request('GET', '/learnings', { as: ALICE });
    assert.equal(all.status, 200);
    assert.equal(all.body.meta.total_count, 4);
    assert.equal(all.body.meta.limit, 100);
    const byType = await s.request(
      'GET',
      '/learnings?learning_type=user_profile&sort_by=created_at&sort_order=asc',
      { as: ALICE },
    );
    assert.deepEqual(ids(byType.body), ['user_profile_alice', 'user_profile_bob']);
    const byUser = await s.request('GET', '/learnings?user_id=bob&sort_by=unknown', { as: ALICE });
    assert.equal(byUser.body.meta.total_count, 2);

    const one = await s.request('GET', '/learnings/user_profile_alice', { as: ALICE });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.content, { name: 'Ada' });
    assert.equal(
      (await s.request('GET', '/learnings/nope', { as: ALICE })).body.detail,
      'Learning not found',
    );

    const unchanged = await s.request('PATCH', '/learnings/user_profile_alice', { as: ALICE, body: {} });
    assert.equal(unchanged.status, 200);
    assert.deepEqual(unchanged.body.content, { name: 'Ada' });
    const patched = await s.request('PATCH', '/learnings/user_profile_alice', {
      as: ALICE,
      body: { content: { name: 'Ada', language: 'TypeScript' }, metadata: { edited_by: 'alice' } },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.content, { name: 'Ada', language: 'TypeScript' });
    assert.deepEqual(patched.body.metadata, { edited_by: 'alice' });
    assert.equal(patched.body.user_id, 'alice', 'identity fields do not change');
    const nullContent = await s.request('PATCH', '/learnings/user_profile_alice', {
      as: ALICE,
      body: { content: null },
    });
    assert.equal(nullContent.status, 422);

    const users = await s.request('GET', '/learnings/users', { as: ALICE });
    assert.equal(users.status, 200);
    assert.deepEqual(users.body.data.map((u: { user_id: string }) => u.user_id).sort(), ['alice', 'bob']);
    assert.equal(typeof users.body.data[0].last_learning_updated_at, 'number');
    const byName = await s.request(
      'GET',
      '/learnings/users?sort_by=user_id&sort_order=asc&learning_type=decision_log',
      { as: ALICE },
    );
    assert.deepEqual(
      byName.body.data.map((u: { user_id: string }) => u.user_id),
      ['bob'],
    );
  });

  test('user isolation: own + NULL-owner rows, 403 for another user_id, 404 for their records', async () => {
    s.setIsolation(true);
    try {
      const list = await s.request('GET', '/learnings', { as: ALICE });
      assert.deepEqual(ids(list.body), ['entity_global_company_acme', 'user_profile_alice']);
      const ownFilter = await s.request('GET', '/learnings?user_id=alice', { as: ALICE });
      assert.equal(ownFilter.status, 200);
      const other = await s.request('GET', '/learnings?user_id=bob', { as: ALICE });
      assert.equal(other.status, 403);
      assert.equal(other.body.detail, 'Cannot list learnings for another user');
      const users = await s.request('GET', '/learnings/users', { as: ALICE });
      assert.deepEqual(
        users.body.data.map((u: { user_id: string }) => u.user_id),
        ['alice'],
      );
      const otherUsers = await s.request('GET', '/learnings/users?user_id=bob', { as: ALICE });
      assert.equal(otherUsers.status, 403);
      assert.equal(otherUsers.body.detail, 'Cannot list learning users for another user');

      const bobs = await s.request('GET', '/learnings/user_profile_bob', { as: ALICE });
      assert.equal(bobs.status, 404);
      assert.equal(bobs.body.detail, 'Learning not found');
      assert.equal(
        (await s.request('PATCH', '/learnings/user_profile_bob', { as: ALICE, body: { content: {} } }))
          .status,
        404,
      );
      assert.equal((await s.request('DELETE', '/learnings/user_profile_bob', { as: ALICE })).status, 404);
      const shared = await s.request('GET', '/learnings/entity_global_company_acme', { as: ALICE });
      assert.equal(shared.status, 200, 'records without owner are readable');
      const changeShared = await s.request('PATCH', '/learnings/entity_global_company_acme', {
        as: ALICE,
        body: { content: { facts: ['x'] } },
      });
      assert.equal(changeShared.status, 403);
      assert.equal(
        changeShared.body.detail,
        'Only admins can modify learnings that have no owner (user_id is null)',
      );
      assert.equal(
        (await s.request('DELETE', '/learnings/entity_global_company_acme', { as: ALICE })).status,
        403,
      );

      const createForBob = await s.request('POST', '/learnings', {
        as: ALICE,
        body: { learning_type: 'decision_log', content: {}, user_id: 'bob' },
      });
      assert.equal(createForBob.status, 403);
      assert.equal(createForBob.body.detail, 'Cannot create learnings for another user');
      const deleteBob = await s.request('DELETE', '/learnings/users/bob', { as: ALICE });
      assert.equal(deleteBob.status, 403);
      assert.equal(deleteBob.body.detail, 'Cannot delete learnings for another user');

      const adminPatch = await s.request('PATCH', '/learnings/entity_global_company_acme', {
        as: ADMIN,
        body: { content: { facts: ['founded 1999'] } },
      });
      assert.equal(adminPatch.status, 200);
      const adminList = await s.request('GET', '/learnings?user_id=bob', { as: ADMIN });
      assert.equal(adminList.body.meta.total_count, 2);

      const deleteOwn = await s.request('DELETE', '/learnings/users/alice', { as: ALICE });
      assert.equal(deleteOwn.status, 204);
      const left = await s.request('GET', '/learnings', { as: ALICE });
      assert.deepEqual(
        ids(left.body),
        ['entity_global_company_acme'],
        'records without owner are not affected',
      );
    } finally {
      s.setIsolation(false);
    }
  });

  test('deleteLearning and deleteUserLearnings by type', async () => {
    const typed = await s.request('DELETE', '/learnings/users/bob?learning_type=decision_log', { as: ADMIN });
    assert.equal(typed.status, 204);
    const bob = await s.request('GET', '/learnings?user_id=bob', { as: ADMIN });
    assert.deepEqual(ids(bob.body), ['user_profile_bob']);
    assert.equal((await s.request('DELETE', '/learnings/user_profile_bob', { as: BOB })).status, 204);
    assert.equal((await s.request('DELETE', '/learnings/user_profile_bob', { as: BOB })).status, 404);
  });
});
