/**
 * Verification keys (contract.md §1): every algorithm family, every key form, rotation, a JWKS
 * file chosen by kid, a JWKS URL with caching and cooldown, an outage (503, then recovery), and
 * the start-up errors for keys that cannot be used.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importPKCS8, type JWK } from 'jose';
import { createAgentOS } from '../src/app.js';
import { ConfigError } from '../src/config/errors.js';
import {
  bearer,
  CHALLENGE,
  claims,
  clock,
  HS_SECRET,
  makeKey,
  request,
  sign,
  silent,
  startServer,
  type TestKey,
} from './auth-helpers.js';

const SCOPES = { scopes: ['config:read'] };
const dir = mkdtempSync(join(tmpdir(), 'agentos-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** GET /config with the token: the status. */
async function statusWith(server: Awaited<ReturnType<typeof startServer>>, token: string) {
  return request(server.port, 'GET', '/config', bearer(token));
}

describe('algorithms', () => {
  const cases: [string, string, (k: TestKey) => string][] = [
    ['RS256 with a PEM SPKI key', 'RS256', (k) => k.publicPem],
    ['RS512 with a PEM SPKI key', 'RS512', (k) => k.publicPem],
    ['PS256 with a PEM SPKI key', 'PS256', (k) => k.publicPem],
    ['ES256 with a PEM SPKI key', 'ES256', (k) => k.publicPem],
    ['ES384 with a JWK', 'ES384', (k) => JSON.stringify(k.publicJwk)],
    ['EdDSA with a PEM SPKI key', 'EdDSA', (k) => k.publicPem],
    ['Ed25519 with a JWK', 'Ed25519', (k) => JSON.stringify(k.publicJwk)],
  ];
  for (const [name, alg, keyOf] of cases) {
    test(name, async () => {
      const k = await makeKey(alg);
      const other = await makeKey(alg);
      const s = await startServer({
        authorization: true,
        authorizationConfig: { verificationKeys: [keyOf(k)], algorithm: alg },
      });
      try {
        assert.equal((await statusWith(s, await sign(claims(SCOPES), k.privateKey, { alg }))).status, 200);
        const bad = await statusWith(s, await sign(claims(SCOPES), other.privateKey, { alg }));
        assert.equal(bad.status, 401);
        assert.deepEqual(bad.body, { detail: 'Invalid token: signature verification failed' });
      } finally {
        await s.close();
      }
    });
  }

  for (const alg of ['HS256', 'HS512']) {
    test(`${alg} with a shared secret`, async () => {
      const secret = new TextEncoder().encode(HS_SECRET);
      const s = await startServer({
        authorization: true,
        authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: alg },
      });
      try {
        assert.equal((await statusWith(s, await sign(claims(SCOPES), secret, { alg }))).status, 200);
        const wrong = new TextEncoder().encode(`${HS_SECRET}-other`);
        assert.equal((await statusWith(s, await sign(claims(SCOPES), wrong, { alg }))).status, 401);
      } finally {
        await s.close();
      }
    });
  }

  test('several algorithms: each key verifies only its own family', async () => {
    const rs = await makeKey('RS256');
    const ec = await makeKey('ES256');
    const s = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [rs.publicPem, ec.publicPem], algorithms: ['RS256', 'ES256'] },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), rs.privateKey, { alg: 'RS256' }))).status,
        200,
      );
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), ec.privateKey, { alg: 'ES256' }))).status,
        200,
      );
    } finally {
      await s.close();
    }
  });
});

