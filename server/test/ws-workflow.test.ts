/**
 * `GET /workflows/ws` over a real socket against a real server (createAgentOS + listen): every
 * action (`authenticate`, `ping`, `start-workflow`, `reconnect`, `continue-workflow`) and its
 * refusals — unauthenticated actions, bad/expired/foreign tokens, missing run scope, another
 * user's run with and without `workflow_id`, the approval gate on continue, replay from
 * `last_event_index`, oversize frames, message rate, binary frames, Origin, close codes; and the
 * security-key and open modes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { type AgentOS, createAgentOS } from '../src/app.js';
import { ACTION_OPERATIONS, MESSAGES } from '../src/ws/protocol.js';
import { HS_SECRET, sign, silent } from './auth-helpers.js';
import { AGENTS, TEAMS, WORKFLOWS } from './runs-harness.js';
import { type Frame, openSocket } from './ws-helpers.js';

const REFUND = 'use tool issue_refund {"order_id": "ord_7"}';
const secret = new TextEncoder().encode(HS_SECRET);
/** Run scopes of both workflows and of every member they execute (contract §10.2). */
const MEMBERS = ['agents:research-agent:run', 'agents:support-agent:run', 'teams:research-team:run'];
const RUN = ['workflows:content-pipeline:run', 'workflows:team-pipeline:run', ...MEMBERS];

async function token(
  sub: string | null,
  scopes: readonly string[],
  extra: Record<string, unknown> = {},
  key: Uint8Array = secret,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ ...(sub ? { sub } : {}), scopes: [...scopes], iat: now, exp: now + 3600, ...extra }, key, {
    alg: 'HS256',
  });
}

