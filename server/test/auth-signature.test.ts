/**
 * The synchronous signature checks (`auth/signature.ts`): keys imported at start are verified with
 * node:crypto, never through WebCrypto, and every token gets the answer jose's own `jwtVerify`
 * gives it (a differential test: same keys, same options, jose as the oracle), for every algorithm
 * family, valid tokens and forgeries alike.
 */
import assert from 'node:assert/strict';
import { constants, createHmac, KeyObject, sign as nodeSign } from 'node:crypto';
import { describe, mock, test } from 'node:test';
import { jwtVerify } from 'jose';
import pino from 'pino';
import { createSignatureCheck } from '../src/auth/signature.js';
import { createTokenVerifier, mapVerifyError } from '../src/auth/verify.js';
import type { JwsAlgorithm } from '../src/config/options.js';
import { resolveConfig } from '../src/config/resolve.js';
import { claims, clock, HS_SECRET, makeKey, NOW, type TestKey } from './auth-helpers.js';

const AUDIENCE = 'agentos-signature-test';
const ISSUER = 'https://issuer.signature.example';
const silent = pino({ level: 'silent' });
const b64 = (v: string | Uint8Array) => Buffer.from(v).toString('base64url');
const SECRET = new TextEncoder().encode(HS_SECRET);

/** Signs `header.payload` (raw payload bytes allowed) with node:crypto, as an issuer would. */
function signRaw(
  alg: string,
  key: TestKey | null,
  header: Record<string, unknown>,
  payload: string | Uint8Array,
  options: { der?: boolean } = {},
): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  const data = Buffer.from(input);
  const bits = alg.slice(-3);
  const hash = `sha${bits}`;
  let sig: Buffer;
  if (alg.startsWith('HS')) sig = createHmac(hash, SECRET).update(data).digest();
  else {
    const k = KeyObject.from(key!.privateKey);
    if (alg.startsWith('RS')) sig = nodeSign(hash, data, k);
    else if (alg.startsWith('PS'))
      sig = nodeSign(hash, data, {
        key: k,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    else if (alg.startsWith('ES'))
      sig = nodeSign(hash, data, { key: k, dsaEncoding: options.der ? 'der' : 'ieee-p1363' });
    else sig = nodeSign(null, data, k);
  }
  return `${input}.${b64(sig)}`;
}

/** The token with its signature bytes changed by `edit`. */
function withSignature(token: string, edit: (sig: Buffer) => Buffer): string {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${b64(edit(Buffer.from(token.slice(dot + 1), 'base64url')))}`;
}

const FAMILIES: JwsAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
  'HS512',
];

async function setup(alg: JwsAlgorithm) {
  const hs = alg.startsWith('HS');
  const key = hs ? null : await makeKey(alg);
  const other = hs ? null : await makeKey(alg);
  const config = resolveConfig({
    options: {
      authorization: true,
      authorizationConfig: {
        verificationKeys: [hs ? HS_SECRET : key!.publicPem],
        algorithm: alg,
        verifyAudience: true,
        audience: AUDIENCE,
        issuer: ISSUER,
        tokenCacheSeconds: 0,
      },
    },
    env: {},
    cwd: process.cwd(),
  });
  const verifier = await createTokenVerifier(config.auth, { clock, logger: silent });
  /** jose's answer: `jwtVerify` with the key itself and the verifier's options. */
  const oracle = async (token: string): Promise<string> => {
    try {
      const { payload } = await jwtVerify(token, hs ? SECRET : key!.publicKey, {
        algorithms: [alg],
        audience: [AUDIENCE],
        issuer: ISSUER,
        clockTolerance: config.auth.leewaySeconds,
        currentDate: clock(),
        requiredClaims: ['exp'],
      });
      return `ok ${String(payload.sub)}`;
    } catch (e) {
      return mapVerifyError(e, config.auth, silent).reason;
    }
  };
  const ours = async (token: string): Promise<string> => {
    try {
      return `ok ${String((await verifier.verify(token)).sub)}`;
    } catch (e) {
      return (e as { reason: string }).reason;
    }
  };
  return { key, other, oracle, ours };
}

/** Tokens every family is checked with: name → token (and the answer expected of both). */
function variants(alg: JwsAlgorithm, key: TestKey | null, other: TestKey | null): [string, string, string][] {
  const h = { alg };
  const good = claims({ aud: AUDIENCE, iss: ISSUER });
  const s = (payload: unknown, header: Record<string, unknown> = h) =>
    signRaw(alg, key, header, typeof payload === 'string' ? payload : JSON.stringify(payload));
  const valid = s(good);
  const otherUser = s({ ...good, sub: 'someone_else' });
  const list: [string, string, string][] = [
    ['valid', valid, 'ok user_123'],
    [
      'signature bit flipped',
      withSignature(valid, (b) => Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x)))),
      'signature',
    ],
    ['signature one byte short', withSignature(valid, (b) => b.subarray(0, b.length - 1)), 'signature'],
    [
      'signature one byte long',
      withSignature(valid, (b) => Buffer.concat([b, Buffer.from([0])])),
      'signature',
    ],
    ['empty signature', `${valid.slice(0, valid.lastIndexOf('.'))}.`, 'signature'],
    [
      'payload of another token under this signature',
      `${valid.split('.')[0]}.${otherUser.split('.')[1]}.${valid.split('.')[2]}`,
      'signature',
    ],
    ['expired', s({ ...good, exp: NOW - 3600 }), 'expired'],
    ['not yet valid', s({ ...good, nbf: NOW + 3600 }), 'nbf'],
    ['wrong audience', s({ ...good, aud: 'another-service' }), 'audience'],
    ['wrong issuer', s({ ...good, iss: 'https://elsewhere.example' }), 'issuer'],
    ['no issuer', s({ ...good, iss: undefined }), 'claim_missing:iss'],
    ['no exp', s({ ...good, exp: undefined }), 'claim_missing:exp'],
    ['payload is not a JSON object', s('[1,2]'), 'malformed'],
    ['payload is not UTF-8', signRaw(alg, key, h, new Uint8Array([0x7b, 0xff, 0x7d])), 'malformed'],
    // An extension jose does not know: jose judges it (node:crypto's path never sees `crit`).
    ['crit header', s(good, { alg, crit: ['exp'], exp: 1 }), 'not_supported'],
  ];
  if (other) {
    list.push(['signed by another key', signRaw(alg, other, h, JSON.stringify(good)), 'signature']);
  }
  if (alg.startsWith('ES')) {
    // The same signature in DER: valid for OpenSSL's default encoding, never a JWS signature.
    list.push([
      'ECDSA signature in DER',
      signRaw(alg, key, h, JSON.stringify(good), { der: true }),
      'signature',
    ]);
  }
  return list;
}

describe('signatures: node:crypto gives jose`s answers', () => {
  for (const alg of FAMILIES) {
    test(alg, async () => {
      const { key, other, oracle, ours } = await setup(alg);
      for (const [name, token, expected] of variants(alg, key, other)) {
        const want = await oracle(token);
        // Not a test of our expectation only: jose itself gives this answer.
        assert.match(
          want,
          new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
          `${alg} ${name}: jose`,
        );
        assert.equal(await ours(token), want, `${alg} ${name}`);
      }
    });
  }
});

