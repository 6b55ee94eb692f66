/**
 * Schedules over HTTP: CRUD with cron and time-zone validation (422), duplicate names (409),
 * `next_run_at` in the schedule's zone, enable/disable, the endpoint permission check, trigger
 * through the running scheduler (409 disabled, 503 without scheduler), and the run records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Scheduler, startScheduler } from '../src/scheduler/index.js';
import { ADMIN, type Harness, NOW, startHarness } from './handlers-admin-harness.js';

interface RunCall {
  agentId: string;
  userId: string | null;
  body: Record<string, unknown>;
}

let h: Harness;
let admin: string;
let writer: string;
const runCalls: RunCall[] = [];

before(async () => {
  h = await startHarness({
    handlers: {
      createAgentRun: ((req: {
        path: { agent_id: string };
        body: Record<string, unknown>;
        caller: { userId: string | null };
      }) => {
        runCalls.push({ agentId: req.path.agent_id, userId: req.caller.userId, body: { ...req.body } });
        return {
          status: 200,
          body: {
            run_id: `run-${runCalls.length}`,
            agent_id: req.path.agent_id,
            session_id: 'sess-1',
            status: 'COMPLETED',
            content: `done: ${String(req.body.message)}`,
            content_type: 'str',
            input: { input_content: req.body.message },
          },
        };
      }) as never,
    },
  });
  admin = await h.token('root', [ADMIN]);
  writer = await h.token('dev', [
    'schedules:read',
    'schedules:write',
    'schedules:delete',
    'agents:research-agent:run',
  ]);
});
after(() => h.close());

const daily = (extra: Record<string, unknown> = {}) => ({
  name: 'Daily research digest',
  cron_expr: '0 9 * * *',
  endpoint: '/agents/research-agent/runs',
  payload: { message: 'Summarise the news' },
  ...extra,
});

describe('createSchedule', () => {
  it('creates an enabled schedule with next_run_at computed in UTC by default', async () => {
    const res = await h.call('POST', '/schedules', { token: writer, json: daily() });
    assert.equal(res.status, 201, res.text);
    const { id, ...rest } = res.body;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(rest, {
      name: 'Daily research digest',
      description: null,
      method: 'POST',
      endpoint: '/agents/research-agent/runs',
      payload: { message: 'Summarise the news' },
      cron_expr: '0 9 * * *',
      timezone: 'UTC',
      timeout_seconds: 3600,
      max_retries: 0,
      retry_delay_seconds: 60,
      enabled: true,
      next_run_at: NOW + 3600, // 2027-01-15T08:00Z → 09:00Z
      created_at: NOW,
      updated_at: NOW,
    });
  });

  it('computes next_run_at in the schedule time zone', async () => {
    const berlin = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'berlin', timezone: 'Europe/Berlin', method: 'post' }),
    });
    assert.equal(berlin.status, 201, berlin.text);
    assert.equal(berlin.body.method, 'POST');
    // 09:00 in Berlin (UTC+1 in January) is 08:00Z, which is now: the next one is tomorrow.
    assert.equal(berlin.body.next_run_at, Date.parse('2027-01-16T08:00:00Z') / 1000);
    const kolkata = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'kolkata', cron_expr: '30 14 * * 1-5', timezone: 'Asia/Kolkata' }),
    });
    assert.equal(kolkata.body.next_run_at, Date.parse('2027-01-15T09:00:00Z') / 1000);
  });

  it('answers 422 with a clear message for a bad cron expression, time zone, method or endpoint', async () => {
    const cron = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'x1', cron_expr: '61 * * * *' }),
    });
    assert.equal(cron.status, 422);
    assert.match(
      cron.body.detail,
      /^Invalid cron expression: 61 \* \* \* \* \(.*59.*\)\. Use five fields: minute hour/,
    );
    const six = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'x2', cron_expr: '0 0 9 * * *' }),
    });
    assert.match(six.body.detail, /6 fields instead of 5/);
    const tz = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'x3', timezone: 'Mars/Olympus' }),
    });
    assert.equal(tz.status, 422);
    assert.match(tz.body.detail, /^Invalid timezone: Mars\/Olympus\. Use an IANA time zone name/);
    const method = await h.call('POST', '/schedules', {
      token: admin,
      json: daily({ name: 'x4', method: 'TRACE' }),
    });
    assert.equal(method.status, 422);
    assert.match(method.body.detail, /Invalid method: TRACE/);
    const endpoint = await h.call('POST', '/schedules', {
      token: admin,
      json: daily({ name: 'x5', endpoint: '//evil.example/x' }),
    });
    assert.equal(endpoint.status, 422);
    const schema = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'x6', endpoint: 'agents/x/runs' }),
    });
    assert.equal(schema.status, 422, 'pattern ^/ of the schema');
  });

  it('answers 409 for a duplicate name', async () => {
    const res = await h.call('POST', '/schedules', { token: writer, json: daily() });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { detail: "Schedule with name 'Daily research digest' already exists" });
  });

  it('a caller may schedule only what it could call itself', async () => {
    const other = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'p1', endpoint: '/agents/writer/runs' }),
    });
    assert.equal(other.status, 403);
    assert.equal(other.body.detail, 'Insufficient permissions. Required scope(s): agents:writer:run');
    const nonRun = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'p2', endpoint: '/sessions', method: 'DELETE' }),
    });
    assert.equal(nonRun.status, 403);
    assert.equal(nonRun.body.detail, 'Insufficient permissions. Required scope(s): agent_os:admin');
    const byAdmin = await h.call('POST', '/schedules', {
      token: admin,
      json: daily({ name: 'p3', endpoint: '/schedules', method: 'GET' }),
    });
    assert.equal(byAdmin.status, 201);
    const reader = await h.token('r', ['schedules:read']);
    assert.equal(
      (await h.call('POST', '/schedules', { token: reader, json: daily({ name: 'p4' }) })).status,
      403,
    );
  });
});

describe('list, get, update, delete', () => {
  it('lists newest first with pagination and the enabled filter', async () => {
    const all = await h.call('GET', '/schedules', { token: writer });
    assert.equal(all.status, 200);
    assert.ok(all.body.meta.total_count >= 4);
    assert.equal(all.body.meta.limit, 100);
    const page = await h.call('GET', '/schedules?limit=2&page=1', { token: writer });
    assert.equal(page.body.data.length, 2);
    assert.equal(page.body.meta.total_pages, Math.ceil(all.body.meta.total_count / 2));
    const disabled = await h.call('GET', '/schedules?enabled=false', { token: writer });
    assert.equal(disabled.body.meta.total_count, 0);
  });

  it('gets one; an unknown id is 404', async () => {
    const created = await h.call('POST', '/schedules', { token: writer, json: daily({ name: 'get-me' }) });
    const res = await h.call('GET', `/schedules/${created.body.id}`, { token: writer });
    assert.deepEqual(res.body, created.body);
    const missing = await h.call('GET', '/schedules/nope', { token: writer });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { detail: 'Schedule not found' });
  });

  it('updates present fields, recomputes next_run_at for a new cron or zone, keeps 409 and 422', async () => {
    const created = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'patch-me', description: 'd' }),
    });
    const id = created.body.id;
    h.clock.advance(60_000);
    try {
      const same = await h.call('PATCH', `/schedules/${id}`, { token: writer, json: {} });
      assert.deepEqual(same.body, created.body, 'an empty body changes nothing');
      const res = await h.call('PATCH', `/schedules/${id}`, {
        token: writer,
        json: { cron_expr: '30 8 * * 1-5', timezone: 'Europe/Berlin', description: null, max_retries: 2 },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.cron_expr, '30 8 * * 1-5');
      assert.equal(res.body.description, null);
      assert.equal(res.body.max_retries, 2);
      assert.equal(res.body.updated_at, NOW + 60);
      // Friday 2027-01-15 08:01Z is 09:01 in Berlin: next is Monday 08:30 Berlin = 07:30Z.
      assert.equal(res.body.next_run_at, Date.parse('2027-01-18T07:30:00Z') / 1000);
      const dup = await h.call('PATCH', `/schedules/${id}`, {
        token: writer,
        json: { name: 'Daily research digest' },
      });
      assert.equal(dup.status, 409);
      const bad = await h.call('PATCH', `/schedules/${id}`, {
        token: writer,
        json: { cron_expr: 'every day' },
      });
      assert.equal(bad.status, 422);
      const nullName = await h.call('PATCH', `/schedules/${id}`, { token: writer, json: { name: null } });
      assert.equal(nullName.status, 422, 'only description and payload may be null');
      const retarget = await h.call('PATCH', `/schedules/${id}`, {
        token: writer,
        json: { endpoint: '/agents/writer/runs' },
      });
      assert.equal(retarget.status, 403);
      assert.equal((await h.call('PATCH', '/schedules/nope', { token: writer, json: {} })).status, 404);
    } finally {
      h.clock.set(NOW);
    }
  });

  it('deletes (204), then 404', async () => {
    const created = await h.call('POST', '/schedules', { token: writer, json: daily({ name: 'delete-me' }) });
    assert.equal((await h.call('DELETE', `/schedules/${created.body.id}`, { token: writer })).status, 204);
    assert.equal((await h.call('DELETE', `/schedules/${created.body.id}`, { token: writer })).status, 404);
  });
});

describe('enable, disable, trigger, runs', () => {
  let scheduler: Scheduler | undefined;
  after(() => scheduler?.stop());

  it('disable/enable answer the state; a disabled schedule cannot be triggered (409)', async () => {
    const created = await h.call('POST', '/schedules', { token: writer, json: daily({ name: 'toggle' }) });
    const id = created.body.id;
    const off = await h.call('POST', `/schedules/${id}/disable`, { token: writer });
    assert.deepEqual(off.body, {
      id,
      name: 'toggle',
      enabled: false,
      next_run_at: NOW + 3600,
      updated_at: NOW,
    });
    const trig = await h.call('POST', `/schedules/${id}/trigger`, { token: writer });
    assert.equal(trig.status, 409);
    assert.deepEqual(trig.body, { detail: 'Schedule is disabled' });
    h.clock.advance(3 * 3600_000);
    try {
      const later = await h.token('dev', ['schedules:write', 'agents:research-agent:run'], {
        exp: NOW + 86400,
      });
      const on = await h.call('POST', `/schedules/${id}/enable`, { token: later });
      assert.equal(on.status, 200);
      assert.equal(on.body.enabled, true);
      assert.equal(on.body.next_run_at, NOW + 25 * 3600, 'recomputed from now (11:00Z): tomorrow 09:00Z');
    } finally {
      h.clock.set(NOW);
    }
    for (const op of ['enable', 'disable', 'trigger']) {
      assert.equal((await h.call('POST', `/schedules/nope/${op}`, { token: writer })).status, 404, op);
    }
  });

  it('trigger answers 503 when no scheduler runs', async () => {
    const created = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'no-scheduler' }),
    });
    const res = await h.call('POST', `/schedules/${created.body.id}/trigger`, { token: writer });
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { detail: 'Scheduler is not running' });
  });

  it('trigger runs the schedule now through the scheduler and answers the run record', async () => {
    scheduler = startScheduler({ ctx: h.ctx, baseUrl: h.base, internalToken: h.internal, intervalMs: 0 });
    const created = await h.call('POST', '/schedules', {
      token: writer,
      json: daily({ name: 'trigger-me', payload: { message: 'hello', stream: true, metadata: { k: 1 } } }),
    });
    const before = runCalls.length;
    const res = await h.call('POST', `/schedules/${created.body.id}/trigger`, { token: writer });
    assert.equal(res.status, 200, res.text);
    assert.equal(runCalls.length, before + 1);
    const call = runCalls.at(-1)!;
    assert.equal(call.agentId, 'research-agent');
    assert.equal(call.userId, '__scheduler__');
    assert.equal(call.body.message, 'hello');
    assert.equal(
      call.body.stream,
      false,
      'the payload stream flag is replaced: the scheduler waits for the output',
    );
    assert.equal(call.body.metadata, '{"k":1}');
    const { id, ...rest } = res.body;
    assert.deepEqual(rest, {
      schedule_id: created.body.id,
      attempt: 1,
      triggered_at: NOW,
      completed_at: NOW,
      status: 'success',
      status_code: 200,
      run_id: `run-${runCalls.length}`,
      session_id: 'sess-1',
      error: null,
      input: { input_content: 'hello' },
      output: { content: 'done: hello', content_type: 'str' },
      requirements: null,
      created_at: NOW,
    });
    // The trigger leaves the schedule's own timing alone.
    assert.equal(
      (await h.call('GET', `/schedules/${created.body.id}`, { token: writer })).body.next_run_at,
      NOW + 3600,
    );

    const runs = await h.call('GET', `/schedules/${created.body.id}/runs`, { token: writer });
    assert.equal(runs.status, 200);
    assert.deepEqual(runs.body.meta, { page: 1, limit: 100, total_pages: 1, total_count: 1 });
    assert.equal(runs.body.data[0].id, id);
    const one = await h.call('GET', `/schedules/${created.body.id}/runs/${id}`, { token: writer });
    assert.deepEqual(one.body, res.body);
    const other = await h.call('POST', '/schedules', { token: writer, json: daily({ name: 'other' }) });
    const wrong = await h.call('GET', `/schedules/${other.body.id}/runs/${id}`, { token: writer });
    assert.equal(wrong.status, 404);
    assert.deepEqual(wrong.body, { detail: 'Schedule run not found' });
    assert.equal((await h.call('GET', '/schedules/nope/runs', { token: writer })).status, 404);
  });

  it('trigger re-checks the caller may call the target', async () => {
    const created = await h.call('POST', '/schedules', {
      token: admin,
      json: daily({ name: 'admin-only', endpoint: '/agents/writer/runs' }),
    });
    assert.equal(created.status, 201);
    const res = await h.call('POST', `/schedules/${created.body.id}/trigger`, { token: writer });
    assert.equal(res.status, 403);
  });
});
