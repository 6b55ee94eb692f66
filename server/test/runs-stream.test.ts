/**
 * Background runs, resume (live, buffered, database, another instance) and cancel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, type Harness, type SseFrame, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;

before(async () => {
  h = await startHarness({ instanceId: 'instance-a' });
  alice = await h.token('alice', USER_SCOPES);
});
after(() => h.close());

const db = () => h.database.db;

async function storedEvents(runId: string) {
  return db()
    .selectFrom('run_events')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('event_index')
    .execute();
}

async function runStatus(agent: string, runId: string, sessionId: string): Promise<string> {
  const r = await h.call('GET', `/agents/${agent}/runs/${runId}?session_id=${sessionId}`, { token: alice });
  assert.equal(r.status, 200, r.text);
  return r.body.status;
}

const isMeta = (f: SseFrame) => ['replay', 'catch_up', 'subscribed', 'error'].includes(f.event);

describe('background runs', () => {
  test('stream=false answers 202 at once; polling reaches COMPLETED', async () => {
    const r = await h.call('POST', '/agents/slow-agent/runs', {
      token: alice,
      form: { message: 'take your time', stream: 'false', background: 'true' },
    });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['run_id', 'session_id', 'status']);
    assert.equal(r.body.status, 'PENDING');
    const row = await db()
      .selectFrom('runs')
      .selectAll()
      .where('run_id', '=', r.body.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(row.background, true);
    assert.equal(row.instance_id, 'instance-a');
    const final = await eventually(async () => {
      const s = await runStatus('slow-agent', r.body.run_id, r.body.session_id);
      return s === 'COMPLETED' ? s : undefined;
    });
    assert.equal(final, 'COMPLETED');
    const got = await h.call(
      'GET',
      `/agents/slow-agent/runs/${r.body.run_id}?session_id=${r.body.session_id}`,
      { token: alice },
    );
    assert.equal(got.body.content, 'Slow Agent received: take your time');
  });

  test('stream=true: frames carry event_index and run_id, and the run survives a disconnect', async () => {
    const reader = await h.open('POST', '/agents/slower-agent/runs', {
      token: alice,
      form: { message: 'one two three four five six seven eight', background: 'true' },
    });
    assert.equal(reader.status, 200);
    const first = await reader.take(2);
    assert.deepEqual(
      first.map((f) => f.data.event_index),
      [0, 1],
    );
    assert.ok(first.every((f) => typeof f.data.run_id === 'string'));
    reader.abort();
    const { run_id: runId, session_id: sessionId } = first[0]!.data;
    await eventually(async () => (await runStatus('slower-agent', runId, sessionId)) === 'COMPLETED', 8000);
    const events = await storedEvents(runId);
    assert.equal(events.at(-1)!.event, 'RunCompleted');
  });
});

describe('resume', () => {
  test('while running: catch_up with the exact missed tail, subscribed, then live events to the end', async () => {
    const reader = await h.open('POST', '/agents/slower-agent/runs', {
      token: alice,
      form: { message: 'a b c d e f g h i j k l', background: 'true' },
    });
    const head = await reader.take(3);
    reader.abort();
    const { run_id: runId, session_id: sessionId } = head[0]!.data;
    const last = head.at(-1)!.data.event_index as number;
    assert.equal(last, 2);
    // Let one more event happen while disconnected, so that there is something to catch up on.
    await eventually(async () => (await storedEvents(runId)).length > 3);
    const s = await h.sse('POST', `/agents/slower-agent/runs/${runId}/resume`, {
      token: alice,
      form: { last_event_index: String(last), session_id: sessionId },
    });
    assert.equal(s.status, 200);
    const meta = s.frames.filter(isMeta);
    assert.equal(meta[0]!.event, 'catch_up');
    assert.equal(meta[0]!.data.status, 'running');
    assert.equal(meta[1]!.event, 'subscribed');
    assert.match(meta[1]!.data.message, /Subscribed to agent run/);
    const tail = s.frames.filter((f) => !isMeta(f));
    assert.equal(tail[0]!.data.event_index, last + 1, 'starts right after last_event_index');
    assert.deepEqual(
      tail.map((f) => f.data.event_index),
      tail.map((_, i) => last + 1 + i),
      'no gap, no duplicate',
    );
    assert.equal(tail.at(-1)!.event, 'RunCompleted');
    const stored = await storedEvents(runId);
    assert.deepEqual(
      [...head, ...tail].map((f) => f.event),
      stored.map((e) => e.event),
      'head + resumed tail = every stored event',
    );
    const between = s.frames.indexOf(meta[1]!) - s.frames.indexOf(meta[0]!) - 1;
    assert.equal(meta[0]!.data.missed_events, between, 'missed_events counts the frames before subscribed');
    assert.equal(meta[1]!.data.current_event_count, last + 1 + between);
  });

  test('after the end (still buffered): a replay frame then exactly the events after the index', async () => {
    const r = await h.call('POST', '/agents/slow-agent/runs', {
      token: alice,
      form: { message: 'x y z', stream: 'false', background: 'true' },
    });
    await eventually(
      async () => (await runStatus('slow-agent', r.body.run_id, r.body.session_id)) === 'COMPLETED',
    );
    const stored = await storedEvents(r.body.run_id);
    const s = await h.sse('POST', `/agents/slow-agent/runs/${r.body.run_id}/resume`, {
      token: alice,
      form: { last_event_index: '1', session_id: r.body.session_id },
    });
    assert.equal(s.frames[0]!.event, 'replay');
    assert.equal(s.frames[0]!.data.status, 'COMPLETED');
    assert.equal(s.frames[0]!.data.total_events, stored.length - 2);
    assert.deepEqual(
      s.frames.slice(1).map((f) => [f.data.event_index, f.event]),
      stored.slice(2).map((e) => [e.event_index, e.event]),
    );
    // Without last_event_index: every event.
    const all = await h.sse('POST', `/agents/slow-agent/runs/${r.body.run_id}/resume`, {
      token: alice,
      form: { session_id: r.body.session_id },
    });
    assert.equal(all.frames.length, stored.length + 1);
  });

  test('a run found nowhere: a single error frame', async () => {
    const s = await h.sse('POST', '/agents/slow-agent/runs/nope/resume', {
      token: alice,
      form: { session_id: 'x' },
    });
    assert.equal(s.status, 200);
    assert.deepEqual(s.frames, [
      { event: 'error', data: { event: 'error', error: 'Run nope not found in buffer or database' } },
    ]);
  });

  test('another instance: replays from the database, and follows a live run by polling', async () => {
    const b = await startHarness({ database: h.database, instanceId: 'instance-b', pollIntervalMs: 30 });
    try {
      const bob = await b.token('alice', USER_SCOPES);
      // A run of instance A, still running: B polls run_events until it settles.
      const reader = await h.open('POST', '/agents/slower-agent/runs', {
        token: alice,
        form: { message: 'p q r s t u v w', background: 'true' },
      });
      const head = await reader.take(2);
      reader.abort();
      const { run_id: runId, session_id: sessionId } = head[0]!.data;
      const s = await b.sse('POST', `/agents/slower-agent/runs/${runId}/resume`, {
        token: bob,
        form: { last_event_index: '1', session_id: sessionId },
      });
      const meta = s.frames.filter(isMeta).map((f) => f.event);
      assert.ok(meta.includes('subscribed'), meta.join());
      const tail = s.frames.filter((f) => !isMeta(f));
      assert.deepEqual(
        tail.map((f) => f.data.event_index),
        tail.map((_, i) => 2 + i),
      );
      assert.equal(tail.at(-1)!.event, 'RunCompleted');
      const stored = await storedEvents(runId);
      assert.equal(2 + tail.length, stored.length);
      // The same run, settled: B replays it from the database.
      const replay = await b.sse('POST', `/agents/slower-agent/runs/${runId}/resume`, {
        token: bob,
        form: { last_event_index: String(stored.length - 2), session_id: sessionId },
      });
      assert.equal(replay.frames[0]!.event, 'replay');
      assert.deepEqual(
        replay.frames.slice(1).map((f) => f.event),
        [stored.at(-1)!.event],
      );
    } finally {
      await b.close();
    }
  });
});

describe('cancel', () => {
  test('a background run stops at its next check and ends CANCELLED with RunCancelled last', async () => {
    const reader = await h.open('POST', '/agents/slower-agent/runs', {
      token: alice,
      form: { message: 'long long long long long long long long', background: 'true' },
    });
    const head = await reader.take(2);
    const { run_id: runId, session_id: sessionId } = head[0]!.data;
    const c = await h.call('POST', `/agents/slower-agent/runs/${runId}/cancel?session_id=${sessionId}`, {
      token: alice,
    });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.body, {});
    const rest = await reader.rest();
    assert.equal(rest.at(-1)!.event, 'RunCancelled');
    assert.equal(rest.at(-1)!.data.reason, 'Run cancelled by user');
    assert.equal(await runStatus('slower-agent', runId, sessionId), 'CANCELLED');
    const events = await storedEvents(runId);
    assert.equal(events.at(-1)!.event, 'RunCancelled');
    assert.deepEqual(
      events.map((e) => e.event_index),
      events.map((_, i) => i),
    );
  });

  test('an unknown run: 200 {} and the intent is stored', async () => {
    const c = await h.call('POST', '/agents/slow-agent/runs/not-started-yet/cancel', { token: alice });
    assert.equal(c.status, 200);
    assert.deepEqual(c.body, {});
    const row = await db()
      .selectFrom('run_cancellations')
      .selectAll()
      .where('run_id', '=', 'not-started-yet')
      .executeTakeFirst();
    assert.ok(row);
  });

  test('an inline stream is cancelled when the client disconnects', async () => {
    const reader = await h.open('POST', '/agents/slower-agent/runs', {
      token: alice,
      form: { message: 'bye bye bye bye bye bye bye bye' },
    });
    const head = await reader.take(2);
    reader.abort();
    const { run_id: runId, session_id: sessionId } = head[0]!.data;
    await eventually(async () => (await runStatus('slower-agent', runId, sessionId)) === 'CANCELLED');
    const events = await storedEvents(runId);
    assert.equal(events.at(-1)!.event, 'RunCancelled');
    assert.equal((events.at(-1)!.data as { reason: string }).reason, 'Client disconnected');
  });

  test('another instance cancels through the stored intent, even in the middle of a model answer', async () => {
    const b = await startHarness({ database: h.database, instanceId: 'instance-b2' });
    try {
      const r = await h.call('POST', '/agents/slower-agent/runs', {
        token: alice,
        form: {
          message: 'one two three four five six seven eight nine ten',
          stream: 'false',
          background: 'true',
        },
      });
      await eventually(async () => (await storedEvents(r.body.run_id)).length >= 2);
      const c = await b.call('POST', `/agents/slower-agent/runs/${r.body.run_id}/cancel`, {
        token: await b.token('alice', USER_SCOPES),
      });
      assert.equal(c.status, 200);
      const final = await eventually(async () => {
        const s = await runStatus('slower-agent', r.body.run_id, r.body.session_id);
        return s === 'RUNNING' || s === 'PENDING' ? undefined : s;
      }, 8000);
      assert.equal(final, 'CANCELLED');
    } finally {
      await b.close();
    }
  });
});
