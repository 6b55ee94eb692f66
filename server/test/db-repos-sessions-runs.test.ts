import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isUniqueViolation } from '../src/db/index.js';
import { runs, sessions } from '../src/db/repos/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

const at = (iso: string) => new Date(iso);

for (const backend of testBackends()) {
  describe(`repositories: sessions and runs (${backend})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.close());

    test('sessions: create, get, list with filters/sort/paging, update, rename, delete, deleteMany', async () => {
      const db = t.db;
      const a = await sessions.create(db, {
        session_id: 'ses-a',
        session_type: 'agent',
        agent_id: 'research-agent',
        user_id: 'user_123',
        session_name: 'What tools do you have?',
        session_state: { step: 1 },
        metadata: { source: 'test' },
        created_at: at('2026-11-01T12:00:00Z'),
      });
      assert.equal(a.session_id, 'ses-a');
      assert.deepEqual(a.session_state, { step: 1 });
      assert.ok(a.created_at instanceof Date);
      await sessions.create(db, {
        session_id: 'ses-b',
        session_type: 'team',
        team_id: 'research-team',
        user_id: 'user_456',
        session_name: 'Team planning',
        created_at: at('2026-11-01T13:00:00Z'),
      });
      await sessions.create(db, {
        session_id: 'ses-c',
        session_type: 'agent',
        agent_id: 'support-agent',
        user_id: 'user_123',
        session_name: 'Refund 100% please',
        created_at: at('2026-11-01T14:00:00Z'),
      });
      await assert.rejects(
        sessions.create(db, { session_id: 'ses-a', session_type: 'agent' }),
        isUniqueViolation,
      );

      const ensured = await sessions.ensure(db, { session_id: 'ses-a', session_type: 'agent' });
      assert.equal(ensured.created, false);
      assert.equal(ensured.row.user_id, 'user_123');

      assert.equal((await sessions.get(db, 'ses-a'))?.agent_id, 'research-agent');
      assert.equal(await sessions.get(db, 'ses-a', { userId: 'user_456' }), undefined);
      assert.equal(await sessions.get(db, 'ses-a', { type: 'team' }), undefined);

      const mine = await sessions.list(db, { userId: 'user_123' });
      assert.equal(mine.total, 2);
      assert.deepEqual(
        mine.rows.map((r) => r.session_id),
        ['ses-c', 'ses-a'],
      ); // created_at desc by default
      const asc = await sessions.list(db, { userId: 'user_123', sortBy: 'created_at', sortOrder: 'asc' });
      assert.deepEqual(
        asc.rows.map((r) => r.session_id),
        ['ses-a', 'ses-c'],
      );
      const bogusSort = await sessions.list(db, { sortBy: 'session_state; drop table sessions' });
      assert.equal(bogusSort.total, 3);
      assert.equal((await sessions.list(db, { type: 'team' })).total, 1);
      assert.equal((await sessions.list(db, { type: 'agent', componentId: 'support-agent' })).total, 1);
      assert.equal((await sessions.list(db, { componentId: 'research-team' })).total, 1);
      assert.equal((await sessions.list(db, { sessionName: 'TOOLS' })).rows[0]?.session_id, 'ses-a');
      assert.equal((await sessions.list(db, { sessionName: '100%' })).total, 1);
      assert.equal((await sessions.list(db, { sessionName: '%' })).total, 1); // % is literal
      const page2 = await sessions.list(db, { limit: 2, page: 2 });
      assert.equal(page2.total, 3);
      assert.equal(page2.rows.length, 1);

      const before = (await sessions.get(db, 'ses-a'))!;
      const updated = await sessions.update(db, 'ses-a', {
        session_state: { step: 2 },
        summary: { summary: 'tools', topics: ['tools'] },
      });
      assert.deepEqual(updated?.session_state, { step: 2 });
      assert.deepEqual(updated?.metadata, { source: 'test' }); // untouched
      assert.ok(updated!.updated_at.getTime() >= before.updated_at.getTime());
      assert.equal(
        await sessions.update(db, 'ses-a', { session_name: 'x' }, { userId: 'user_456' }),
        undefined,
      );
      assert.equal((await sessions.rename(db, 'ses-a', 'Renamed'))?.session_name, 'Renamed');

      assert.equal(await sessions.delete(db, 'ses-a', { userId: 'user_456' }), false);
      assert.equal(await sessions.delete(db, 'ses-a', { userId: 'user_123' }), true);
      assert.equal(await sessions.get(db, 'ses-a'), undefined);
      // Pairs of (id, type): ses-b is a team session, so ('ses-b', 'agent') does not match.
      assert.equal(await sessions.deleteMany(db, ['ses-b', 'ses-c'], { types: ['agent', 'agent'] }), 1);
      assert.equal(await sessions.deleteMany(db, ['ses-b'], { userId: 'user_123' }), 0);
      assert.equal(await sessions.deleteMany(db, ['ses-b']), 1);
      assert.equal(await sessions.deleteMany(db, []), 0);
    });

    test('runs: create, get, list by session, guarded status transitions, events, cancel intents', async () => {
      const db = t.db;
      await sessions.create(db, {
        session_id: 'run-ses',
        session_type: 'agent',
        agent_id: 'a1',
        user_id: 'u1',
      });
      const r1 = await runs.create(db, {
        run_id: 'run-1',
        session_id: 'run-ses',
        entity_type: 'agent',
        entity_id: 'a1',
        user_id: 'u1',
        input: 'hello',
        created_at: at('2026-11-01T12:00:00Z'),
      });
      assert.equal(r1.status, 'PENDING');
      assert.equal(r1.input, 'hello'); // a bare string survives as JSON
      assert.equal(r1.event_count, 0);
      await runs.create(db, {
        run_id: 'run-2',
        session_id: 'run-ses',
        parent_run_id: 'run-1',
        entity_type: 'agent',
        entity_id: 'a2',
        user_id: 'u1',
        status: 'RUNNING',
        created_at: at('2026-11-01T12:01:00Z'),
      });
      await assert.rejects(
        runs.create(db, {
          run_id: 'run-x',
          session_id: 'no-such-session',
          entity_type: 'agent',
          entity_id: 'a1',
        }),
      );

      assert.equal((await runs.get(db, 'run-1', { sessionId: 'run-ses', entityId: 'a1' }))?.run_id, 'run-1');
      assert.equal(await runs.get(db, 'run-1', { userId: 'u2' }), undefined);
      assert.equal(await runs.get(db, 'run-1', { entityType: 'team' }), undefined);
      assert.deepEqual(
        (await runs.listBySession(db, 'run-ses')).map((r) => r.run_id),
        ['run-1', 'run-2'],
      );
      assert.deepEqual(
        (await runs.listBySession(db, 'run-ses', { parentRunId: null })).map((r) => r.run_id),
        ['run-1'],
      );
      assert.deepEqual(
        (await runs.listBySession(db, 'run-ses', { status: 'RUNNING' })).map((r) => r.run_id),
        ['run-2'],
      );
      assert.deepEqual(
        (await runs.listBySession(db, 'run-ses', { createdAfter: at('2026-11-01T12:00:30Z') })).map(
          (r) => r.run_id,
        ),
        ['run-2'],
      );
      assert.deepEqual(
        (await runs.listBySession(db, 'run-ses', { createdBefore: at('2026-11-01T12:00:00Z') })).map(
          (r) => r.run_id,
        ),
        ['run-1'],
      );

      const paused = await runs.update(db, 'run-1', {
        status: 'PAUSED',
        content: { text: 'need approval' },
        requirements: [{ tool: 'send_email' }],
        metrics: { input_tokens: 10, output_tokens: 5 },
        output: { run_id: 'run-1', status: 'PAUSED' },
      });
      assert.equal(paused?.status, 'PAUSED');
      assert.deepEqual(paused?.requirements, [{ tool: 'send_email' }]);
      // Continue: PAUSED → RUNNING happens once.
      assert.equal(
        (await runs.setStatus(db, 'run-1', 'RUNNING', { fromStatus: ['PAUSED'] }))?.status,
        'RUNNING',
      );
      assert.equal(await runs.setStatus(db, 'run-1', 'RUNNING', { fromStatus: ['PAUSED'] }), undefined);

      assert.equal(await runs.appendEvent(db, 'run-1', 'RunStarted', { run_id: 'run-1' }), 0);
      assert.equal(await runs.appendEvent(db, 'run-1', 'RunContent', { content: 'a' }), 1);
      assert.deepEqual(
        await runs.appendEvents(db, 'run-1', [
          { event: 'RunContent', data: { content: 'b' } },
          { event: 'RunCompleted' },
        ]),
        [2, 3],
      );
      assert.equal(await runs.countEvents(db, 'run-1'), 4);
      const all = await runs.listEvents(db, 'run-1');
      assert.deepEqual(
        all.map((e) => [e.event_index, e.event]),
        [
          [0, 'RunStarted'],
          [1, 'RunContent'],
          [2, 'RunContent'],
          [3, 'RunCompleted'],
        ],
      );
      assert.deepEqual(all[2]!.data, { content: 'b' });
      assert.equal(all[3]!.data, null);
      assert.deepEqual(
        (await runs.listEvents(db, 'run-1', { after: 1 })).map((e) => e.event_index),
        [2, 3],
      );
      assert.deepEqual(
        (await runs.listEvents(db, 'run-1', { after: 0, limit: 1 })).map((e) => e.event_index),
        [1],
      );
      await assert.rejects(runs.appendEvent(db, 'no-such-run', 'RunStarted'), runs.RunNotFoundError);

      assert.equal(await runs.isCancelRequested(db, 'unknown-run'), false);
      await runs.requestCancel(db, 'unknown-run', { sessionId: 'run-ses', requestedBy: 'u1' });
      await runs.requestCancel(db, 'unknown-run'); // idempotent
      assert.equal(await runs.isCancelRequested(db, 'unknown-run'), true);
      assert.equal((await runs.getCancel(db, 'unknown-run'))?.requested_by, 'u1');
      await runs.clearCancel(db, 'unknown-run');
      assert.equal(await runs.isCancelRequested(db, 'unknown-run'), false);

      // Deleting the session deletes its runs and their events.
      assert.equal(await sessions.delete(db, 'run-ses'), true);
      assert.equal(await runs.get(db, 'run-1'), undefined);
      assert.deepEqual(await runs.listEvents(db, 'run-1'), []);
    });
  });
}
