/**
 * Roles and deny through the whole server (docs/contract.md §2 "Roles and deny"; the agno 3.1.10
 * behaviour seen on the wire, research agentos-3.1.md §3): role `reader` allows `agents:*:read` and
 * denies `agents:support-agent:read`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bearer,
  CHALLENGE,
  makeKey,
  NOW,
  request,
  sign,
  startServer,
  type TestKey,
  type TestServer,
} from './auth-helpers.js';

let key: TestKey;
const agents = [
  { id: 'research-agent', name: 'Research Agent' },
  { id: 'support-agent', name: 'Support Agent' },
];
const roles = { reader: { allow: ['agents:*:read'], deny: ['agents:support-agent:read'] } };

async function token(extra: Record<string, unknown>): Promise<string> {
  return sign({ sub: 'u-1', iat: NOW, exp: NOW + 3600, ...extra }, key.privateKey, { alg: 'RS256' });
}
const ids = (body: { id: string }[]) => body.map((a) => a.id);

before(async () => {
  key = await makeKey('RS256');
});

for (const trustTokenScopes of [false, true]) {
  describe(`roles claim "role", trustTokenScopes ${trustTokenScopes}`, () => {
    let srv: TestServer;
    before(async () => {
      srv = await startServer(
        {
          agents,
          authorization: true,
          authorizationConfig: {
            verificationKeys: [key.publicPem],
            algorithm: 'RS256',
            roles,
            rolesClaim: 'role',
            trustTokenScopes,
          },
        },
        false,
      );
    });
    after(() => srv.close());

    test('ROLE-CLAIM: the role allows reading an agent', async () => {
      const r = await request(
        srv.port,
        'GET',
        '/agents/research-agent',
        bearer(await token({ role: 'reader' })),
      );
      assert.equal(r.status, 200);
    });
    test('ROLE-DENY: the denied agent is 403 naming its scope', async () => {
      const r = await request(
        srv.port,
        'GET',
        '/agents/support-agent',
        bearer(await token({ role: ['reader'] })),
      );
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, {
        detail: 'Insufficient permissions. Required scope(s): agents:support-agent:read',
      });
      assert.equal(r.headers['www-authenticate'], CHALLENGE.scope('agents:support-agent:read'));
    });
    test('ROLE-DENY: the list leaves the denied agent out', async () => {
      const r = await request(srv.port, 'GET', '/agents', bearer(await token({ role: 'reader' })));
      assert.equal(r.status, 200);
      assert.deepEqual(ids(r.body), ['research-agent']);
    });
    test('ROLE-DENY: the role does not reach other families', async () => {
      const r = await request(srv.port, 'GET', '/sessions', bearer(await token({ role: 'reader' })));
      assert.equal(r.status, 403);
    });
    test('ROLE-UNKNOWN: an unknown role grants nothing', async () => {
      const r = await request(
        srv.port,
        'GET',
        '/agents/research-agent',
        bearer(await token({ role: 'nobody' })),
      );
      assert.equal(r.status, 403);
    });
    test(`ROLE-${trustTokenScopes ? 'TRUST' : 'TOKEN-IGNORED'}: a token scope ${trustTokenScopes ? 'overrides' : 'does not override'} the deny`, async () => {
      const t = await token({ role: 'reader', scopes: ['agents:support-agent:read'] });
      const one = await request(srv.port, 'GET', '/agents/support-agent', bearer(t));
      assert.equal(one.status, trustTokenScopes ? 200 : 403);
      const list = await request(srv.port, 'GET', '/agents', bearer(t));
      assert.deepEqual(
        ids(list.body),
        trustTokenScopes ? ['research-agent', 'support-agent'] : ['research-agent'],
      );
    });
  });
}

describe('roles configuration', () => {
  test('a scope outside the grammar in a role refuses to start, naming it', async () => {
    await assert.rejects(
      startServer({
        authorization: true,
        authorizationConfig: {
          verificationKeys: [key.publicPem],
          algorithm: 'RS256',
          roles: { r: { deny: ['agents:*:*'] } },
        },
      }),
      /authorizationConfig\.roles: roles\["r"\]\.deny: "agents:\*:\*" is not a scope/,
    );
  });
});
