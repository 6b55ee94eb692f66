/**
 * The verified-token cache (`auth/token-cache.ts`) and its use by the verifier: only verified
 * tokens are reused, `exp` is checked on every hit with the verifier's leeway, entries age out
 * (a key removed from a JWKS stops validating cached tokens within `tokenCacheSeconds`), the
 * cache is bounded (LRU, token length) and a cached payload cannot be changed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { JWK } from 'jose';
import pino from 'pino';
import { TokenCache } from '../src/auth/token-cache.js';
import { createTokenVerifier } from '../src/auth/verify.js';
import { resolveConfig } from '../src/config/resolve.js';
import { claims, makeKey, NOW, sign } from './auth-helpers.js';

/** A clock the test moves (ms). */
function movableClock(startSeconds = NOW) {
  let ms = startSeconds * 1000;
  const clock = () => new Date(ms);
  const advance = (s: number) => {
    ms += s * 1000;
  };
  return Object.assign(clock, { advance });
}

describe('TokenCache', () => {
  const payload = (exp = NOW + 3600) => ({ sub: 'u1', exp, scopes: ['agents:read'] });

  test('a stored token is returned until the entry ages out', () => {
    const clock = movableClock();
    const cache = new TokenCache({ ttlMs: 60_000, leewaySeconds: 10, clock });
    assert.equal(cache.get('t1'), undefined);
    cache.set('t1', payload());
    assert.deepEqual(cache.get('t1'), payload());
    clock.advance(59);
    assert.deepEqual(cache.get('t1'), payload());
    clock.advance(1);
    assert.equal(cache.get('t1'), undefined, 'after ttl the token must be verified again');
    assert.equal(cache.size, 0);
  });

  test('exp is checked on every hit with the leeway (jose: expired when exp <= now - leeway)', () => {
    const clock = movableClock();
    const cache = new TokenCache({ ttlMs: 3_600_000, leewaySeconds: 10, clock });
    cache.set('t', payload(NOW + 5));
    clock.advance(14);
    assert.equal(typeof cache.get('t'), 'object', 'exp + leeway not reached: still valid');
    clock.advance(1);
    assert.equal(cache.get('t'), 'expired');
    assert.equal(cache.get('t'), undefined, 'an expired entry is dropped');
  });

  test('bounded: the least recently used entry goes first; a hit refreshes it', () => {
    const cache = new TokenCache({ ttlMs: 60_000, leewaySeconds: 0, clock: movableClock(), maxEntries: 3 });
    for (const t of ['a', 'b', 'c']) cache.set(t, payload());
    assert.ok(cache.get('a'));
    cache.set('d', payload());
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.ok(cache.get('a'));
    assert.ok(cache.get('c'));
    assert.ok(cache.get('d'));
  });

  test('not cached: ttl 0, tokens over the length limit, payloads without a numeric exp', () => {
    const off = new TokenCache({ ttlMs: 0, leewaySeconds: 0, clock: movableClock() });
    off.set('t', payload());
    assert.equal(off.get('t'), undefined);
    const cache = new TokenCache({
      ttlMs: 60_000,
      leewaySeconds: 0,
      clock: movableClock(),
      maxTokenLength: 8,
    });
    cache.set('123456789', payload());
    assert.equal(cache.get('123456789'), undefined);
    cache.set('noexp', { sub: 'u1' });
    assert.equal(cache.get('noexp'), undefined);
    assert.equal(cache.size, 0);
  });

  test('a cached payload is frozen, nested values included', () => {
    const cache = new TokenCache({ ttlMs: 60_000, leewaySeconds: 0, clock: movableClock() });
    cache.set('t', payload());
    const got = cache.get('t') as { scopes: string[] };
    assert.throws(() => got.scopes.push('agent_os:admin'), TypeError);
    assert.throws(() => Object.assign(got, { sub: 'admin' }), TypeError);
    assert.deepEqual((cache.get('t') as { scopes: string[] }).scopes, ['agents:read']);
  });
});

/** A JWKS endpoint on loopback counting its fetches. */
async function jwksServer(keys: JWK[]) {
  const state = { keys, hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return {
    state,
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function verifierFor(authorizationConfig: Record<string, unknown>, clock: () => Date) {
  const config = resolveConfig({
    options: { authorization: true, authorizationConfig },
    env: {},
    cwd: process.cwd(),
  });
  return createTokenVerifier(config.auth, { clock, logger: pino({ level: 'silent' }) });
}

describe('the verifier with its cache', () => {
  test('a key removed from the JWKS stops validating a cached token within tokenCacheSeconds', async () => {
    const key = await makeKey('RS256');
    const jwks = await jwksServer([{ ...key.publicJwk, kid: 'k1', alg: 'RS256' }]);
    const clock = movableClock();
    try {
      // JWKS cache age 0: every verification that reaches the key source fetches the JWKS.
      const verifier = await verifierFor(
        { jwksUrl: jwks.url, jwksCacheMaxAgeSeconds: 0, jwksCooldownSeconds: 0, tokenCacheSeconds: 5 },
        clock,
      );
      const token = await sign(claims(), key.privateKey, { alg: 'RS256', kid: 'k1' });
      assert.equal((await verifier.verify(token)).sub, 'user_123');
      const fetches = jwks.state.hits;
      assert.ok(fetches >= 1);
      jwks.state.keys = [];
      clock.advance(4);
      assert.equal((await verifier.verify(token)).sub, 'user_123', 'within the cache time: reused');
      assert.equal(jwks.state.hits, fetches, 'a cached token costs no key lookup');
      clock.advance(1);
      await assert.rejects(verifier.verify(token), { status: 401 });
      assert.ok(jwks.state.hits > fetches, 'after the cache time the token was verified again');
    } finally {
      await jwks.close();
    }
  });

  test('cache on or off, an expiring token answers the same "Token has expired"', async () => {
    const key = await makeKey('RS256');
    for (const tokenCacheSeconds of [0, 3600]) {
      const clock = movableClock();
      const verifier = await verifierFor({ verificationKeys: [key.publicPem], tokenCacheSeconds }, clock);
      const token = await sign(claims({ exp: NOW + 30 }), key.privateKey, { alg: 'RS256' });
      await verifier.verify(token);
      clock.advance(39);
      await verifier.verify(token);
      clock.advance(1);
      await assert.rejects(verifier.verify(token), (e: { status?: number; message?: string }) => {
        assert.equal(e.status, 401);
        assert.match(String(e.message), /expired/i);
        return true;
      });
    }
  });

  test('refused tokens are not cached: a token not yet valid is accepted once it is', async () => {
    const key = await makeKey('RS256');
    const clock = movableClock();
    const verifier = await verifierFor({ verificationKeys: [key.publicPem], tokenCacheSeconds: 3600 }, clock);
    // nbf 30 s ahead, leeway 10 s: refused now, valid 20 s later.
    const token = await sign(claims({ nbf: NOW + 30 }), key.privateKey, { alg: 'RS256' });
    await assert.rejects(verifier.verify(token), { status: 401 });
    clock.advance(21);
    assert.equal((await verifier.verify(token)).sub, 'user_123');
  });
});
