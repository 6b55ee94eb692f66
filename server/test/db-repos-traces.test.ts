import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traces } from '../src/db/repos/index.js';
import { type FilterError, TRACE_FILTER_FIELDS } from '../src/db/repos/traces.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: traces', (t) => {
  test('traces: insert with spans, counts, list filters, session stats, FilterExpr search', async () => {
    const db = t.db;
    await traces.insert(
      db,
      {
        trace_id: 'trc-1',
        name: 'Research_Agent.run',
        start_time: at('2026-11-01T12:00:00Z'),
        end_time: at('2026-11-01T12:00:01.200Z'),
        status: 'OK',
        output: 'done',
        run_id: 'r1',
        session_id: 'ts1',
        user_id: 'tu1',
        agent_id: 'research-agent',
      },
      [
        {
          span_id: 'sp-root',
          name: 'agent.run',
          span_kind: 'AGENT',
          status: 'OK',
          start_time: at('2026-11-01T12:00:00Z'),
          end_time: at('2026-11-01T12:00:01.200Z'),
        },
        {
          span_id: 'sp-llm',
          parent_span_id: 'sp-root',
          name: 'gpt-4o',
          span_kind: 'LLM',
          start_time: at('2026-11-01T12:00:00.100Z'),
          metadata: { input_tokens: 120 },
        },
        {
          span_id: 'sp-tool',
          parent_span_id: 'sp-root',
          name: 'search',
          span_kind: 'TOOL',
          status: 'ERROR',
          error: 'timeout',
          start_time: at('2026-11-01T12:00:00.500Z'),
        },
      ],
    );
    await traces.insert(db, {
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
    assert.equal(one?.run_id, 'r1');
    assert.equal(one?.duration_ms, 1200, 'end − start when not given');
    assert.deepEqual(one?.created_at, at('2026-11-01T12:00:00Z'), 'created at its start');
    assert.equal(await traces.get(db, 'trc-1', { userId: 'tu2' }), undefined);
    assert.equal((await traces.getByRunId(db, 'r1'))?.trace_id, 'trc-1');
    assert.equal(await traces.getByRunId(db, 'no-such-run'), undefined);
    const spans = await traces.getSpans(db, ['trc-1']);
    assert.deepEqual(
      spans.map((s) => s.span_id),
      ['sp-root', 'sp-llm', 'sp-tool'],
    );
    assert.equal(spans[0]!.status, 'OK');
    assert.deepEqual(await traces.getSpans(db, []), []);
    const llm = await traces.getSpan(db, 'sp-llm');
    assert.deepEqual([llm?.trace_id, llm?.metadata], ['trc-1', { input_tokens: 120 }]);
    assert.equal(await traces.getSpan(db, 'nope'), undefined);

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
      (await traces.search(db, { filter: { op: 'STARTSWITH', key: 'name', value: 'Supp' } })).total,
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
      (await traces.search(db, { filter: { op: 'EQ', key: 'status', value: 'ERROR' }, userId: 'tu1' })).total,
      0,
    );
    const grouped = await traces.search(db, { groupBy: 'session' });
    assert.equal(grouped.total, 2);
    assert.ok('total_traces' in grouped.rows[0]!);
    for (const bad of [
      { op: 'EQ', key: 'password', value: 'x' },
      { op: 'LIKE', key: 'name', value: 'x' },
      { op: 'eq', key: 'status', value: 'OK' },
      { op: 'GT', key: 'status', value: 'OK' },
      { op: 'GT', key: 'duration_ms', value: 'abc' },
      { op: 'GT', key: 'start_time', value: 'yesterday' },
      { op: 'EQ', key: 'status' },
      { op: 'AND' },
      { op: 'CONTAINS', key: 'duration_ms', value: '1' },
      'status = ERROR',
    ]) {
      await assert.rejects(traces.search(db, { filter: bad }), (e: FilterError) => e.name === 'FilterError');
    }
    assert.deepEqual(TRACE_FILTER_FIELDS.find((f) => f.key === 'status')?.operators, ['EQ', 'NEQ', 'IN']);
    assert.equal(await traces.delete(db, 'trc-1'), true);
    assert.deepEqual(await traces.getSpans(db, ['trc-1']), []);
  });

  test('traces: paging order and FilterExpr semantics (NULLs, case, empty lists, epoch seconds, messages)', async () => {
    const db = t.db;
    await traces.insert(db, {
      trace_id: 'sem-a',
      name: 'Support.nightly',
      status: 'OK',
      start_time: at('2026-12-01T09:00:00Z'),
      duration_ms: 10,
      session_id: 'sem-s',
      user_id: 'sem-u',
    });
    // Same start time as sem-a, no session, no owner.
    await traces.insert(db, {
      trace_id: 'sem-b',
      name: 'support.nightly',
      status: 'ERROR',
      start_time: at('2026-12-01T09:00:00Z'),
    });
    const only = { op: 'STARTSWITH', key: 'trace_id', value: 'sem-' };
    const ids = async (filter: unknown) =>
      (await traces.search(db, { filter: { op: 'AND', conditions: [only, filter] } })).rows.map(
        (r) => r.trace_id,
      );

    assert.deepEqual(await ids({ op: 'AND', conditions: [] }), ['sem-b', 'sem-a'], 'ties: trace_id desc');
    assert.deepEqual(
      (await traces.list(db, { startTime: at('2026-12-01T00:00:00Z') })).rows.map((r) => r.trace_id),
      ['sem-b', 'sem-a'],
    );
    assert.deepEqual(await ids({ op: 'OR', conditions: [] }), []);
    assert.deepEqual(
      await ids({ op: 'STARTSWITH', key: 'name', value: 'Supp' }),
      ['sem-a'],
      'case-sensitive',
    );
    assert.deepEqual(await ids({ op: 'CONTAINS', key: 'name', value: 'SUPPORT' }), ['sem-b', 'sem-a']);
    assert.deepEqual(
      await ids({ op: 'NOT', condition: { op: 'EQ', key: 'user_id', value: 'sem-u' } }),
      ['sem-b'],
      'NOT keeps the rows where the condition is NULL',
    );
    assert.deepEqual(await ids({ op: 'IN', key: 'status', values: ['ERROR'] }), ['sem-b']);
    assert.deepEqual(await ids({ op: 'EQ', key: 'duration_ms', value: 10 }), ['sem-a']);
    const epoch = Date.parse('2026-12-01T09:00:00Z') / 1000;
    assert.deepEqual(await ids({ op: 'GTE', key: 'start_time', value: epoch }), ['sem-b', 'sem-a']);
    assert.deepEqual(await ids({ op: 'LT', key: 'start_time', value: epoch }), []);

    // Grouped by session: a trace without session stays out even when an OR matches it.
    const grouped = await traces.search(db, {
      groupBy: 'session',
      filter: {
        op: 'OR',
        conditions: [
          { op: 'EQ', key: 'session_id', value: 'sem-s' },
          { op: 'EQ', key: 'trace_id', value: 'sem-b' },
        ],
      },
    });
    assert.equal(grouped.total, 1);
    assert.deepEqual(
      grouped.rows.map((r) => [r.session_id, r.total_traces]),
      [['sem-s', 1]],
    );

    const message = async (filter: unknown) =>
      traces.search(db, { filter }).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    assert.equal(await message({ op: 'LIKE', key: 'name', value: 'x' }), 'Unknown filter operator: LIKE');
    assert.equal(
      await message({ op: 'GT', key: 'status', value: 'OK' }),
      'Operator GT is not supported for status. Supported: EQ, NEQ, IN',
    );
    assert.match(
      await message({ op: 'EQ', key: 'password', value: 'x' }),
      /^Unknown filter key: password\. Valid keys: status, /,
    );
    assert.equal(
      await message({ op: 'GT', key: 'duration_ms', value: 'long' }),
      'duration_ms expects a number. Got: "long"',
    );
    let deep: unknown = { op: 'EQ', key: 'status', value: 'OK' };
    for (let i = 0; i < 11; i++) deep = { op: 'NOT', condition: deep };
    assert.equal(await message(deep), 'Filter expression exceeds maximum nesting depth of 10');
    assert.equal(await traces.delete(db, 'sem-a'), true);
    assert.equal(await traces.delete(db, 'sem-b'), true);
  });
});