describe('key forms', () => {
  let rsa: TestKey;
  before(async () => {
    rsa = await makeKey('RS256');
  });

  const forms: [string, () => string][] = [
    [
      'PKCS#1 "RSA PUBLIC KEY" PEM',
      () => KeyObject.from(rsa.publicKey).export({ type: 'pkcs1', format: 'pem' }) as string,
    ],
    ['PEM with literal \\n (as env vars often carry it)', () => rsa.publicPem.trim().replace(/\n/g, '\\n')],
    ['PEM with surrounding whitespace', () => `\n  ${rsa.publicPem}\n\n`],
    ['a JWK', () => JSON.stringify(rsa.publicJwk)],
    ['a JWKS', () => JSON.stringify({ keys: [{ ...rsa.publicJwk, kid: 'k1', use: 'sig', alg: 'RS256' }] })],
  ];
  for (const [name, form] of forms) {
    test(name, async () => {
      const s = await startServer({
        authorization: true,
        authorizationConfig: { verificationKeys: [form()] },
      });
      try {
        assert.equal(
          (await statusWith(s, await sign(claims(SCOPES), rsa.privateKey, { alg: 'RS256', kid: 'k1' })))
            .status,
          200,
        );
      } finally {
        await s.close();
      }
    });
  }

  test('an X.509 certificate', async (t) => {
    const keyPath = join(dir, 'cert-key.pem');
    const certPath = join(dir, 'cert.pem');
    const r = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=agentos-test',
    ]);
    if (r.status !== 0) {
      t.skip('[not supported] openssl is not available to make a certificate');
      return;
    }
    const privateKey = await importPKCS8(readFileSync(keyPath, 'utf8'), 'RS256');
    const s = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [readFileSync(certPath, 'utf8')] },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), privateKey, { alg: 'RS256' }))).status,
        200,
      );
    } finally {
      await s.close();
    }
  });

  test('verificationKeyFiles reads a PEM file', async () => {
    const path = join(dir, 'public.pem');
    writeFileSync(path, rsa.publicPem);
    const s = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeyFiles: [path] },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), rsa.privateKey, { alg: 'RS256' }))).status,
        200,
      );
    } finally {
      await s.close();
    }
  });
});

describe('rotation: any configured key verifies', () => {
  test('old and new PEM keys both verify', async () => {
    const oldKey = await makeKey('RS256');
    const newKey = await makeKey('RS256');
    const s = await startServer({
      authorization: true,
      authorizationConfig: { verificationKeys: [oldKey.publicPem, newKey.publicPem] },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), oldKey.privateKey, { alg: 'RS256' }))).status,
        200,
      );
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), newKey.privateKey, { alg: 'RS256' }))).status,
        200,
      );
      const stranger = await makeKey('RS256');
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), stranger.privateKey, { alg: 'RS256' }))).status,
        401,
      );
    } finally {
      await s.close();
    }
  });

  test('JWK keys with kids: the matching kid first, then the others', async () => {
    const a = await makeKey('RS256');
    const b = await makeKey('RS256');
    const s = await startServer({
      authorization: true,
      authorizationConfig: {
        verificationKeys: [
          JSON.stringify({ ...a.publicJwk, kid: 'a' }),
          JSON.stringify({ ...b.publicJwk, kid: 'b' }),
        ],
      },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), b.privateKey, { alg: 'RS256', kid: 'b' }))).status,
        200,
      );
      // A stale kid still verifies with another configured key (rotation without downtime).
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), b.privateKey, { alg: 'RS256', kid: 'a' }))).status,
        200,
      );
    } finally {
      await s.close();
    }
  });
});

describe('JWKS file (key by kid, a key without kid is the default)', () => {
  let k1: TestKey;
  let k2: TestKey;
  let kDefault: TestKey;
  let s: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    k1 = await makeKey('RS256');
    k2 = await makeKey('RS256');
    kDefault = await makeKey('RS256');
    const path = join(dir, 'jwks.json');
    writeFileSync(
      path,
      JSON.stringify({
        keys: [
          { ...k1.publicJwk, kid: 'key-1', use: 'sig' },
          { ...k2.publicJwk, kid: 'key-2', use: 'sig' },
          { ...kDefault.publicJwk, use: 'sig' },
          { kty: 'RSA', kid: 'enc-key', use: 'enc', n: k1.publicJwk.n, e: 'AQAB' },
        ],
      }),
    );
    s = await startServer({
      authorization: true,
      authorizationConfig: { jwksFile: path, algorithm: 'RS256' },
    });
  });
  after(() => s.close());

  const rows: [string, () => TestKey, string | undefined, number, string?][] = [
    ['kid key-1 (the seed example)', () => k1, 'key-1', 200],
    ['kid key-2 (rotation)', () => k2, 'key-2', 200],
    ['no kid → the default key', () => kDefault, undefined, 200],
    ['unknown kid → the default key', () => kDefault, 'key-9', 200],
    [
      'key-2 signature under kid key-1 → refused (the kid picks the key)',
      () => k2,
      'key-1',
      401,
      'Invalid token: signature verification failed',
    ],
    [
      'key-1 signature without kid → only the default is tried',
      () => k1,
      undefined,
      401,
      'Invalid token: signature verification failed',
    ],
  ];
  for (const [name, keyOf, kid, status, detail] of rows) {
    test(name, async () => {
      const res = await statusWith(
        s,
        await sign(claims(SCOPES), keyOf().privateKey, { alg: 'RS256', ...(kid ? { kid } : {}) }),
      );
      assert.equal(res.status, status, res.text);
      if (detail) assert.deepEqual(res.body, { detail });
    });
  }

  test('unknown kid and no default key → no matching verification key', async () => {
    const path = join(dir, 'jwks-nodefault.json');
    writeFileSync(path, JSON.stringify({ keys: [{ ...k1.publicJwk, kid: 'key-1' }] }));
    const t = await startServer({ authorization: true, authorizationConfig: { jwksFile: path } });
    try {
      const res = await statusWith(
        t,
        await sign(claims(SCOPES), k1.privateKey, { alg: 'RS256', kid: 'nope' }),
      );
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token: no matching verification key' });
      assert.equal(res.headers['www-authenticate'], CHALLENGE.invalid);
    } finally {
      await t.close();
    }
  });
});