describe('keys imported at start never go through WebCrypto', () => {
  test('no crypto.subtle.verify for a local key, valid or forged', async (t) => {
    const setups = await Promise.all(FAMILIES.map(async (alg) => [alg, await setup(alg)] as const));
    const spy = mock.method(globalThis.crypto.subtle, 'verify');
    t.after(() => spy.mock.restore());
    for (const [alg, { key, other, ours }] of setups) {
      const good = claims({ aud: AUDIENCE, iss: ISSUER });
      assert.equal(await ours(signRaw(alg, key, { alg }, JSON.stringify(good))), 'ok user_123', alg);
      if (other)
        assert.equal(await ours(signRaw(alg, other, { alg }, JSON.stringify(good))), 'signature', alg);
    }
    assert.equal(spy.mock.callCount(), 0, 'every signature was checked by node:crypto');
  });

  test('a check is bound to its algorithm and key type', async () => {
    const rsa = await makeKey('RS256');
    const ec = await makeKey('ES256');
    const ed = await makeKey('EdDSA');
    assert.equal(typeof createSignatureCheck('RS256', rsa.publicKey), 'function');
    // A key of another family (algorithm confusion) or a private key gets no check at all.
    assert.equal(createSignatureCheck('ES256', rsa.publicKey), null);
    assert.equal(createSignatureCheck('EdDSA', ec.publicKey), null);
    assert.equal(createSignatureCheck('RS256', ed.publicKey), null);
    assert.equal(createSignatureCheck('ES384', ec.publicKey), null, 'P-256 key, P-384 algorithm');
    assert.equal(createSignatureCheck('RS256', rsa.privateKey), null);
    assert.equal(createSignatureCheck('HS256', rsa.publicKey), null, 'a public key is never an HMAC secret');
    assert.equal(createSignatureCheck('RS256', SECRET), null);
    assert.equal(createSignatureCheck('HS256', new Uint8Array()), null);
  });
});
