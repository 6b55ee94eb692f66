/**
 * Security-key mode (`OS_SECURITY_KEY` / `securityKey`, research agentos-3.1.md §6) over real HTTP:
 * the Python AgentOS's 401 bodies with our RFC 6750 challenge, the key as an admin root, service
 * accounts with their own scopes, the key never read from a cookie or the query string, JWT
 * winning when both are configured, and `GET /info`'s `auth_mode`.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type AgentOS, createAgentOS } from '../src/app.js';
import { SECURITY_KEY_INVALID, SECURITY_KEY_MISSING } from '../src/auth/security-key.js';
import { captureLogger, claims, clock, HS_SECRET, sign, silent } from './auth-helpers.js';

const KEY = 'dev-key-0123456789-abcdefghij-KLMNOP';

async function start(options: Parameters<typeof createAgentOS>[0]): Promise<{ os: AgentOS; base: string }> {
  const os = await createAgentOS({
    env: {},
    clock,
    logger: silent(),
    agents: [{ id: 'research-agent', name: 'Research Agent' }],
    ...options,
  });
  const server = await os.listen(0, '127.0.0.1');
  return { os, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const get = (base: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers });

describe('security-key mode', () => {
  let os: AgentOS;
  let base: string;
  const logs = captureLogger();
  before(async () => {
    ({ os, base } = await start({ securityKey: KEY, logger: logs.logger }));
  });
  after(() => os.close());

  it('reports auth_mode security_key on GET /info, which stays public', async () => {
    const res = await get(base, '/info');
    assert.equal(res.status, 200);
    assert.equal((await res.json()).auth_mode, 'security_key');
    assert.equal(os.config.auth.method, 'security_key');
  });

  it('warns at start that the mode is for development', () => {
    assert.ok(os.config.warnings.some((w) => w.includes('security-key mode') && w.includes('development')));
  });

  it('a missing credential: 401 "Authorization header required" with a bare Bearer challenge', async () => {
    const res = await get(base, '/agents');
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { detail: SECURITY_KEY_MISSING });
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="agentos"');
  });

  it('a wrong key: 401 "Invalid authentication token" with error="invalid_token"', async () => {
    const res = await get(base, '/agents', { authorization: 'Bearer not-the-key' });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { detail: SECURITY_KEY_INVALID });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="agentos", error="invalid_token"/);
  });

  it('the key: 200, as an admin root (every route, no scope needed)', async () => {
    for (const path of ['/agents', '/sessions', '/service-accounts', '/config']) {
      const res = await get(base, path, { authorization: `Bearer ${KEY}` });
      assert.equal(res.status, 200, `${path} ${await res.text()}`);
    }
    // The scheme is case-insensitive (RFC 7235 §2.1), as in the Python AgentOS.
    assert.equal((await get(base, '/agents', { authorization: `bearer ${KEY}` })).status, 200);
  });

  it('variants of the key are refused: case, prefix, suffix, inner whitespace, quotes, Basic', async () => {
    const variants = [
      `Bearer ${KEY.toUpperCase()}`,
      `Bearer ${KEY.toLowerCase()}`,
      `Bearer ${KEY.slice(0, -1)}`,
      `Bearer ${KEY}x`,
      `Bearer "${KEY}"`,
      `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`,
    ];
    for (const v of variants) {
      const res = await get(base, '/agents', { authorization: v });
      assert.equal(res.status, 401, v);
    }
    // Whitespace inside the credential is malformed (400 invalid_request), never accepted.
    const spaced = await get(base, '/agents', { authorization: `Bearer ${KEY.slice(0, 5)} ${KEY.slice(5)}` });
    assert.ok([400, 401].includes(spaced.status));
  });

  it('the key in a query string or a cookie is never a credential', async () => {
    for (const q of ['access_token', 'token', 'key', 'api_key', 'security_key']) {
      const res = await get(base, `/agents?${q}=${encodeURIComponent(KEY)}`);
      assert.equal(res.status, 401, q);
      assert.equal((await res.json()).detail, SECURITY_KEY_MISSING);
    }
    for (const c of ['access_token', 'session', 'security_key']) {
      const res = await get(base, '/agents', { cookie: `${c}=${KEY}` });
      assert.equal(res.status, 401, c);
    }
  });

  it('a JWT is refused (no JWT source in this mode)', async () => {
    const jwt = await sign(claims({ scopes: ['agent_os:admin'] }), new TextEncoder().encode(HS_SECRET), {
      alg: 'HS256',
    });
    const res = await get(base, '/agents', { authorization: `Bearer ${jwt}` });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).detail, SECURITY_KEY_INVALID);
  });

  it('service-account tokens keep working, with their own scopes enforced', async () => {
    const created = await fetch(`${base}/service-accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-reader', scopes: [{ scope: 'agents:read' }] }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { token } = (await created.json()) as { token: string };
    assert.equal((await get(base, '/agents', { authorization: `Bearer ${token}` })).status, 200);
    const denied = await get(base, '/sessions', { authorization: `Bearer ${token}` });
    assert.equal(denied.status, 403);
    assert.match((await denied.json()).detail, /sessions:read/);
    // An unknown service-account token is refused with the service-account wording.
    const unknown = await get(base, '/agents', { authorization: 'Bearer agno_pat_0000000000000000000000' });
    assert.equal(unknown.status, 401);
  });

  it('the key is never logged', () => {
    assert.ok(!logs.text().includes(KEY));
  });
});

describe('security key and JWT both configured', () => {
  let os: AgentOS;
  let base: string;
  before(async () => {
    ({ os, base } = await start({
      securityKey: KEY,
      authorization: true,
      authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
    }));
  });
  after(() => os.close());

  it('JWT wins: the key is refused, a JWT works, auth_mode is jwt, a warning says so', async () => {
    const res = await get(base, '/agents', { authorization: `Bearer ${KEY}` });
    assert.equal(res.status, 401);
    const jwt = await sign(claims({ scopes: ['agents:read'] }), new TextEncoder().encode(HS_SECRET), {
      alg: 'HS256',
    });
    const ok = await get(base, '/agents', { authorization: `Bearer ${jwt}` });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal((await (await get(base, '/info')).json()).auth_mode, 'jwt');
    assert.ok(os.config.warnings.some((w) => w.includes('JWT wins')));
    assert.equal(os.config.auth.securityKey, null);
  });
});

describe('OS_SECURITY_KEY from the environment', () => {
  it('turns the mode on; an empty value leaves the server open', async () => {
    const on = await createAgentOS({ env: { OS_SECURITY_KEY: KEY }, clock, logger: silent() });
    const off = await createAgentOS({ env: { OS_SECURITY_KEY: '' }, clock, logger: silent() });
    try {
      assert.equal(on.config.auth.method, 'security_key');
      assert.equal(off.config.auth.method, 'none');
      const server = await off.listen(0, '127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/info`);
      assert.equal((await res.json()).auth_mode, 'none');
    } finally {
      await on.close();
      await off.close();
    }
  });
});
