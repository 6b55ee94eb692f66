import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { importSPKI, jwtVerify } from 'jose';
import { HarnessError } from '../src/errors.js';
import { createTokenFactory, fromNow } from '../src/tokens.js';
import { keys, privatePem } from './helpers.js';

const decode = (t: string, i: 0 | 1) =>
  JSON.parse(Buffer.from(t.split('.')[i] as string, 'base64url').toString()) as Record<string, unknown>;
const factory = () =>
  createTokenFactory({
    alg: 'RS256',
    signingKey: privatePem,
    audience: 'aud1',
    scopesClaim: 'scopes',
    userIdClaim: 'sub',
    kid: 'k1',
  });

describe('tokens', () => {
  test('a normal token verifies with the public key and carries the claims', async () => {
    const f = await factory();
    const t = await f.mint({ scopes: ['agents:read'], sub: 'u1' });
    const { payload, protectedHeader } = await jwtVerify(t, keys.publicKey, { audience: 'aud1' });
    assert.deepEqual(payload.scopes, ['agents:read']);
    assert.equal(payload.sub, 'u1');
    assert.equal(protectedHeader.kid, 'k1');
    assert.ok((payload.exp ?? 0) > Date.now() / 1000);
  });
  test('claims can be removed and set relative to the mint time', async () => {
    const f = await factory();
    const t = await f.mint({ scopes: [], claims: { exp: undefined, nbf: fromNow(60) } });
    const p = decode(t, 1);
    assert.equal(p.exp, undefined);
    assert.ok(Math.abs((p.nbf as number) - (Date.now() / 1000 + 60)) < 3);
    // Different removals are different tokens (the cache key keeps `undefined`).
    assert.notEqual(t, await f.mint({ scopes: [], claims: { aud: undefined, nbf: fromNow(60) } }));
  });
  test('alg none has an empty signature', async () => {
    const t = await (await factory()).mint({ scopes: [], attack: { kind: 'alg-none', alg: 'nOnE' } });
    assert.equal(decode(t, 0).alg, 'nOnE');
    assert.ok(t.endsWith('.'));
  });
  test('key confusion is HS256 keyed with the public key PEM', async () => {
    const t = await (await factory()).mint({
      scopes: [],
      attack: { kind: 'hmac', alg: 'HS256', key: 'public-pem' },
    });
    const [h, p, s] = t.split('.') as [string, string, string];
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.equal(createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url'), s);
  });
  test('a foreign key does not verify; embedded jwk carries a public key', async () => {
    const f = await factory();
    const pub = await importSPKI(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
    await assert.rejects(jwtVerify(await f.mint({ scopes: [], attack: { kind: 'foreign-key' } }), pub));
    const jwk = decode(await f.mint({ scopes: [], attack: { kind: 'embedded-jwk' } }), 0).jwk as Record<
      string,
      unknown
    >;
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.d, undefined);
  });
  test('the report label never contains the token', async () => {
    const f = await factory();
    assert.equal(f.describe({ scopes: ['a:b'], sub: 'u' }), '<redacted: scopes=[a:b] sub=u>');
  });
  test('a bad key is a harness error naming the fix', async () => {
    await assert.rejects(
      createTokenFactory({
        alg: 'RS256',
        signingKey: 'not a key',
        scopesClaim: 'scopes',
        userIdClaim: 'sub',
      }),
      (e: unknown) => e instanceof HarnessError && e.code === 'ERR_KEY' && /openssl genpkey/.test(e.message),
    );
  });
});
