import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isUniqueViolation } from '../src/db/index.js';
import {
  approvals,
  components,
  evals,
  knowledge,
  learnings,
  memories,
  metrics,
  runs,
  schedules,
  serviceAccounts,
  sessions,
  traces,
} from '../src/db/repos/index.js';
import { type FilterError, TRACE_FILTER_FIELDS } from '../src/db/repos/traces.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

const at = (iso: string) => new Date(iso);

for (const backend of testBackends()) {
  describe(`repositories (${backend})`, () => {
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
      await assert.rejects(
        learnings.create(db, { learning_id: 'l1', learning_type: 'user_profile', content: {} }),
        isUniqueViolation,
      );
      assert.deepEqual((await learnings.get(db, 'l1'))?.content, { name: 'Ada' });
      assert.equal(await learnings.get(db, 'l2', { userId: 'lu1' }), undefined);
      assert.equal(
        (await learnings.get(db, 'l2', { userId: 'lu1', includeUnowned: true }))?.learning_id,
        'l2',
      );

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

      const stats = await learnings.userStats(db);
      assert.equal(stats.total, 2);
      assert.deepEqual(stats.rows.map((r) => r.user_id).sort(), ['lu1', 'lu2']);

      const upd = await learnings.update(db, 'l1', { content: { name: 'Ada L.' } }, { userId: 'lu1' });
      assert.deepEqual(upd?.content, { name: 'Ada L.' });
      assert.equal(await learnings.update(db, 'l2', { metadata: { x: 1 } }, { userId: 'lu1' }), undefined);
      assert.deepEqual((await learnings.update(db, 'l2', { metadata: { x: 1 } }))?.metadata, { x: 1 });

      assert.equal(await learnings.deleteByUser(db, 'lu2', { learningType: 'user_profile' }), 0);
      assert.equal(await learnings.deleteByUser(db, 'lu2'), 1);
      assert.equal(await learnings.delete(db, 'l1', { userId: 'lu2' }), false);
      assert.equal(await learnings.delete(db, 'l1'), true);
      assert.equal(await learnings.delete(db, 'l2'), true);
    });

    test('knowledge: contents CRUD, documents, full-text search ranks the right document first', async () => {
      const db = t.db;
      const c1 = await knowledge.createContent(db, {
        id: 'cnt-1',
        knowledge_id: 'kb-main',
        name: 'handbook.pdf',
        type: 'application/pdf',
        size: 251261,
        metadata: { dept: 'hr' },
      });
      assert.equal(c1.status, 'processing');
      assert.equal(c1.size, 251261);
      await knowledge.addDocuments(db, 'cnt-1', [
        {
          content:
            'Employees accrue 25 days of paid leave per year. Unused leave carries over; parental leave is separate.',
          meta_data: { page: 12 },
        },
        {
          content: 'The office is closed on public holidays. Parking is free for employees.',
          meta_data: { page: 3 },
        },
        { content: 'Expense reports are due at the end of each month.', meta_data: { page: 20 } },
      ]);
      await knowledge.createContent(db, { id: 'cnt-2', knowledge_id: 'kb-other', name: 'notes.txt' });
      await knowledge.addDocuments(db, 'cnt-2', [
        { id: 'doc-other', content: 'Leave the building by the north exit in case of fire.' },
      ]);
      assert.equal((await knowledge.setStatus(db, 'cnt-1', 'completed'))?.status, 'completed');

      const hits = await knowledge.search(db, { query: 'paid leave days', knowledgeId: 'kb-main' });
      assert.equal(hits.total, 1);
      assert.match(hits.rows[0]!.content, /25 days of paid leave/);
      assert.equal(hits.rows[0]!.content_id, 'cnt-1');
      assert.equal(typeof hits.rows[0]!.rank, 'number');

      // Across knowledge bases: both documents mention leave; the one about leave ranks first.
      const both = await knowledge.search(db, { query: 'leaving' }); // stemmed to 'leav'
      assert.equal(both.total, 2);
      assert.match(both.rows[0]!.content, /paid leave/);
      assert.ok(both.rows[0]!.rank > both.rows[1]!.rank);
      const ranked = await knowledge.search(db, { query: 'employees' });
      assert.equal(ranked.total, 2);
      // websearch syntax: a quoted phrase and an exclusion.
      assert.equal((await knowledge.search(db, { query: '"public holidays"' })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'employees -parking' })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'employees', filters: { page: 3 } })).total, 1);
      assert.equal((await knowledge.search(db, { query: 'the' })).total, 0); // stop words only
      assert.equal((await knowledge.search(db, { query: 'employees', limit: 1, page: 2 })).rows.length, 1);

      await knowledge.incrementAccessCount(db, ['cnt-1', 'cnt-1']);
      assert.equal((await knowledge.getContent(db, 'cnt-1'))?.access_count, 1);
      const listed = await knowledge.listContents(db, { knowledgeId: 'kb-main' });
      assert.equal(listed.total, 1);
      assert.equal(
        (await knowledge.listContents(db, { sortBy: 'name', sortOrder: 'asc' })).rows[0]?.id,
        'cnt-1',
      );
      const upd = await knowledge.updateContent(db, 'cnt-1', {
        description: 'HR handbook',
        metadata: { v: 2 },
      });
      assert.equal(upd?.description, 'HR handbook');
      assert.equal(await knowledge.getContent(db, 'cnt-1', { knowledgeId: 'kb-other' }), undefined);

      const replaced = await knowledge.replaceDocuments(db, 'cnt-1', [
        { content: 'Remote work is allowed.' },
      ]);
      assert.equal(replaced.length, 1);
      assert.equal((await knowledge.listDocuments(db, 'cnt-1')).length, 1);
      assert.equal((await knowledge.search(db, { query: 'remote work' })).rows[0]?.content_id, 'cnt-1');

      assert.equal((await knowledge.deleteContent(db, 'cnt-1'))?.id, 'cnt-1');
      assert.deepEqual(await knowledge.listDocuments(db, 'cnt-1'), []);
      assert.equal(await knowledge.deleteAllContents(db, { knowledgeId: 'kb-other' }), 1);
    });

    test('traces: upsert, spans, counts, list filters, session stats, FilterExpr search', async () => {
      const db = t.db;
      await traces.upsertTrace(db, {
        trace_id: 'trc-1',
        name: 'Research_Agent.run',
        start_time: at('2026-11-01T12:00:00Z'),
        run_id: 'r1',
        session_id: 'ts1',
        user_id: 'tu1',
        agent_id: 'research-agent',
      });
      await traces.upsertTrace(db, {
        trace_id: 'trc-1',
        name: 'Research_Agent.run',
        start_time: at('2026-11-01T12:00:00Z'),
        end_time: at('2026-11-01T12:00:01.200Z'),
        duration_ms: 1200,
        status: 'OK',
        output: 'done',
      });
      await traces.addSpans(db, [
        {
          span_id: 'sp-root',
          trace_id: 'trc-1',
          name: 'agent.run',
          span_kind: 'AGENT',
          start_time: at('2026-11-01T12:00:00Z'),
        },
        {
          span_id: 'sp-llm',
          trace_id: 'trc-1',
          parent_span_id: 'sp-root',
          name: 'gpt-4o',
          span_kind: 'LLM',
          start_time: at('2026-11-01T12:00:00.100Z'),
          metadata: { input_tokens: 120 },
        },
        {
          span_id: 'sp-tool',
          trace_id: 'trc-1',
          parent_span_id: 'sp-root',
          name: 'search',
          span_kind: 'TOOL',
          status: 'ERROR',
          error: 'timeout',
          start_time: at('2026-11-01T12:00:00.500Z'),
        },
      ]);
      await traces.addSpans(db, [
        {
          span_id: 'sp-root',
          trace_id: 'trc-1',
          name: 'agent.run',
          start_time: at('2026-11-01T12:00:00Z'),
          end_time: at('2026-11-01T12:00:01.200Z'),
          status: 'OK',
        },
      ]);
      await traces.upsertTrace(db, {
        trace_id: 'trc-2',
        name: 'Support.run',
        status: 'ERROR',
        start_time: at('2026-11-01T13:00:00Z'),
        duration_ms: 50,
        session_id: 'ts2',
        user_id: 'tu2',
        team_id: 'research-team',
      });

      const one = await traces.get(db, 'trc-1');
      assert.equal(one?.total_spans, 3);
      assert.equal(one?.error_count, 1);
      assert.equal(one?.output, 'done');
      assert.equal(one?.run_id, 'r1'); // kept by the second upsert
      assert.equal(await traces.get(db, 'trc-1', { userId: 'tu2' }), undefined);
      const spans = await traces.getSpans(db, 'trc-1');
      assert.deepEqual(
        spans.map((s) => s.span_id),
        ['sp-root', 'sp-llm', 'sp-tool'],
      );
      assert.equal(spans[0]!.status, 'OK');
      assert.deepEqual((await traces.getSpan(db, 'trc-1', 'sp-llm'))?.metadata, { input_tokens: 120 });

      const all = await traces.list(db);
      assert.deepEqual(
        all.rows.map((r) => r.trace_id),
        ['trc-2', 'trc-1'],
      );
      assert.equal((await traces.list(db, { userId: 'tu1' })).total, 1);
      assert.equal((await traces.list(db, { status: 'ERROR' })).rows[0]?.trace_id, 'trc-2');
      assert.equal((await traces.list(db, { startTime: at('2026-11-01T12:30:00Z') })).total, 1);
      assert.equal((await traces.list(db, { endTime: at('2026-11-01T12:30:00Z') })).total, 1);
      assert.equal(
        (await traces.list(db, { agentId: 'research-agent', runId: 'r1', sessionId: 'ts1' })).total,
        1,
      );

      const stats = await traces.sessionStats(db);
      assert.equal(stats.total, 2);
      assert.equal(stats.rows.find((s) => s.session_id === 'ts1')?.total_traces, 1);
      assert.equal((await traces.sessionStats(db, { teamId: 'research-team' })).rows[0]?.session_id, 'ts2');

      const byFilter = await traces.search(db, {
        filter: {
          op: 'OR',
          conditions: [
            { op: 'EQ', key: 'status', value: 'ERROR' },
            {
              op: 'AND',
              conditions: [
                { op: 'GT', key: 'duration_ms', value: 1000 },
                { op: 'CONTAINS', key: 'name', value: 'research' },
              ],
            },
          ],
        },
      });
      assert.equal(byFilter.total, 2);
      assert.equal(
        (
          await traces.search(db, {
            filter: { op: 'NOT', condition: { op: 'IN', key: 'user_id', value: ['tu1'] } },
          })
        ).total,
        1,
      );
      assert.equal(
        (await traces.search(db, { filter: { op: 'STARTSWITH', key: 'name', value: 'supp' } })).total,
        1,
      );
      assert.equal(
        (await traces.search(db, { filter: { op: 'GTE', key: 'start_time', value: '2026-11-01T12:30:00Z' } }))
          .total,
        1,
      );
      assert.equal((await traces.search(db, { filter: { op: 'IN', key: 'trace_id', value: [] } })).total, 0);
      // User isolation is ANDed in.
      assert.equal(
        (await traces.search(db, { filter: { op: 'EQ', key: 'status', value: 'ERROR' }, userId: 'tu1' }))
          .total,
        0,
      );
      const grouped = await traces.search(db, { groupBy: 'session' });
      assert.equal(grouped.total, 2);
      assert.ok('total_traces' in grouped.rows[0]!);
      for (const bad of [
        { op: 'EQ', key: 'password', value: 'x' },
        { op: 'LIKE', key: 'name', value: 'x' },
        { op: 'GT', key: 'duration_ms', value: 'abc' },
        { op: 'GT', key: 'start_time', value: 'yesterday' },
        { op: 'AND', conditions: [] },
        { op: 'CONTAINS', key: 'duration_ms', value: '1' },
        'status = ERROR',
      ]) {
        await assert.rejects(
          traces.search(db, { filter: bad }),
          (e: FilterError) => e.name === 'FilterError',
        );
      }
      assert.ok('duration_ms' in TRACE_FILTER_FIELDS);
      assert.equal(await traces.delete(db, 'trc-1'), true);
      assert.deepEqual(await traces.getSpans(db, 'trc-1'), []);
    });

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

    test('schedules: CRUD, unique name, enable/disable, claim and complete, run records', async () => {
      const db = t.db;
      const s = await schedules.create(db, {
        id: 'sch-1',
        name: 'nightly',
        cron_expr: '0 3 * * *',
        endpoint: '/agents/a1/runs',
        payload: { message: 'go' },
        next_run_at: at('2026-11-02T03:00:00Z'),
      });
      assert.equal(s.method, 'POST');
      assert.equal(s.timezone, 'UTC');
      assert.equal(s.timeout_seconds, 3600);
      assert.equal(s.enabled, true);
      await assert.rejects(
        schedules.create(db, { name: 'nightly', cron_expr: '* * * * *', endpoint: '/x' }),
        isUniqueViolation,
      );
      assert.equal((await schedules.getByName(db, 'nightly'))?.id, 'sch-1');
      assert.equal(
        (await schedules.update(db, 'sch-1', { description: 'Nightly run' }))?.description,
        'Nightly run',
      );
      assert.equal((await schedules.list(db, { enabled: true })).total, 1);

      const disabled = await schedules.setEnabled(db, 'sch-1', false);
      assert.equal(disabled?.enabled, false);
      assert.equal(disabled?.next_run_at, null);
      assert.deepEqual(await schedules.claimDue(db, at('2026-11-03T00:00:00Z'), 'i1'), []);
      await schedules.setEnabled(db, 'sch-1', true, at('2026-11-02T03:00:00Z'));
      assert.deepEqual(await schedules.claimDue(db, at('2026-11-02T02:59:59Z'), 'i1'), []); // not due yet

      const claimed = await schedules.claimDue(db, at('2026-11-02T03:00:00Z'), 'i1', 10, {
        leaseSeconds: 30,
      });
      assert.deepEqual(
        claimed.map((c) => c.id),
        ['sch-1'],
      );
      assert.equal(claimed[0]!.claimed_by, 'i1');
      assert.equal(claimed[0]!.locked_until?.toISOString(), '2026-11-02T03:00:30.000Z');
      assert.deepEqual(await schedules.claimDue(db, at('2026-11-02T03:00:10Z'), 'i2'), []); // held
      assert.equal(await schedules.complete(db, 'sch-1', 'i2', null), false); // not i2's claim

      const run = await schedules.createRun(db, {
        schedule_id: 'sch-1',
        instance_id: 'i1',
        input: { message: 'go' },
      });
      assert.equal(run.status, 'running');
      assert.equal(run.attempt, 1);
      const finished = await schedules.updateRun(db, run.id, {
        status: 'success',
        status_code: 200,
        completed_at: at('2026-11-02T03:00:05Z'),
        run_id: 'r-9',
        output: { ok: true },
      });
      assert.equal(finished?.status_code, 200);
      assert.equal(await schedules.complete(db, 'sch-1', 'i1', at('2026-11-03T03:00:00Z')), true);
      const after1 = await schedules.get(db, 'sch-1');
      assert.equal(after1?.claimed_by, null);
      assert.equal(after1?.next_run_at?.toISOString(), '2026-11-03T03:00:00.000Z');

      // A lease that runs out can be taken over (the claimer crashed).
      await schedules.claimDue(db, at('2026-11-03T03:00:00Z'), 'i1', 10, { leaseSeconds: 10 });
      const takeover = await schedules.claimDue(db, at('2026-11-03T03:00:11Z'), 'i2');
      assert.equal(takeover[0]?.claimed_by, 'i2');
      assert.equal(await schedules.complete(db, 'sch-1', 'i1', null), false);
      assert.equal(await schedules.complete(db, 'sch-1', 'i2', null, { disable: true }), true);
      assert.equal((await schedules.get(db, 'sch-1'))?.enabled, false);

      assert.equal((await schedules.listRuns(db, 'sch-1')).total, 1);
      assert.equal((await schedules.getRun(db, 'sch-1', run.id))?.run_id, 'r-9');
      assert.equal(await schedules.getRun(db, 'other', run.id), undefined);
      assert.equal(await schedules.delete(db, 'sch-1'), true);
      assert.equal((await schedules.listRuns(db, 'sch-1')).total, 0);
    });

    test('approvals: create, list with run status, count, resolve once, cancel, expire, delete', async () => {
      const db = t.db;
      await sessions.create(db, { session_id: 'apr-s', session_type: 'agent', user_id: 'au1' });
      await runs.create(db, {
        run_id: 'apr-r',
        session_id: 'apr-s',
        entity_type: 'agent',
        entity_id: 'a1',
        status: 'PAUSED',
      });
      await approvals.create(db, {
        id: 'apr-1',
        run_id: 'apr-r',
        session_id: 'apr-s',
        source_type: 'agent',
        approval_type: 'required',
        pause_type: 'confirmation',
        tool_name: 'send_email',
        tool_args: { to: 'team@example.com' },
        agent_id: 'a1',
        user_id: 'au1',
      });
      await approvals.create(db, {
        id: 'apr-2',
        run_id: 'apr-r',
        session_id: 'apr-s',
        source_type: 'agent',
        user_id: 'au2',
        expires_at: at('2000-01-01T00:00:00Z'),
      });
      const got = await approvals.get(db, 'apr-1');
      assert.equal(got?.run_status, 'PAUSED');
      assert.deepEqual(got?.tool_args, { to: 'team@example.com' });
      assert.equal(await approvals.get(db, 'apr-1', { userId: 'au2' }), undefined);
      assert.equal(
        (await approvals.list(db, { userId: 'au1', status: 'pending' })).rows[0]?.run_status,
        'PAUSED',
      );
      assert.equal((await approvals.list(db, { runId: 'apr-r' })).total, 2);
      assert.equal((await approvals.list(db, { approvalType: 'required', agentId: 'a1' })).total, 1);
      assert.equal(await approvals.countPending(db), 2);
      assert.equal(await approvals.countPending(db, { userId: 'au1' }), 1);
      assert.equal((await approvals.listPendingForRun(db, 'apr-r')).length, 2);

      assert.equal(await approvals.expire(db), 1);
      assert.equal((await approvals.get(db, 'apr-2'))?.status, 'expired');

      const [first, second] = await Promise.all([
        approvals.resolve(db, 'apr-1', {
          status: 'approved',
          resolvedBy: 'admin',
          resolutionData: { ok: 1 },
        }),
        approvals.resolve(db, 'apr-1', { status: 'rejected', resolvedBy: 'other' }),
      ]);
      assert.ok((first === undefined) !== (second === undefined), 'exactly one resolver wins');
      const resolved = (first ?? second)!;
      assert.ok(resolved.resolved_at instanceof Date);
      assert.equal((await approvals.get(db, 'apr-1'))?.resolved_by, resolved.resolved_by);

      await approvals.create(db, { id: 'apr-3', run_id: 'apr-r', session_id: 'apr-s', source_type: 'agent' });
      assert.equal(await approvals.cancelForRun(db, 'apr-r'), 1);
      assert.equal((await approvals.get(db, 'apr-3'))?.status, 'cancelled');
      assert.equal(await approvals.delete(db, 'apr-3'), true);
      assert.equal(await approvals.delete(db, 'apr-3'), false);
      await sessions.delete(db, 'apr-s');
      assert.equal((await approvals.get(db, 'apr-1'))?.run_status, null); // run gone, approval kept
    });

    test('service accounts: hash-only storage, lookup, active-name uniqueness, touch, revoke', async () => {
      const db = t.db;
      const token = 'agno_pat_4fT9kQzR2mXw8bLc1nV7pS3dH6yJ0aE5gK9uT2oW4iZ';
      const sa = await serviceAccounts.create(db, {
        id: 'sa-1',
        name: 'github-actions',
        token,
        scopes: ['agents:research-agent:run', 'sessions:read'],
        user_id: 'user_123',
        created_by: 'user_123',
        expires_at: at('2099-01-01T00:00:00Z'),
      });
      assert.equal(sa.token_prefix, 'agno_pat_4fT9kQz');
      assert.equal(sa.token_sha256, serviceAccounts.tokenHash(token));
      assert.match(sa.token_sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(sa.scopes, ['agents:research-agent:run', 'sessions:read']);
      const stored = JSON.stringify(await serviceAccounts.get(db, 'sa-1'));
      assert.ok(!stored.includes(token), 'the plaintext token is not stored');

      await assert.rejects(
        serviceAccounts.create(db, { name: 'github-actions', token: 'agno_pat_other', scopes: [] }),
        isUniqueViolation,
      );
      assert.equal((await serviceAccounts.findByTokenHash(db, serviceAccounts.tokenHash(token)))?.id, 'sa-1');
      assert.equal(
        (await serviceAccounts.findActiveByTokenHash(db, serviceAccounts.tokenHash(token)))?.id,
        'sa-1',
      );
      assert.equal(
        await serviceAccounts.findActiveByTokenHash(
          db,
          serviceAccounts.tokenHash(token),
          at('2099-06-01T00:00:00Z'),
        ),
        undefined,
      ); // expired then
      assert.equal(
        await serviceAccounts.findByTokenHash(db, serviceAccounts.tokenHash('agno_pat_nope')),
        undefined,
      );
      assert.equal((await serviceAccounts.getActiveByName(db, 'github-actions'))?.id, 'sa-1');

      await serviceAccounts.touch(db, 'sa-1', at('2026-11-02T00:00:00Z'));
      assert.equal(
        (await serviceAccounts.get(db, 'sa-1'))?.last_used_at?.toISOString(),
        '2026-11-02T00:00:00.000Z',
      );

      const revoked = await serviceAccounts.revoke(db, 'sa-1', at('2026-11-03T00:00:00Z'));
      assert.equal(revoked?.revoked_at?.toISOString(), '2026-11-03T00:00:00.000Z');
      const again = await serviceAccounts.revoke(db, 'sa-1', at('2026-11-04T00:00:00Z'));
      assert.equal(again?.revoked_at?.toISOString(), '2026-11-03T00:00:00.000Z'); // idempotent
      assert.equal(await serviceAccounts.revoke(db, 'sa-none'), undefined);
      assert.equal(
        await serviceAccounts.findActiveByTokenHash(db, serviceAccounts.tokenHash(token)),
        undefined,
      );

      // The name is free again after revocation (rotation).
      await serviceAccounts.create(db, {
        id: 'sa-2',
        name: 'github-actions',
        token: 'agno_pat_rotated',
        scopes: [],
      });
      assert.equal((await serviceAccounts.list(db)).total, 2);
      assert.equal((await serviceAccounts.list(db, { includeRevoked: false })).rows[0]?.id, 'sa-2');
      assert.equal(
        (await serviceAccounts.list(db, { sortBy: 'name', sortOrder: 'asc', limit: 1 })).rows.length,
        1,
      );
    });

    test('components: create with first config, versions, labels, stages, current, delete', async () => {
      const db = t.db;
      const { component, config } = await components.create(
        db,
        {
          component_id: 'cmp-1',
          component_type: 'agent',
          name: 'Support Triage Agent',
          metadata: { owner: 'support' },
        },
        { config: { instructions: 'Classify.' }, stage: 'published', label: 'v1' },
      );
      assert.equal(component.current_version, 1);
      assert.equal(config?.version, 1);
      assert.equal(config?.stage, 'published');
      await assert.rejects(
        components.create(db, { component_id: 'cmp-1', component_type: 'agent', name: 'dup' }),
        isUniqueViolation,
      );
      await components.create(db, { component_id: 'cmp-2', component_type: 'team', name: 'Team' });

      const [v2, v3] = await Promise.all([
        components.createConfig(db, 'cmp-1', { config: { instructions: 'B' }, label: 'candidate' }),
        components.createConfig(db, 'cmp-1', { config: { instructions: 'C' } }),
      ]);
      assert.deepEqual([v2?.version, v3?.version].sort(), [2, 3]);
      assert.equal(v2?.stage, 'draft');
      await assert.rejects(
        components.createConfig(db, 'cmp-1', { config: {}, label: 'candidate' }),
        isUniqueViolation,
      );
      assert.equal(await components.createConfig(db, 'no-such', { config: {} }), undefined);

      const listed = await components.listConfigs(db, 'cmp-1');
      assert.deepEqual(
        listed.map((c) => c.version),
        [3, 2, 1],
      );
      const light = await components.listConfigs(db, 'cmp-1', { includeConfig: false });
      assert.ok(!('config' in light[0]!));
      assert.equal((await components.getCurrentConfig(db, 'cmp-1'))?.version, 1);
      assert.equal(await components.getCurrentConfig(db, 'cmp-2'), undefined);

      assert.equal(await components.setCurrent(db, 'cmp-1', 2, { onlyStage: 'published' }), undefined); // draft
      const upd = await components.updateConfig(
        db,
        'cmp-1',
        2,
        { stage: 'published', notes: 'ok' },
        { onlyStage: 'draft' },
      );
      assert.equal(upd?.stage, 'published');
      assert.equal(
        await components.updateConfig(db, 'cmp-1', 2, { notes: 'x' }, { onlyStage: 'draft' }),
        undefined,
      );
      assert.equal(
        (await components.setCurrent(db, 'cmp-1', 2, { onlyStage: 'published' }))?.current_version,
        2,
      );
      assert.equal(await components.setCurrent(db, 'cmp-1', 99), undefined);
      assert.equal((await components.getConfig(db, 'cmp-1', 2))?.notes, 'ok');

      assert.equal(await components.deleteConfig(db, 'cmp-1', 2), false); // current
      assert.equal(await components.deleteConfig(db, 'cmp-1', 1, { onlyStage: 'draft' }), false); // published
      assert.equal(await components.deleteConfig(db, 'cmp-1', 3, { onlyStage: 'draft' }), true);
      const v4 = await components.createConfig(db, 'cmp-1', {
        config: { instructions: 'D' },
        setCurrent: true,
      });
      assert.equal(v4?.version, 3); // max + 1
      assert.equal((await components.get(db, 'cmp-1'))?.current_version, 3);

      assert.equal((await components.list(db)).total, 2);
      assert.equal((await components.list(db, { componentType: 'team' })).rows[0]?.component_id, 'cmp-2');
      assert.equal((await components.list(db, { excludeIds: ['cmp-2'] })).total, 1);
      assert.equal((await components.update(db, 'cmp-2', { description: 'A team' }))?.description, 'A team');
      assert.equal(await components.delete(db, 'cmp-1'), true);
      assert.deepEqual(await components.listConfigs(db, 'cmp-1'), []);
    });
  });
}