async function serve(options: Parameters<typeof createAgentOS>[0]): Promise<{ os: AgentOS; base: string }> {
  const os = await createAgentOS({
    env: {},
    logger: silent(),
    agents: AGENTS,
    teams: TEAMS,
    workflows: WORKFLOWS,
    ...options,
  });
  const server = await os.listen(0, '127.0.0.1');
  return { os, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const isEnd = (f: Frame) =>
  ['WorkflowCompleted', 'WorkflowPaused', 'WorkflowError', 'WorkflowCancelled', 'error'].includes(f.event);

describe('workflow WebSocket (JWT, RBAC, user isolation)', () => {
  let os: AgentOS;
  let base: string;
  before(async () => {
    ({ os, base } = await serve({
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256', userIsolation: true },
      scopeMappings: {
        'POST /workflows/{workflow_id}/runs/{run_id}/resume': ['workflows:{workflow_id}:run'],
      },
    }));
  });
  after(() => os.close());

  async function authed(sub: string | null, scopes: readonly string[]) {
    const s = await openSocket(base);
    s.send({ action: 'authenticate', token: await token(sub, scopes) });
    const ok = await s.next();
    assert.equal(ok.event, 'authenticated', JSON.stringify(ok));
    return s;
  }

  async function startRun(
    sub: string,
    workflowId: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    const s = await authed(sub, RUN);
    s.send({ action: 'start-workflow', workflow_id: workflowId, message, ...extra });
    const frames = await s.until(isEnd);
    s.close();
    return frames;
  }

  it('connected frame says auth is required; nothing but authenticate works before it', async () => {
    const s = await openSocket(base);
    assert.deepEqual(s.hello, { event: 'connected', message: MESSAGES.connectedAuth, requires_auth: true });
    for (const action of ['ping', 'start-workflow', 'reconnect', 'continue-workflow', 'nope']) {
      s.send({ action, workflow_id: 'content-pipeline', run_id: 'x', message: 'hi' });
      assert.deepEqual(await s.next(), { event: 'auth_required', error: MESSAGES.authRequired('JWT') });
    }
    s.close();
  });

  it('authenticate: missing, bad, expired, foreign-key and reserved-subject tokens are refused', async () => {
    const s = await openSocket(base);
    s.send({ action: 'authenticate' });
    assert.deepEqual(await s.next(), { event: 'auth_error', error: 'Token is required' });
    s.send({ action: 'authenticate', token: 'not.a.jwt' });
    assert.equal((await s.next()).error_type, 'invalid_token');
    s.send({
      action: 'authenticate',
      token: await token('alice', RUN, { exp: Math.floor(Date.now() / 1000) - 600 }),
    });
    assert.deepEqual(await s.next(), {
      event: 'auth_error',
      error: 'Token has expired',
      error_type: 'expired',
    });
    const foreign = await token(
      'alice',
      RUN,
      {},
      new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'),
    );
    s.send({ action: 'authenticate', token: foreign });
    const f = await s.next();
    assert.equal(f.event, 'auth_error');
    assert.equal(f.error_type, 'invalid_token');
    s.send({ action: 'ping' });
    assert.equal((await s.next()).event, 'auth_required');
    s.send({ action: 'authenticate', token: await token('sa:robot', ['agent_os:admin']) });
    assert.equal((await s.next()).error, 'Invalid token subject');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'alice', scopes: RUN, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url')}.`;
    s.send({ action: 'authenticate', token: unsigned });
    assert.equal((await s.next()).error_type, 'invalid_token', 'alg none is refused');
    // The fifth failure (after the missing token, which is not an attempt) closes the socket (policy violation).
    assert.deepEqual(await s.closed, { code: 1008, reason: 'Too many failed authentications' });
  });

  it('a token without sub authenticates (as on REST) but, under isolation, runs nothing (contract §9.5)', async () => {
    const s = await authed(null, RUN);
    s.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'hi' });
    assert.deepEqual(await s.next(), { event: 'error', error: MESSAGES.missingUserIdentity });
    s.close();
  });

  it('authenticate then ping → pong; unknown action → error', async () => {
    const s = await openSocket(base);
    s.send({ action: 'authenticate', token: await token('alice', RUN) });
    assert.deepEqual(await s.next(), {
      event: 'authenticated',
      message: MESSAGES.jwtOk,
      user_id: 'alice',
    });
    s.send({ action: 'ping' });
    assert.deepEqual(await s.next(), { event: 'pong' });
    s.send({ action: 'dance' });
    assert.deepEqual(await s.next(), { event: 'error', error: 'Unknown action: dance' });
    s.send({ nothing: true });
    assert.deepEqual(await s.next(), { event: 'error', error: 'Unknown action: undefined' });
    s.ws.send('{not json');
    assert.deepEqual(await s.next(), { event: 'error', error: MESSAGES.invalidMessage });
    s.close();
  });

  it('start-workflow: streams the run with event_index, user id forced to the subject', async () => {
    const frames = await startRun('alice', 'content-pipeline', 'hello', { user_id: 'mallory' });
    assert.equal(frames[0]!.event, 'WorkflowStarted');
    assert.equal(frames.at(-1)!.event, 'WorkflowCompleted');
    assert.deepEqual(
      frames.map((f) => f.event_index),
      frames.map((_, i) => i),
    );
    const runId = frames[0]!.run_id as string;
    const row = await os.context.database.db
      .selectFrom('runs')
      .select(['user_id', 'entity_id'])
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { user_id: 'alice', entity_id: 'content-pipeline' });
  });

  it('start-workflow without the workflow run scope, or without workflow_id, is refused with no run', async () => {
    const before = await os.context.database.db.selectFrom('runs').select('run_id').execute();
    const s = await authed('alice', ['workflows:team-pipeline:run', 'workflows:read']);
    s.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'x' });
    assert.deepEqual(await s.next(), { event: 'error', error: MESSAGES.forbiddenStart });
    s.send({ action: 'start-workflow', message: 'x' });
    assert.deepEqual(await s.next(), { event: 'error', error: MESSAGES.workflowIdRequired });
    const after = await os.context.database.db.selectFrom('runs').select('run_id').execute();
    assert.equal(after.length, before.length);
    // The scope is for a workflow that exists; an unknown one answers not found once allowed.
    const admin = await authed('root', ['agent_os:admin']);
    admin.send({ action: 'start-workflow', workflow_id: 'no-such', message: 'x' });
    assert.deepEqual(await admin.next(), { event: 'error', error: 'Workflow no-such not found' });
    s.close();
    admin.close();
  });

  it('reconnect: replays the events after last_event_index for the owner', async () => {
    const frames = await startRun('alice', 'content-pipeline', 'replay me');
    const runId = frames[0]!.run_id as string;
    const sessionId = frames[0]!.session_id as string;
    const s = await authed('alice', RUN);
    s.send({
      action: 'reconnect',
      run_id: runId,
      workflow_id: 'content-pipeline',
      session_id: sessionId,
      last_event_index: 2,
    });
    const meta = await s.next();
    assert.equal(meta.event, 'replay');
    assert.equal(meta.run_id, runId);
    assert.equal(meta.total_events, frames.length - 3);
    const replayed = await s.until((f) => f.event === 'WorkflowCompleted');
    assert.deepEqual(
      replayed.map((f) => f.event_index),
      frames.slice(3).map((f) => f.event_index),
    );
    s.close();
  });

  it("reconnect to another user's run: refused without workflow_id, without session_id, and as not found", async () => {
    const frames = await startRun('alice', 'content-pipeline', 'private');
    const runId = frames[0]!.run_id as string;
    const sessionId = frames[0]!.session_id as string;
    const bob = await authed('bob', RUN);
    bob.send({ action: 'reconnect', run_id: runId });
    assert.deepEqual(await bob.next(), { event: 'error', error: MESSAGES.workflowIdRequiredReconnect });
    bob.send({ action: 'reconnect', run_id: runId, workflow_id: 'content-pipeline' });
    assert.deepEqual(await bob.next(), { event: 'error', error: MESSAGES.sessionIdRequiredReconnect });
    bob.send({ action: 'reconnect', run_id: runId, workflow_id: 'content-pipeline', session_id: sessionId });
    assert.deepEqual(await bob.next(), { event: 'error', error: `Run ${runId} not found` });
    // A wrong workflow_id for alice's own run reads the same.
    const alice = await authed('alice', RUN);
    alice.send({ action: 'reconnect', run_id: runId, workflow_id: 'team-pipeline', session_id: sessionId });
    assert.deepEqual(await alice.next(), { event: 'error', error: `Run ${runId} not found` });
    // No replay frame ever reached bob.
    await assert.rejects(bob.next((f) => f.event === 'replay' || f.run_id === runId, 300));
    bob.close();
    alice.close();
  });

  it('reconnect without the run scope is refused; an admin may reconnect without workflow_id', async () => {
    const frames = await startRun('alice', 'content-pipeline', 'scoped');
    const runId = frames[0]!.run_id as string;
    const sessionId = frames[0]!.session_id as string;
    const reader = await authed('alice', ['workflows:read', 'workflows:team-pipeline:run']);
    reader.send({
      action: 'reconnect',
      run_id: runId,
      workflow_id: 'content-pipeline',
      session_id: sessionId,
    });
    assert.deepEqual(await reader.next(), { event: 'error', error: MESSAGES.forbiddenReconnect });
    reader.close();
    const admin = await authed('root', ['agent_os:admin']);
    admin.send({ action: 'reconnect', run_id: runId });
    assert.equal((await admin.next()).event, 'replay');
    const all = await admin.until((f) => f.event === 'WorkflowCompleted');
    assert.equal(all.length, frames.length);
    admin.close();
  });

  it('continue-workflow: scope, ownership and the approval gate (no bypass); once approved, it continues to the end', async () => {
    const frames = await startRun('alice', 'team-pipeline', REFUND);
    const paused = frames.at(-1)!;
    assert.equal(paused.event, 'WorkflowPaused', JSON.stringify(paused));
    const runId = paused.run_id as string;
    const sessionId = paused.session_id as string;
    const decision = {
      action: 'continue-workflow',
      workflow_id: 'team-pipeline',
      run_id: runId,
      session_id: sessionId,
      step_requirements: [{ step_index: 0, confirmed: true }],
    };
    // No run scope for the workflow.
    const reader = await authed('alice', ['workflows:content-pipeline:run']);
    reader.send(decision);
    assert.deepEqual(await reader.next(), { event: 'error', error: MESSAGES.forbiddenContinue });
    reader.close();
    // Another user, even with the approval scope: not found (ownership before the gate).
    const bob = await authed('bob', [...RUN, 'approvals:write']);
    bob.send(decision);
    assert.deepEqual(await bob.next(), { event: 'error', error: `Run ${runId} not found` });
    bob.send({ ...decision, session_id: undefined });
    assert.deepEqual(await bob.next(), { event: 'error', error: MESSAGES.sessionIdRequired });
    bob.close();
    // The owner without approvals:write: the pending required approval blocks the continue.
    const alice = await authed('alice', RUN);
    alice.send(decision);
    assert.deepEqual(await alice.next(), {
      event: 'error',
      error: 'This run requires admin approval before it can be continued',
    });
    alice.close();
    const row = await os.context.database.db
      .selectFrom('runs')
      .select('status')
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'PAUSED');
    // Neither an approver nor an admin continues past it (contract §8.4: no bypass).
    for (const scopes of [[...RUN, 'approvals:write'], ['agent_os:admin']]) {
      const s = await authed('alice', scopes);
      s.send(decision);
      assert.deepEqual(await s.next(), {
        event: 'error',
        error: 'This run requires admin approval before it can be continued',
      });
      s.close();
    }
    // Resolved first (by whoever may), then the owner continues to the end.
    await os.context.database.db
      .updateTable('approvals')
      .set({ status: 'approved', resolved_by: 'root', resolved_at: new Date() })
      .where('run_id', '=', runId)
      .where('status', '=', 'pending')
      .execute();
    const owner = await authed('alice', RUN);
    owner.send(decision);
    const rest = await owner.until(isEnd);
    assert.equal(rest.at(-1)!.event, 'WorkflowCompleted', JSON.stringify(rest.at(-1)));
    owner.close();
  });

  it('frames larger than the limit close the socket with 1009; binary frames with 1003', async () => {
    const s = await authed('alice', RUN);
    s.send({ action: 'ping', pad: 'x'.repeat(70 * 1024) });
    assert.equal((await s.closed).code, 1009);
    const b = await authed('alice', RUN);
    b.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await b.closed).code, 1003);
  });

  it('too many messages close the socket with 1008', async () => {
    const s = await authed('alice', RUN);
    for (let i = 0; i < 100; i++) s.send({ action: 'ping' });
    assert.deepEqual(await s.closed, { code: 1008, reason: 'Rate limit exceeded' });
  });

  it('an Origin outside the CORS list is refused at the upgrade; other paths answer 404', async () => {
    await assert.rejects(openSocket(base, { headers: { origin: 'https://evil.example' } }), /403/);
    const ok = await openSocket(base, { headers: { origin: 'http://localhost:3000' } });
    ok.close();
    await assert.rejects(openSocket(base, { path: '/agents/ws' }), /404/);
  });

  it('the server closes its sockets with 1001 when it stops', async () => {
    const extra = await serve({ env: {} });
    const s = await openSocket(extra.base);
    await extra.os.close();
    assert.equal((await s.closed).code, 1001);
  });
});

