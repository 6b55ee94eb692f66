/**
 * @module The former copies of the contract agree (issue 13): the msw mocks, the SDK's `can()` and
 * the reference server read the same claims and take the same decision, because all three call
 * `@agentos/core`. Each table here would have caught a drift seen before: the mocks read a
 * `scope` claim without splitting it (403 where the server said 200), and `can()` kept its own
 * copy of the decision.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ERR_SCOPE_INSUFFICIENT } from '@agentos/core';
import { SignJWT } from 'jose';
import { getResponse } from 'msw';
import pino from 'pino';
import { type AgentOS, createAgentOS } from '../../server/src/app.js';
import { type Database, openDatabase } from '../../server/src/db/index.js';
import { createMockHandlers } from '../src/generated/mocks.js';
import { can, createAgentOSClient, type OperationId } from '../src/index.js';

const SECRET = new TextEncoder().encode('drift-test-secret-at-least-thirty-two-bytes');
const NOW = Math.floor(Date.now() / 1000);
const agents = [{ id: 'a1' }, { id: 'a2' }];

let database: Database;
before(async () => {
  database = await openDatabase({ memory: true });
});
after(() => database.close());

async function startServer(scopesClaim: string): Promise<{ os: AgentOS; base: string }> {
  const os = await createAgentOS({
    env: {},
    logger: pino({ level: 'silent' }),
    database,
    agents,
    authorization: true,
    authorizationConfig: { verificationKeys: [new TextDecoder().decode(SECRET)], algorithm: 'HS256' },
    scopesClaim,
  });
  const server = await os.listen(0, '127.0.0.1');
  return { os, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: 'u-1', iat: NOW, exp: NOW + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(SECRET);

/** Requests whose answer depends only on the decision (no stored rows needed). */
const requests: [string, string][] = [
  ['GET', '/agents/a1'],
  ['GET', '/agents/a2'],
  ['GET', '/agents'],
  ['GET', '/config'],
];

/** Claim values in every shape a token carries them. */
const shapes: [string, unknown][] = [
  ['an array', ['agents:a1:read', 'config:read']],
  ['a space-separated string', 'agents:a1:read config:read'],
  ['one scope as a string', 'agents:read'],
  ['a wildcard in an array', ['agents:*:read']],
  ['non-strings mixed in', ['agents:a2:read', 7, null]],
  ['nothing usable', 42],
  ['a tab-joined string', 'agents:read\tconfig:read'],
];

for (const claim of ['scopes', 'scope', 'scp', 'permissions']) {
  describe(`mocks and server agree on every claim shape (scopesClaim "${claim}")`, () => {
    let srv: { os: AgentOS; base: string };
    let mocks: ReturnType<typeof createMockHandlers>;
    before(async () => {
      srv = await startServer(claim);
      mocks = createMockHandlers({ baseUrl: srv.base, keys: [SECRET], scopesClaim: claim });
    });
    after(() => srv.os.close());

    for (const [shape, value] of shapes) {
      test(shape, async () => {
        const t = await token({ [claim]: value });
        for (const [method, path] of requests) {
          const init = { method, headers: { authorization: `Bearer ${t}` } };
          const server = await fetch(srv.base + path, init);
          await server.arrayBuffer();
          const mock = await getResponse(mocks, new Request(srv.base + path, init));
          assert.equal(
            mock?.status,
            server.status,
            `${method} ${path}: mock ${mock?.status}, server ${server.status}`,
          );
        }
      });
    }
  });
}

describe("the SDK's can() and the server agree on a table of cases", () => {
  let srv: { os: AgentOS; base: string };
  before(async () => {
    srv = await startServer('scopes');
  });
  after(() => srv.os.close());

  const cases: [string[], OperationId, Record<string, string>, string, string][] = [
    [['agents:a1:read'], 'getAgent', { agent_id: 'a1' }, 'GET', '/agents/a1'],
    [['agents:a1:read'], 'getAgent', { agent_id: 'a2' }, 'GET', '/agents/a2'],
    [['agents:a1:read'], 'listAgents', {}, 'GET', '/agents'],
    [['agents:a1:run'], 'listAgents', {}, 'GET', '/agents'],
    [['agents:*:read'], 'getAgent', { agent_id: 'a2' }, 'GET', '/agents/a2'],
    [['system:read'], 'getConfig', {}, 'GET', '/config'],
    [['Config:read'], 'getConfig', {}, 'GET', '/config'],
    [['agent_os:admin'], 'listSessions', {}, 'GET', '/sessions'],
    [['sessions:s1:read'], 'listSessions', {}, 'GET', '/sessions'],
    [['sessions:read'], 'deleteSession', { session_id: 'missing' }, 'DELETE', '/sessions/missing'],
    [['sessions:delete'], 'deleteSession', { session_id: 'missing' }, 'DELETE', '/sessions/missing'],
  ];
  for (const [scopes, op, params, method, path] of cases) {
    test(`${JSON.stringify(scopes)} ${op} ${JSON.stringify(params)}`, async () => {
      const t = await token({ scopes });
      const r = await fetch(srv.base + path, { method, headers: { authorization: `Bearer ${t}` } });
      await r.arrayBuffer();
      // can() reads the same token: its claim reader and its decision are the server's.
      const p = can(t, op, params);
      assert.equal(p.allowed, r.status !== 403, `can: ${JSON.stringify(p)}, server: ${r.status}`);
      assert.notEqual(r.status, 401);
    });
  }

  test("one error code: the SDK's HttpError for the server's 403 is core's ERR_SCOPE_INSUFFICIENT", async () => {
    const client = createAgentOSClient({
      baseUrl: srv.base,
      token: await token({ scopes: ['agents:a1:read'] }),
    });
    const { error } = await client.call('getAgent', { path: { agent_id: 'a2' } });
    assert.equal(error?.code, ERR_SCOPE_INSUFFICIENT);
    assert.deepEqual(error?.requiredScopes, ['agents:a2:read']);
  });
});
