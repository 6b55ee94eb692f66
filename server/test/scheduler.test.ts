/**
 * The scheduler: two instances on one database fire a due schedule exactly once; next fire times
 * in the schedule's time zone (DST included); form-encoded run calls with the internal token;
 * retries; paused runs; JSON endpoints; timeouts; stop() cancelling runs in flight; the timer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { json } from '../src/db/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';
import { nextRunAt } from '../src/scheduler/cron.js';
import { claimDue, type Scheduler, startScheduler } from '../src/scheduler/index.js';
import type { ServerContext } from '../src/server-context.js';
import { ADMIN, type Harness, NOW, startHarness } from './handlers-admin-harness.js';

interface Seen {
  kind: string;
  id: string;
  userId: string | null;
  body: Record<string, unknown>;
  contentType: string | undefined;
}

/** What the stub run handlers read of a request. */
interface StubRequest {
  path: { agent_id: string; team_id: string };
  body: Record<string, unknown>;
  caller: { userId: string | null };
  headers: Record<string, string | undefined>;
}

let h: Harness;
const seen: Seen[] = [];
let flaky = 0;
let release: (() => void) | null = null;
const noSleep = async () => {};

function runOutput(kind: 'agent' | 'team', id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    run_id: `run-${seen.length}`,
    [`${kind}_id`]: id,
    session_id: 'sess-1',
    status,
    content: 'ok',
    content_type: 'str',
    ...extra,
  };
}

before(async () => {
  h = await startHarness({
    handlers: {
      createAgentRun: ((req: StubRequest) => {
        seen.push({
          kind: 'agents',
          id: req.path.agent_id,
          userId: req.caller.userId,
          body: { ...req.body },
          contentType: req.headers['content-type'],
        });
        if (req.path.agent_id === 'writer') {
          return {
            status: 200,
            body: runOutput('agent', 'writer', 'PAUSED', {
              requirements: [
                {
                  id: 'req_01',
                  created_at: '2027-01-15T08:00:00+00:00',
                  tool_execution: {
                    tool_call_id: 'c1',
                    tool_name: 'send_email',
                    tool_args: {},
                    requires_confirmation: true,
                  },
                },
              ],
            }),
          };
        }
        return { status: 200, body: runOutput('agent', req.path.agent_id, 'COMPLETED') };
      }) as never,
      createTeamRun: (async (req: StubRequest) => {
        seen.push({
          kind: 'teams',
          id: req.path.team_id,
          userId: req.caller.userId,
          body: { ...req.body },
          contentType: req.headers['content-type'],
        });
        if (req.path.team_id === 'flaky') {
          flaky++;
          if (flaky === 1) return { status: 400, body: { detail: 'boom' } };
        }
        if (req.path.team_id === 'slow') {
          await new Promise<void>((r) => {
            release = r;
            setTimeout(r, 5000).unref();
          });
        }
        return { status: 200, body: runOutput('team', req.path.team_id, 'COMPLETED') };
      }) as never,
    },
  });
});
after(() => h.close());

let admin: string;
beforeEach(async () => {
  admin = await h.token('root', [ADMIN]);
  h.clock.set(NOW);
});

/** Creates a schedule through the API and makes it due now. */
async function dueSchedule(body: Record<string, unknown>): Promise<string> {
  const res = await h.call('POST', '/schedules', {
    token: admin,
    json: { cron_expr: '0 9 * * *', payload: { message: 'go' }, ...body },
  });
  assert.equal(res.status, 201, res.text);
  await h.ctx.database.db
    .updateTable('schedules')
    .set({ next_run_at: new Date((NOW - 60) * 1000) })
    .where('id', '=', res.body.id)
    .execute();
  return res.body.id;
}

const runsOf = (id: string) =>
  h.ctx.database.db
    .selectFrom('schedule_runs')
    .selectAll()
    .where('schedule_id', '=', id)
    .orderBy('attempt')
    .execute();
