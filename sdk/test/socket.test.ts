/**
 * @module `@agentos/sdk/socket` against the real reference server over a real socket: the token in
 * the `authenticate` message, a run streamed to its end, reconnect with `last_event_index` on a new
 * socket, continue of a paused run, typed refusals (bad token, missing scope, another user's run).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';
import WebSocket from 'ws';
import { type AgentOS, createAgentOS } from '../../server/src/app.js';
import {
  type WebSocketConstructor,
  WorkflowSocketError,
  type WorkflowSocketEvent,
  workflowSocket,
} from '../src/socket.js';

const SECRET = 'a-very-long-secret-key-at-least-256-bits-long';
// A workflow run needs run permission on every member it executes (contract §10.2), on the socket as on REST.
const RUN = ['workflows:content-pipeline:run', 'workflows:review-pipeline:run', 'agents:*:run'];
const WS = WebSocket as unknown as WebSocketConstructor;

function token(sub: string, scopes: readonly string[]): Promise<string> {
  return new SignJWT({ sub, scopes: [...scopes] })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

async function collect(it: AsyncIterable<WorkflowSocketEvent>): Promise<WorkflowSocketEvent[]> {
  const out: WorkflowSocketEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

describe('workflowSocket() against the reference server', () => {
  let os: AgentOS;
  let baseUrl: string;
  before(async () => {
    os = await createAgentOS({
      env: {},
      logger: pino({ level: 'silent' }),
      agents: [{ id: 'research-agent', name: 'Research Agent' }],
      workflows: [
        { id: 'content-pipeline', name: 'Content', steps: [{ name: 'research', agent: 'research-agent' }] },
        {
          id: 'review-pipeline',
          name: 'Review',
          steps: [
            { name: 'research', agent: 'research-agent' },
            { name: 'publish', agent: 'research-agent', requiresConfirmation: true },
          ],
        },
      ],
      authorization: true,
      authorizationConfig: { verificationKeys: [SECRET], algorithm: 'HS256', userIsolation: true },
    });
    const server = await os.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => os.close());

  it('authenticates with the token, streams a run, and reconnects after last_event_index', async () => {
    const socket = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('alice', RUN) });
    assert.deepEqual(socket.hello, { requiresAuth: true, userId: 'alice' });
    await socket.ping();
    const events = await collect(socket.startWorkflow({ workflowId: 'content-pipeline', message: 'hi' }));
    assert.equal(events[0]!.event, 'WorkflowStarted');
    assert.equal(events.at(-1)!.event, 'WorkflowCompleted');
    const runId = events[0]!.run_id!;
    const sessionId = events[0]!.session_id!;
    assert.equal(socket.lastEventIndex(runId), events.length - 1);
    socket.close();

    // A new socket (the client lost the first): only what came after index 1.
    const again = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('alice', RUN) });
    const rest = await collect(
      again.reconnect({ runId, workflowId: 'content-pipeline', sessionId, lastEventIndex: 1 }),
    );
    assert.deepEqual(
      rest.map((e) => e.event_index),
      events.slice(2).map((e) => e.event_index),
    );
    // Past the end: nothing, and the iterator ends.
    assert.deepEqual(
      await collect(again.reconnect({ runId, workflowId: 'content-pipeline', sessionId })),
      [],
    );
    again.close();
  });

  it('continues a paused run; commands run one after another on one socket', async () => {
    const socket = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('alice', RUN) });
    const first = await collect(socket.startWorkflow({ workflowId: 'review-pipeline', message: 'draft' }));
    const paused = first.at(-1)!;
    assert.equal(paused.event, 'WorkflowPaused');
    const done = await collect(
      socket.continueWorkflow({
        workflowId: 'review-pipeline',
        runId: paused.run_id!,
        sessionId: paused.session_id!,
        stepRequirements: [{ step_index: 1, confirmed: true }],
      }),
    );
    assert.equal(done.at(-1)!.event, 'WorkflowCompleted');
    socket.close();
  });

  it('refusals are typed errors: bad token, missing scope, another user’s run', async () => {
    await assert.rejects(
      workflowSocket({ baseUrl, WebSocket: WS, getToken: () => 'not-a-token' }),
      (e: unknown) =>
        e instanceof WorkflowSocketError && e.event === 'auth_error' && e.errorType === 'invalid_token',
    );
    const reader = await workflowSocket({
      baseUrl,
      WebSocket: WS,
      getToken: () => token('alice', ['workflows:read']),
    });
    await assert.rejects(collect(reader.startWorkflow({ workflowId: 'content-pipeline', message: 'x' })), {
      name: 'WorkflowSocketError',
      event: 'error',
      message: 'Insufficient permissions to run this workflow',
    });
    // The socket is still usable after a refusal.
    await reader.ping();
    reader.close();

    const alice = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('alice', RUN) });
    const events = await collect(alice.startWorkflow({ workflowId: 'content-pipeline', message: 'mine' }));
    alice.close();
    const bob = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('bob', RUN) });
    const runId = events[0]!.run_id!;
    await assert.rejects(collect(bob.reconnect({ runId })), {
      message: 'workflow_id is required to reconnect to a workflow run',
    });
    await assert.rejects(
      collect(bob.reconnect({ runId, workflowId: 'content-pipeline', sessionId: events[0]!.session_id! })),
      { message: `Run ${runId} not found` },
    );
    bob.close();
  });

  it('a closed socket rejects with its close code', async () => {
    const socket = await workflowSocket({ baseUrl, WebSocket: WS, getToken: () => token('alice', RUN) });
    const stream = socket.startWorkflow({ workflowId: 'content-pipeline', message: 'x'.repeat(70 * 1024) });
    await assert.rejects(
      collect(stream),
      (e: unknown) => e instanceof WorkflowSocketError && e.code === 1009,
    );
  });
});
