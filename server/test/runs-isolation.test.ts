/**
 * User isolation (contract.md §5) on the run operations, and request isolation (§6): two users,
 * B cannot read, cancel, continue, resume, list, fork or write into A's runs and sessions (404,
 * as for a missing one); concurrent runs share no state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, type Harness, type SseFrame, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;
let bob: string;
let admin: string;
let aliceRun: { run_id: string; session_id: string };
let alicePaused: { run_id: string; session_id: string; tools: { tool_call_id: string }[] };

before(async () => {
  h = await startHarness({ userIsolation: true });
  alice = await h.token('alice', [...USER_SCOPES, 'approvals:write']);
  bob = await h.token('bob', [...USER_SCOPES, 'approvals:write']);
  admin = await h.token('root', [ADMIN]);
  const r = await h.call('POST', '/agents/research-agent/runs', {
    token: alice,
    form: { message: 'use tool add 4 5', stream: 'false', user_id: 'bob' },
  });
  assert.equal(r.status, 200, r.text);
  aliceRun = r.body;
  const p = await h.call('POST', '/agents/support-agent/runs', {
    token: alice,
    form: { message: 'use tool issue_refund {"order_id": "o1"}', stream: 'false' },
  });
  assert.equal(p.body.status, 'PAUSED');
  alicePaused = p.body;
});
after(() => h.close());

const NOT_FOUND = { detail: 'Run not found' };

describe('user isolation', () => {
  test('create: the run and its session belong to the caller, whatever user_id says', async () => {
    const got = await h.call(
      'GET',
      `/agents/research-agent/runs/${aliceRun.run_id}?session_id=${aliceRun.session_id}`,
      {
        token: alice,
      },
    );
    assert.equal(got.status, 200);
    assert.equal(got.body.user_id, 'alice');
    const session = await h.database.db
      .selectFrom('sessions')
      .select('user_id')
      .where('session_id', '=', aliceRun.session_id)
      .executeTakeFirstOrThrow();
    assert.equal(session.user_id, 'alice');
  });

  test("B cannot read A's run, its list, or its checkpoints: 404 as for a missing one", async () => {
    const { run_id, session_id } = aliceRun;
    for (const path of [
      `/agents/research-agent/runs/${run_id}?session_id=${session_id}`,
      `/agents/research-agent/runs/${run_id}/checkpoints?session_id=${session_id}`,
      `/agents/research-agent/runs/${run_id}/checkpoints/1?session_id=${session_id}`,
    ]) {
      const r = await h.call('GET', path, { token: bob });
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, NOT_FOUND);
      const missing = await h.call('GET', path.replace(run_id, 'no-such-run'), { token: bob });
      assert.deepEqual(
        [missing.status, missing.body],
        [404, NOT_FOUND],
        'indistinguishable from a missing run',
      );
    }
    const list = await h.call('GET', `/agents/research-agent/runs?session_id=${session_id}`, { token: bob });
    assert.equal(list.status, 404);
    assert.deepEqual(list.body, { detail: 'Session not found' });
  });

  test("B cannot cancel A's run: session_id required, then 404; no intent is stored", async () => {
    const { run_id, session_id } = aliceRun;
    const noSession = await h.call('POST', `/agents/research-agent/runs/${run_id}/cancel`, { token: bob });
    assert.equal(noSession.status, 400);
    assert.deepEqual(noSession.body, { detail: 'session_id is required for this action' });
    const r = await h.call('POST', `/agents/research-agent/runs/${run_id}/cancel?session_id=${session_id}`, {
      token: bob,
    });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, NOT_FOUND);
    const intent = await h.database.db
      .selectFrom('run_cancellations')
      .selectAll()
      .where('run_id', '=', run_id)
      .executeTakeFirst();
    assert.equal(intent, undefined);
  });

  test("B cannot continue A's paused run: 404, and the run stays paused", async () => {
    const tools = JSON.stringify([{ tool_call_id: alicePaused.tools[0]!.tool_call_id, confirmed: true }]);
    const r = await h.call('POST', `/agents/support-agent/runs/${alicePaused.run_id}/continue`, {
      token: bob,
      form: { session_id: alicePaused.session_id, stream: 'false', tools },
    });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, NOT_FOUND);
    const row = await h.database.db
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', alicePaused.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'PAUSED');
    // A herself can, once the approval is resolved (nobody continues past it, contract §8.4).
    await h.database.db
      .updateTable('approvals')
      .set({ status: 'approved', resolved_by: 'root', resolved_at: new Date() })
      .where('run_id', '=', alicePaused.run_id)
      .where('status', '=', 'pending')
      .execute();
    const mine = await h.call('POST', `/agents/support-agent/runs/${alicePaused.run_id}/continue`, {
      token: alice,
      form: { session_id: alicePaused.session_id, stream: 'false', tools },
    });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.status, 'COMPLETED');
  });

  test("B cannot resume A's run: session_id required, then 404", async () => {
    const { run_id, session_id } = aliceRun;
    const noSession = await h.call('POST', `/agents/research-agent/runs/${run_id}/resume`, {
      token: bob,
      form: { last_event_index: '0' },
    });
    assert.equal(noSession.status, 400);
    const r = await h.call('POST', `/agents/research-agent/runs/${run_id}/resume`, {
      token: bob,
      form: { last_event_index: '0', session_id },
    });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, NOT_FOUND);
    const mine = await h.sse('POST', `/agents/research-agent/runs/${run_id}/resume`, {
      token: alice,
      form: { last_event_index: '0', session_id },
    });
    assert.equal(mine.status, 200);
    assert.equal(mine.frames[0]!.event, 'replay');
  });

  test("B cannot run in A's session, nor fork it", async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: bob,
      form: { message: 'hijack', stream: 'false', session_id: aliceRun.session_id },
    });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { detail: 'Session not found' });
    const f = await h.call('POST', `/agents/research-agent/sessions/${aliceRun.session_id}/fork`, {
      token: bob,
    });
    assert.equal(f.status, 400);
    assert.deepEqual(f.body, { detail: 'Source session has no runs to fork.' });
    const mine = await h.call('POST', `/agents/research-agent/sessions/${aliceRun.session_id}/fork`, {
      token: alice,
    });
    assert.equal(mine.status, 200);
  });

  test('the admin sees every run', async () => {
    const r = await h.call(
      'GET',
      `/agents/research-agent/runs/${aliceRun.run_id}?session_id=${aliceRun.session_id}`,
      {
        token: admin,
      },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.user_id, 'alice');
  });
});

describe('request isolation', () => {
  test('two simultaneous runs of one agent with different session_state share no state', async () => {
    const collect = async (
      token: string,
      message: string,
      state: Record<string, unknown>,
      log: string[],
      tag: string,
    ) => {
      const reader = await h.open('POST', '/agents/stateful-agent/runs', {
        token,
        form: { message, session_state: JSON.stringify(state) },
      });
      const frames: SseFrame[] = [];
      for (let f = await reader.next(); f; f = await reader.next()) {
        frames.push(f);
        log.push(`${tag}:${f.event}`);
      }
      return frames;
    };
    const log: string[] = [];
    const [a, b] = await Promise.all([
      collect(alice, 'use tool remember alpha', { owner: 'alice' }, log, 'A'),
      collect(bob, 'use tool remember beta', { owner: 'bob' }, log, 'B'),
    ]);
    // They overlapped: each started before the other completed.
    assert.ok(log.indexOf('A:RunStarted') < log.indexOf('B:RunCompleted'));
    assert.ok(log.indexOf('B:RunStarted') < log.indexOf('A:RunCompleted'));
    const endA = a.at(-1)!.data;
    const endB = b.at(-1)!.data;
    assert.equal(a.at(-1)!.event, 'RunCompleted');
    assert.deepEqual(endA.session_state, { notes: ['alpha'], owner: 'alice' });
    assert.deepEqual(endB.session_state, { notes: ['beta'], owner: 'bob' });
    assert.match(endA.content, /remember: Remembered: alpha \(1 note\)/);
    assert.match(endB.content, /remember: Remembered: beta \(1 note\)/);
    // The configured default state is untouched.
    const config = h.config.agents.find((x) => x.id === 'stateful-agent')!;
    assert.deepEqual(config.session_state, { notes: [] });
    // A later run in A's session sees A's state only.
    const next = await h.call('POST', '/agents/stateful-agent/runs', {
      token: alice,
      form: { message: 'use tool remember gamma', stream: 'false', session_id: endA.session_id },
    });
    assert.deepEqual(next.body.session_state, { notes: ['alpha', 'gamma'], owner: 'alice' });
  });
});