describe('workflow WebSocket: authentication deadline', () => {
  it('a socket that does not authenticate in time is closed with 1008', async () => {
    const { os, base } = await serve({
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
      workflowSocket: { authTimeoutMs: 200 },
    });
    try {
      const s = await openSocket(base);
      assert.deepEqual(await s.closed, { code: 1008, reason: 'Authentication timeout' });
    } finally {
      await os.close();
    }
  });
});

describe('workflow WebSocket: security-key and open modes', () => {
  const KEY = 'ws-dev-key-0123456789-abcdefghijklmn';

  it('security key: the key authenticates as admin; anything else is refused', async () => {
    const { os, base } = await serve({ securityKey: KEY });
    try {
      const s = await openSocket(base);
      assert.equal(s.hello.requires_auth, true);
      s.send({ action: 'ping' });
      assert.deepEqual(await s.next(), {
        event: 'auth_required',
        error: MESSAGES.authRequired('bearer token'),
      });
      s.send({ action: 'authenticate', token: `${KEY}x` });
      assert.deepEqual(await s.next(), {
        event: 'auth_error',
        error: 'Invalid authentication token',
        error_type: 'invalid_token',
      });
      s.send({ action: 'authenticate', token: KEY });
      assert.deepEqual(await s.next(), { event: 'authenticated', message: MESSAGES.authOk });
      s.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'k', user_id: 'dev' });
      const frames = await s.until(isEnd);
      assert.equal(frames.at(-1)!.event, 'WorkflowCompleted');
      s.close();
    } finally {
      await os.close();
    }
  });

  it('open mode: no authentication needed', async () => {
    const { os, base } = await serve({});
    try {
      const s = await openSocket(base);
      assert.deepEqual(s.hello, {
        event: 'connected',
        message: MESSAGES.connectedOpen,
        requires_auth: false,
      });
      s.send({ action: 'ping' });
      assert.deepEqual(await s.next(), { event: 'pong' });
      s.close();
    } finally {
      await os.close();
    }
  });
});

