/**
 * JWKS URL outage and key rotation (RELIABILITY=1; about 40 s). The reference server runs in its
 * own process with `authorizationConfig.jwksUrl` pointing at a JWKS server of this test on
 * 127.0.0.1 (cache max-age 1 s, so the server goes back to the URL every second):
 *
 * - outage: the JWKS server is stopped → requests with a good token the server has not verified
 *   before answer 503 (never 401); the token it verified before the outage may still be served
 *   from its verified-token cache (200), never 401; after the JWKS server is restarted the server
 *   recovers by itself → 200;
 * - rotation under load: 50 concurrent clients; the JWKS adds key 2, tokens switch to key 2 once
 *   the server can have seen it, key 1 is removed afterwards → not one request fails; then a key-1
 *   token is refused (401: the server runs with a 1 s token cache) and a key-2 token accepted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import {
  freePort,
  HOST,
  recordReliability,
  request,
  type ServerProcess,
  sleep,
  startReferenceServer,
  tempDir,
} from '../../bench/harness.js';

const ENABLED = process.env.RELIABILITY === '1';
const SKIP = ENABLED ? false : 'reliability test: set RELIABILITY=1 to run (npm run test:reliability; ~40 s)';
const AUDIENCE = 'agentos-jwks';

/** A JWKS endpoint that can be stopped and restarted on the same port. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  get url() {
    return `http://${HOST}:${this.port}/.well-known/jwks.json`;
  }
  start(): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, HOST, () => resolve());
    });
  }
  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A token of `key`; each call gives a different token (its own `jti`), so no cache has seen it. */
