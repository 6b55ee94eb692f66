import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { traces } from '../src/db/repos/index.js';
import { type FilterError, TRACE_FILTER_FIELDS } from '../src/db/repos/traces.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

const at = (iso: string) => new Date(iso);

for (const backend of testBackends()) {
  describe(`repositories: traces (${backend})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.close());

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
  });
}
