/**
 * The cached token's path through the auth middleware (`verifier.cached`, `grantsOf.now`,
 * `buildCallerBase`): what one cached token is granted is compiled once and shared, frozen, by
 * every request presenting it; `exp` still ends it on the next request; stored roles keep being
 * read on every request (they can change while the token is cached).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallerContext } from '@agentos/core';
import { bearer, claims, makeKey, NOW, request, sign, startServer } from './auth-helpers.js';

/** A clock the test moves (seconds). */
function movableClock() {
  let s = NOW;
  return Object.assign(() => new Date(s * 1000), {
    advance(by: number) {
      s += by;
    },
  });
}

describe('a cached token', () => {
  test('its grants and credential context are compiled once, frozen, and shared by its requests', async () => {
    const key = await makeKey('RS256');
    const seen: CallerContext[] = [];
    const s = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem], algorithm: 'RS256' },
      handlers: {
        getConfig: async ({ caller }) => {
          seen.push(caller);
          return { status: 200, body: {} };
        },
      },
    });
    try {
      const token = await sign(claims({ scopes: ['config:read'] }), key.privateKey, { alg: 'RS256' });
      const other = await sign(claims({ sub: 'someone_else', scopes: ['config:read'] }), key.privateKey, {
        alg: 'RS256',
      });
      for (const t of [token, token, token, other])
        assert.equal((await request(s.port, 'GET', '/config', bearer(t))).status, 200);
      const [a, b, c, d] = seen as [CallerContext, CallerContext, CallerContext, CallerContext];
      assert.equal(a.grants, b.grants, 'one compiled grants object per cached token');
      assert.equal(b.grants, c.grants);
      assert.equal(a.claims, c.claims);
      assert.notEqual(a.grants, d.grants, 'another token has its own');
      assert.equal(d.userId, 'someone_else');
      // Shared between requests, so nothing in it can be changed by a handler.
      assert.ok(
        Object.isFrozen(a.grants) && Object.isFrozen(a.grants.planes) && Object.isFrozen(a.grants.scopes),
      );
      assert.ok(
        Object.isFrozen(a.grants.planes[0]) && Object.isFrozen(a.scopes) && Object.isFrozen(a.claims),
      );
      assert.throws(() => (a.grants.scopes as string[]).push('agent_os:admin'), TypeError);
      assert.throws(() => Object.assign(a.grants, { admin: true }), TypeError);
      assert.notEqual(a, b, 'the context itself is per request');
    } finally {
      await s.close();
    }
  });

  test('exp still ends it on the next request (no signature check on the way)', async () => {
    const key = await makeKey('RS256');
    const clock = movableClock();
    const s = await startServer({
      clock,
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem], algorithm: 'RS256', tokenCacheSeconds: 3600 },
    });
    try {
      const token = await sign(claims({ exp: NOW + 30, scopes: ['config:read'] }), key.privateKey, {
        alg: 'RS256',
      });
      assert.equal((await request(s.port, 'GET', '/config', bearer(token))).status, 200);
      clock.advance(30 + 60);
      const late = await request(s.port, 'GET', '/config', bearer(token));
      assert.equal(late.status, 401);
      assert.deepEqual(late.body, { detail: 'Token has expired' });
    } finally {
      await s.close();
    }
  });

  test('configured roles: the role named by the token decides, once compiled', async () => {
    const key = await makeKey('RS256');
    const s = await startServer({
      authorization: true,
      authorizationConfig: {
        verificationKeys: [key.publicPem],
        algorithm: 'RS256',
        rolesClaim: 'roles',
        roles: {
          reader: { allow: ['config:read'] },
          nobody: { allow: ['agents:read'], deny: ['config:read'] },
        },
      },
    });
    try {
      const reader = await sign(claims({ roles: ['reader'] }), key.privateKey, { alg: 'RS256' });
      const nobody = await sign(claims({ roles: ['nobody'], scopes: ['config:read'] }), key.privateKey, {
        alg: 'RS256',
      });
      for (let i = 0; i < 2; i++) {
        assert.equal((await request(s.port, 'GET', '/config', bearer(reader))).status, 200);
        assert.equal((await request(s.port, 'GET', '/config', bearer(nobody))).status, 403);
      }
    } finally {
      await s.close();
    }
  });
});