function mint(key: SigningKey, scopes: string[] = ['agents:read']): Promise<string> {
  return new SignJWT({ scopes, jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setSubject('jwks-user')
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);
}

/** `tokenCacheSeconds`: how long the server reuses a verified token (its default is 60 s). */
async function startServer(
  jwks: JwksServer,
  dir: string,
  tokenCacheSeconds?: number,
): Promise<ServerProcess> {
  return startReferenceServer({
    cwd: dir,
    config: {
      id: 'agentos-jwks',
      agents: [{ id: 'research-agent', name: 'Research Agent' }],
      authorization: true,
      authorizationConfig: {
        jwksUrl: jwks.url,
        algorithm: 'RS256',
        verifyAudience: true,
        audience: AUDIENCE,
        jwksCacheMaxAgeSeconds: 1,
        jwksCooldownSeconds: 1,
        jwksTimeoutSeconds: 1,
        ...(tokenCacheSeconds === undefined ? {} : { tokenCacheSeconds }),
      },
    },
  });
}

describe('reliability: JWKS URL', { skip: SKIP, timeout: 180_000 }, () => {
  const tmp = tempDir('agentos-rel-jwks-');
  let jwks: JwksServer;
  let server: ServerProcess | null = null;
  /** Every server started, stopped in `after` even when a test failed before stopping its own. */
  const started: ServerProcess[] = [];

  before(async () => {
    jwks = new JwksServer(await freePort());
  });

  after(async () => {
    for (const s of started) await s.stop();
    await jwks?.stop();
    tmp.cleanup();
  });

  test('outage: 503 while the JWKS URL is down (never 401 for a good token), 2xx after it is back', async () => {
    const k1 = await signingKey('key-1');
    jwks.keys = [k1.jwk];
    await jwks.start();
    server = await startServer(jwks, `${tmp.dir}/outage`);
    started.push(server);
    const token = await mint(k1);
    const getWith = (t: string) =>
      request(server!.url, '/agents', { headers: { authorization: `Bearer ${t}` }, timeoutMs: 10_000 });
    const get = () => getWith(token);
    assert.equal((await get()).status, 200, 'a good token before the outage');

    // During the outage: the token verified before it (the server's token cache may still accept
    // it) and a token never seen before, which needs the keys: neither may be refused as invalid.
    await jwks.stop();
    const during: number[] = [];
    const duringFresh: number[] = [];
    const outageEnd = Date.now() + 5000;
    for (let i = 0; i < 200 && Date.now() < outageEnd; i++) {
      for (const [r, into] of [
        [await get(), during],
        [await getWith(await mint(k1)), duringFresh],
      ] as const) {
        into.push(r.status);
        if (r.status === 503) {
          assert.equal(
            r.headers['www-authenticate']?.includes('invalid_token') ?? false,
            false,
            'a 503 must not blame the token',
          );
        }
      }
      await sleep(100);
    }
    const counts = (xs: number[]) =>
      Object.fromEntries([...new Set(xs)].map((s) => [s, xs.filter((x) => x === s).length]));
    const seen = `seen before ${JSON.stringify(counts(during))}, new ${JSON.stringify(counts(duringFresh))}`;
    console.log(`reliability-jwks outage: statuses during the outage: ${seen}`);
    recordReliability('jwks_outage', {
      statuses_during_outage: counts([...during, ...duringFresh]),
      token_seen_before: counts(during),
      new_tokens: counts(duringFresh),
    });
    assert.ok(
      !during.includes(401) && !duringFresh.includes(401),
      `401 for a good token during the outage: ${seen}`,
    );
    assert.ok(
      [...during, ...duringFresh].every((s) => s === 200 || s === 503),
      `unexpected statuses: ${seen}`,
    );
    assert.ok(duringFresh.includes(503), `no 503 for new tokens once the cached keys expired (1 s): ${seen}`);

    await jwks.start();
    const recoveredBy = Date.now() + 15_000;
    let status = 0;
    const afterStatuses: number[] = [];
    while (Date.now() < recoveredBy) {
      status = (await get()).status;
      afterStatuses.push(status);
      if (status === 200) break;
      assert.notEqual(status, 401, 'a 401 for a good token while recovering');
      await sleep(200);
    }
    assert.equal(
      status,
      200,
      `not recovered 15 s after the JWKS came back: ${JSON.stringify(counts(afterStatuses))}`,
    );
    for (let i = 0; i < 20; i++) assert.equal((await get()).status, 200, 'after recovery');
    await server.stop();
    server = null;
    await jwks.stop();
  });

  test('rotation under load: key 2 added, tokens switch, key 1 removed — no failed request', async () => {
    const k1 = await signingKey('rot-1');
    const k2 = await signingKey('rot-2');
    jwks.keys = [k1.jwk];
    await jwks.start();
    // Token cache 1 s: a removed key stops validating the tokens it signed within that time.
    server = await startServer(jwks, `${tmp.dir}/rotation`, 1);
    started.push(server);
    const t1 = await mint(k1);
    const t2 = await mint(k2);
    assert.equal(
      (await request(server.url, '/agents', { headers: { authorization: `Bearer ${t1}` } })).status,
      200,
    );

    let current = t1;
    let stop = false;
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let total = 0;
    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const deadline = Date.now() + 30_000;
    const worker = async () => {
      for (let i = 0; i < 1_000_000 && !stop && Date.now() < deadline; i++) {
        const token = current;
        try {
          const r = await request(server!.url, '/agents', {
            agent: httpAgent,
            timeoutMs: 10_000,
            headers: { authorization: `Bearer ${token}` },
          });
          total++;
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status !== 200 && failures.length < 20) {
            failures.push(`${token === t1 ? 'key-1' : 'key-2'} token → ${r.status} ${r.body.slice(0, 120)}`);
          }
        } catch (e) {
          if (failures.length < 20) failures.push(`socket: ${(e as Error).message}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 50 }, worker));
    const log: string[] = [];
    const mark = (what: string) => log.push(`${what} @${total}`);
    await sleep(2000);
    // 1. The identity provider publishes key 2 next to key 1.
    jwks.keys = [k1.jwk, k2.jwk];
    mark('published key-2');
    // 2. After more than the cache max-age (1 s), it signs with key 2.
    await sleep(2500);
    current = t2;
    mark('tokens switched to key-2');
    // 3. Once no key-1 token is in flight, key 1 is withdrawn.
    await sleep(2500);
    jwks.keys = [k2.jwk];
    mark('removed key-1');
    await sleep(3000);
    stop = true;
    await load;
    httpAgent.destroy();
    recordReliability('key_rotation', {
      requests: total,
      statuses: Object.fromEntries(statuses),
      failures: failures.length,
      timeline: log,
      jwks_fetches: jwks.fetches,
    });
    console.log(
      `reliability-jwks rotation: ${total} requests ${JSON.stringify(Object.fromEntries(statuses))}; ${log.join(', ')}; JWKS fetches ${jwks.fetches}`,
    );
    assert.deepEqual(failures, [], 'failed requests during the rotation');
    assert.ok(total > 200, `only ${total} requests`);

    // Key 1 is gone for good: its tokens are refused; key 2 tokens still pass.
    await sleep(1500);
    const old = await request(server.url, '/agents', { headers: { authorization: `Bearer ${t1}` } });
    assert.equal(old.status, 401, `a token of the removed key answered ${old.status}`);
    const fresh = await request(server.url, '/agents', { headers: { authorization: `Bearer ${t2}` } });
    assert.equal(fresh.status, 200);
  });
});
