/**
 * The workflow WebSocket and REST decide alike: one table of cases, each sent once as the REST
 * operation (`POST /workflows/{id}/runs`, `POST /workflows/{id}/runs/{run_id}/continue`) and once
 * as the socket action that mirrors it (`start-workflow`, `continue-workflow`), against one real
 * server (RBAC, user isolation, roles). Both must allow or both refuse, as the table says. The
 * socket used to keep its own checks and decided some of these differently: it let an approver or
 * an admin continue past a pending approval (contract §8.4), and ran a workflow's members without
 * run permission on them (§10.2).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type AgentOS, createAgentOS } from '../src/app.js';
import { HS_SECRET, sign, silent } from './auth-helpers.js';
import { AGENTS, TEAMS, WORKFLOWS } from './runs-harness.js';
import { type Frame, openSocket } from './ws-helpers.js';

const REFUND = 'use tool issue_refund {"order_id": "ord_7"}';
const secret = new TextEncoder().encode(HS_SECRET);
const MEMBERS = ['agents:research-agent:run', 'agents:support-agent:run', 'teams:research-team:run'];
const RUN = ['workflows:content-pipeline:run', 'workflows:team-pipeline:run', ...MEMBERS];
const RUNNER = ['workflows:*:run', 'agents:*:run', 'teams:*:run'];

type Action = 'start' | 'continue';
interface Case {
  readonly name: string;
  readonly action: Action;
  readonly sub: string;
  /** The role the token names (`role` claim); token scopes are not trusted on this server. */
  readonly role: string;
  readonly scopes?: readonly string[];
  readonly want: 'allow' | 'deny';
}

const CASES: readonly Case[] = [
  {
    name: 'start with run permission on the workflow and its members',
    action: 'start',
    sub: 'alice',
    role: 'runner',
    want: 'allow',
  },
  {
    name: 'start with the workflow run scope only (members not runnable, §10.2)',
    action: 'start',
    sub: 'alice',
    role: 'workflows-only',
    want: 'deny',
  },
  {
    name: 'start with member scopes in the token but not in the role (roles decide)',
    action: 'start',
    sub: 'alice',
    role: 'workflows-only',
    scopes: RUN,
    want: 'deny',
  },
  { name: 'a token without sub under isolation', action: 'start', sub: '', role: 'runner', want: 'deny' },
  {
    name: 'continue past a pending approval: the owner',
    action: 'continue',
    sub: 'alice',
    role: 'runner',
    want: 'deny',
  },
  {
    name: 'continue past a pending approval: an approver (no bypass, §8.4)',
    action: 'continue',
    sub: 'alice',
    role: 'approver',
    want: 'deny',
  },
  {
    name: 'continue past a pending approval: an admin (no bypass, §8.4)',
    action: 'continue',
    sub: 'root',
    role: 'admin',
    want: 'deny',
  },
  { name: "continue another user's run", action: 'continue', sub: 'bob', role: 'approver', want: 'deny' },
];

async function token(sub: string, scopes: readonly string[], claims: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    { ...(sub ? { sub } : {}), scopes: [...scopes], iat: now, exp: now + 3600, ...claims },
    secret,
    {
      alg: 'HS256',
    },
  );
}

const isEnd = (f: Frame) =>
  ['WorkflowStarted', 'WorkflowCompleted', 'WorkflowPaused', 'WorkflowError', 'error'].includes(f.event);

describe('REST and the workflow WebSocket decide alike (one authority layer)', () => {
  let os: AgentOS;
  let base: string;
  let paused: { runId: string; sessionId: string };

  before(async () => {
    os = await createAgentOS({
      env: {},
      logger: silent(),
      agents: AGENTS,
      teams: TEAMS,
      workflows: WORKFLOWS,
      authorization: true,
      authorizationConfig: {
        verificationKeys: [HS_SECRET],
        algorithm: 'HS256',
        userIsolation: true,
        roles: {
          runner: { allow: RUNNER },
          approver: { allow: [...RUNNER, 'approvals:read', 'approvals:write'] },
          admin: { allow: ['agent_os:admin'] },
          'workflows-only': { allow: ['workflows:*:run'] },
        },
        rolesClaim: 'role',
        trustTokenScopes: false,
      },
    });
    const server = await os.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A run of alice's paused on a tool whose approval is required and pending.
    const res = await rest('start', await token('alice', [], { role: 'runner' }), 'team-pipeline', REFUND);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body as { run_id: string; session_id: string; status: string };
    assert.equal(body.status, 'PAUSED');
    paused = { runId: body.run_id, sessionId: body.session_id };
  });
  after(() => os.close());

  async function rest(action: Action, bearer: string, workflowId = 'content-pipeline', message = 'hi') {
    const form = new URLSearchParams(
      action === 'start'
        ? { message, stream: 'false' }
        : {
            session_id: paused.sessionId,
            stream: 'false',
            step_requirements: JSON.stringify([{ step_index: 0, confirmed: true }]),
          },
    );
    const path =
      action === 'start'
        ? `/workflows/${workflowId}/runs`
        : `/workflows/team-pipeline/runs/${paused.runId}/continue`;
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  async function socket(action: Action, bearer: string): Promise<Frame> {
    const s = await openSocket(base);
    try {
      s.send({ action: 'authenticate', token: bearer });
      assert.equal((await s.next()).event, 'authenticated');
      s.send(
        action === 'start'
          ? { action: 'start-workflow', workflow_id: 'content-pipeline', message: 'hi' }
          : {
              action: 'continue-workflow',
              workflow_id: 'team-pipeline',
              run_id: paused.runId,
              session_id: paused.sessionId,
              step_requirements: [{ step_index: 0, confirmed: true }],
            },
      );
      return await s.next(isEnd);
    } finally {
      s.close();
    }
  }

  for (const c of CASES) {
    it(`${c.want}: ${c.name}`, async () => {
      const bearer = await token(c.sub, c.scopes ?? [], { role: c.role });
      const r = await rest(c.action, bearer);
      const w = await socket(c.action, bearer);
      const restAllowed = r.status === 200;
      const socketAllowed = w.event !== 'error';
      assert.equal(restAllowed, c.want === 'allow', `REST answered ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(socketAllowed, c.want === 'allow', `the socket answered ${JSON.stringify(w)}`);
      if (c.want === 'deny') {
        // The same refusal: the socket sends REST's detail (a 404 reads as the run's not found).
        const detail = (r.body as { detail: string }).detail;
        const expected = r.status === 404 ? `Run ${paused.runId} not found` : detail;
        if (!/^Insufficient permissions/.test(detail)) assert.equal(w.error, expected);
      }
    });
  }

  it('the paused run is still paused and waits on its approval', async () => {
    const row = await os.context.database.db
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', paused.runId)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'PAUSED');
  });
});
