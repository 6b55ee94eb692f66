/**
 * Newcomer mode (ephemeral key, tokens, banner) and the `agentos-token` CLI, spawned as shipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { createAgentOS } from '../src/app.js';
import { resolveConfig } from '../src/config/resolve.js';
import { silentLogger } from '../src/log.js';
import {
  createEphemeralKeys,
  ephemeralAuthOptions,
  formatBanner,
  mintNewcomerTokens,
  newcomerPlan,
} from '../src/newcomer.js';

const BIN = fileURLToPath(new URL('../bin/agentos-token.js', import.meta.url));

describe('newcomer mode', () => {
  it('newcomerPlan: only without any key source, unless AGENTOS_DEV is off', () => {
    const open = resolveConfig({ options: {}, env: {}, cwd: process.cwd() });
    assert.ok(newcomerPlan({ env: {}, config: open }));
    assert.ok(newcomerPlan({ env: { AGENTOS_DEV: '1' }, config: open }));
    assert.equal(newcomerPlan({ env: { AGENTOS_DEV: '0' }, config: open }), null);
    assert.equal(newcomerPlan({ env: { AGENTOS_DEV: 'false' }, config: open }), null);
    const keyed = resolveConfig({
      options: {
        authorizationConfig: {
          verificationKeys: ['a-very-long-secret-key-at-least-256-bits-long'],
          algorithm: 'HS256',
        },
      },
      env: {},
      cwd: process.cwd(),
    });
    assert.equal(newcomerPlan({ env: {}, config: keyed }), null);
    const jwks = resolveConfig({
      options: { authorizationConfig: { jwksUrl: 'https://idp.example/jwks' } },
      env: {},
      cwd: process.cwd(),
    });
    assert.equal(newcomerPlan({ env: {}, config: jwks }), null);
  });

  it('mints an admin and a limited token (aud = OS id, 24 h) that verify with the ephemeral public key', async () => {
    const keys = await createEphemeralKeys();
    assert.match(keys.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    const now = new Date('2027-01-15T08:00:00Z');
    const t = await mintNewcomerTokens({ keys, audience: 'my-os', agentId: 'research-agent', now });
    const pub = await importSPKI(keys.publicKeyPem, 'RS256');
    const admin = await jwtVerify(t.adminToken, pub, {
      audience: 'my-os',
      currentDate: now,
      algorithms: ['RS256'],
    });
    assert.deepEqual(admin.payload.scopes, ['agent_os:admin']);
    assert.equal(admin.payload.exp! - admin.payload.iat!, 86400);
    assert.equal(decodeProtectedHeader(t.adminToken).kid, keys.kid);
    const limited = await jwtVerify(t.limitedToken, pub, { audience: 'my-os', currentDate: now });
    assert.deepEqual(limited.payload.scopes, [
      'agents:research-agent:read',
      'agents:research-agent:run',
      'sessions:read',
    ]);
    assert.equal(t.expiresAt.toISOString(), '2027-01-16T08:00:00.000Z');
  });

  it('formatBanner shows both tokens, the docs URL and a curl example', async () => {
    const banner = formatBanner({
      baseUrl: 'http://127.0.0.1:7777/',
      adminToken: 'ADMIN.TOKEN.X',
      limitedToken: 'LIMITED.TOKEN.Y',
    });
    assert.match(banner, /ADMIN\.TOKEN\.X/);
    assert.match(banner, /LIMITED\.TOKEN\.Y/);
    assert.match(banner, /http:\/\/127\.0\.0\.1:7777\/docs\b/);
    assert.match(
      banner,
      /curl -H "Authorization: Bearer \$AGENTOS_TOKEN" http:\/\/127\.0\.0\.1:7777\/agents/,
    );
    assert.match(banner, /agents:research-agent:read agents:research-agent:run sessions:read/);
    assert.match(banner, /TEMPORARY signing key/);
  });

  it('end to end: a server configured with the ephemeral key accepts the tokens with their scopes', async () => {
    const keys = await createEphemeralKeys();
    const os = await createAgentOS({
      env: {},
      id: 'newcomer-os',
      agents: [{ id: 'research-agent', name: 'Research Agent' }, { id: 'other' }],
      logger: silentLogger(),
      validateResponses: true,
      ...ephemeralAuthOptions(keys),
    });
    const server = await os.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const t = await mintNewcomerTokens({ keys, audience: os.config.id, agentId: 'research-agent' });
      const get = (path: string, token: string) =>
        fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get('/agents', t.adminToken)).status, 200);
      assert.equal((await get('/agents/research-agent', t.limitedToken)).status, 200);
      assert.equal((await get('/agents/other', t.limitedToken)).status, 403);
      const list = await get('/agents', t.limitedToken);
      assert.equal(list.status, 200);
      assert.deepEqual(
        ((await list.json()) as { id: string }[]).map((a) => a.id),
        ['research-agent'],
      );
      // The audience is checked: a token for another OS is refused.
      const foreign = await mintNewcomerTokens({ keys, audience: 'someone-else' });
      assert.equal((await get('/agents', foreign.adminToken)).status, 401);
    } finally {
      await os.close();
    }
  });
});

describe('agentos-token CLI', () => {
  let dir: string;
  let rsaPublic: string;
  let ecPublic: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentos-token-'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'rsa-pkcs1.pem'), rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    writeFileSync(join(dir, 'rsa.pub'), rsaPublic);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'ec.pem'), ec.privateKey.export({ type: 'sec1', format: 'pem' }));
    ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    writeFileSync(join(dir, 'secret.txt'), 'a-very-long-secret-key-at-least-256-bits-long\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('mints an RS256 token that verifies with the public key and carries the given claims; stdout is only the token', async () => {
    const r = run(
      '--key',
      join(dir, 'rsa.pem'),
      '--scopes',
      'agents:read,agents:research-agent:run',
      '--sub',
      'alice',
      '--aud',
      'my-os',
      '--kid',
      'k1',
      '--exp',
      '2h',
      '--iss',
      'https://issuer.example',
      '--claim',
      'session_id=s-1',
      '--claim',
      'tier=3',
      '--claim',
      'tags=["a","b"]',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const token = lines[0]!;
    const { payload, protectedHeader } = await jwtVerify(token, await importSPKI(rsaPublic, 'RS256'), {
      audience: 'my-os',
      issuer: 'https://issuer.example',
      algorithms: ['RS256'],
    });
    assert.deepEqual(protectedHeader, { alg: 'RS256', typ: 'JWT', kid: 'k1' });
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.scopes, ['agents:read', 'agents:research-agent:run']);
    assert.equal(payload.exp! - payload.iat!, 7200);
    assert.equal(payload.session_id, 's-1');
    assert.equal(payload.tier, 3);
    assert.deepEqual(payload.tags, ['a', 'b']);
  });

  it('accepts PKCS#1 and EC (SEC1) keys, choosing the algorithm from the key', async () => {
    const pkcs1 = run('--key', join(dir, 'rsa-pkcs1.pem'), '--sub', 'bob', '--scopes', 'sessions:read');
    assert.equal(pkcs1.status, 0, pkcs1.stderr);
    await jwtVerify(pkcs1.stdout.trim(), await importSPKI(rsaPublic, 'RS256'));
    const ec = run(
      '--key',
      join(dir, 'ec.pem'),
      '--sub',
      'bob',
      '--scopes-claim',
      'scope',
      '--scopes',
      'a:read b:read',
    );
    assert.equal(ec.status, 0, ec.stderr);
    const { payload, protectedHeader } = await jwtVerify(
      ec.stdout.trim(),
      await importSPKI(ecPublic, 'ES256'),
    );
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.scope, 'a:read b:read');
  });

  it('mints HS256 tokens from a secret file', async () => {
    const r = run('--key', join(dir, 'secret.txt'), '--alg', 'HS256', '--sub', 'carol', '--aud', 'os');
    assert.equal(r.status, 0, r.stderr);
    const { payload } = await jwtVerify(
      r.stdout.trim(),
      new TextEncoder().encode('a-very-long-secret-key-at-least-256-bits-long'),
      {
        algorithms: ['HS256'],
      },
    );
    assert.deepEqual(payload.scopes, []);
    assert.equal(payload.exp! - payload.iat!, 3600, 'default lifetime 1h');
  });

  it('usage and key errors: exit 1, a message on stderr, nothing on stdout', () => {
    for (const [args, message] of [
      [['--key', join(dir, 'rsa.pub'), '--sub', 'x'], /public key/],
      [['--key', join(dir, 'secret.txt'), '--sub', 'x'], /not a private key.*--alg HS256/],
      [['--key', join(dir, 'missing.pem'), '--sub', 'x'], /cannot read --key/],
      [['--key', join(dir, 'rsa.pem'), '--sub', 'x', '--alg', 'none'], /--alg must be one of/],
      [['--key', join(dir, 'rsa.pem'), '--sub', 'x', '--exp', 'soon'], /--exp must be a duration/],
      [['--key', join(dir, 'rsa.pem'), '--sub', 'x', '--claim', 'sub=root'], /with --sub, not --claim/],
      [['--key', join(dir, 'rsa.pem'), '--sub', 'x', '--alg', 'ES256'], /cannot sign with ES256/],
      [['--sub', 'x'], /--key/],
    ] as const) {
      const r = run(...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), '', args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});
