/**
 * Token validity probes (security-anchors.md §7A) against GET /config (`config:read`), over HTTP.
 * Every negative row asserts the exact status, `detail` and `WWW-Authenticate`, that the handler
 * did not run, and that the body leaks nothing (F3); positive controls bracket the table.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, importJWK } from 'jose';
import {
  bearer,
  CHALLENGE,
  claims,
  HS_SECRET,
  hs256,
  makeKey,
  NOW,
  rawToken,
  request,
  rs256,
  sign,
  startServer,
  type TestKey,
  type TestServer,
} from './auth-helpers.js';

const OS_ID = 'my-os';
const ISSUER = 'https://issuer.example.com';
const SCOPE = { scopes: ['config:read'] };

let trusted: TestKey;
let attacker: TestKey;
let es: TestKey;
let srv: TestServer;
/** A loopback listener standing in for attacker-controlled jku/x5u URLs. */
let hits = 0;
let listener: http.Server;
let listenerUrl: string;

/** A valid token for the strict server, with overrides. */
const good = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE, ...extra }), trusted.privateKey, {
    alg: 'RS256',
    ...header,
  });

/** Claims with some keys removed. */
const without = (...keys: string[]) => {
  const c: Record<string, unknown> = claims({ aud: OS_ID, iss: ISSUER, ...SCOPE });
  for (const k of keys) delete c[k];
  return c;
};