/** A JWKS endpoint on loopback whose keys and health the test controls. */
async function jwksServer(keys: JWK[]) {
  const state = { keys, hits: 0, status: 200 };
  const server = http.createServer((req, res) => {
    state.hits++;
    if (req.url !== '/jwks.json') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.statusCode = state.status;
    res.setHeader('content-type', 'application/json');
    res.end(state.status === 200 ? JSON.stringify({ keys: state.keys }) : '{"error":"down"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    state,
    port,
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
    reopen: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
  };
}

describe('JWKS URL', () => {
  test('keys are fetched once and cached; an unknown kid does not cause a fetch storm', async () => {
    const k = await makeKey('RS256');
    const jwks = await jwksServer([{ ...k.publicJwk, kid: 'k1', alg: 'RS256', use: 'sig' }]);
    const s = await startServer({ authorization: true, authorizationConfig: { jwksUrl: jwks.url } });
    try {
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await statusWith(s, await sign(claims(SCOPES), k.privateKey, { alg: 'RS256', kid: 'k1' }))).status,
          200,
        );
      }
      assert.equal(jwks.state.hits, 1);
      for (let i = 0; i < 5; i++) {
        const res = await statusWith(
          s,
          await sign(claims(SCOPES), k.privateKey, { alg: 'RS256', kid: `unknown-${i}` }),
        );
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { detail: 'Invalid token: no matching verification key' });
      }
      assert.equal(jwks.state.hits, 1, 'within the cooldown an unknown kid triggers no refetch');
    } finally {
      await s.close();
      await jwks.close();
    }
  });

  test('rotation: a new kid is picked up by a refetch (cooldown 0)', async () => {
    const oldKey = await makeKey('RS256');
    const newKey = await makeKey('RS256');
    const jwks = await jwksServer([{ ...oldKey.publicJwk, kid: 'old' }]);
    const s = await startServer({
      authorization: true,
      authorizationConfig: { jwksUrl: jwks.url, jwksCooldownSeconds: 0 },
    });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), oldKey.privateKey, { alg: 'RS256', kid: 'old' })))
          .status,
        200,
      );
      jwks.state.keys = [
        { ...oldKey.publicJwk, kid: 'old' },
        { ...newKey.publicJwk, kid: 'new' },
      ];
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), newKey.privateKey, { alg: 'RS256', kid: 'new' })))
          .status,
        200,
      );
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), oldKey.privateKey, { alg: 'RS256', kid: 'old' })))
          .status,
        200,
      );
    } finally {
      await s.close();
      await jwks.close();
    }
  });

  test('a token without kid and several keys: each is tried', async () => {
    const a = await makeKey('RS256');
    const b = await makeKey('RS256');
    const jwks = await jwksServer([
      { ...a.publicJwk, kid: 'a' },
      { ...b.publicJwk, kid: 'b' },
    ]);
    const s = await startServer({ authorization: true, authorizationConfig: { jwksUrl: jwks.url } });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), b.privateKey, { alg: 'RS256' }))).status,
        200,
      );
      const stranger = await makeKey('RS256');
      const res = await statusWith(s, await sign(claims(SCOPES), stranger.privateKey, { alg: 'RS256' }));
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token: signature verification failed' });
    } finally {
      await s.close();
      await jwks.close();
    }
  });

  test('outage: 503 with a clear message (never 401, never a crash), then recovery', async () => {
    const k = await makeKey('RS256');
    const jwks = await jwksServer([{ ...k.publicJwk, kid: 'k1' }]);
    await jwks.close();
    const s = await startServer({
      authorization: true,
      authorizationConfig: { jwksUrl: jwks.url, jwksTimeoutSeconds: 2 },
    });
    try {
      const token = await sign(claims(SCOPES), k.privateKey, { alg: 'RS256', kid: 'k1' });
      const down = await statusWith(s, token);
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, {
        detail:
          'Token verification is temporarily unavailable: the signing keys could not be fetched. Try again later.',
      });
      assert.equal(down.headers['retry-after'], '5');
      assert.equal(down.headers['www-authenticate'], undefined);
      assert.equal(s.calls.length, 0);
      // A malformed token is still a 401: it never needs the keys.
      assert.equal((await statusWith(s, 'a.b.c')).status, 401);
      await jwks.reopen();
      jwks.state.status = 500;
      assert.equal((await statusWith(s, token)).status, 503, 'a non-200 JWKS answer is an outage too');
      jwks.state.status = 200;
      assert.equal((await statusWith(s, token)).status, 200, 'recovers once the JWKS answers');
    } finally {
      await s.close();
      await jwks.close();
    }
  });

  test('a JWKS answering garbage is an outage (503), not a token fault', async () => {
    const k = await makeKey('RS256');
    const server = http.createServer((_q, r) => r.end('not json'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    const s = await startServer({ authorization: true, authorizationConfig: { jwksUrl: url } });
    try {
      assert.equal(
        (await statusWith(s, await sign(claims(SCOPES), k.privateKey, { alg: 'RS256' }))).status,
        503,
      );
    } finally {
      await s.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('keys that cannot be used refuse to start', () => {
  const start = (authorizationConfig: Record<string, unknown>) =>
    createAgentOS({
      env: {},
      logger: silent(),
      clock,
      authorization: true,
      authorizationConfig,
    });

  const cases: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
    [
      'a private key PEM',
      async () => {
        const k = await makeKey('RS256');
        return {
          verificationKeys: [KeyObject.from(k.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string],
        };
      },
      /authorizationConfig\.verificationKeys\[0\]: is a private key\. Configure the public key instead/,
    ],
    [
      'a private JWK',
      async () => {
        const { exportJWK } = await import('jose');
        const k = await makeKey('ES256');
        return { verificationKeys: [JSON.stringify(await exportJWK(k.privateKey))], algorithm: 'ES256' };
      },
      /is a private JWK/,
    ],
    [
      'a 1024-bit RSA key',
      async () => ({
        verificationKeys: [
          generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
            type: 'spki',
            format: 'pem',
          }) as string,
        ],
      }),
      /is a 1024-bit RSA key; RS256 needs at least 2048 bits/,
    ],
    [
      'an EC key while only RS256 is allowed',
      async () => ({ verificationKeys: [(await makeKey('ES256')).publicPem] }),
      /is an EC key \(P-256\) but no allowed algorithm uses it \(allowed: RS256\)/,
    ],
    [
      'a secret while only RS256 is allowed',
      async () => ({ verificationKeys: ['my-shared-secret'] }),
      /is not a PEM public key .* and no HS\* algorithm is allowed \(algorithm: RS256\)/,
    ],
    [
      'a broken PEM',
      async () => ({ verificationKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }),
      /could not be parsed as a PEM public key/,
    ],
    [
      'a JWK whose alg is not allowed',
      async () => ({
        verificationKeys: [JSON.stringify({ ...(await makeKey('RS256')).publicJwk, alg: 'RS512' })],
      }),
      /declares "alg": "RS512", which is not an allowed algorithm/,
    ],
    [
      'a missing JWKS file',
      async () => ({ jwksFile: join(dir, 'missing.json') }),
      /cannot read the JWKS file .*missing\.json \(ENOENT\)/,
    ],
    [
      'a JWKS file with no usable key',
      async () => {
        const path = join(dir, 'jwks-ec.json');
        writeFileSync(path, JSON.stringify({ keys: [{ ...(await makeKey('ES256')).publicJwk, kid: 'e' }] }));
        return { jwksFile: path };
      },
      /has no key usable with the allowed algorithms \(RS256\)/,
    ],
  ];
  for (const [name, config, message] of cases) {
    test(name, async () => {
      await assert.rejects(start(await config()), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
