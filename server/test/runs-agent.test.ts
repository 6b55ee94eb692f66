/**
 * Agent runs over HTTP: JSON and SSE runs, what every run persists (session, run row, gapless
 * events, trace and spans, metrics), reads (get, list, checkpoints), session fork, errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;

before(async () => {
  h = await startHarness();
  alice = await h.token('alice', USER_SCOPES);
});
after(() => h.close());

const db = () => h.database.db;

describe('JSON run (stream=false)', () => {
  test('answers the run output and persists session, run, events, trace and spans', async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'use tool add 2 3', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    const out = r.body;
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.agent_id, 'research-agent');
    assert.equal(out.agent_name, 'Research Agent');
    assert.equal(out.user_id, 'alice');
    assert.equal(out.content, 'Research Agent received: use tool add 2 3\nadd: 5');
    assert.equal(out.model, 'builtin');
    assert.deepEqual(out.input, { input_content: 'use tool add 2 3' });
    assert.deepEqual(
      out.messages.map((m: { role: string }) => m.role),
      ['system', 'user', 'assistant', 'tool', 'assistant'],
    );
    assert.equal(out.tools.length, 1);
    assert.equal(out.tools[0].tool_name, 'add');
    assert.deepEqual(out.tools[0].tool_args, { a: 2, b: 3 });
    assert.equal(out.tools[0].result, '5');
    assert.ok(out.metrics.input_tokens > 0 && out.metrics.output_tokens > 0);
    assert.equal(out.metrics.total_tokens, out.metrics.input_tokens + out.metrics.output_tokens);
    assert.equal(typeof out.metrics.duration, 'number');

    const session = await db()
      .selectFrom('sessions')
      .selectAll()
      .where('session_id', '=', out.session_id)
      .executeTakeFirstOrThrow();
    assert.equal(session.session_type, 'agent');
    assert.equal(session.agent_id, 'research-agent');
    assert.equal(session.user_id, 'alice');
    assert.equal((session.metrics as { total_tokens: number }).total_tokens, out.metrics.total_tokens);

    const run = await db()
      .selectFrom('runs')
      .selectAll()
      .where('run_id', '=', out.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(run.status, 'COMPLETED');
    assert.equal(run.user_id, 'alice');
    assert.equal(run.content, out.content);
    assert.equal(run.background, false);
    // The answer is the output the run stored (answered without reading it back).
    assert.deepEqual({ ...out }, { ...(run.output as object), status: run.status });

    const events = await db()
      .selectFrom('run_events')
      .selectAll()
      .where('run_id', '=', out.run_id)
      .orderBy('event_index')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event_index),
      events.map((_, i) => i),
      'gapless from 0',
    );
    assert.equal(run.event_count, events.length);
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'RunStarted',
        'ToolCallStarted',
        'ToolCallCompleted',
        'RunContent',
        'RunContent',
        'RunContent',
        'RunContentCompleted',
        'RunCompleted',
      ],
    );

    const trace = await db()
      .selectFrom('traces')
      .selectAll()
      .where('run_id', '=', out.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(trace.status, 'OK');
    assert.equal(trace.name, 'Research_Agent.run');
    assert.equal(trace.agent_id, 'research-agent');
    assert.equal(trace.user_id, 'alice');
    const spans = await db().selectFrom('spans').selectAll().where('trace_id', '=', trace.trace_id).execute();
    const root = spans.find((s) => s.parent_span_id === null);
    assert.equal(root?.span_kind, 'AGENT');
    const kinds = spans
      .filter((s) => s.parent_span_id === root?.span_id)
      .map((s) => s.span_kind)
      .sort();
    assert.deepEqual(kinds, ['LLM', 'LLM', 'TOOL']);
  });

  test('a tool that fails gives ToolCallError and the run still completes', async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'use tool fail boom', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'COMPLETED');
    assert.equal(r.body.tools[0].tool_call_error, true);
    assert.match(r.body.content, /fail: Error: boom/);
  });

  test('a JSON directive calls a tool too', async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'please {"tool": "lookup_order", "args": {"order_id": "ord_42"}}', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.tools[0].tool_name, 'lookup_order');
    assert.deepEqual(JSON.parse(r.body.tools[0].result).order_id, 'ord_42');
  });

  test('unknown agent: 404 Agent not found', async () => {
    const r = await h.call('POST', '/agents/nope/runs', { token: alice, form: { message: 'hi' } });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { detail: 'Agent not found' });
  });

  test('invalid JSON in session_state: 400', async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'hi', stream: 'false', session_state: '{nope' },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { detail: 'Invalid JSON in session_state field' });
  });

  test('a session of another agent cannot be used: 400', async () => {
    const first = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'a', stream: 'false' },
    });
    const r = await h.call('POST', '/agents/support-agent/runs', {
      token: alice,
      form: { message: 'b', stream: 'false', session_id: first.body.session_id },
    });
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /belongs to another agent/);
  });

  test('multipart with document files; an unsupported file type answers 400', async () => {
    const ok = new FormData();
    ok.set('message', 'read this');
    ok.set('stream', 'false');
    ok.append('files', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    ok.append('files', new Blob(['%PDF'], { type: 'application/pdf' }), 'paper.pdf');
    const r = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: ok });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.input.files, [
      { filename: 'notes.txt', mime_type: 'text/plain', size: 5, type: 'document' },
      { filename: 'paper.pdf', mime_type: 'application/pdf', size: 4, type: 'document' },
    ]);
    const bad = new FormData();
    bad.set('message', 'read this');
    bad.append('files', new Blob(['x'], { type: 'image/png' }), 'x.png');
    bad.append('files', new Blob(['x'], { type: 'application/x-msdownload' }), 'x.exe');
    const r2 = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: bad });
    assert.equal(r2.status, 400);
    assert.deepEqual(r2.body, { detail: 'Unsupported file type' });
  });
});

describe('SSE run (stream=true, the default)', () => {
  test('frames parse, names are in order, RunCompleted is last and matches the stored run', async () => {
    const s = await h.sse('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'use tool echo hello world' },
    });
    assert.equal(s.status, 200);
    const names = s.frames.map((f) => f.event);
    assert.deepEqual(names, [
      'RunStarted',
      'ToolCallStarted',
      'ToolCallCompleted',
      'RunContent',
      'RunContent',
      'RunContent',
      'RunContentCompleted',
      'RunCompleted',
    ]);
    for (const f of s.frames) {
      assert.equal(f.data.event, f.event, 'data.event repeats the frame name');
      assert.equal(typeof f.data.created_at, 'number');
      assert.equal(f.data.agent_id, 'research-agent');
      assert.equal(f.data.event_index, undefined, 'inline streams carry no event_index');
    }
    const runId = s.frames[0]!.data.run_id;
    const sessionId = s.frames[0]!.data.session_id;
    assert.ok(s.frames.every((f) => f.data.run_id === runId && f.data.session_id === sessionId));
    assert.equal(s.frames[0]!.data.model, 'builtin');
    const content = s.frames
      .filter((f) => f.event === 'RunContent')
      .map((f) => f.data.content)
      .join('');
    const completed = s.frames.at(-1)!.data;
    assert.equal(completed.content, content);
    assert.equal(s.frames[2]!.data.tool.result, 'hello world');
    // The run is stored as COMPLETED by the time the stream ends.
    const r = await h.call('GET', `/agents/research-agent/runs/${runId}?session_id=${sessionId}`, {
      token: alice,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'COMPLETED');
    assert.equal(r.body.content, content);
  });
});

describe('reads', () => {
  let runId: string;
  let sessionId: string;
  before(async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'use tool add 1 1', stream: 'false' },
    });
    runId = r.body.run_id;
    sessionId = r.body.session_id;
    await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'second', stream: 'false', session_id: sessionId },
    });
  });

  test('list runs of a session, oldest first, with a status filter', async () => {
    const r = await h.call('GET', `/agents/research-agent/runs?session_id=${sessionId}`, { token: alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.length, 2);
    assert.equal(r.body[0].run_id, runId);
    assert.equal(r.body[0].run_input, 'use tool add 1 1');
    assert.equal(r.body[0].run_response_format, 'text');
    assert.equal(r.body[1].run_input, 'second');
    const none = await h.call('GET', `/agents/research-agent/runs?session_id=${sessionId}&status=ERROR`, {
      token: alice,
    });
    assert.deepEqual(none.body, []);
    const missing = await h.call('GET', '/agents/research-agent/runs?session_id=nope', { token: alice });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { detail: 'Session not found' });
    const other = await h.call('GET', `/agents/support-agent/runs?session_id=${sessionId}`, { token: alice });
    assert.equal(other.status, 404);
  });

  test('get run: wrong session or wrong agent answers 404 Run not found', async () => {
    const ok = await h.call('GET', `/agents/research-agent/runs/${runId}?session_id=${sessionId}`, {
      token: alice,
    });
    assert.equal(ok.status, 200);
    for (const path of [
      `/agents/research-agent/runs/${runId}?session_id=other`,
      `/agents/support-agent/runs/${runId}?session_id=${sessionId}`,
      `/agents/research-agent/runs/nope?session_id=${sessionId}`,
    ]) {
      const r = await h.call('GET', path, { token: alice });
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, { detail: 'Run not found' });
    }
  });

  test('checkpoints: one per safe message boundary, the last is the end', async () => {
    const r = await h.call(
      'GET',
      `/agents/research-agent/runs/${runId}/checkpoints?session_id=${sessionId}`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    const cps = r.body.checkpoints;
    // system, user, assistant(tool call), tool, assistant: the boundary after the tool call is skipped.
    assert.deepEqual(
      cps.map((c: { message_index: number }) => c.message_index),
      [1, 2, 4, 5],
    );
    assert.deepEqual(
      cps.map((c: { checkpoint_id: string }) => c.checkpoint_id),
      ['1', '2', '3', '4'],
    );
    assert.equal(cps.at(-1).reason, 'end');
    assert.equal(cps.at(-1).is_latest, true);
    assert.equal(cps[1].message_role, 'user');
  });

  test('checkpoint snapshot: truncated, moved back before an unanswered tool call', async () => {
    const r = await h.call(
      'GET',
      `/agents/research-agent/runs/${runId}/checkpoints/3?session_id=${sessionId}`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.checkpoint.message_index, 2);
    assert.equal(r.body.checkpoint.reason, 'snapshot');
    assert.equal(r.body.snapshot.messages.length, 2);
    assert.deepEqual(r.body.snapshot.tools, []);
    assert.equal(r.body.snapshot.last_checkpoint_at_message_index, 2);
    const bad = await h.call(
      'GET',
      `/agents/research-agent/runs/${runId}/checkpoints/99?session_id=${sessionId}`,
      { token: alice },
    );
    assert.equal(bad.status, 400);
  });

  test('fork session: a new session with copies of the runs', async () => {
    const r = await h.call('POST', `/agents/research-agent/sessions/${sessionId}/fork`, { token: alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.forked_from_session_id, sessionId);
    const list = await h.call('GET', `/agents/research-agent/runs?session_id=${r.body.session_id}`, {
      token: alice,
    });
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 2);
    assert.notEqual(list.body[0].run_id, runId);
    assert.equal(list.body[0].forked_from_session_id, sessionId);
    const empty = await h.call('POST', '/agents/research-agent/sessions/nope/fork', { token: alice });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body, { detail: 'Source session has no runs to fork.' });
  });
});

describe('runOnce (evals, scheduler)', () => {
  test('runs to completion and persists like any run', async () => {
    const res = await h.engine.runOnce({
      kind: 'agent',
      id: 'research-agent',
      message: 'once',
      userId: 'sched',
    });
    assert.equal(res.status, 'COMPLETED');
    assert.equal(res.content, 'Research Agent received: once');
    const run = await db()
      .selectFrom('runs')
      .selectAll()
      .where('run_id', '=', res.runId)
      .executeTakeFirstOrThrow();
    assert.equal(run.user_id, 'sched');
    assert.equal(run.status, 'COMPLETED');
  });
});
