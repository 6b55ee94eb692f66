/**
 * @module Regression tests of the object-level findings of the security review (research
 * agentos-3.1.md §5), over real HTTP against a whole AgentOS: 1 containment of runs, 3 the
 * approval gate for everyone, 4 schedule targets, 7 eval runs, 8 nested filtering and member runs.
 * Each test fails on the server before the authority layer (contract.md §8).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, type AuthorityServer, startAuthorityServer } from './authority-harness.js';

const REFUND = 'use tool issue_refund {"order_id": "ord_42", "amount": 19.9}';
const USER = ['agents:run', 'agents:read', 'teams:run', 'teams:read', 'workflows:run', 'workflows:read'];

let s: AuthorityServer;
let open: AuthorityServer;
before(async () => {
  s = await startAuthorityServer({ userIsolation: true });
  open = await startAuthorityServer({ userIsolation: false });
});
after(async () => {
  await s?.close();
  await open?.close();
});

async function pausedRun(server: AuthorityServer, token: string) {
  const r = await server.call('POST', '/agents/support-agent/runs', {
    token,
    form: { message: REFUND, stream: 'false' },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'PAUSED');
  return r.body as {
    run_id: string;
    session_id: string;
    tools: { tool_call_id: string; approval_id: string }[];
  };
}

const runStatus = async (server: AuthorityServer, runId: string) =>
  (
    await server.os.context.database.db
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', runId)
      .executeTakeFirst()
  )?.status;

describe('finding 1: a run is reached only through its own entity (and, isolated, its owner)', () => {
  for (const isolated of [true, false]) {
    it(`cancel/get/resume/continue through another agent's or a team's path answer 404 (isolation ${isolated ? 'on' : 'off'})`, async () => {
      const server = isolated ? s : open;
      const bob = await server.token('bob', USER);
      const run = await pausedRun(server, bob);
      const alice = await server.token('alice', [
        'agents:research-agent:run',
        'agents:research-agent:read',
        'teams:run',
      ]);
      const q = `?session_id=${run.session_id}`;
      for (const [method, path] of [
        ['POST', `/agents/research-agent/runs/${run.run_id}/cancel${q}`],
        ['POST', `/teams/research-team/runs/${run.run_id}/cancel${q}`],
        ['GET', `/agents/research-agent/runs/${run.run_id}${q}`],
      ] as const) {
        const a = await server.call(method, path, { token: alice });
        assert.equal(a.status, 404, `${method} ${path}: ${a.text}`);
        assert.deepEqual(a.body, { detail: 'Run not found' });
      }
      const cont = await server.call('POST', `/agents/research-agent/runs/${run.run_id}/continue`, {
        token: alice,
        form: { session_id: run.session_id, stream: 'false' },
      });
      assert.equal(cont.status, 404, cont.text);
      assert.equal(await runStatus(server, run.run_id), 'PAUSED');
    });
  }

  it('under isolation, another user with the same agent scope gets 404, the owner cancels', async () => {
    const bob = await s.token('bob', USER);
    const run = await pausedRun(s, bob);
    const mallory = await s.token('mallory', USER);
    const q = `?session_id=${run.session_id}`;
    const a = await s.call('POST', `/agents/support-agent/runs/${run.run_id}/cancel${q}`, { token: mallory });
    assert.equal(a.status, 404);
    assert.deepEqual(a.body, { detail: 'Run not found' });
    assert.equal(await runStatus(s, run.run_id), 'PAUSED');
    const own = await s.call('POST', `/agents/support-agent/runs/${run.run_id}/cancel${q}`, { token: bob });
    assert.equal(own.status, 200, own.text);
    assert.equal(await runStatus(s, run.run_id), 'CANCELLED');
  });

  it('cancelling an unknown run answers 404 and stores nothing', async () => {
    for (const server of [s, open]) {
      const alice = await server.token('alice', USER);
      const a = await server.call('POST', '/agents/research-agent/runs/no-such-run/cancel?session_id=x', {
        token: alice,
      });
      assert.equal(a.status, 404);
      assert.deepEqual(a.body, { detail: 'Run not found' });
      const rows = await server.os.context.database.db
        .selectFrom('run_cancellations')
        .selectAll()
        .where('run_id', '=', 'no-such-run')
        .execute();
      assert.equal(rows.length, 0);
    }
  });
});

describe('finding 3: a pending required approval blocks continue for everyone', () => {
  it('the owner with approvals:write, and the admin, are refused until a resolver resolves it', async () => {
    const alice = await s.token('alice', [...USER, 'approvals:write']);
    const root = await s.token('root', [ADMIN]);
    const run = await pausedRun(s, alice);
    const tools = JSON.stringify([{ tool_call_id: run.tools[0]!.tool_call_id, confirmed: true }]);
    const form = { session_id: run.session_id, stream: 'false', tools };
    const path = `/agents/support-agent/runs/${run.run_id}/continue`;
    // Isolated, alice cannot resolve the approval (404)…
    const resolveAsAlice = await s.call('POST', `/approvals/${run.tools[0]!.approval_id}/resolve`, {
      token: alice,
      json: { status: 'approved' },
    });
    assert.equal(resolveAsAlice.status, 404);
    // …so she cannot continue past it either; nor can the admin before resolving.
    for (const token of [alice, root]) {
      const blocked = await s.call('POST', path, { token, form });
      assert.equal(blocked.status, 403, blocked.text);
      assert.deepEqual(blocked.body, {
        detail: 'This run requires admin approval before it can be continued',
      });
    }
    assert.equal(await runStatus(s, run.run_id), 'PAUSED');
    const resolved = await s.call('POST', `/approvals/${run.tools[0]!.approval_id}/resolve`, {
      token: root,
      json: { status: 'approved' },
    });
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.resolved_by, 'root');
    const done = await s.call('POST', path, { token: alice, form });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'COMPLETED');
  });
});

describe('finding 7: eval runs need run permission on the agent or team they name', () => {
  it('evals:write alone cannot run an agent; with the agent run scope it can', async () => {
    const body = { agent_id: 'research-agent', eval_type: 'performance', input: 'hello' };
    const only = await s.token('alice', ['evals:write', 'evals:read']);
    const refused = await s.call('POST', '/eval-runs', { token: only, json: body });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(
      refused.body.detail,
      'Insufficient permissions. Required scope(s): agents:research-agent:run',
    );
    const team = await s.call('POST', '/eval-runs', {
      token: only,
      json: { team_id: 'research-team', eval_type: 'performance', input: 'hello' },
    });
    assert.equal(team.status, 403, team.text);
    const allowed = await s.token('alice', ['evals:write', 'agents:research-agent:run']);
    const ok = await s.call('POST', '/eval-runs', { token: allowed, json: body });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('finding 4: a schedule runs only what its editor could run', () => {
  it('create, update of any field, enable and trigger need the target permission (isolation off)', async () => {
    const s = open;
    const root = await s.token('root', [ADMIN]);
    const created = await s.call('POST', '/schedules', {
      token: root,
      json: {
        name: 'refunds',
        endpoint: '/agents/support-agent/runs',
        cron_expr: '0 * * * *',
        payload: { message: 'hi' },
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    const alice = await s.token('alice', ['schedules:write', 'schedules:read', 'agents:research-agent:run']);
    for (const patch of [
      { cron_expr: '*/5 * * * *' },
      { payload: { message: 'refund everything' } },
      { timezone: 'Europe/Paris' },
      { endpoint: '/agents/support-agent/runs' },
      { method: 'POST' },
    ]) {
      const a = await s.call('PATCH', `/schedules/${id}`, { token: alice, json: patch });
      assert.equal(a.status, 403, `${JSON.stringify(patch)}: ${a.text}`);
    }
    for (const action of ['enable', 'trigger']) {
      const a = await s.call('POST', `/schedules/${id}/${action}`, { token: alice });
      assert.equal(a.status, 403, `${action}: ${a.text}`);
    }
    const stored = await s.call('GET', `/schedules/${id}`, { token: root });
    assert.equal(stored.body.cron_expr, '0 * * * *');
    // Her own schedule, on an agent she may run: allowed; retargeting it elsewhere is not.
    const own = await s.call('POST', '/schedules', {
      token: alice,
      json: { name: 'mine', endpoint: '/agents/research-agent/runs', cron_expr: '0 * * * *' },
    });
    assert.equal(own.status, 201, own.text);
    const ok = await s.call('PATCH', `/schedules/${own.body.id}`, {
      token: alice,
      json: { cron_expr: '*/5 * * * *' },
    });
    assert.equal(ok.status, 200, ok.text);
    const away = await s.call('PATCH', `/schedules/${own.body.id}`, {
      token: alice,
      json: { endpoint: '/agents/support-agent/runs' },
    });
    assert.equal(away.status, 403);
    const admin = await s.call('POST', '/schedules', {
      token: alice,
      json: { name: 'wipe', endpoint: '/sessions', method: 'DELETE', cron_expr: '0 * * * *' },
    });
    assert.equal(admin.status, 403);
  });
});