before(async () => {
  trusted = await makeKey('RS256');
  attacker = await makeKey('RS256');
  es = await makeKey('ES256');
  listener = http.createServer((_req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/jwks.json`;
  srv = await startServer({
    id: OS_ID,
    authorization: true,
    authorizationConfig: {
      verificationKeys: [trusted.publicPem],
      algorithm: 'RS256',
      verifyAudience: true,
      issuer: ISSUER,
    },
  });
});

after(async () => {
  await srv.close();
  await new Promise((r) => listener.close(r));
});

type Want = { status: number; detail: string; challenge: string | undefined };
const invalid = (reason: string): Want => ({
  status: 401,
  detail: `Invalid token: ${reason}`,
  challenge: CHALLENGE.invalid,
});
const EXPIRED: Want = { status: 401, detail: 'Token has expired', challenge: CHALLENGE.invalid };
const AUDIENCE: Want = {
  status: 401,
  detail: 'Invalid token audience - token not valid for this AgentOS instance',
  challenge: CHALLENGE.invalid,
};
const MALFORMED_HEADER: Want = {
  status: 400,
  detail: 'Malformed Authorization header: expected "Bearer <token>"',
  challenge: CHALLENGE.request,
};

/** Sends the probe and checks status, detail, challenge, handler not run, and body hygiene (F3). */
async function probe(headers: Record<string, string> | [string, string][], want: Want, path = '/config') {
  const before = srv.calls.length;
  const res = await request(srv.port, 'GET', path, headers);
  assert.equal(res.status, want.status, res.text);
  assert.deepEqual(res.body, { detail: want.detail });
  assert.equal(res.headers['www-authenticate'], want.challenge);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(srv.calls.length, before, 'the handler must not run');
  const credential = (Array.isArray(headers) ? headers : Object.entries(headers))
    .filter(([k]) => k.toLowerCase() === 'authorization')
    .map(([, v]) => v.replace(/^bearer\s+/i, ''))
    .join('');
  for (const part of credential.split('.'))
    if (part.length > 8) assert.ok(!res.text.includes(part), 'no token echo');
  assert.doesNotMatch(res.text, /BEGIN|jose|Error|\bat \/|node_modules|ERR_/);
}

async function ok(headers: Record<string, string>, path = '/config') {
  const before = srv.calls.length;
  const res = await request(srv.port, 'GET', path, headers);
  assert.equal(res.status, 200, res.text);
  assert.equal(srv.calls.length, before + 1);
  return res;
}

describe('§7A token validity (RS256, verifyAudience, issuer)', () => {
  test('positive control: a valid token reaches the handler (before the probes)', async () => {
    const res = await ok(bearer(await good()));
    assert.equal(res.body.caller.userId, 'user_123');
    assert.deepEqual(res.body.caller.scopes, ['config:read']);
  });

  const rows: [string, () => Promise<Record<string, string> | [string, string][]>, Want][] = [
    // A1–A4: the header itself.
    [
      'A1 no Authorization header',
      async () => ({}),
      { status: 401, detail: 'Authorization header missing', challenge: CHALLENGE.missing },
    ],
    [
      'A1 empty Authorization header',
      async () => ({ authorization: '' }),
      { status: 401, detail: 'Authorization header missing', challenge: CHALLENGE.missing },
    ],
    ['A2 "Bearer" with nothing after it', async () => ({ authorization: 'Bearer' }), MALFORMED_HEADER],
    ['A2 "Bearer" followed by spaces only', async () => ({ authorization: 'Bearer    ' }), MALFORMED_HEADER],
    [
      'A2 token containing a space',
      async () => ({ authorization: `Bearer ${await good()} extra` }),
      {
        status: 400,
        detail: 'Malformed Authorization header: the token contains whitespace or control characters',
        challenge: CHALLENGE.request,
      },
    ],
    [
      'A2 token containing a tab',
      async () => ({ authorization: `Bearer ${(await good()).replace('.', '\t.')}` }),
      {
        status: 400,
        detail: 'Malformed Authorization header: the token contains whitespace or control characters',
        challenge: CHALLENGE.request,
      },
    ],
    [
      'A2 two Authorization headers',
      async () => [
        ['authorization', `Bearer ${await good()}`],
        ['authorization', `Bearer ${await good()}`],
      ],
      {
        status: 400,
        detail: 'Malformed request: more than one Authorization header',
        challenge: CHALLENGE.request,
      },
    ],
    [
      'A3 Basic scheme',
      async () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
      {
        status: 401,
        detail: 'Unsupported authorization scheme: use "Authorization: Bearer <token>"',
        challenge: CHALLENGE.missing,
      },
    ],
    [
      'A3 "Token" scheme with a valid JWT',
      async () => ({ authorization: `Token ${await good()}` }),
      {
        status: 401,
        detail: 'Unsupported authorization scheme: use "Authorization: Bearer <token>"',
        challenge: CHALLENGE.missing,
      },
    ],
    // A5–A9: structure and signature.
    ['A5 opaque garbage abc.def', async () => bearer('abc.def'), invalid('malformed token')],
    [
      'A6 two segments',
      async () => bearer((await good()).split('.').slice(0, 2).join('.')),
      invalid('malformed token'),
    ],
    ['A6 four segments', async () => bearer(`${await good()}.AAAA`), invalid('malformed token')],
    [
      'A6 non-base64url characters',
      async () => bearer((await good()).replace(/^.{5}/, 'ey$J!')),
      invalid('malformed token'),
    ],
    [
      'A6 header not JSON',
      async () => bearer(`${Buffer.from('not json').toString('base64url')}.e30.AAAA`),
      invalid('malformed token'),
    ],
    [
      'A7 payload widened without re-signing',
      async () => {
        const [h, , s] = (await good()).split('.');
        const p = Buffer.from(
          JSON.stringify(claims({ aud: OS_ID, iss: ISSUER, scopes: ['agent_os:admin'] })),
        ).toString('base64url');
        return bearer(`${h}.${p}.${s}`);
      },
      invalid('signature verification failed'),
    ],
    [
      'A8 one signature byte flipped',
      async () => {
        const t = await good();
        const [h, p, s] = t.split('.') as [string, string, string];
        const sig = Buffer.from(s, 'base64url');
        sig[10] = sig[10]! ^ 0x01;
        return bearer(`${h}.${p}.${sig.toString('base64url')}`);
      },
      invalid('signature verification failed'),
    ],
    [
      'A8 signature truncated',
      async () => bearer((await good()).slice(0, -20)),
      invalid('signature verification failed'),
    ],
    [
      'A9 signature removed, alg kept',
      async () => bearer((await good()).replace(/[^.]+$/, '')),
      invalid('signature verification failed'),
    ],
    // A10: alg none in every spelling, with an empty and with the original signature.
    ...(['none', 'None', 'NONE', 'nOnE'] as const).flatMap(
      (alg): [string, () => Promise<Record<string, string>>, Want][] => [
        [
          `A10 alg "${alg}", empty signature`,
          async () => bearer(rawToken({ alg, typ: 'JWT' }, claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }))),
          invalid('algorithm not allowed'),
        ],
        [
          `A10 alg "${alg}", original signature kept`,
          async () =>
            bearer(
              rawToken(
                { alg, typ: 'JWT' },
                claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
                (await good()).split('.')[2],
              ),
            ),
          invalid('algorithm not allowed'),
        ],
      ],
    ),
    [
      'A10 alg missing',
      async () => bearer(rawToken({ typ: 'JWT' }, claims(), 'AAAA')),
      invalid('malformed token'),
    ],
    // A11: HS256 HMAC'd with the public key (key confusion) in PEM, DER and JWK forms.
    [
      'A11 HS256 with the RSA public key PEM as secret',
      async () =>
        bearer(hs256({ alg: 'HS256' }, claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), trusted.publicPem)),
      invalid('algorithm not allowed'),
    ],
    [
      'A11 HS256 with the RSA public key DER as secret',
      async () => {
        const der = Buffer.from(trusted.publicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        return bearer(hs256({ alg: 'HS256' }, claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), der));
      },
      invalid('algorithm not allowed'),
    ],
    [
      'A11 HS256 with the RSA public JWK as secret',
      async () =>
        bearer(
          hs256(
            { alg: 'HS256' },
            claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
            JSON.stringify(trusted.publicJwk),
          ),
        ),
      invalid('algorithm not allowed'),
    ],
    // A12, A15, A16: keys the token brings along are never trusted, never fetched.
    [
      'A12 untrusted key',
      async () =>
        bearer(
          await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, { alg: 'RS256' }),
        ),
      invalid('signature verification failed'),
    ],
    [
      'A15 embedded jwk header (self-signed)',
      async () =>
        bearer(
          await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, {
            alg: 'RS256',
            jwk: attacker.publicJwk,
          }),
        ),
      invalid('signature verification failed'),
    ],
    [
      'A16 jku pointing at a loopback listener',
      async () =>
        bearer(
          await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, {
            alg: 'RS256',
            jku: listenerUrl,
            kid: 'x',
          }),
        ),
      invalid('signature verification failed'),
    ],
    [
      'A16 x5u pointing at a loopback listener',
      async () =>
        bearer(
          await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, {
            alg: 'RS256',
            x5u: listenerUrl,
          }),
        ),
      invalid('signature verification failed'),
    ],
    [
      'A16 self-signed x5c',
      async () =>
        bearer(
          await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, {
            alg: 'RS256',
            x5c: ['MIIBszCCAVmgAwIBAgIUU2VsZlNpZ25lZA=='],
          }),
        ),
      invalid('signature verification failed'),
    ],
    // A18–A19: other algorithms.
    [
      'A18 ES256 psychic signature r = s = 0',
      async () =>
        bearer(
          rawToken(
            { alg: 'ES256' },
            claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
            Buffer.alloc(64).toString('base64url'),
          ),
        ),
      invalid('algorithm not allowed'),
    ],
    [
      'A19 PS256, validly signed with the trusted RSA key',
      async () => {
        const pss = (await importJWK(await exportJWK(trusted.privateKey), 'PS256')) as CryptoKey;
        return bearer(await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), pss, { alg: 'PS256' }));
      },
      invalid('algorithm not allowed'),
    ],
    [
      'A19 ES256, validly signed by some EC key',
      async () =>
        bearer(await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), es.privateKey, { alg: 'ES256' })),
      invalid('algorithm not allowed'),
    ],
    // A20–A23: time claims (leeway 10 s, frozen clock).
    ['A20 exp = now - leeway - 1', async () => bearer(await good({ exp: NOW - 11 })), EXPIRED],
    [
      'A20 exp = now - leeway (the boundary is exclusive)',
      async () => bearer(await good({ exp: NOW - 10 })),
      EXPIRED,
    ],
    [
      'A21 exp missing',
      async () => bearer(await sign(without('exp'), trusted.privateKey, { alg: 'RS256' })),
      invalid('missing "exp" claim'),
    ],
    [
      'A22 nbf = now + leeway + 60',
      async () => bearer(await good({ nbf: NOW + 70 })),
      invalid('token not yet valid'),
    ],
    [
      'A22 nbf = now + leeway + 1',
      async () => bearer(await good({ nbf: NOW + 11 })),
      invalid('token not yet valid'),
    ],
    [
      'A22 iat one day in the future',
      async () => bearer(await good({ iat: NOW + 86400 })),
      invalid('token issued in the future'),
    ],
    [
      'A22 iat = now + leeway + 1',
      async () => bearer(await good({ iat: NOW + 11 })),
      invalid('token issued in the future'),
    ],
    [
      'A23 exp as a string "9999999999"',
      async () => bearer(await good({ exp: '9999999999' })),
      invalid('invalid "exp" claim'),
    ],
    [
      'A23 exp = 1e300',
      async () =>
        bearer(
          rs256(
            { alg: 'RS256' },
            `{"sub":"user_123","aud":"${OS_ID}","iss":"${ISSUER}","iat":${NOW},"exp":1e300,"scopes":["config:read"]}`,
            trusted.privateKey,
          ),
        ),
      invalid('invalid "exp" claim'),
    ],
    ['A23 exp = -1', async () => bearer(await good({ exp: -1 })), EXPIRED],
    ['A23 exp = null', async () => bearer(await good({ exp: null })), invalid('invalid "exp" claim')],
    ['A23 exp = {}', async () => bearer(await good({ exp: {} })), invalid('invalid "exp" claim')],
    [
      'A23 nbf as a string',
      async () => bearer(await good({ nbf: String(NOW) })),
      invalid('invalid "nbf" claim'),
    ],
    ['A23 iat = null', async () => bearer(await good({ iat: null })), invalid('invalid "iat" claim')],
    // A24: issuer.
    [
      'A24 iss wrong',
      async () => bearer(await good({ iss: 'https://evil.example.com' })),
      invalid('Invalid issuer'),
    ],
    [
      'A24 iss missing',
      async () => bearer(await sign(without('iss'), trusted.privateKey, { alg: 'RS256' })),
      invalid('Token is missing the "iss" claim'),
    ],
    [
      'A24 iss differing in case',
      async () => bearer(await good({ iss: ISSUER.toUpperCase() })),
      invalid('Invalid issuer'),
    ],
    [
      'A24 iss with a trailing slash',
      async () => bearer(await good({ iss: `${ISSUER}/` })),
      invalid('Invalid issuer'),
    ],
    // A25: audience.
    ['A25 aud wrong', async () => bearer(await good({ aud: 'other-os' })), AUDIENCE],
    [
      'A25 aud missing',
      async () => bearer(await sign(without('aud'), trusted.privateKey, { alg: 'RS256' })),
      invalid('missing "aud" claim'),
    ],
    ['A25 aud array without this OS', async () => bearer(await good({ aud: ['a', 'b'] })), AUDIENCE],
    ['A25 aud differing in case', async () => bearer(await good({ aud: 'MY-OS' })), AUDIENCE],
    ['A25 aud as a number', async () => bearer(await good({ aud: 42 })), AUDIENCE],
    // A27–A28: critical headers, JWE.
    [
      'A27 crit ["foo"]',
      async () =>
        bearer(
          rs256(
            { alg: 'RS256', crit: ['foo'], foo: 1 },
            claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
            trusted.privateKey,
          ),
        ),
      invalid('unsupported token header'),
    ],
    [
      'A27 crit []',
      async () =>
        bearer(
          rs256(
            { alg: 'RS256', crit: [] },
            claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
            trusted.privateKey,
          ),
        ),
      invalid('malformed token'),
    ],
    [
      'A27 b64: false with crit ["b64"]',
      async () =>
        bearer(
          rs256(
            { alg: 'RS256', b64: false, crit: ['b64'] },
            claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }),
            trusted.privateKey,
          ),
        ),
      invalid('malformed token'),
    ],
    [
      'A28 five-segment JWE',
      async () => bearer('eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.BBBB.CCCC.DDDD'),
      invalid('malformed token'),
    ],
    // A30: size, nesting, encoding.
    [
      'A30 12 KB garbage token',
      async () => bearer(`eyJ${'A'.repeat(12 * 1024)}.e30.AAAA`),
      invalid('malformed token'),
    ],
    [
      'A30 deeply nested claims, untrusted signature',
      async () =>
        bearer(
          rs256(
            { alg: 'RS256' },
            `{"sub":"x","exp":${NOW + 60},"n":${'['.repeat(2000)}${']'.repeat(2000)}}`,
            attacker.privateKey,
          ),
        ),
      invalid('signature verification failed'),
    ],
    [
      'A30 invalid UTF-8 in the payload, validly signed',
      async () =>
        bearer(rs256({ alg: 'RS256' }, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), trusted.privateKey)),
      invalid('malformed token'),
    ],
    [
      'A30 payload not an object, validly signed',
      async () => bearer(rs256({ alg: 'RS256' }, '[1,2]', trusted.privateKey)),
      invalid('malformed token'),
    ],
    // Reserved subjects and claim types.
    ...['sa:svc-1', '__oauth__:client', '__scheduler__'].map(
      (sub): [string, () => Promise<Record<string, string>>, Want] => [
        `reserved subject ${sub}`,
        async () => bearer(await good({ sub })),
        { status: 401, detail: 'Invalid token subject', challenge: CHALLENGE.invalid },
      ],
    ),
    ['sub of the wrong type', async () => bearer(await good({ sub: 123 })), invalid('invalid "sub" claim')],
  ];

  for (const [name, headers, want] of rows) {
    test(name, async () => probe(await headers(), want));
  }

  test('A31 token in the query string only → 401 (query tokens are never read)', async () => {
    await probe(
      {},
      { status: 401, detail: 'Authorization header missing', challenge: CHALLENGE.missing },
      `/config?access_token=${await good()}`,
    );
  });

  test('A31 token in the header and in the query → 400 invalid_request', async () => {
    await probe(
      bearer(await good()),
      {
        status: 400,
        detail:
          'Malformed request: the token is given both in the Authorization header and in the query string',
        challenge: CHALLENGE.request,
      },
      `/config?access_token=${await good()}`,
    );
  });

  test('A16 the jku/x5u listener recorded zero hits', () => {
    assert.equal(hits, 0);
  });

  test('A30 a 1 MB header is refused by the HTTP layer (431), never 5xx', async () => {
    const res = await request(srv.port, 'GET', '/config', bearer(`eyJ${'A'.repeat(1024 * 1024)}`)).catch(
      (e: Error) => ({
        status: 431,
        text: e.message,
      }),
    );
    assert.ok(res.status === 431 || res.status === 400, `got ${res.status}`);
  });

  test('A29 duplicate claim: the last one wins, never the first', async () => {
    const payload = `{"sub":"user_A","aud":"${OS_ID}","iss":"${ISSUER}","iat":${NOW},"exp":${NOW + 60},"scopes":["config:read"],"sub":"user_B"}`;
    const res = await ok(bearer(rs256({ alg: 'RS256' }, payload, trusted.privateKey)));
    assert.equal(res.body.caller.userId, 'user_B');
  });

  const positives: [string, () => Promise<Record<string, string>>][] = [
    ['A3 bare token without a scheme (compatibility)', async () => ({ authorization: await good() })],
    ['A4 lower-case scheme "bearer"', async () => ({ authorization: `bearer ${await good()}` })],
    ['A4 upper-case scheme "BEARER"', async () => ({ authorization: `BEARER ${await good()}` })],
    ['several spaces after the scheme', async () => ({ authorization: `Bearer    ${await good()}` })],
    ['A20 exp = now - leeway + 1 (inside the leeway)', async () => bearer(await good({ exp: NOW - 9 }))],
    ['A20 exp = now - leeway / 2', async () => bearer(await good({ exp: NOW - 5 }))],
    ['A22 nbf = now + leeway', async () => bearer(await good({ nbf: NOW + 10 }))],
    ['A22 iat = now + leeway', async () => bearer(await good({ iat: NOW + 10 }))],
    [
      'iat missing is fine',
      async () => bearer(await sign(without('iat'), trusted.privateKey, { alg: 'RS256' })),
    ],
    ['A25 aud array containing this OS', async () => bearer(await good({ aud: ['other', OS_ID] }))],
    ['typ at+jwt is accepted', async () => bearer(await good({}, { typ: 'at+jwt' }))],
    [
      'a kid the PEM key does not carry is still verified (PEM keys have no kid)',
      async () => bearer(await good({}, { kid: 'whatever' })),
    ],
  ];
  for (const [name, headers] of positives) {
    test(`positive: ${name}`, async () => {
      await ok(await headers());
    });
  }

  test('A14 kid injections answer quickly (no lookup outside the configured keys)', async () => {
    for (const kid of ['', '../../dev/null', "' OR '1'='1", '|sleep 10', '/etc/passwd']) {
      const started = performance.now();
      const token = await sign(claims({ aud: OS_ID, iss: ISSUER, ...SCOPE }), attacker.privateKey, {
        alg: 'RS256',
        kid,
      });
      await probe(bearer(token), invalid('signature verification failed'));
      assert.ok(performance.now() - started < 1000);
    }
  });

  test('positive control: a valid token still reaches the handler (after the probes)', async () => {
    await ok(bearer(await good()));
  });
});

describe('§7A with HS256 (development setting)', () => {
  let hs: TestServer;
  before(async () => {
    hs = await startServer({
      id: OS_ID,
      authorization: true,
      authorizationConfig: {
        verificationKeys: [HS_SECRET, trusted.publicPem],
        algorithms: ['HS256', 'RS256'],
      },
    });
  });
  after(() => hs.close());

  const c = () => claims({ ...SCOPE });
  const rows: [string, () => string | Promise<string>, number, string][] = [
    ['the seed HS256 token verifies', () => hs256({ alg: 'HS256', typ: 'JWT' }, c(), HS_SECRET), 200, ''],
    [
      'RS256 on the same server still verifies',
      () => sign(c(), trusted.privateKey, { alg: 'RS256' }),
      200,
      '',
    ],
    [
      'A11 key confusion: HS256 keyed with the trusted RSA public key PEM',
      () => hs256({ alg: 'HS256' }, c(), trusted.publicPem),
      401,
      'Invalid token: signature verification failed',
    ],
    [
      'A17 empty HMAC key',
      () => hs256({ alg: 'HS256' }, c(), ''),
      401,
      'Invalid token: signature verification failed',
    ],
    ...['secret', 'password', 'changeme', 'your-256-bit-secret', 'agentos'].map(
      (s): [string, () => string, number, string] => [
        `A17 common secret "${s}"`,
        () => hs256({ alg: 'HS256' }, c(), s),
        401,
        'Invalid token: signature verification failed',
      ],
    ),
    [
      'HS384 is not on the allow-list',
      async () => sign(c(), new TextEncoder().encode(HS_SECRET), { alg: 'HS384' }),
      401,
      'Invalid token: algorithm not allowed',
    ],
  ];
  for (const [name, token, status, detail] of rows) {
    test(name, async () => {
      const before = hs.calls.length;
      const res = await request(hs.port, 'GET', '/config', bearer(await token()));
      assert.equal(res.status, status, res.text);
      if (status === 401) {
        assert.deepEqual(res.body, { detail });
        assert.equal(res.headers['www-authenticate'], CHALLENGE.invalid);
        assert.equal(hs.calls.length, before);
      }
    });
  }
});
