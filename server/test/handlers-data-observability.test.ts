/**
 * Metrics, evals and traces handlers through HTTP (generated router, response validation on,
 * in-memory PGlite, a fake run engine): every operation's documented shape, trace isolation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json } from '../src/db/index.js';
import { ADMIN, ALICE, BOB, type DataServer, startDataServer } from './handlers-data-harness.js';

let s: DataServer;

before(async () => {
  s = await startDataServer();
  const db = s.database.db;
  await db
    .insertInto('sessions')
    .values([
      {
        session_id: 's1',
        session_type: 'agent',
        agent_id: 'research-agent',
        user_id: 'alice',
        created_at: new Date('2026-11-01T10:00:00Z'),
      },
      {
        session_id: 's2',
        session_type: 'team',
        team_id: 'research-team',
        user_id: 'bob',
        created_at: new Date('2026-11-01T11:00:00Z'),
      },
      {
        session_id: 's3',
        session_type: 'workflow',
        workflow_id: 'content-pipeline',
        user_id: null,
        created_at: new Date('2026-11-02T09:00:00Z'),
      },
    ])
    .execute();
  const run = (
    id: string,
    session: string,
    type: 'agent' | 'team' | 'workflow',
    entity: string,
    user: string | null,
    at: string,
    extra: { parent?: string; tokens?: number; model?: string; tools?: unknown[] } = {},
  ) => ({
    run_id: id,
    session_id: session,
    parent_run_id: extra.parent ?? null,
    entity_type: type,
    entity_id: entity,
    user_id: user,
    status: 'COMPLETED',
    input: json('hi'),
    content: json('hello'),
    output: json({
      model: extra.model,
      model_provider: extra.model ? 'OpenAI' : undefined,
      tools: extra.tools,
    }),
    metrics: json({
      input_tokens: extra.tokens ?? 0,
      output_tokens: 1,
      total_tokens: (extra.tokens ?? 0) + 1,
      cached_tokens: 'n/a',
    }),
    created_at: new Date(at),
    updated_at: new Date(at),
  });
  await db
    .insertInto('runs')
    .values([
      run('r1', 's1', 'agent', 'research-agent', 'alice', '2026-11-01T10:00:00Z', {
        tokens: 100,
        model: 'gpt-4o',
      }),
      run('r2', 's1', 'agent', 'research-agent', 'alice', '2026-11-01T10:05:00Z', {
        tokens: 50,
        model: 'gpt-4o',
      }),
      run('r3', 's2', 'team', 'research-team', 'bob', '2026-11-01T11:00:00Z', {
        tokens: 10,
        model: 'gpt-4o-mini',
      }),
      run('r3m', 's2', 'agent', 'research-agent', 'bob', '2026-11-01T11:00:01Z', { parent: 'r3', tokens: 7 }),
      run('r4', 's3', 'workflow', 'content-pipeline', null, '2026-11-02T09:00:00Z'),
      run('r-tools', 's1', 'agent', 'math-agent', 'alice', '2026-11-03T09:00:00Z', {
        tools: [{ tool_name: 'multiply', tool_args: { a: 10, b: 5 } }, { tool_name: 'log' }],
      }),
    ])
    .execute();

  const t = (
    id: string,
    user: string | null,
    session: string | null,
    extra: Record<string, unknown> = {},
  ) => ({
    trace_id: id,
    name: 'Research_Agent.run',
    status: 'OK',
    start_time: new Date('2026-11-01T12:00:00Z'),
    end_time: new Date('2026-11-01T12:00:01.200Z'),
    duration_ms: 1200,
    input: 'What is the stock price of NVDA?',
    output: 'NVDA trades at 142.10 USD.',
    run_id: `run-${id}`,
    session_id: session,
    user_id: user,
    agent_id: 'research-agent',
    created_at: new Date('2026-11-01T12:00:00Z'),
    ...extra,
  });
  await db
    .insertInto('traces')
    .values([
      t('t1', 'alice', 's1'),
      t('t2', 'bob', 's2', {
        status: 'ERROR',
        error: 'Rate limit exceeded',
        duration_ms: 300,
        agent_id: null,
        team_id: 'research-team',
        start_time: new Date('2026-11-01T13:00:00Z'),
        end_time: new Date('2026-11-01T13:00:00.300Z'),
        created_at: new Date('2026-11-01T13:00:00Z'),
      }),
      t('t3', null, 's3', {
        name: 'Content_Pipeline.run',
        agent_id: null,
        workflow_id: 'content-pipeline',
        start_time: new Date('2026-11-02T09:00:00Z'),
        end_time: new Date('2026-11-02T09:00:05Z'),
        duration_ms: 5000,
        created_at: new Date('2026-11-02T09:00:00Z'),
      }),
      t('t4', 'alice', 's1', {
        start_time: new Date('2026-11-01T14:00:00Z'),
        end_time: new Date('2026-11-01T14:00:00.150Z'),
        duration_ms: 150,
        created_at: new Date('2026-11-01T14:00:00Z'),
      }),
    ])
    .execute();
  const span = (
    id: string,
    trace: string,
    parent: string | null,
    kind: string,
    extra: Record<string, unknown> = {},
  ) => ({
    span_id: id,
    trace_id: trace,
    parent_span_id: parent,
    name: `${kind}.span`,
    span_kind: kind,
    status: 'OK',
    start_time: new Date('2026-11-01T12:00:00.100Z'),
    end_time: new Date('2026-11-01T12:00:00.900Z'),
    duration_ms: 800,
    ...extra,
  });
  await db
    .insertInto('spans')
    .values([
      span('sp-root', 't1', null, 'AGENT', {
        input: 'What is the stock price of NVDA?',
        output: 'NVDA trades at 142.10 USD.',
        start_time: new Date('2026-11-01T12:00:00Z'),
      }),
      span('sp-llm', 't1', 'sp-root', 'LLM', {
        input: 'prompt',
        output: 'completion',
        metadata: json({ model: 'gpt-4o', input_tokens: 120, output_tokens: 40 }),
      }),
      span('sp-tool', 't1', 'sp-root', 'TOOL', {
        status: 'ERROR',
        error: 'timeout',
        output: 'partial',
        start_time: new Date('2026-11-01T12:00:00.950Z'),
        metadata: json({ tool_name: 'get_price' }),
      }),
      span('sp-root2', 't2', null, 'TEAM', { status: 'ERROR', error: 'Rate limit exceeded' }),
      span('sp-wf', 't3', null, 'WORKFLOW', {
        metadata: json({ step_types: ['Step', 'Condition'], steps_count: 2 }),
      }),
      span('sp-step1', 't3', 'sp-wf', 'AGENT', { start_time: new Date('2026-11-02T09:00:01Z') }),
      span('sp-step2', 't3', 'sp-wf', 'CHAIN', { start_time: new Date('2026-11-02T09:00:02Z') }),
    ])
    .execute();
});
after(async () => {
  assert.deepEqual(s.errors, [], 'no request answered 500');
  await s.close();
});

describe('metrics', () => {
  test('getMetrics and status before any refresh', async () => {
    const m = await s.request('GET', '/metrics', { as: ALICE });
    assert.equal(m.status, 200);
    assert.deepEqual(m.body, { metrics: [], updated_at: null });
    const st = await s.request('GET', '/metrics/refresh/status', { as: ALICE });
    assert.deepEqual(st.body, { status: 'idle', started_at: null, finished_at: null, error: null });
  });

  test('refreshMetrics (synchronous) aggregates the runs per day', async () => {
    const r = await s.request('POST', '/metrics/refresh', { as: ALICE });
    assert.equal(r.status, 200);
    const byDate = Object.fromEntries(r.body.map((d: { date: string }) => [d.date.slice(0, 10), d]));
    const d1 = byDate['2026-11-01'];
    assert.equal(d1.date, '2026-11-01T00:00:00Z');
    assert.equal(d1.agent_runs_count, 2);
    assert.equal(d1.team_runs_count, 1, 'the member run is part of the team run');
    assert.equal(d1.agent_sessions_count, 1);
    assert.equal(d1.team_sessions_count, 1);
    assert.equal(d1.users_count, 2);
    assert.equal(d1.token_metrics.input_tokens, 160);
    assert.equal(d1.token_metrics.total_tokens, 163);
    assert.equal(d1.token_metrics.cached_tokens, 0, 'non-numeric values are ignored');
    assert.deepEqual(d1.model_metrics, [
      { model_id: 'gpt-4o', model_provider: 'OpenAI', count: 2 },
      { model_id: 'gpt-4o-mini', model_provider: 'OpenAI', count: 1 },
    ]);
    const d2 = byDate['2026-11-02'];
    assert.equal(d2.workflow_runs_count, 1);
    assert.equal(d2.workflow_sessions_count, 1);
    assert.equal(d2.users_count, 0);

    const again = await s.request('POST', '/metrics/refresh', { as: ALICE });
    assert.equal(
      again.body.find((d: { date: string }) => d.date.startsWith('2026-11-01')).id,
      d1.id,
      'a day keeps its id',
    );

    const range = await s.request('GET', '/metrics?starting_date=2026-11-02&ending_date=2026-11-30', {
      as: ALICE,
    });
    assert.equal(range.status, 200);
    assert.deepEqual(
      range.body.metrics.map((d: { date: string }) => d.date),
      ['2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'],
    );
    assert.equal(typeof range.body.updated_at, 'string');
    const bad = await s.request('GET', '/metrics?starting_date=yesterday', { as: ALICE });
    assert.equal(bad.status, 422);

    const st = await s.request('GET', '/metrics/refresh/status', { as: ALICE });
    assert.equal(st.body.status, 'completed');
    assert.equal(typeof st.body.started_at, 'string');
    assert.equal(typeof st.body.finished_at, 'string');
  });

  test('refreshMetrics?background=true answers 202 and the status is persisted', async () => {
    const [a, b] = await Promise.all([
      s.request('POST', '/metrics/refresh?background=true', { as: ALICE }),
      s.request('POST', '/metrics/refresh?background=true', { as: ALICE }),
    ]);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    const statuses = [a.body.status, b.body.status].sort();
    assert.ok(statuses.includes('started'));
    assert.ok(statuses.every((x) => x === 'started' || x === 'already_running'));
    let status = '';
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      status = (await s.request('GET', '/metrics/refresh/status', { as: ALICE })).body.status;
      if (status !== 'completed') await sleep(20);
    }
    assert.equal(status, 'completed');

    // Another instance is refreshing (persisted state): a background refresh is refused there too,
    // and a synchronous one runs without overwriting that state.
    await s.database.db
      .updateTable('metrics_refresh')
      .set({ status: 'running', started_at: new Date(), finished_at: null, instance_id: 'other-instance' })
      .where('id', '=', 1)
      .execute();
    const refused = await s.request('POST', '/metrics/refresh?background=true', { as: ALICE });
    assert.equal(refused.status, 202);
    assert.equal(refused.body.status, 'already_running');
    const sync = await s.request('POST', '/metrics/refresh', { as: ALICE });
    assert.equal(sync.status, 200);
    const st = await s.request('GET', '/metrics/refresh/status', { as: ALICE });
    assert.equal(st.body.status, 'running');
    assert.equal(st.body.finished_at, null);
  });
});

describe('evals', () => {
  const created: Record<string, string> = {};

  test('createEvalRun accuracy: runs the agent through the run engine and compares deterministically', async () => {
    s.runtime.reply = (input) => ({ content: input.message === 'What is 10 times 5?' ? ' 50 ' : 'no idea' });
    const r = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        agent_id: 'math-agent',
        eval_type: 'accuracy',
        input: 'What is 10 times 5?',
        expected_output: '50',
        num_iterations: 2,
        name: 'Multiplication',
      },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.eval_type, 'accuracy');
    assert.equal(r.body.agent_id, 'math-agent');
    assert.equal(r.body.model_id, 'gpt-4o-mini');
    assert.equal(r.body.model_provider, 'OpenAI');
    assert.equal(r.body.evaluated_component_name, 'Math Agent');
    assert.equal(r.body.eval_data.avg_score, 10);
    assert.equal(r.body.eval_data.results.length, 2);
    assert.equal(r.body.eval_input.expected_output, '50');
    assert.deepEqual(
      s.runtime.calls.slice(-2).map((c) => [c.kind, c.id, c.message, c.userId]),
      [
        ['agent', 'math-agent', 'What is 10 times 5?', 'alice'],
        ['agent', 'math-agent', 'What is 10 times 5?', 'alice'],
      ],
    );
    created.accuracy = r.body.id;

    const wrong = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        team_id: 'research-team',
        eval_type: 'accuracy',
        input: 'Capital of France?',
        expected_output: 'Paris',
      },
    });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.body.team_id, 'research-team');
    assert.equal(wrong.body.eval_data.results[0].score, 1);
    created.team = wrong.body.id;
  });

  test('createEvalRun performance and reliability', async () => {
    const before = s.runtime.calls.length;
    const perf = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        agent_id: 'research-agent',
        eval_type: 'performance',
        input: 'hi',
        num_iterations: 3,
        warmup_runs: 1,
      },
    });
    assert.equal(perf.status, 200);
    assert.equal(s.runtime.calls.length - before, 4, 'one warm-up run and three measured runs');
    assert.equal(perf.body.eval_data.run_times.length, 3);
    assert.ok(perf.body.eval_data.avg_run_time >= 0);
    created.performance = perf.body.id;

    s.runtime.reply = () => ({ content: '50', runId: 'r-tools' });
    const ok = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        agent_id: 'math-agent',
        eval_type: 'reliability',
        input: 'What is 10 times 5?',
        expected_tool_calls: ['multiply'],
        allow_additional_tool_calls: true,
        expected_tool_call_arguments: { multiply: { a: 10 } },
      },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.eval_data.eval_status, 'PASSED');
    assert.deepEqual(ok.body.eval_data.passed_tool_calls, ['multiply']);
    assert.deepEqual(ok.body.eval_data.additional_tool_calls, ['log']);
    const failed = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: { agent_id: 'math-agent', eval_type: 'reliability', input: 'x', expected_tool_calls: ['divide'] },
    });
    assert.equal(failed.body.eval_data.eval_status, 'FAILED');
    assert.deepEqual(failed.body.eval_data.missing_tool_calls, ['divide']);
  });

  test('createEvalRun: invalid requests', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ eval_type: 'accuracy', input: 'x', expected_output: 'y' }, 400, /One of agent_id or team_id/],
      [
        {
          agent_id: 'math-agent',
          team_id: 'research-team',
          eval_type: 'accuracy',
          input: 'x',
          expected_output: 'y',
        },
        400,
        /Only one/,
      ],
      [
        { agent_id: 'ghost', eval_type: 'accuracy', input: 'x', expected_output: 'y' },
        404,
        /Agent with id 'ghost' not found/,
      ],
      [
        { team_id: 'ghost', eval_type: 'accuracy', input: 'x', expected_output: 'y' },
        404,
        /Team with id 'ghost' not found/,
      ],
      [{ agent_id: 'math-agent', eval_type: 'accuracy', input: 'x' }, 400, /expected_output is required/],
      [
        { agent_id: 'math-agent', eval_type: 'reliability', input: 'x' },
        400,
        /expected_tool_calls is required/,
      ],
      [
        { agent_id: 'math-agent', eval_type: 'agent_as_judge', input: 'x', criteria: 'polite' },
        400,
        /judge model/,
      ],
    ];
    for (const [body, status, detail] of cases) {
      const r = await s.request('POST', '/eval-runs', { as: ALICE, body });
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(r.body.detail, detail);
    }
    const reply = s.runtime.reply;
    s.runtime.reply = () => {
      throw new Error('model unavailable');
    };
    const broken = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: { agent_id: 'math-agent', eval_type: 'performance', input: 'x' },
    });
    s.runtime.reply = reply;
    assert.equal(broken.status, 500);
    assert.equal(broken.body.detail, 'Failed to run performance evaluation: the agent run failed');
    s.errors.splice(s.errors.indexOf(broken.body), 1);
    assert.equal(
      (
        await s.request('POST', '/eval-runs', {
          as: ALICE,
          body: { agent_id: 'math-agent', eval_type: 'magic', input: 'x' },
        })
      ).status,
      422,
    );
  });

  test('listEvalRuns, getEvalRun, updateEvalRun, deleteEvalRuns', async () => {
    const all = await s.request('GET', '/eval-runs', { as: ALICE });
    assert.equal(all.status, 200);
    assert.equal(all.body.meta.total_count, 5);
    const team = await s.request('GET', '/eval-runs?type=team', { as: ALICE });
    assert.deepEqual(
      team.body.data.map((e: { id: string }) => e.id),
      [created.team],
    );
    const typed = await s.request(
      'GET',
      `/eval-runs?eval_types=${encodeURIComponent('accuracy,performance')}&agent_id=math-agent`,
      { as: ALICE },
    );
    assert.deepEqual(
      typed.body.data.map((e: { id: string }) => e.id),
      [created.accuracy],
    );
    const byModel = await s.request(
      'GET',
      '/eval-runs?model_id=gpt-4o&limit=1&page=2&sort_by=name&sort_order=asc',
      { as: ALICE },
    );
    assert.equal(byModel.body.meta.total_count, 2);
    assert.equal(byModel.body.data.length, 1);
    const unknown = await s.request('GET', `/eval-runs?eval_types=${encodeURIComponent('accuracy,vibes')}`, {
      as: ALICE,
    });
    assert.equal(unknown.status, 422);

    const one = await s.request('GET', `/eval-runs/${created.accuracy}`, { as: ALICE });
    assert.equal(one.status, 200);
    assert.equal(one.body.name, 'Multiplication');
    const missing = await s.request('GET', '/eval-runs/nope', { as: ALICE });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.detail, "Eval run with id 'nope' not found");

    const renamed = await s.request('PATCH', `/eval-runs/${created.accuracy}`, {
      as: ALICE,
      body: { name: 'Times table' },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'Times table');
    assert.equal(
      (await s.request('PATCH', '/eval-runs/nope', { as: ALICE, body: { name: 'x' } })).status,
      404,
    );

    const del = await s.request('DELETE', '/eval-runs', {
      as: ALICE,
      body: { eval_run_ids: [created.accuracy, created.team, 'nope'] },
    });
    assert.equal(del.status, 204);
    assert.equal((await s.request('GET', `/eval-runs/${created.accuracy}`, { as: ALICE })).status, 404);
    assert.equal((await s.request('GET', '/eval-runs', { as: ALICE })).body.meta.total_count, 3);
  });
});

describe('traces', () => {
  const traceIds = (page: { data: { trace_id: string }[] }) => page.data.map((t) => t.trace_id);

  test('listTraces: newest first, filters, summaries', async () => {
    const all = await s.request('GET', '/traces', { as: ALICE });
    assert.equal(all.status, 200);
    assert.deepEqual(traceIds(all.body), ['t3', 't4', 't2', 't1']);
    const t1 = all.body.data.find((t: { trace_id: string }) => t.trace_id === 't1');
    assert.equal(t1.duration, '1.20s');
    assert.equal(t1.total_spans, 3);
    assert.equal(t1.error_count, 1);
    assert.equal(t1.team_id, undefined, 'fields without a value are omitted');
    assert.equal(all.body.data.find((t: { trace_id: string }) => t.trace_id === 't4').duration, '150ms');
    assert.deepEqual(traceIds((await s.request('GET', '/traces?status=ERROR', { as: ALICE })).body), ['t2']);
    assert.deepEqual(traceIds((await s.request('GET', '/traces?session_id=s1', { as: ALICE })).body), [
      't4',
      't1',
    ]);
    assert.deepEqual(traceIds((await s.request('GET', '/traces?user_id=bob', { as: ALICE })).body), ['t2']);
    assert.deepEqual(
      traceIds((await s.request('GET', '/traces?workflow_id=content-pipeline', { as: ALICE })).body),
      ['t3'],
    );
    const window = await s.request(
      'GET',
      `/traces?start_time=${encodeURIComponent('2026-11-01T12:30:00Z')}&end_time=${encodeURIComponent('2026-11-01T14:00:01+00:00')}`,
      { as: ALICE },
    );
    assert.deepEqual(traceIds(window.body), ['t4', 't2']);
    const page = await s.request('GET', '/traces?limit=3&page=2', { as: ALICE });
    assert.deepEqual(traceIds(page.body), ['t1']);
    assert.equal(page.body.meta.total_pages, 2);
    const bad = await s.request('GET', '/traces?start_time=yesterday', { as: ALICE });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /Invalid start_time format/);
  });

  test('getTrace: span tree, one span, errors', async () => {
    const r = await s.request('GET', '/traces/t1', { as: ALICE });
    assert.equal(r.status, 200);
    assert.equal(r.body.input, 'What is the stock price of NVDA?');
    assert.equal(r.body.output, 'NVDA trades at 142.10 USD.');
    assert.equal(r.body.total_spans, 3);
    assert.equal(r.body.tree.length, 1);
    const root = r.body.tree[0];
    assert.equal(root.id, 'sp-root');
    assert.equal(root.type, 'AGENT');
    assert.equal(root.input, undefined, 'the root carries no input/output');
    assert.deepEqual(root.metadata, { total_input_tokens: 120, total_output_tokens: 40 });
    assert.equal(root.duration, '1.20s');
    assert.deepEqual(
      root.spans.map((n: { id: string }) => n.id),
      ['sp-llm', 'sp-tool'],
    );
    const tool = root.spans[1];
    assert.equal(tool.error, 'timeout');
    assert.equal(tool.output, undefined, 'a failed span has no output');

    const one = await s.request('GET', '/traces/t1?span_id=sp-llm', { as: ALICE });
    assert.equal(one.status, 200);
    assert.equal(one.body.id, 'sp-llm');
    assert.equal(one.body.duration, '800ms');
    assert.deepEqual(one.body.metadata, { model: 'gpt-4o', input_tokens: 120, output_tokens: 40 });
    assert.equal(one.body.spans, undefined);
    const otherTrace = await s.request('GET', '/traces/t1?span_id=sp-root2', { as: ALICE });
    assert.equal(otherTrace.status, 404);
    // contract.md §8.2: a span of another trace answers exactly like a missing one.
    assert.equal(otherTrace.body.detail, 'Span not found');
    assert.equal(
      (await s.request('GET', '/traces/t1?span_id=nope', { as: ALICE })).body.detail,
      'Span not found',
    );
    assert.equal((await s.request('GET', '/traces/nope', { as: ALICE })).body.detail, 'Trace not found');

    const failed = await s.request('GET', '/traces/t2', { as: BOB });
    assert.equal(failed.body.error, 'Rate limit exceeded');
    assert.equal(failed.body.output, undefined);
    const wf = await s.request('GET', '/traces/t3', { as: ADMIN });
    assert.deepEqual(
      wf.body.tree[0].spans.map((n: { step_type: string }) => n.step_type),
      ['Step', 'Condition'],
    );
    assert.equal(wf.body.tree[0].metadata.steps_count, 2);
  });

  test('getTraceSessionStats', async () => {
    const r = await s.request('GET', '/trace_session_stats', { as: ALICE });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.data.map((x: { session_id: string; total_traces: number }) => [x.session_id, x.total_traces]),
      [
        ['s3', 1],
        ['s1', 2],
        ['s2', 1],
      ],
    );
    const s1 = r.body.data[1];
    assert.equal(s1.first_trace_at, '2026-11-01T12:00:00.000Z');
    assert.equal(s1.last_trace_at, '2026-11-01T14:00:00.000Z');
    assert.equal(s1.user_id, 'alice');
    const filtered = await s.request('GET', '/trace_session_stats?team_id=research-team', { as: ALICE });
    assert.deepEqual(
      filtered.body.data.map((x: { session_id: string }) => x.session_id),
      ['s2'],
    );
    const window = await s.request(
      'GET',
      `/trace_session_stats?start_time=${encodeURIComponent('2026-11-01T13:30:00Z')}`,
      { as: ALICE },
    );
    assert.deepEqual(
      window.body.data.map((x: { session_id: string }) => x.session_id),
      ['s3', 's1'],
    );
    assert.equal((await s.request('GET', '/trace_session_stats?end_time=bad', { as: ALICE })).status, 400);
  });

  test('searchTraces: the FilterExpr operators, both groupings, invalid filters', async () => {
    const search = async (filter: unknown, extra: Record<string, unknown> = {}) =>
      s.request('POST', '/traces/search', { as: ALICE, body: { filter, ...extra } });
    const cases: [unknown, string[]][] = [
      [{ op: 'EQ', key: 'status', value: 'ERROR' }, ['t2']],
      [{ op: 'NEQ', key: 'status', value: 'ERROR' }, ['t3', 't4', 't1']],
      [
        {
          op: 'AND',
          conditions: [
            { op: 'EQ', key: 'status', value: 'OK' },
            { op: 'CONTAINS', key: 'agent_id', value: 'RESEARCH' },
          ],
        },
        ['t4', 't1'],
      ],
      [
        {
          op: 'OR',
          conditions: [
            { op: 'EQ', key: 'user_id', value: 'bob' },
            { op: 'STARTSWITH', key: 'name', value: 'Content' },
          ],
        },
        ['t3', 't2'],
      ],
      [{ op: 'IN', key: 'trace_id', values: ['t1', 't2'] }, ['t2', 't1']],
      [{ op: 'IN', key: 'session_id', value: ['s3'] }, ['t3']],
      [{ op: 'NOT', condition: { op: 'EQ', key: 'user_id', value: 'alice' } }, ['t3', 't2']],
      [{ op: 'GT', key: 'duration_ms', value: 1000 }, ['t3', 't1']],
      [{ op: 'LTE', key: 'duration_ms', value: 300 }, ['t4', 't2']],
      [{ op: 'GTE', key: 'start_time', value: '2026-11-01T13:00:00Z' }, ['t3', 't4', 't2']],
      [{ op: 'LT', key: 'created_at', value: '2026-11-01T13:00:00Z' }, ['t1']],
      [{ op: 'AND', conditions: [] }, ['t3', 't4', 't2', 't1']],
    ];
    for (const [filter, want] of cases) {
      const r = await search(filter);
      assert.equal(r.status, 200, JSON.stringify(filter));
      assert.deepEqual(traceIds(r.body), want, JSON.stringify(filter));
    }
    const detail = await search({ op: 'EQ', key: 'trace_id', value: 't1' });
    assert.equal(detail.body.data[0].tree[0].id, 'sp-root');
    const none = await s.request('POST', '/traces/search', { as: ALICE, body: { limit: 2, page: 2 } });
    assert.deepEqual(traceIds(none.body), ['t2', 't1']);
    assert.equal(none.body.meta.total_count, 4);

    const sessions = await search(
      { op: 'EQ', key: 'agent_id', value: 'research-agent' },
      { group_by: 'session' },
    );
    assert.equal(sessions.status, 200);
    assert.deepEqual(
      sessions.body.data.map((x: { session_id: string; total_traces: number }) => [
        x.session_id,
        x.total_traces,
      ]),
      [['s1', 2]],
    );

    for (const [filter, detailRe] of [
      [{ op: 'LIKE', key: 'name', value: 'x' }, /Unknown filter operator: LIKE/],
      [{ op: 'EQ', key: 'password', value: 'x' }, /Unknown filter key: password/],
      [{ op: 'GT', key: 'status', value: 'OK' }, /not supported for status/],
      [{ op: 'EQ', key: 'status' }, /requires 'key' and 'value'/],
      [{ op: 'AND' }, /requires 'conditions'/],
      [{ op: 'GT', key: 'duration_ms', value: 'long' }, /expects a number/],
      [{ op: 'GT', key: 'start_time', value: 'yesterday' }, /expects an ISO 8601 time/],
      [{ key: 'status', value: 'OK' }, /must contain 'op'/],
    ] as const) {
      const r = await search(filter);
      assert.equal(r.status, 400, JSON.stringify(filter));
      assert.match(r.body.detail, /^Invalid filter expression: /);
      assert.match(r.body.detail, detailRe);
    }
    const tooBig = await s.request('POST', '/traces/search', { as: ALICE, body: { limit: 101 } });
    assert.equal(tooBig.status, 422);
  });

  test('getTraceFilterSchema', async () => {
    const r = await s.request('GET', '/traces/filter-schema', { as: ALICE });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.logical_operators, ['AND', 'OR']);
    assert.ok(r.body.fields.some((f: { key: string }) => f.key === 'duration_ms'));
  });

  test('user isolation: only the caller traces; other and ownerless traces answer 404', async () => {
    s.setIsolation(true);
    try {
      const list = await s.request('GET', '/traces?user_id=bob', { as: ALICE });
      assert.deepEqual(traceIds(list.body), ['t4', 't1']);
      const other = await s.request('GET', '/traces/t2', { as: ALICE });
      assert.equal(other.status, 404);
      assert.equal(other.body.detail, 'Trace not found');
      assert.equal(
        (await s.request('GET', '/traces/t3', { as: ALICE })).status,
        404,
        'a trace without owner is not the caller',
      );
      assert.equal((await s.request('GET', '/traces/t2?span_id=sp-root2', { as: ALICE })).status, 404);
      assert.equal((await s.request('GET', '/traces/t1', { as: ALICE })).status, 200);
      const search = await s.request('POST', '/traces/search', {
        as: ALICE,
        body: {
          filter: {
            op: 'OR',
            conditions: [
              { op: 'EQ', key: 'user_id', value: 'bob' },
              { op: 'EQ', key: 'trace_id', value: 't1' },
            ],
          },
        },
      });
      assert.deepEqual(traceIds(search.body), ['t1'], 'the user clause is ANDed into the filter');
      const sessions = await s.request('POST', '/traces/search', {
        as: ALICE,
        body: { group_by: 'session' },
      });
      assert.deepEqual(
        sessions.body.data.map((x: { session_id: string }) => x.session_id),
        ['s1'],
      );
      const stats = await s.request('GET', '/trace_session_stats?user_id=bob', { as: ALICE });
      assert.deepEqual(
        stats.body.data.map((x: { session_id: string }) => x.session_id),
        ['s1'],
      );
      const bob = await s.request('GET', '/traces', { as: BOB });
      assert.deepEqual(traceIds(bob.body), ['t2']);
      const admin = await s.request('GET', '/traces', { as: ADMIN });
      assert.equal(admin.body.meta.total_count, 4);
      assert.equal((await s.request('GET', '/traces/t3', { as: ADMIN })).status, 200);
    } finally {
      s.setIsolation(false);
    }
  });
});
