/**
 * Team runs (members in order, their events interleaved, then the team's answer) and workflow
 * runs (steps in order, step confirmation, executor pauses), with pause and continue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, squash, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;
let approver: string;

before(async () => {
  h = await startHarness();
  alice = await h.token('alice', USER_SCOPES);
  approver = await h.token('boss', [...USER_SCOPES, 'approvals:write']);
});
after(() => h.close());

const db = () => h.database.db;
const REFUND = 'use tool issue_refund {"order_id": "ord_7"}';
const AGENT_RUN = ['RunStarted', 'RunContent', 'RunContentCompleted', 'RunCompleted'];

/** Resolves a run's pending approval, as an administrator does through `resolve`. */
async function approve(runId: string): Promise<void> {
  await h.database.db
    .updateTable('approvals')
    .set({ status: 'approved', resolved_by: 'boss', resolved_at: new Date() })
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .execute();
}

describe('teams', () => {
  test("SSE: TeamRunStarted, each member's events in order, TeamRunContent, TeamRunCompleted last", async () => {
    const s = await h.sse('POST', '/teams/research-team/runs', {
      token: alice,
      form: { message: 'hello team' },
    });
    assert.equal(s.status, 200);
    assert.deepEqual(squash(s.frames), [
      'TeamRunStarted',
      ...AGENT_RUN,
      ...AGENT_RUN,
      'TeamRunContent',
      'TeamRunContentCompleted',
      'TeamRunCompleted',
    ]);
    const teamRunId = s.frames[0]!.data.run_id;
    assert.equal(s.frames[0]!.data.team_id, 'research-team');
    const members = s.frames.filter((f) => f.event === 'RunStarted');
    assert.deepEqual(
      members.map((f) => f.data.agent_id),
      ['research-agent', 'support-agent'],
    );
    assert.ok(members.every((f) => f.data.parent_run_id === teamRunId));
    const end = s.frames.at(-1)!.data;
    assert.equal(
      end.content,
      'Research Team received: hello team\n- Research Agent: Research Agent received: hello team\n- Support Agent: Support Agent received: hello team',
    );
  });

  test('JSON: member_responses, member runs stored nested, list/get/checkpoints of the team run', async () => {
    const r = await h.call('POST', '/teams/research-team/runs', {
      token: alice,
      form: { message: 'brief', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    const out = r.body;
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.team_name, 'Research Team');
    assert.equal(out.member_responses.length, 2);
    assert.ok(
      out.member_responses.every(
        (m: { parent_run_id: string; status: string }) =>
          m.parent_run_id === out.run_id && m.status === 'COMPLETED',
      ),
    );
    const nested = await db()
      .selectFrom('runs')
      .selectAll()
      .where('parent_run_id', '=', out.run_id)
      .execute();
    assert.deepEqual(nested.map((n) => n.entity_id).sort(), ['research-agent', 'support-agent']);
    const list = await h.call('GET', `/teams/research-team/runs?session_id=${out.session_id}`, {
      token: alice,
    });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.map((x: { run_id: string }) => x.run_id),
      [out.run_id],
      'member runs are left out',
    );
    const got = await h.call('GET', `/teams/research-team/runs/${out.run_id}?session_id=${out.session_id}`, {
      token: alice,
    });
    assert.equal(got.status, 200, got.text);
    const cps = await h.call(
      'GET',
      `/teams/research-team/runs/${out.run_id}/checkpoints?session_id=${out.session_id}`,
      { token: alice },
    );
    assert.equal(cps.status, 200, cps.text);
    assert.equal(cps.body.checkpoints.at(-1).reason, 'end');
    const snap = await h.call(
      'GET',
      `/teams/research-team/runs/${out.run_id}/checkpoints/1?session_id=${out.session_id}`,
      { token: alice },
    );
    assert.equal(snap.status, 200, snap.text);
    const fork = await h.call('POST', `/teams/research-team/sessions/${out.session_id}/fork`, {
      token: alice,
    });
    assert.equal(fork.status, 200, fork.text);
    const trace = await db()
      .selectFrom('traces')
      .selectAll()
      .where('run_id', '=', out.run_id)
      .executeTakeFirstOrThrow();
    const spans = await db().selectFrom('spans').selectAll().where('trace_id', '=', trace.trace_id).execute();
    assert.deepEqual(
      spans.filter((x) => x.span_kind === 'AGENT').length,
      2,
      'one span per member under the team span',
    );
  });

  test('a member that pauses pauses the team; continue with requirements completes it', async () => {
    const r = await h.call('POST', '/teams/research-team/runs', {
      token: alice,
      form: { message: REFUND, stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    const out = r.body;
    assert.equal(out.status, 'PAUSED');
    assert.equal(out.member_responses.length, 2);
    assert.equal(out.member_responses[1].status, 'PAUSED');
    const req = out.requirements[0];
    assert.equal(req.member_agent_id, 'support-agent');
    assert.equal(req.member_run_id, out.member_responses[1].run_id);
    assert.equal(req.tool_execution.tool_name, 'issue_refund');
    const approval = await db()
      .selectFrom('approvals')
      .selectAll()
      .where('run_id', '=', out.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(approval.source_type, 'team');
    assert.equal(approval.team_id, 'research-team');
    assert.equal(approval.agent_id, 'support-agent');

    const form = {
      session_id: out.session_id,
      requirements: JSON.stringify([{ id: req.id, confirmation: true }]),
    };
    const blocked = await h.call('POST', `/teams/research-team/runs/${out.run_id}/continue`, {
      token: alice,
      form: { ...form, stream: 'false' },
    });
    assert.equal(blocked.status, 403);
    // No bypass for the approver either (contract §8.4): resolved first, then continued.
    const byApprover = await h.call('POST', `/teams/research-team/runs/${out.run_id}/continue`, {
      token: approver,
      form: { ...form, stream: 'false' },
    });
    assert.equal(byApprover.status, 403);
    await approve(out.run_id);
    const s = await h.sse('POST', `/teams/research-team/runs/${out.run_id}/continue`, {
      token: approver,
      form,
    });
    assert.equal(s.status, 200);
    assert.deepEqual(squash(s.frames), [
      'TeamRunContinued',
      'RunContinued',
      'ToolCallStarted',
      'ToolCallCompleted',
      'RunContent',
      'RunContentCompleted',
      'RunCompleted',
      'TeamRunContent',
      'TeamRunContentCompleted',
      'TeamRunCompleted',
    ]);
    const got = await h.call('GET', `/teams/research-team/runs/${out.run_id}?session_id=${out.session_id}`, {
      token: alice,
    });
    assert.equal(got.body.status, 'COMPLETED');
    assert.match(got.body.member_responses[1].content, /issue_refund: refund issued/);
    const member = await db()
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', req.member_run_id)
      .executeTakeFirstOrThrow();
    assert.equal(member.status, 'COMPLETED');
  });
});

describe('workflows', () => {
  test('SSE: WorkflowStarted, steps with their agent events, WorkflowCompleted last; each step gets the previous output', async () => {
    const s = await h.sse('POST', '/workflows/content-pipeline/runs', {
      token: alice,
      form: { message: 'batteries' },
    });
    assert.equal(s.status, 200);
    assert.deepEqual(squash(s.frames), [
      'WorkflowStarted',
      'StepStarted',
      ...AGENT_RUN,
      'StepCompleted',
      'StepStarted',
      ...AGENT_RUN,
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    const steps = s.frames.filter((f) => f.event === 'StepStarted');
    assert.deepEqual(
      steps.map((f) => [f.data.step_name, f.data.step_index]),
      [
        ['research', 0],
        ['write', 1],
      ],
    );
    const wfRunId = s.frames[0]!.data.run_id;
    const agentStart = s.frames.find((f) => f.event === 'RunStarted')!.data;
    assert.equal(agentStart.workflow_id, 'content-pipeline');
    assert.equal(agentStart.workflow_run_id, wfRunId);
    assert.equal(agentStart.step_name, 'research');
    const end = s.frames.at(-1)!.data;
    assert.equal(end.content, 'Support Agent received: Research Agent received: batteries');
    assert.equal(end.step_results.length, 2);
  });

  test('JSON output, list and get', async () => {
    const r = await h.call('POST', '/workflows/content-pipeline/runs', {
      token: alice,
      form: { message: 'x', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'COMPLETED');
    assert.equal(r.body.input, 'x');
    assert.equal(r.body.step_executor_runs.length, 2);
    assert.deepEqual(
      r.body.step_results.map((x: { step_name: string; success: boolean }) => [x.step_name, x.success]),
      [
        ['research', true],
        ['write', true],
      ],
    );
    const list = await h.call('GET', `/workflows/content-pipeline/runs?session_id=${r.body.session_id}`, {
      token: alice,
    });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.length, 1);
    assert.equal(list.body[0].run_input, 'x');
    assert.equal(list.body[0].status, 'COMPLETED');
    const got = await h.call(
      'GET',
      `/workflows/content-pipeline/runs/${r.body.run_id}?session_id=${r.body.session_id}`,
      { token: alice },
    );
    assert.equal(got.status, 200, got.text);
    const again = await h.call('POST', `/workflows/content-pipeline/runs/${r.body.run_id}/continue`, {
      token: alice,
      form: { stream: 'false' },
    });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: 'run is already completed' });
  });

  test('a step that requires confirmation pauses the workflow; confirmed, it runs', async () => {
    const r = await h.call('POST', '/workflows/review-pipeline/runs', {
      token: alice,
      form: { message: 'draft', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'PAUSED');
    assert.equal(r.body.pause_kind, 'step');
    assert.equal(r.body.paused_step_name, 'publish');
    assert.equal(r.body.step_results.length, 1);
    const req = r.body.step_requirements[0];
    assert.deepEqual(
      [req.step_index, req.requires_confirmation, req.confirmed, req.confirmation_message],
      [1, true, null, 'Publish?'],
    );
    const events = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', r.body.run_id)
      .orderBy('event_index')
      .execute();
    assert.deepEqual(
      events.slice(-2).map((e) => e.event),
      ['StepPaused', 'WorkflowPaused'],
    );

    const s = await h.sse('POST', `/workflows/review-pipeline/runs/${r.body.run_id}/continue`, {
      token: alice,
      form: {
        session_id: r.body.session_id,
        step_requirements: JSON.stringify([{ step_id: req.step_id, confirmed: true }]),
      },
    });
    assert.equal(s.status, 200);
    assert.deepEqual(squash(s.frames), [
      'StepContinued',
      'StepStarted',
      ...AGENT_RUN,
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    const got = await h.call(
      'GET',
      `/workflows/review-pipeline/runs/${r.body.run_id}?session_id=${r.body.session_id}`,
      { token: alice },
    );
    assert.equal(got.body.status, 'COMPLETED');
    assert.equal(got.body.step_results.length, 2);
    assert.equal(got.body.content, 'Research Agent received: Research Agent received: draft');
  });

  test('a rejected step cancels the workflow (onReject: cancel)', async () => {
    const r = await h.call('POST', '/workflows/review-pipeline/runs', {
      token: alice,
      form: { message: 'nope', stream: 'false' },
    });
    const done = await h.call('POST', `/workflows/review-pipeline/runs/${r.body.run_id}/continue`, {
      token: alice,
      form: {
        session_id: r.body.session_id,
        stream: 'false',
        step_requirements: JSON.stringify([{ step_index: 1, confirmed: false }]),
      },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'CANCELLED');
    const events = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', r.body.run_id)
      .orderBy('event_index')
      .execute();
    assert.equal(events.at(-1)!.event, 'WorkflowCancelled');
  });

  test('a tool pause inside a team step pauses the workflow (executor); the step decision resumes it', async () => {
    const r = await h.call('POST', '/workflows/team-pipeline/runs', {
      token: alice,
      form: { message: REFUND, stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'PAUSED');
    assert.equal(r.body.pause_kind, 'executor');
    const req = r.body.step_requirements[0];
    assert.equal(req.requires_executor_input, true);
    assert.equal(req.executor_type, 'team');
    assert.equal(req.executor_requirements[0].member_agent_id, 'support-agent');
    const approval = await db()
      .selectFrom('approvals')
      .selectAll()
      .where('run_id', '=', r.body.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(approval.source_type, 'workflow');
    assert.equal(approval.workflow_id, 'team-pipeline');
    const form = {
      session_id: r.body.session_id,
      stream: 'false',
      step_requirements: JSON.stringify([{ step_index: 0, confirmed: true }]),
    };
    const blocked = await h.call('POST', `/workflows/team-pipeline/runs/${r.body.run_id}/continue`, {
      token: alice,
      form,
    });
    assert.equal(blocked.status, 403, 'the approval gate applies to workflows too (contract.md §7)');
    await approve(r.body.run_id);
    const done = await h.call('POST', `/workflows/team-pipeline/runs/${r.body.run_id}/continue`, {
      token: approver,
      form,
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'COMPLETED');
    assert.match(done.body.content, /issue_refund: refund issued/);
  });
});
