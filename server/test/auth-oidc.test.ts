/**
 * A real identity provider: oidc-provider on 127.0.0.1 issues RFC 9068 JWT access tokens by the
 * client_credentials grant with a resource indicator; the server, configured with only the
 * issuer URL, finds the JWKS by OpenID discovery and verifies them (contract.md §1).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import {
  bearer,
  CHALLENGE,
  claims,
  makeKey,
  request,
  sign,
  startServer,
  type TestServer,
} from './auth-helpers.js';

const CLIENT_ID = 'agentos-test-client';
const CLIENT_SECRET = 'a-client-secret-that-is-long-enough-for-tests';
const RESOURCE = 'https://agentos.example.com/api';
const OS_ID = 'my-os';

interface OidcProvider {
  callback(): http.RequestListener;
}

let idp: http.Server;
let issuer: string;

/** Asks the IdP for an access token with the given scope. */
async function accessToken(scope: string): Promise<{ token: string; granted: string }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: RESOURCE }),
  });
  const body = (await res.json()) as { access_token?: string; scope?: string; error?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return { token: body.access_token!, granted: body.scope ?? '' };
}

before(async () => {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  idp = http.createServer();
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  // oidc-provider ships no type declarations; the test needs only its constructor and callback.
  const specifier: string = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as {
    default: new (issuer: string, config: object) => OidcProvider;
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'agents:read config:read',
      },
    ],
    scopes: ['agents:read', 'config:read'],
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'agents:read config:read',
          audience: OS_ID,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  idp.on('request', provider.callback());
});

after(async () => {
  await new Promise<void>((r) => {
    idp.close(() => r());
    idp.closeAllConnections();
  });
});

describe('oidc-provider → discovery → JWT access tokens', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      id: OS_ID,
      authorization: true,
      scopesClaim: 'scope',
      authorizationConfig: { issuer, verifyAudience: true },
      // oidc-provider signs with the real time.
      clock: () => new Date(),
    });
  });
  after(() => srv.close());

  test('the issued token is an RFC 9068 JWT whose scope is a space-delimited string', async () => {
    const { token, granted } = await accessToken('agents:read config:read');
    assert.equal(granted, 'agents:read config:read');
    const [h, p] = token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    assert.equal(h.typ, 'at+jwt');
    assert.equal(h.kid, 'idp-key-1');
    assert.equal(p.scope, 'agents:read config:read');
    assert.equal(p.iss, issuer);
    assert.equal(p.aud, OS_ID);
  });

  test('a token with both scopes calls both operations', async () => {
    const { token } = await accessToken('agents:read config:read');
    const config = await request(srv.port, 'GET', '/config', bearer(token));
    assert.equal(config.status, 200, config.text);
    assert.deepEqual(config.body.caller.scopes, ['agents:read', 'config:read']);
    assert.equal(config.body.caller.userId, CLIENT_ID);
    assert.equal((await request(srv.port, 'GET', '/agents', bearer(token))).status, 200);
  });

  test('a token with only agents:read is refused config:read', async () => {
    const { token, granted } = await accessToken('agents:read');
    assert.equal(granted, 'agents:read');
    const res = await request(srv.port, 'GET', '/config', bearer(token));
    assert.equal(res.status, 403);
    assert.equal(res.headers['www-authenticate'], CHALLENGE.scope('config:read'));
    assert.equal((await request(srv.port, 'GET', '/agents', bearer(token))).status, 200);
  });

  test('a token signed by another key with the IdP kid is refused', async () => {
    const k = await makeKey('RS256');
    const forged = await sign(
      {
        ...claims({ scope: 'config:read', aud: OS_ID, iss: issuer }),
        exp: Math.floor(Date.now() / 1000) + 60,
        iat: Math.floor(Date.now() / 1000),
      },
      k.privateKey,
      { alg: 'RS256', kid: 'idp-key-1' },
    );
    const res = await request(srv.port, 'GET', '/config', bearer(forged));
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: 'Invalid token: signature verification failed' });
  });

  test('with the default "scopes" claim, the RFC 9068 "scope" string is not read', async () => {
    const plain = await startServer({
      id: OS_ID,
      authorization: true,
      authorizationConfig: { issuer },
      clock: () => new Date(),
    });
    try {
      const { token } = await accessToken('config:read');
      const res = await request(plain.port, 'GET', '/config', bearer(token));
      assert.equal(res.status, 403);
    } finally {
      await plain.close();
    }
  });
});

describe('discovery failures answer 503, never 401', () => {
  test('an unreachable issuer', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadIssuer = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const srv = await startServer({
      authorization: true,
      authorizationConfig: { issuer: deadIssuer, jwksTimeoutSeconds: 2 },
    });
    try {
      const k = await makeKey('RS256');
      const res = await request(
        srv.port,
        'GET',
        '/config',
        bearer(await sign(claims({ iss: deadIssuer }), k.privateKey, { alg: 'RS256' })),
      );
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, {
        detail:
          'Token verification is temporarily unavailable: OpenID discovery at the configured issuer failed. Try again later.',
      });
    } finally {
      await srv.close();
    }
  });

  test('a discovery document for another issuer', async () => {
    const srv = await startServer({
      authorization: true,
      // The IdP's document says `issuer: http://127.0.0.1:<port>`, not with a trailing path.
      authorizationConfig: { issuer: `${issuer}/` },
      clock: () => new Date(),
    });
    try {
      const { token } = await accessToken('config:read');
      const res = await request(srv.port, 'GET', '/config', bearer(token));
      assert.equal(res.status, 503);
    } finally {
      await srv.close();
    }
  });
});

describe('scopesClaim "scp"', () => {
  test('a space-delimited scp string is split; an scp array is taken as is', async () => {
    const k = await makeKey('RS256');
    const srv = await startServer({
      authorization: true,
      scopesClaim: 'scp',
      authorizationConfig: { verificationKeys: [k.publicPem] },
    });
    try {
      for (const scp of ['agents:read config:read', ['agents:read', 'config:read']]) {
        const res = await request(
          srv.port,
          'GET',
          '/config',
          bearer(await sign(claims({ scp }), k.privateKey, { alg: 'RS256' })),
        );
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.caller.scopes, ['agents:read', 'config:read']);
      }
    } finally {
      await srv.close();
    }
  });
});
