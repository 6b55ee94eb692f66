/**
 * @module Regression tests of the token-level findings of the security review (research
 * agentos-3.1.md §5): 11 a public key used as an HMAC secret, 12 malleable signature encoding,
 * 13 CSRF with a cookie token source, and issuer pinning. Real keys, real signatures, real HTTP.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createAgentOS } from '../src/app.js';
import { isCanonicalSegment } from '../src/auth/jws-canonical.js';
import { publicKeyLookalike } from '../src/auth/key-confusion.js';
import {
  bearer,
  claims,
  HS_SECRET,
  hs256,
  makeKey,
  request,
  sharedDatabase,
  sign,
  silent,
  startServer,
  type TestServer,
} from './auth-helpers.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function serve(options: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

describe('finding 11: a public key is never an HMAC secret', () => {
  it('refuses to start with RS256+HS256 and a public key given without PEM armour, saying why', async () => {
    const key = await makeKey('RS256');
    const bare = key.publicPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    await assert.rejects(
      createAgentOS({
        env: {},
        logger: silent(),
        database: await sharedDatabase(),
        authorization: true,
        authorizationConfig: { verificationKeys: [bare], algorithms: ['RS256', 'HS256'] },
      }),
      (e: Error) => {
        assert.match(e.message, /shared secret/);
        assert.match(e.message, /parses as an RSA public key/);
        assert.match(e.message, /anyone holding the public key could sign tokens/);
        return true;
      },
    );
  });

  it('the forged HS256 token (public key bytes as secret) is what that refusal prevents', async () => {
    const key = await makeKey('RS256');
    const bare = key.publicPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    assert.notEqual(publicKeyLookalike(bare), null);
    assert.notEqual(publicKeyLookalike(`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx`), null);
    assert.notEqual(publicKeyLookalike('-----BEGIN PUBLIC KEY----- MIIB...'), null);
    // Ordinary secrets still work.
    assert.equal(publicKeyLookalike(HS_SECRET), null);
    assert.equal(publicKeyLookalike('x3Jq1c0bYtq0mJ7vS0Jf3kq9v7b3b5qg8xZ1m2n3o4p5'), null);
  });
});

describe('finding 12: signature segments must be canonical base64url', () => {
  it('refuses padded and non-canonical spellings of a valid token, accepts the token itself', async () => {
    const s = await serve({
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
    });
    const token = await sign(claims({ scopes: ['agents:read'] }), new TextEncoder().encode(HS_SECRET), {
      alg: 'HS256',
    });
    assert.equal((await request(s.port, 'GET', '/agents', bearer(token))).status, 200);
    const [h, p, sig] = token.split('.') as [string, string, string];
    // 32-byte HMAC: 43 characters, one spare... the last carries 2 unused bits.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const idx = alphabet.indexOf(last);
    const sibling = alphabet[(idx & ~3) | ((idx + 1) & 3)]!;
    assert.equal(
      Buffer.from(sig.slice(0, -1) + sibling, 'base64url').equals(Buffer.from(sig, 'base64url')),
      true,
      'the sibling decodes to the same signature bytes',
    );
    for (const variant of [
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig.slice(0, -1)}${sibling}`,
      `${h}=.${p}.${sig}`,
    ]) {
      const a = await request(s.port, 'GET', '/agents', bearer(variant));
      assert.equal(a.status, 401, variant);
      assert.match(a.body.detail, /^Invalid token: (malformed token|signature verification failed)$/);
    }
  });

  it('isCanonicalSegment', () => {
    for (const [seg, ok] of [
      ['AQAB', true],
      ['AQ', true],
      ['AR', false],
      ['AQE', true],
      ['AQF', false],
      ['AQ==', false],
      ['A', false],
      ['a+b/', false],
    ] as const) {
      assert.equal(isCanonicalSegment(seg), ok, seg);
    }
  });
});

describe('finding 13: cookie tokens need a same-origin state-changing request', () => {
  const cookieServer = async (extra: Record<string, unknown> = {}) =>
    serve({
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
      tokenSource: 'cookie',
      corsAllowedOrigins: ['https://app.example.com'],
      ...extra,
    });
  const token = () =>
    sign(claims({ scopes: ['agents:run'] }), new TextEncoder().encode(HS_SECRET), { alg: 'HS256' });

  it('refuses a cross-site form POST and the handler does not run', async () => {
    const s = await cookieServer();
    const before = s.calls.length;
    const a = await request(
      s.port,
      'POST',
      '/agents/research-agent/runs',
      {
        cookie: `access_token=${await token()}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      'message=hi',
    );
    assert.equal(a.status, 403);
    assert.match(a.body.detail, /^Cross-site request refused: Origin "https:\/\/evil.example"/);
    assert.equal(s.calls.length, before);
    const none = await request(s.port, 'POST', '/agents/research-agent/runs/r1/cancel', {
      cookie: `access_token=${await token()}`,
    });
    assert.equal(none.status, 403);
    assert.match(none.body.detail, /neither Origin nor Sec-Fetch-Site/);
  });

  it('lets same-origin, trusted-origin and safe requests through', async () => {
    const s = await cookieServer();
    const cookie = `access_token=${await token()}`;
    const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    for (const headers of [
      { ...form, 'sec-fetch-site': 'same-origin' },
      { ...form, origin: `http://127.0.0.1:${s.port}` },
      { ...form, origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
    ]) {
      const a = await request(s.port, 'POST', '/agents/research-agent/runs', headers, 'message=hi');
      assert.equal(a.status, 200, JSON.stringify(headers));
    }
    const get = await request(s.port, 'GET', '/agents', {
      cookie: `access_token=${await sign(claims({ scopes: ['agents:read'] }), new TextEncoder().encode(HS_SECRET), { alg: 'HS256' })}`,
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(get.status, 200);
  });

  it('csrfProtection: false turns it off; header tokens are never checked', async () => {
    const off = await cookieServer({ csrfProtection: false });
    const cookie = `access_token=${await token()}`;
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const a = await request(
      off.port,
      'POST',
      '/agents/research-agent/runs',
      { cookie, origin: 'https://evil.example', ...formType },
      'message=hi',
    );
    assert.equal(a.status, 200);
    const both = await cookieServer({ tokenSource: 'both' });
    const b = await request(
      both.port,
      'POST',
      '/agents/research-agent/runs',
      { ...bearer(await token()), cookie, origin: 'https://evil.example', ...formType },
      'message=hi',
    );
    assert.equal(b.status, 200);
  });
});

describe('issuer pinning', () => {
  it('exact match only, and the expected issuer is never echoed', async () => {
    const s = await serve({
      authorization: true,
      authorizationConfig: {
        verificationKeys: [HS_SECRET],
        algorithm: 'HS256',
        issuer: 'https://idp.example.com',
      },
    });
    const key = new TextEncoder().encode(HS_SECRET);
    const ok = await sign(claims({ iss: 'https://idp.example.com', scopes: ['agents:read'] }), key, {
      alg: 'HS256',
    });
    assert.equal((await request(s.port, 'GET', '/agents', bearer(ok))).status, 200);
    for (const iss of [
      'https://idp.example.com/',
      'https://IDP.example.com',
      'https://evil.example',
      undefined,
    ]) {
      const t = await sign(claims({ iss, scopes: ['agents:read'] }), key, { alg: 'HS256' });
      const a = await request(s.port, 'GET', '/agents', bearer(t));
      assert.equal(a.status, 401, String(iss));
      assert.doesNotMatch(a.text, /idp\.example\.com/);
    }
    // A token with the right issuer but forged with another secret is still refused.
    const forged = hs256({ alg: 'HS256' }, claims({ iss: 'https://idp.example.com' }), 'other');
    assert.equal((await request(s.port, 'GET', '/agents', bearer(forged))).status, 401);
  });
});