describe('workflow WebSocket: the AsyncAPI document', () => {
  it('names the REST operation each action of the server mirrors', () => {
    const doc = parse(readFileSync(new URL('../../spec/agentos.asyncapi.yaml', import.meta.url), 'utf8'));
    const byName: Record<string, string> = {};
    for (const op of Object.values(doc.operations as Record<string, Record<string, unknown>>)) {
      const messages = op.messages as { $ref: string }[];
      const ref = messages[0]!.$ref.split('/').pop()!;
      const wire = doc.components.messages[ref].name as string;
      if (op['x-rest-operation']) byName[wire] = op['x-rest-operation'] as string;
    }
    assert.deepEqual(byName, ACTION_OPERATIONS);
  });
});

describe('workflow WebSocket: runtime scopeMappings apply as on REST', () => {
  it('an override of createWorkflowRun changes what start-workflow needs', async () => {
    const { os, base } = await serve({
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
      scopeMappings: { 'POST /workflows/{workflow_id}/runs': ['approvals:write'] },
    });
    try {
      const runner = await openSocket(base);
      runner.send({ action: 'authenticate', token: await token('alice', RUN) });
      assert.equal((await runner.next()).event, 'authenticated');
      runner.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'x' });
      assert.deepEqual(await runner.next(), { event: 'error', error: MESSAGES.forbiddenStart });
      runner.close();
      const approver = await openSocket(base);
      approver.send({ action: 'authenticate', token: await token('alice', ['approvals:write', ...MEMBERS]) });
      assert.equal((await approver.next()).event, 'authenticated');
      approver.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'x' });
      const frames = await approver.until(isEnd);
      assert.equal(frames.at(-1)!.event, 'WorkflowCompleted');
      approver.close();
    } finally {
      await os.close();
    }
  });
});

