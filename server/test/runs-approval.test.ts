/**
 * Human approval (contract.md §7): a tool with `requiresConfirmation` pauses the run and creates
 * a pending `required` approval; continue is refused (403) until the approval is resolved, whoever
 * calls (no bypass for `approvals:write` or the admin scope, contract §8.4); decisions confirm or
 * reject the tool.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, type Harness, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;
let approver: string;
let admin: string;

before(async () => {
  h = await startHarness();
  alice = await h.token('alice', USER_SCOPES);
  approver = await h.token('boss', [...USER_SCOPES, 'approvals:write']);
  admin = await h.token('root', [ADMIN]);
});
after(() => h.close());

const db = () => h.database.db;
const REFUND = 'use tool issue_refund {"order_id": "ord_42", "amount": 19.9}';

async function pausedRun(message = REFUND) {
  const r = await h.call('POST', '/agents/support-agent/runs', {
    token: alice,
    form: { message, stream: 'false' },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'PAUSED');
  // biome-ignore lint/suspicious/noExplicitAny: run outputs are read loosely in tests.
  return r.body as { run_id: string; session_id: string; tools: any[]; requirements: any[] };
}

function continueRun(
  token: string,
  run: { run_id: string; session_id: string },
  form: Record<string, string> = {},
) {
  return h.call('POST', `/agents/support-agent/runs/${run.run_id}/continue`, {
    token,
    form: { session_id: run.session_id, stream: 'false', ...form },
  });
}

async function resolve(runId: string, status: 'approved' | 'rejected', note?: string) {
  const res = await db()
    .updateTable('approvals')
    .set({
      status,
      resolved_by: 'boss',
      resolved_at: new Date(),
      resolution_data: note ? (JSON.stringify({ note }) as never) : null,
    })
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  assert.equal(Number(res.numUpdatedRows), 1);
}

describe('pause on a confirmation tool', () => {
  test('PAUSED with tools, requirements, a RunPaused event and a pending required approval', async () => {
    const run = await pausedRun();
    const tool = run.tools[0];
    assert.equal(tool.tool_name, 'issue_refund');
    assert.deepEqual(tool.tool_args, { order_id: 'ord_42', amount: 19.9 });
    assert.equal(tool.requires_confirmation, true);
    assert.equal(tool.confirmed, null);
    assert.equal(tool.approval_type, 'required');
    assert.equal(typeof tool.approval_id, 'string');
    assert.equal(run.requirements.length, 1);
    assert.equal(run.requirements[0].tool_execution.tool_call_id, tool.tool_call_id);

    const events = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', run.run_id)
      .orderBy('event_index')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event),
      ['RunStarted', 'RunPaused'],
    );
    const row = await db()
      .selectFrom('runs')
      .selectAll()
      .where('run_id', '=', run.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'PAUSED');
    assert.equal((row.requirements as unknown[]).length, 1);

    const approvals = await db()
      .selectFrom('approvals')
      .selectAll()
      .where('run_id', '=', run.run_id)
      .execute();
    assert.equal(approvals.length, 1);
    const a = approvals[0]!;
    assert.equal(a.id, tool.approval_id);
    assert.equal(a.status, 'pending');
    assert.equal(a.approval_type, 'required');
    assert.equal(a.pause_type, 'confirmation');
    assert.equal(a.source_type, 'agent');
    assert.equal(a.tool_name, 'issue_refund');
    assert.deepEqual(a.tool_args, { order_id: 'ord_42', amount: 19.9 });
    assert.equal(a.session_id, run.session_id);
    assert.equal(a.user_id, 'alice');
    assert.equal(a.agent_id, 'support-agent');
    assert.equal(a.source_name, 'Support Agent');
  });
});

describe('the approval gate', () => {
  test('403 for a caller without approvals:write; once approved, continue completes the run', async () => {
    const run = await pausedRun();
    const confirm = JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]);
    const blocked = await continueRun(alice, run, { tools: confirm });
    assert.equal(blocked.status, 403);
    assert.deepEqual(blocked.body, { detail: 'This run requires admin approval before it can be continued' });
    const still = await db()
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', run.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(still.status, 'PAUSED');

    await resolve(run.run_id, 'approved');
    // An empty body: the resolved approval is the decision.
    const done = await continueRun(alice, run);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'COMPLETED');
    assert.equal(done.body.tools[0].confirmed, true);
    assert.equal(done.body.tools[0].result, 'refund issued');
    assert.equal(done.body.content, `Support Agent received: ${REFUND}\nissue_refund: refund issued`);
    assert.equal(done.body.requirements, undefined);

    const events = await db()
      .selectFrom('run_events')
      .selectAll()
      .where('run_id', '=', run.run_id)
      .orderBy('event_index')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event_index),
      events.map((_, i) => i),
      'the continued segment keeps numbering after the pause',
    );
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'RunStarted',
        'RunPaused',
        'RunContinued',
        'ToolCallStarted',
        'ToolCallCompleted',
        'RunContent',
        'RunContent',
        'RunContent',
        'RunContentCompleted',
        'RunCompleted',
      ],
    );
    const again = await continueRun(alice, run);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: 'run is already completed' });
  });

  test('a rejected approval: the tool does not run and the model is told', async () => {
    const run = await pausedRun();
    await resolve(run.run_id, 'rejected', 'not without a receipt');
    const done = await continueRun(alice, run, {
      tools: JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]),
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'COMPLETED');
    assert.equal(done.body.tools[0].confirmed, false);
    assert.match(done.body.content, /issue_refund was not run: Tool call rejected: not without a receipt/);
    const started = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', run.run_id)
      .where('event', '=', 'ToolCallStarted')
      .execute();
    assert.equal(started.length, 0);
  });

  test('no bypass: a caller with approvals:write or the admin scope is refused while the approval is pending (contract §8.4)', async () => {
    const run = await pausedRun();
    const reject = JSON.stringify([
      { tool_call_id: run.tools[0].tool_call_id, confirmed: false, confirmation_note: 'no' },
    ]);
    const confirm = JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]);
    // The engine itself refuses (this harness has no authority layer in front of the handler).
    for (const [who, token, tools] of [
      ['approver', approver, reject],
      ['admin', admin, confirm],
    ] as const) {
      const res = await continueRun(token, run, { tools });
      assert.equal(res.status, 403, `${who}: ${res.text}`);
      assert.deepEqual(res.body, { detail: 'This run requires admin approval before it can be continued' });
    }
    const still = await db()
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', run.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(still.status, 'PAUSED');
    const ran = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', run.run_id)
      .where('event', '=', 'ToolCallStarted')
      .execute();
    assert.equal(ran.length, 0, 'the tool did not run');

    // Resolved first (the `resolved_by` record), then the approver continues.
    await resolve(run.run_id, 'approved');
    const done = await continueRun(approver, run);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.tools[0].result, 'refund issued');
  });

  test('a tool with approval "none" only needs the caller\'s own confirmation', async () => {
    const run = await pausedRun('use tool send_email hello bob');
    const approvals = await db()
      .selectFrom('approvals')
      .selectAll()
      .where('run_id', '=', run.run_id)
      .execute();
    assert.equal(approvals.length, 0);
    const s = await h.sse('POST', `/agents/support-agent/runs/${run.run_id}/continue`, {
      token: alice,
      form: {
        session_id: run.session_id,
        tools: JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]),
      },
    });
    assert.equal(s.status, 200);
    assert.deepEqual(
      s.frames.map((f) => f.event),
      [
        'RunContinued',
        'ToolCallStarted',
        'ToolCallCompleted',
        'RunContent',
        'RunContent',
        'RunContent',
        'RunContentCompleted',
        'RunCompleted',
      ],
    );
    assert.equal(s.frames[2]!.data.tool.result, 'hello bob');
  });

  test('a forked copy of a paused run still waits on the approval', async () => {
    const run = await pausedRun();
    const f = await h.call('POST', `/agents/support-agent/sessions/${run.session_id}/fork`, { token: alice });
    assert.equal(f.status, 200, f.text);
    const list = await h.call('GET', `/agents/support-agent/runs?session_id=${f.body.session_id}`, {
      token: alice,
    });
    const copy = list.body[0];
    assert.equal(copy.status, 'PAUSED');
    const blocked = await h.call('POST', `/agents/support-agent/runs/${copy.run_id}/continue`, {
      token: alice,
      form: {
        session_id: f.body.session_id,
        stream: 'false',
        tools: JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]),
      },
    });
    assert.equal(blocked.status, 403);
  });
});

describe('continue: errors', () => {
  test('session_id is required; tools must be JSON; unknown run 404; not paused 409', async () => {
    const run = await pausedRun('use tool send_email x');
    const noSession = await h.call('POST', `/agents/support-agent/runs/${run.run_id}/continue`, {
      token: alice,
      form: { stream: 'false' },
    });
    assert.equal(noSession.status, 400);
    assert.deepEqual(noSession.body, { detail: 'session_id is required for this action' });
    const badJson = await continueRun(alice, run, { tools: '[{' });
    assert.equal(badJson.status, 400);
    assert.deepEqual(badJson.body, { detail: 'Invalid JSON in tools field' });
    const unknown = await h.call('POST', '/agents/support-agent/runs/nope/continue', {
      token: alice,
      form: { session_id: run.session_id, stream: 'false' },
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { detail: 'Run not found' });
    const badFrom = await continueRun(alice, run, { continue_from: 'middle' });
    assert.equal(badFrom.status, 400);
  });

  test('cancelling a paused run ends it CANCELLED; continue then answers 409', async () => {
    const run = await pausedRun();
    const c = await h.call(
      'POST',
      `/agents/support-agent/runs/${run.run_id}/cancel?session_id=${run.session_id}`,
      {
        token: alice,
      },
    );
    assert.equal(c.status, 200);
    const got = await h.call('GET', `/agents/support-agent/runs/${run.run_id}?session_id=${run.session_id}`, {
      token: alice,
    });
    assert.equal(got.body.status, 'CANCELLED');
    const events = await db()
      .selectFrom('run_events')
      .select('event')
      .where('run_id', '=', run.run_id)
      .orderBy('event_index')
      .execute();
    assert.equal(events.at(-1)!.event, 'RunCancelled');
    const r = await continueRun(approver, run, {
      tools: JSON.stringify([{ tool_call_id: run.tools[0].tool_call_id, confirmed: true }]),
    });
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { detail: 'run is already cancelled' });
  });
});