const scheduleRow = (id: string) =>
  h.ctx.database.db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

function pair(): [Scheduler, Scheduler] {
  const other: ServerContext = { ...h.ctx, instanceId: 'instance-b' };
  return [
    startScheduler({ ctx: h.ctx, baseUrl: h.base, internalToken: h.internal, intervalMs: 0, sleep: noSleep }),
    startScheduler({ ctx: other, baseUrl: h.base, internalToken: h.internal, intervalMs: 0, sleep: noSleep }),
  ];
}

describe('several instances', () => {
  it('two scheduler instances on one database fire a due schedule exactly once', async () => {
    const id = await dueSchedule({ name: 'once', endpoint: '/agents/research-agent/runs' });
    const [a, b] = pair();
    try {
      const before = seen.length;
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      assert.equal(ra.length + rb.length, 1);
      assert.equal(seen.length, before + 1, 'the endpoint was called once');
      const runs = await runsOf(id);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'success');
      const row = await scheduleRow(id);
      assert.equal(row.claimed_by, null);
      assert.equal(row.locked_until, null);
      assert.equal(row.next_run_at?.getTime(), (NOW + 3600) * 1000, 'released with its next fire time');
      assert.equal(row.last_run_at?.getTime(), NOW * 1000);
      const again = await Promise.all([a.tick(), b.tick()]);
      assert.equal(again.flat().length, 0, 'not due any more');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a batch of due schedules is split between instances, each fired once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(await dueSchedule({ name: `batch-${i}`, endpoint: '/agents/research-agent/runs' }));
    const [a, b] = pair();
    try {
      const results = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
      assert.equal(results.flat().length, 6);
      for (const id of ids) assert.equal((await runsOf(id)).length, 1, id);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a live claim of another instance is respected; a stale one (crashed instance) is taken over', async () => {
    const id = await dueSchedule({ name: 'claimed', endpoint: '/agents/research-agent/runs' });
    await h.ctx.database.db
      .updateTable('schedules')
      .set({ claimed_by: 'crashed', locked_until: new Date((NOW + 600) * 1000) })
      .where('id', '=', id)
      .execute();
    const claimed = await claimDue(h.ctx.database.db, { now: h.clock(), instanceId: 'x', limit: 10 });
    assert.ok(!claimed.some((s) => s.id === id));
    h.clock.set(NOW + 601);
    const later = await claimDue(h.ctx.database.db, { now: h.clock(), instanceId: 'x', limit: 10 });
    assert.ok(later.some((s) => s.id === id && s.claimed_by === 'x'));
  });
});

describe('time zones', () => {
  it('computes the next run of a cron in a non-UTC zone, across a DST change', () => {
    // 09:30 in New York: EST (UTC-5) in January, EDT (UTC-4) after 2027-03-14.
    assert.equal(
      nextRunAt('30 9 * * *', 'America/New_York', new Date(NOW * 1000)).toISOString(),
      '2027-01-15T14:30:00.000Z',
    );
    assert.equal(
      nextRunAt('30 9 * * *', 'America/New_York', new Date('2027-03-13T15:00:00Z')).toISOString(),
      '2027-03-14T13:30:00.000Z',
    );
    // 09:00 in Sydney (UTC+11 in January) is 22:00Z the day before.
    assert.equal(
      nextRunAt('0 9 * * *', 'Australia/Sydney', new Date(NOW * 1000)).toISOString(),
      '2027-01-15T22:00:00.000Z',
    );
  });

  it('after firing, next_run_at follows the schedule time zone', async () => {
    const id = await dueSchedule({
      name: 'new-york',
      endpoint: '/agents/research-agent/runs',
      cron_expr: '30 9 * * *',
      timezone: 'America/New_York',
    });
    const [a, b] = pair();
    try {
      await a.tick();
      assert.equal((await scheduleRow(id)).next_run_at?.toISOString(), '2027-01-15T14:30:00.000Z');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('calls and outcomes', () => {
  it('calls run endpoints with a form and the internal token (as __scheduler__)', async () => {
    const id = await dueSchedule({
      name: 'form',
      endpoint: '/agents/research-agent/runs',
      payload: { message: 'hi', background: true, session_state: { a: 1 }, flag: true },
    });
    const [a, b] = pair();
    try {
      await a.tick();
      const call = seen.at(-1)!;
      assert.equal(call.userId, '__scheduler__');
      assert.match(call.contentType ?? '', /^application\/x-www-form-urlencoded/);
      assert.equal(call.body.message, 'hi');
      assert.equal(call.body.stream, false);
      assert.equal(call.body.background, false, 'background is not forwarded (default false)');
      assert.equal(call.body.session_state, '{"a":1}');
      assert.equal(call.body.flag, 'true');
      const [run] = await runsOf(id);
      assert.equal(run!.status, 'success');
      assert.equal(run!.status_code, 200);
      assert.equal(run!.session_id, 'sess-1');
      assert.deepEqual(run!.output, { content: 'ok', content_type: 'str' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('retries per max_retries and records one run per attempt', async () => {
    const id = await dueSchedule({
      name: 'retry',
      endpoint: '/teams/flaky/runs',
      max_retries: 2,
      retry_delay_seconds: 1,
    });
    const [a, b] = pair();
    try {
      const [last] = await a.tick();
      assert.equal(last!.attempt, 2);
      const runs = await runsOf(id);
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.status, r.status_code]),
        [
          [1, 'failed', 400],
          [2, 'success', 200],
        ],
      );
      assert.match(runs[0]!.error ?? '', /boom/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a paused run is recorded as paused with its requirements', async () => {
    const id = await dueSchedule({ name: 'paused', endpoint: '/agents/writer/runs', max_retries: 3 });
    const [a, b] = pair();
    try {
      await a.tick();
      const runs = await runsOf(id);
      assert.equal(runs.length, 1, 'paused is not retried');
      assert.equal(runs[0]!.status, 'paused');
      assert.equal((runs[0]!.requirements as { id: string }[])[0]!.id, 'req_01');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('calls other endpoints with JSON; a 4xx answer is a failure with the answer as error', async () => {
    const ok = await dueSchedule({ name: 'json-ok', endpoint: '/schedules', method: 'GET' });
    const denied = await dueSchedule({ name: 'json-denied', endpoint: '/service-accounts', method: 'GET' });
    const [a, b] = pair();
    try {
      await a.tick();
      assert.equal((await runsOf(ok))[0]!.status, 'success');
      const [run] = await runsOf(denied);
      assert.equal(run!.status, 'failed');
      assert.equal(run!.status_code, 403);
      assert.match(run!.error ?? '', /Insufficient permissions/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('an attempt past timeout_seconds fails', async () => {
    const id = await dueSchedule({ name: 'timeout', endpoint: '/teams/slow/runs', timeout_seconds: 1 });
    const [a, b] = pair();
    try {
      await a.tick();
      const [run] = await runsOf(id);
      assert.equal(run!.status, 'failed');
      assert.equal(run!.error, 'Timed out after 1s');
    } finally {
      release?.();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stop() cancels the runs in flight, records them as cancelled and releases the claim', async () => {
    const id = await dueSchedule({ name: 'stop', endpoint: '/teams/slow/runs' });
    const [a, b] = pair();
    const before = seen.length;
    const ticking = a.tick();
    for (let i = 0; i < 200 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    await a.stop();
    await b.stop();
    await ticking;
    release?.();
    const [run] = await runsOf(id);
    assert.equal(run!.status, 'cancelled');
    assert.equal(run!.error, 'Execution cancelled during shutdown');
    assert.equal((await scheduleRow(id)).claimed_by, null);
  });

  it('the timer fires due schedules without calls to tick()', async () => {
    const id = await dueSchedule({ name: 'timer', endpoint: '/agents/research-agent/runs' });
    const s = startScheduler({
      ctx: h.ctx,
      baseUrl: h.base,
      internalToken: h.internal.token,
      intervalMs: 20,
    });
    try {
      for (let i = 0; i < 200 && (await runsOf(id)).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      const runs = await runsOf(id);
      assert.equal(runs.length, 1);
    } finally {
      await s.stop();
    }
  });

  it('a disabled schedule is never claimed', async () => {
    const id = await dueSchedule({ name: 'disabled', endpoint: '/agents/research-agent/runs' });
    await h.ctx.database.db
      .updateTable('schedules')
      .set({ enabled: false, payload: json({ message: 'x' }) })
      .where('id', '=', id)
      .execute();
    const [a, b] = pair();
    try {
      await Promise.all([a.tick(), b.tick()]);
      assert.equal((await runsOf(id)).length, 0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

// Two instances with their own connection pools on one PostgreSQL database (DATABASE_URL):
// claims really run concurrently there, where PGlite serialises them on its one connection.
for (const backend of testBackends().filter((b) => b === 'postgres')) {
  describe(`several instances (${backend}, separate pools)`, () => {
    let t: TestDatabase;
    let hp: Harness;
    const fired: string[] = [];

    before(async () => {
      t = await openTestDatabase(backend);
      hp = await startHarness({
        database: t,
        handlers: {
          createAgentRun: (async (req: StubRequest) => {
            fired.push(String(req.body.message));
            return {
              status: 200,
              body: {
                run_id: `r-${fired.length}`,
                agent_id: req.path.agent_id,
                session_id: 's',
                status: 'COMPLETED',
              },
            };
          }) as never,
        },
      });
    });
    after(async () => {
      await hp?.close();
      await t?.close();
    });

    it('every due schedule fires exactly once while both instances tick concurrently', async () => {
      const peer = await t.peer();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const row = await t.db
          .insertInto('schedules')
          .values({
            id: `pg-${i}`,
            name: `pg-${i}`,
            cron_expr: '*/5 * * * *',
            endpoint: '/agents/research-agent/runs',
            payload: json({ message: `m-${i}` }),
            next_run_at: new Date((NOW - 60) * 1000),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(row.id);
      }
      const a = startScheduler({
        ctx: hp.ctx,
        baseUrl: hp.base,
        internalToken: hp.internal,
        intervalMs: 0,
        batchSize: 3,
      });
      const b = startScheduler({
        ctx: { ...hp.ctx, database: peer, instanceId: 'instance-b' },
        baseUrl: hp.base,
        internalToken: hp.internal,
        intervalMs: 0,
        batchSize: 3,
      });
      try {
        const ticks = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).tick());
        const runs = (await Promise.all(ticks)).flat();
        // Ticks that found nothing left are fine; what matters is that nothing fired twice.
        const more = (
          await Promise.all([a.tick(), b.tick(), a.tick(), b.tick(), a.tick(), b.tick(), a.tick()])
        ).flat();
        assert.equal(runs.length + more.length, 20);
        assert.deepEqual([...fired].sort(), ids.map((_, i) => `m-${i}`).sort());
        const counts = await t.db
          .selectFrom('schedule_runs')
          .select(['schedule_id', (eb) => eb.fn.countAll().as('n')])
          .groupBy('schedule_id')
          .execute();
        assert.equal(counts.length, 20);
        assert.ok(counts.every((c) => Number(c.n) === 1));
        const byInstance = await t.db
          .selectFrom('schedule_runs')
          .select(['instance_id', (eb) => eb.fn.countAll().as('n')])
          .groupBy('instance_id')
          .execute();
        assert.equal(
          byInstance.reduce((s, r) => s + Number(r.n), 0),
          20,
        );
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });
}