describe('workflow WebSocket with roles (the grants REST resolves)', () => {
  let os: AgentOS;
  let base: string;
  before(async () => {
    ({ os, base } = await serve({
      authorization: true,
      authorizationConfig: {
        verificationKeys: [HS_SECRET],
        algorithm: 'HS256',
        roles: {
          runner: {
            allow: ['workflows:*:run', 'agents:*:run', 'teams:*:run'],
            deny: ['workflows:team-pipeline:run'],
          },
        },
        rolesClaim: 'role',
        trustTokenScopes: false,
      },
    }));
  });
  after(() => os.close());

  it("a role's allow starts a run, its deny refuses one, token scopes are not trusted", async () => {
    const s = await openSocket(base);
    s.send({ action: 'authenticate', token: await token('alice', [], { role: 'runner' }) });
    assert.equal((await s.next()).event, 'authenticated');
    s.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'hello' });
    const frames = await s.until(isEnd);
    assert.notEqual(frames.at(-1)?.event, 'error', JSON.stringify(frames.at(-1)));
    s.send({ action: 'start-workflow', workflow_id: 'team-pipeline', message: 'hello' });
    assert.deepEqual(await s.next(), { event: 'error', error: MESSAGES.forbiddenStart });
    s.close();
    // Scopes in the token give nothing when roles decide (trustTokenScopes false), as on REST.
    const t = await openSocket(base);
    t.send({ action: 'authenticate', token: await token('bob', ['workflows:content-pipeline:run']) });
    assert.equal((await t.next()).event, 'authenticated');
    t.send({ action: 'start-workflow', workflow_id: 'content-pipeline', message: 'hello' });
    assert.deepEqual(await t.next(), { event: 'error', error: MESSAGES.forbiddenStart });
    t.close();
  });
});
