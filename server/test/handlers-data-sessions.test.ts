/**
 * Sessions handlers through HTTP (generated router, response validation on, in-memory PGlite):
 * every operation's documented shape, and two-user isolation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json } from '../src/db/index.js';
import { ADMIN, ALICE, BOB, type DataServer, startDataServer } from './handlers-data-harness.js';

let s: DataServer;

before(async () => {
  s = await startDataServer();
});
after(async () => {
  assert.deepEqual(s.errors, [], 'no request answered 500');
  await s.close();
});

async function addRun(
  sessionId: string,
  runId: string,
  at: string,
  extra: {
    entity?: 'agent' | 'team' | 'workflow';
    entityId?: string;
    parent?: string;
    output?: unknown;
    user?: string;
  } = {},
) {
  await s.database.db
    .insertInto('runs')
    .values({
      run_id: runId,
      session_id: sessionId,
      parent_run_id: extra.parent ?? null,
      entity_type: extra.entity ?? 'agent',
      entity_id: extra.entityId ?? 'research-agent',
      user_id: extra.user ?? null,
      status: 'COMPLETED',
      input: json(`question of ${runId}`),
      content: json(`answer of ${runId}`),
      content_type: 'str',
      output: json(extra.output ?? null),
      metrics: json({ input_tokens: 10, output_tokens: 5, total_tokens: 15 }),
      created_at: new Date(at),
      updated_at: new Date(at),
    })
    .execute();
}

describe('sessions', () => {
  test('createSession: 201 with the detail of its type, 409 on an existing id', async () => {
    const r = await s.request('POST', '/sessions', {
      as: ALICE,
      body: {
        session_id: 'ses-a1',
        session_name: 'Quarterly research',
        session_state: { topic: 'q3' },
        metadata: { source: 'api' },
        agent_id: 'research-agent',
        user_id: 'someone-else',
      },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.session_id, 'ses-a1');
    assert.equal(r.body.agent_session_id, 'ses-a1');
    assert.equal(r.body.session_name, 'Quarterly research');
    assert.deepEqual(r.body.session_state, { topic: 'q3' });
    assert.equal(r.body.user_id, 'alice', 'the token subject owns the session');
    assert.deepEqual(r.body.chat_history, []);

    const dup = await s.request('POST', '/sessions', { as: ALICE, body: { session_id: 'ses-a1' } });
    assert.equal(dup.status, 409);
    assert.match(dup.body.detail, /already exists/);

    const team = await s.request('POST', '/sessions?type=team', {
      as: BOB,
      body: { session_id: 'ses-b-team', team_id: 'research-team' },
    });
    assert.equal(team.status, 201);
    assert.equal(team.body.team_id, 'research-team');
    assert.deepEqual(team.body.chat_history, []);
    assert.equal(team.body.agent_session_id, undefined);

    const wf = await s.request('POST', '/sessions?type=workflow', {
      as: BOB,
      body: {
        session_id: 'ses-b-wf',
        workflow_id: 'content-pipeline',
        session_name: 'Newsletter',
        session_state: { draft: 2 },
      },
    });
    assert.equal(wf.status, 201);
    assert.equal(wf.body.workflow_name, 'Content Pipeline');
    assert.deepEqual(wf.body.session_data, { session_state: { draft: 2 }, session_name: 'Newsletter' });
    assert.equal(wf.body.chat_history, undefined);

    const generated = await s.request('POST', '/sessions', { as: ALICE });
    assert.equal(generated.status, 201);
    assert.match(generated.body.session_id, /^[0-9a-f-]{36}$/);
    assert.equal(generated.body.session_name, '');
    await s.request('DELETE', `/sessions/${generated.body.session_id}`, { as: ALICE });
  });

  test('listSessions: pages, filters, sorting, derived names', async () => {
    await addRun('ses-a1', 'run-1', '2026-11-01T12:00:00Z', {
      user: 'alice',
      output: {
        messages: [
          { role: 'system', content: 'You are helpful' },
          { role: 'user', content: 'What tools do you have?', created_at: 1793534400 },
          { role: 'assistant', content: 'Search and read.', created_at: 1793534402 },
          { role: 'user', content: 'old', from_history: true },
        ],
        model: 'gpt-4o',
        tools: [{ tool_name: 'search' }],
      },
    });
    await addRun('ses-a1', 'run-2', '2026-11-01T12:05:00Z', { user: 'alice' });
    await s.request('POST', '/sessions', {
      as: ALICE,
      body: { session_id: 'ses-a2', agent_id: 'math-agent' },
    });
    await addRun('ses-a2', 'run-3', '2026-11-02T08:00:00Z', { user: 'alice', entityId: 'math-agent' });

    const all = await s.request('GET', '/sessions', { as: ALICE });
    assert.equal(all.status, 200);
    assert.equal(all.body.meta.total_count, 4);
    assert.equal(all.body.meta.page, 1);
    assert.equal(all.body.meta.limit, 20);
    assert.equal(all.body.meta.total_pages, 1);
    assert.equal(typeof all.body.meta.search_time_ms, 'number');

    const a2 = all.body.data.find((x: { session_id: string }) => x.session_id === 'ses-a2');
    assert.equal(a2.session_name, 'question of run-3', 'derived from the first run input');

    const agents = await s.request('GET', '/sessions?type=agent&sort_by=session_id&sort_order=asc', {
      as: ALICE,
    });
    assert.deepEqual(
      agents.body.data.map((x: { session_id: string }) => x.session_id),
      ['ses-a1', 'ses-a2'],
    );
    const byComponent = await s.request('GET', '/sessions?component_id=research-team', { as: ALICE });
    assert.deepEqual(
      byComponent.body.data.map((x: { session_id: string }) => x.session_id),
      ['ses-b-team'],
    );
    const byName = await s.request('GET', '/sessions?session_name=quarter', { as: ALICE });
    assert.deepEqual(
      byName.body.data.map((x: { session_id: string }) => x.session_id),
      ['ses-a1'],
    );
    const byUser = await s.request('GET', '/sessions?user_id=bob&sort_by=nonsense', { as: ALICE });
    assert.equal(byUser.status, 200, 'an unknown sort field falls back to the default');
    assert.equal(byUser.body.meta.total_count, 2);

    const page2 = await s.request('GET', '/sessions?limit=3&page=2&sort_by=session_id&sort_order=asc', {
      as: ALICE,
    });
    assert.equal(page2.body.meta.total_pages, 2);
    assert.deepEqual(
      page2.body.data.map((x: { session_id: string }) => x.session_id),
      ['ses-b-wf'],
    );

    const bad = await s.request('GET', '/sessions?sort_order=sideways', { as: ALICE });
    assert.equal(bad.status, 422);
  });

  test('getSession: detail with chat history; type mismatch and missing ids answer 404', async () => {
    const r = await s.request('GET', '/sessions/ses-a1', { as: ALICE });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.chat_history.map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ['user', 'What tools do you have?'],
        ['assistant', 'Search and read.'],
        ['user', 'question of run-2'],
        ['assistant', 'answer of run-2'],
      ],
    );
    const typed = await s.request('GET', '/sessions/ses-a1?type=agent', { as: ALICE });
    assert.equal(typed.status, 200);
    const wrongType = await s.request('GET', '/sessions/ses-a1?type=team', { as: ALICE });
    assert.equal(wrongType.status, 404);
    assert.equal(wrongType.body.detail, "Team Session with id 'ses-a1' not found");
    const missing = await s.request('GET', '/sessions/nope', { as: ALICE });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.detail, "Session with id 'nope' not found");
  });

  test('updateSession and renameSession', async () => {
    const r = await s.request('PATCH', '/sessions/ses-a1', {
      as: ALICE,
      body: {
        session_state: { step: 'done' },
        metadata: { priority: 'high' },
        summary: { summary: 'Tools talk', topics: ['tools'], updated_at: '2026-11-01T12:06:00Z' },
        session_name: null,
      },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.session_state, { step: 'done' });
    assert.deepEqual(r.body.metadata, { priority: 'high' });
    assert.equal(r.body.session_summary.summary, 'Tools talk');
    assert.equal(r.body.session_name, 'Quarterly research', 'null fields are kept');

    const renamed = await s.request('POST', '/sessions/ses-b-wf/rename', {
      as: BOB,
      body: { session_name: 'November newsletter' },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.session_name, 'November newsletter');
    assert.equal(renamed.body.session_data.session_name, 'November newsletter');

    const missing = await s.request('PATCH', '/sessions/nope', { as: ALICE, body: {} });
    assert.equal(missing.status, 404);
    const missingRename = await s.request('POST', '/sessions/nope/rename', {
      as: ALICE,
      body: { session_name: 'x' },
    });
    assert.equal(missingRename.status, 404);
  });

  test('listSessionRuns and getSessionRun', async () => {
    const runs = await s.request('GET', '/sessions/ses-a1/runs', { as: ALICE });
    assert.equal(runs.status, 200);
    assert.deepEqual(
      runs.body.map((r: { run_id: string }) => r.run_id),
      ['run-1', 'run-2'],
    );
    const first = runs.body[0];
    assert.equal(first.agent_id, 'research-agent');
    assert.equal(first.run_input, 'question of run-1');
    assert.equal(first.content, 'answer of run-1');
    assert.equal(first.run_response_format, 'text');
    assert.equal(first.created_at, '2026-11-01T12:00:00.000Z');
    assert.deepEqual(first.tools, [{ tool_name: 'search' }]);

    const after = Date.parse('2026-11-01T12:05:00Z') / 1000;
    const filtered = await s.request('GET', `/sessions/ses-a1/runs?created_after=${after}`, { as: ALICE });
    assert.deepEqual(
      filtered.body.map((r: { run_id: string }) => r.run_id),
      ['run-2'],
    );
    const before = await s.request('GET', `/sessions/ses-a1/runs?created_before=${after - 1}`, { as: ALICE });
    assert.deepEqual(
      before.body.map((r: { run_id: string }) => r.run_id),
      ['run-1'],
    );

    const empty = await s.request('GET', '/sessions/ses-b-team/runs', { as: BOB });
    assert.deepEqual(empty.body, []);
    const missing = await s.request('GET', '/sessions/nope/runs', { as: ALICE });
    assert.equal(missing.status, 404);

    const one = await s.request('GET', '/sessions/ses-a1/runs/run-2', { as: ALICE });
    assert.equal(one.status, 200);
    assert.equal(one.body.run_id, 'run-2');
    const noRuns = await s.request('GET', '/sessions/ses-b-team/runs/run-1', { as: BOB });
    assert.equal(noRuns.status, 404);
    assert.equal(noRuns.body.detail, 'Session with ID ses-b-team has no runs');
    const wrongRun = await s.request('GET', '/sessions/ses-a1/runs/run-3', { as: ALICE });
    assert.equal(wrongRun.status, 404);
    assert.equal(wrongRun.body.detail, 'Run with ID run-3 not found in session ses-a1');
  });

  test('deleteSessions (bulk) and deleteSession', async () => {
    await s.request('POST', '/sessions', { as: ALICE, body: { session_id: 'tmp-1' } });
    await s.request('POST', '/sessions', { as: ALICE, body: { session_id: 'tmp-2' } });
    await addRun('tmp-1', 'tmp-run', '2026-11-03T00:00:00Z');
    const mismatch = await s.request('DELETE', '/sessions', {
      as: ALICE,
      body: { session_ids: ['tmp-1', 'tmp-2'], session_types: ['agent'] },
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.detail, 'Session IDs and session types must have the same length');
    const bulk = await s.request('DELETE', '/sessions', {
      as: ALICE,
      body: { session_ids: ['tmp-1', 'unknown'], session_types: ['agent', 'agent'] },
    });
    assert.equal(bulk.status, 204);
    assert.equal((await s.request('GET', '/sessions/tmp-1', { as: ALICE })).status, 404);
    const run = await s.database.db
      .selectFrom('runs')
      .select('run_id')
      .where('run_id', '=', 'tmp-run')
      .execute();
    assert.equal(run.length, 0, 'the runs of a deleted session are deleted');
    const one = await s.request('DELETE', '/sessions/tmp-2', { as: ALICE });
    assert.equal(one.status, 204);
    assert.equal((await s.request('GET', '/sessions/tmp-2', { as: ALICE })).status, 404);
    assert.equal((await s.request('DELETE', '/sessions/tmp-2', { as: ALICE })).status, 204);
  });

  test('user isolation: reads limited to the caller, other users answer 404, admins see all', async () => {
    s.setIsolation(true);
    try {
      const own = await s.request('GET', '/sessions?user_id=bob', { as: ALICE });
      assert.equal(own.status, 200);
      assert.ok(own.body.data.length > 0);
      assert.ok(
        own.body.data.every((x: { user_id: string }) => x.user_id === 'alice'),
        'a user_id query cannot widen the view',
      );
      for (const [method, path, body] of [
        ['GET', '/sessions/ses-b-team', undefined],
        ['GET', '/sessions/ses-b-team/runs', undefined],
        ['GET', '/sessions/ses-b-team/runs/x', undefined],
        ['PATCH', '/sessions/ses-b-team', { session_name: 'pwned' }],
        ['POST', '/sessions/ses-b-team/rename', { session_name: 'pwned' }],
      ] as const) {
        const r = await s.request(method, path, { as: ALICE, body });
        assert.equal(r.status, 404, `${method} ${path}`);
        const missing = await s.request(method, path.replace('ses-b-team', 'no-such'), { as: ALICE, body });
        assert.equal(missing.status, 404);
        assert.equal(
          r.body.detail.replace('ses-b-team', 'X'),
          missing.body.detail.replace('no-such', 'X'),
          'indistinguishable from a missing session',
        );
      }
      assert.equal((await s.request('DELETE', '/sessions/ses-b-team', { as: ALICE })).status, 204);
      assert.equal(
        (
          await s.request('DELETE', '/sessions', {
            as: ALICE,
            body: { session_ids: ['ses-b-wf'], session_types: ['workflow'] },
          })
        ).status,
        204,
      );
      const stillThere = await s.request('GET', '/sessions/ses-b-team', { as: BOB });
      assert.equal(stillThere.status, 200, "another user's session is left untouched");
      assert.equal(stillThere.body.session_name, '', 'and was not renamed');
      assert.equal((await s.request('GET', '/sessions/ses-b-wf', { as: BOB })).status, 200);

      const created = await s.request('POST', '/sessions', {
        as: BOB,
        body: { session_id: 'ses-b2', user_id: 'alice' },
      });
      assert.equal(created.body.user_id, 'bob', 'writes are attributed to the caller');

      const admin = await s.request('GET', '/sessions?user_id=bob', { as: ADMIN });
      assert.ok(admin.body.data.every((x: { user_id: string }) => x.user_id === 'bob'));
      assert.equal(admin.body.meta.total_count, 3);
      assert.equal((await s.request('GET', '/sessions/ses-b-team', { as: ADMIN })).status, 200);
      const everyone = await s.request('GET', '/sessions', { as: ADMIN });
      assert.equal(everyone.body.meta.total_count, 5);
    } finally {
      s.setIsolation(false);
    }
  });
});
