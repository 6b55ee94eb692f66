/**
 * The data handlers over what the real run engine persists (built-in deterministic model):
 * sessions, their runs and chat history, traces with span trees, metrics and evaluations, all
 * answers validated against the spec by the generated router.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunOnceResult } from '../src/runtime/types.js';
import { ALICE, BOB, type DataServer, startDataServer } from './handlers-data-harness.js';

let s: DataServer;
let agentRun: RunOnceResult;
let teamRun: RunOnceResult;
let workflowRun: RunOnceResult;

before(async () => {
  s = await startDataServer({ engine: 'real' });
  const engine = s.engine!;
  agentRun = await engine.runOnce({
    kind: 'agent',
    id: 'research-agent',
    message: 'use tool add 2 3',
    userId: 'alice',
  });
  await engine.runOnce({
    kind: 'agent',
    id: 'research-agent',
    message: 'hello again',
    userId: 'alice',
    sessionId: agentRun.sessionId,
  });
  teamRun = await engine.runOnce({
    kind: 'team',
    id: 'research-team',
    message: 'use tool add 1 1',
    userId: 'bob',
  });
  workflowRun = await engine.runOnce({
    kind: 'workflow',
    id: 'content-pipeline',
    message: 'draft',
    userId: 'alice',
  });
});
after(async () => {
  assert.deepEqual(s.errors, [], 'no request answered 500');
  await s.close();
});

describe('over real runs', () => {
  test('the runs completed', () => {
    for (const r of [agentRun, teamRun, workflowRun]) assert.equal(r.status, 'COMPLETED', JSON.stringify(r));
  });

  test('sessions: list, detail with chat history, runs', async () => {
    const list = await s.request('GET', '/sessions?sort_by=created_at&sort_order=asc', { as: ALICE });
    assert.equal(list.status, 200);
    assert.equal(list.body.meta.total_count, 3);
    const mine = list.body.data.find((x: { session_id: string }) => x.session_id === agentRun.sessionId);
    assert.equal(mine.session_type, 'agent');
    assert.equal(mine.user_id, 'alice');
    assert.equal(mine.session_name, 'use tool add 2 3');
    assert.ok(mine.total_tokens > 0);

    const detail = await s.request('GET', `/sessions/${agentRun.sessionId}`, { as: ALICE });
    assert.equal(detail.status, 200);
    const roles = detail.body.chat_history.map((m: { role: string }) => m.role);
    assert.equal(roles[0], 'user');
    assert.ok(roles.includes('tool'), 'tool results are part of the history');
    assert.ok(!roles.includes('system'));
    assert.equal(detail.body.chat_history.at(-2).content, 'hello again');

    const runs = await s.request('GET', `/sessions/${agentRun.sessionId}/runs`, { as: ALICE });
    assert.equal(runs.status, 200);
    assert.equal(runs.body.length, 2);
    assert.equal(runs.body[0].run_id, agentRun.runId);
    assert.equal(runs.body[0].run_input, 'use tool add 2 3');
    assert.equal(runs.body[0].status, 'COMPLETED');
    assert.ok(runs.body[0].tools.some((t: { tool_name: string }) => t.tool_name === 'add'));

    const team = await s.request('GET', `/sessions/${teamRun.sessionId}`, { as: BOB });
    assert.equal(team.status, 200);
    assert.equal(team.body.team_id, 'research-team');
    assert.ok(Array.isArray(team.body.chat_history));
    const teamRuns = await s.request('GET', `/sessions/${teamRun.sessionId}/runs`, { as: BOB });
    assert.ok(teamRuns.body.some((r: { team_id?: string }) => r.team_id === 'research-team'));
    const one = await s.request('GET', `/sessions/${teamRun.sessionId}/runs/${teamRun.runId}`, { as: BOB });
    assert.equal(one.status, 200);

    const wf = await s.request('GET', `/sessions/${workflowRun.sessionId}`, { as: ALICE });
    assert.equal(wf.status, 200);
    assert.equal(wf.body.workflow_id, 'content-pipeline');
    const wfRuns = await s.request('GET', `/sessions/${workflowRun.sessionId}/runs`, { as: ALICE });
    assert.equal(wfRuns.status, 200);
    assert.ok(wfRuns.body.some((r: { workflow_id?: string }) => r.workflow_id === 'content-pipeline'));
  });

  test('traces: list, span tree, search, session stats', async () => {
    const list = await s.request('GET', '/traces', { as: ALICE });
    assert.equal(list.status, 200);
    assert.ok(list.body.meta.total_count >= 3);
    const agentTrace = list.body.data.find((t: { run_id?: string }) => t.run_id === agentRun.runId);
    assert.ok(agentTrace, 'the agent run has a trace');
    assert.ok(agentTrace.total_spans >= 3);

    const detail = await s.request('GET', `/traces/${agentTrace.trace_id}`, { as: ALICE });
    assert.equal(detail.status, 200);
    const root = detail.body.tree[0];
    assert.ok(root.metadata.total_input_tokens > 0);
    const kinds = new Set<string>();
    const walk = (n: { type: string; spans?: unknown[] }) => {
      kinds.add(n.type);
      for (const c of n.spans ?? []) walk(c as { type: string; spans?: unknown[] });
    };
    walk(root);
    assert.ok(kinds.has('LLM') && kinds.has('TOOL'), [...kinds].join());

    const search = await s.request('POST', '/traces/search', {
      as: ALICE,
      body: { filter: { op: 'EQ', key: 'run_id', value: agentRun.runId } },
    });
    assert.deepEqual(
      search.body.data.map((t: { trace_id: string }) => t.trace_id),
      [agentTrace.trace_id],
    );
    const stats = await s.request('GET', '/trace_session_stats', { as: ALICE });
    assert.ok(stats.body.data.some((x: { session_id: string }) => x.session_id === agentRun.sessionId));
  });

  test('metrics over the stored runs', async () => {
    const r = await s.request('POST', '/metrics/refresh', { as: ALICE });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 1);
    const day = r.body[0];
    assert.equal(day.agent_runs_count, 2);
    assert.equal(day.team_runs_count, 1);
    assert.equal(day.workflow_runs_count, 1);
    assert.equal(day.agent_sessions_count, 1);
    assert.equal(day.users_count, 2);
    assert.ok(day.token_metrics.total_tokens > 0);
  });

  test('evaluations run the agent through the engine', async () => {
    const reliability = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        agent_id: 'math-agent',
        eval_type: 'reliability',
        input: 'use tool add 2 3',
        expected_tool_calls: ['add'],
      },
    });
    assert.equal(reliability.status, 200);
    assert.equal(reliability.body.eval_data.eval_status, 'PASSED');
    const accuracy = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: {
        agent_id: 'research-agent',
        eval_type: 'accuracy',
        input: 'ping',
        expected_output: 'received: ping',
      },
    });
    assert.equal(accuracy.status, 200);
    assert.equal(accuracy.body.eval_data.results[0].score, 8);
    const performance = await s.request('POST', '/eval-runs', {
      as: ALICE,
      body: { team_id: 'research-team', eval_type: 'performance', input: 'ping', num_iterations: 2 },
    });
    assert.equal(performance.status, 200);
    assert.equal(performance.body.eval_data.run_times.length, 2);
  });

  test('isolation over real runs', async () => {
    s.setIsolation(true);
    try {
      assert.equal((await s.request('GET', `/sessions/${agentRun.sessionId}`, { as: BOB })).status, 404);
      const traces = await s.request('GET', '/traces', { as: BOB });
      assert.ok(traces.body.data.every((t: { user_id?: string }) => t.user_id === 'bob'));
      const aliceTrace = (await s.request('GET', '/traces', { as: ALICE })).body.data[0].trace_id;
      assert.equal((await s.request('GET', `/traces/${aliceTrace}`, { as: BOB })).status, 404);
    } finally {
      s.setIsolation(false);
    }
  });
});