describe('finding 4 under isolation: another user schedule is not reachable at all', () => {
  it('404 before its target is looked at', async () => {
    const root = await s.token('root', [ADMIN]);
    const created = await s.call('POST', '/schedules', {
      token: root,
      json: { name: 'iso-refunds', endpoint: '/agents/support-agent/runs', cron_expr: '0 * * * *' },
    });
    assert.equal(created.status, 201, created.text);
    const alice = await s.token('alice', ['schedules:write', 'schedules:read', 'agents:run']);
    const a = await s.call('PATCH', `/schedules/${created.body.id}`, {
      token: alice,
      json: { cron_expr: '*/5 * * * *' },
    });
    assert.equal(a.status, 404);
    assert.deepEqual(a.body, { detail: 'Schedule not found' });
  });
});

describe('finding 8: teams and workflows expose and run only members the caller may', () => {
  it('team details show only readable members; GET /config lists only readable entities', async () => {
    const t = await s.token('alice', ['teams:read', 'agents:research-agent:read', 'config:read']);
    const team = await s.call('GET', '/teams/research-team', { token: t });
    assert.equal(team.status, 200, team.text);
    assert.deepEqual(
      team.body.members.map((m: { id: string }) => m.id),
      ['research-agent'],
    );
    assert.doesNotMatch(team.text, /support-agent/);
    const config = await s.call('GET', '/config', { token: t });
    assert.equal(config.status, 200, config.text);
    assert.deepEqual(
      config.body.agents.map((a: { id: string }) => a.id),
      ['research-agent'],
    );
    assert.deepEqual(config.body.workflows, []);
  });

  it('a team or workflow run needs run permission on every member (403 before anything runs)', async () => {
    const teamOnly = await s.token('alice', ['teams:research-team:run', 'workflows:content-pipeline:run']);
    for (const path of ['/teams/research-team/runs', '/workflows/content-pipeline/runs']) {
      const a = await s.call('POST', path, { token: teamOnly, form: { message: 'hi', stream: 'false' } });
      assert.equal(a.status, 403, `${path}: ${a.text}`);
      assert.match(a.body.detail, /agents:(research|support)-agent:run/);
    }
    const full = await s.token('alice', ['teams:research-team:run', 'agents:run']);
    const ok = await s.call('POST', '/teams/research-team/runs', {
      token: full,
      form: { message: 'hi', stream: 'false' },
    });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('finding 2: a pending approval cannot be deleted', () => {
  it('DELETE answers 409, the approval stays pending and continue stays blocked; once resolved it may go', async () => {
    const alice = await s.token('alice', USER);
    const root = await s.token('root', [ADMIN]);
    const run = await pausedRun(s, alice);
    const approvalId = run.tools[0]!.approval_id;
    const del = await s.call('DELETE', `/approvals/${approvalId}`, { token: root });
    assert.equal(del.status, 409, del.text);
    assert.match(del.body.detail, /^A pending approval cannot be deleted/);
    const still = await s.call('GET', `/approvals/${approvalId}`, { token: root });
    assert.equal(still.body.status, 'pending');
    const tools = JSON.stringify([{ tool_call_id: run.tools[0]!.tool_call_id, confirmed: true }]);
    const blocked = await s.call('POST', `/agents/support-agent/runs/${run.run_id}/continue`, {
      token: alice,
      form: { session_id: run.session_id, stream: 'false', tools },
    });
    assert.equal(blocked.status, 403);
    await s.call('POST', `/approvals/${approvalId}/resolve`, { token: root, json: { status: 'rejected' } });
    assert.equal((await s.call('DELETE', `/approvals/${approvalId}`, { token: root })).status, 204);
  });
});

describe('the approval gate fails closed', () => {
  it('a storage error while reading approvals answers 403 (agno 3.1), never continues', async () => {
    const alice = await s.token('alice', USER);
    const run = await pausedRun(s, alice);
    const db = s.os.context.database.db;
    await db.schema.alterTable('approvals').renameTo('approvals_away').execute();
    try {
      const a = await s.call('POST', `/agents/support-agent/runs/${run.run_id}/continue`, {
        token: alice,
        form: { session_id: run.session_id, stream: 'false' },
      });
      assert.equal(a.status, 403, a.text);
      assert.deepEqual(a.body, { detail: "This run's approval state could not be verified; try again" });
    } finally {
      await db.schema.alterTable('approvals_away').renameTo('approvals').execute();
    }
    assert.equal(await runStatus(s, run.run_id), 'PAUSED');
  });
});

describe('no-sub tokens under isolation', () => {
  it('403 on user-owned operations, not the unscoped view', async () => {
    const anon = await s.token(null, ['sessions:read', 'agents:read']);
    const a = await s.call('GET', '/sessions', { token: anon });
    assert.equal(a.status, 403, a.text);
    assert.deepEqual(a.body, { detail: 'Authenticated request is missing a user identity' });
    assert.equal((await s.call('GET', '/agents', { token: anon })).status, 200);
  });
});

describe('finding 10: deep JSON is refused (422), never a 500, never stored', () => {
  const deep = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  const deepText = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;

  it('JSON bodies: session state, learning content, schedule payload', async () => {
    const root = await s.token('root', [ADMIN]);
    const cases: [string, string, unknown][] = [
      ['POST', '/sessions', { session_type: 'agent', agent_id: 'research-agent', session_state: deep(3000) }],
      ['POST', '/learnings', { learning_type: 'user_profile', content: deep(3000), user_id: 'root' }],
      [
        'POST',
        '/schedules',
        {
          name: 'deep',
          endpoint: '/agents/research-agent/runs',
          cron_expr: '0 * * * *',
          payload: deep(3000),
        },
      ],
    ];
    for (const [method, path, body] of cases) {
      const a = await s.call(method, path, { token: root, json: body });
      assert.equal(a.status, 422, `${path}: ${a.status} ${a.text.slice(0, 200)}`);
      assert.match(a.body.detail, /nested too deep/);
    }
    const stored = await s.os.context.database.db
      .selectFrom('schedules')
      .select('id')
      .where('name', '=', 'deep')
      .execute();
    assert.equal(stored.length, 0);
  });

  it('JSON text in run form fields (metadata, session_state) and raw deep arrays', async () => {
    const alice = await s.token('alice', USER);
    for (const field of ['metadata', 'session_state', 'dependencies']) {
      const a = await s.call('POST', '/agents/research-agent/runs', {
        token: alice,
        form: { message: 'hi', stream: 'false', [field]: JSON.stringify(deep(3000)) },
      });
      assert.equal(a.status, 422, `${field}: ${a.status} ${a.text.slice(0, 200)}`);
    }
    const root = await s.token('root', [ADMIN]);
    const raw = await s.call('POST', '/sessions', { token: root, raw: deepText(100_000) });
    assert.equal(raw.status, 422, raw.text.slice(0, 200));
    const big = await s.call('POST', '/sessions', {
      token: root,
      raw: JSON.stringify({ x: 'a'.repeat(2_000_000) }),
    });
    assert.equal(big.status, 413);
    // A reasonable nesting passes.
    const ok = await s.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'hi', stream: 'false', metadata: JSON.stringify(deep(10)) },
    });
    assert.equal(ok.status, 200, ok.text);
  });
});
