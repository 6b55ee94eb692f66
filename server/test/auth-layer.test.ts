/**
 * The auth layer stands alone (docs/architecture.md): nothing under server/src/auth imports
 * storage, handlers or the run engine, and `createAuthMiddleware` guards any Express app from a
 * route table of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileRoutes, type RouteSpec } from '@agentos/core';
import express from 'express';
import { SignJWT } from 'jose';
import { createCredentialVerifier } from '../src/auth/credentials.js';
import type { HttpError } from '../src/auth/errors.js';
import { createAuthMiddleware } from '../src/auth/middleware.js';
import { createTokenVerifier } from '../src/auth/verify.js';
import { resolveConfig } from '../src/config/resolve.js';
import { bearer, clock, HS_SECRET, NOW, request, silent } from './auth-helpers.js';

const authDir = fileURLToPath(new URL('../src/auth/', import.meta.url));

describe('layers', () => {
  test('server/src/auth imports nothing from db/, handlers/, runtime/, scheduler/ or generated/', () => {
    const found: string[] = [];
    for (const file of readdirSync(authDir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(authDir, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
        if (/^\.\.\/(db|handlers|runtime|scheduler|generated)\//.test(m[1]!)) found.push(`${file} → ${m[1]}`);
      }
    }
    assert.deepEqual(found, []);
  });
});

describe('createAuthMiddleware on a plain Express app', () => {
  const routes: RouteSpec[] = [
    { operationId: 'health', method: 'GET', path: '/health', scopes: [], userOwned: false, public: true },
    {
      operationId: 'listWidgets',
      method: 'GET',
      path: '/widgets',
      scopes: ['widgets:read'],
      filter: { resource: 'widgets', action: 'read', id: 'sku' },
      userOwned: false,
      public: false,
    },
    {
      operationId: 'buyWidget',
      method: 'POST',
      path: '/widgets/{sku}/buy',
      scopes: ['widgets:{sku}:buy'],
      userOwned: false,
      public: false,
    },
  ];
  let server: Server;
  let port: number;
  const sign = (scopes: string[]) =>
    new SignJWT({ sub: 'u-1', scopes, iat: NOW, exp: NOW + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(HS_SECRET));

  before(async () => {
    const config = resolveConfig({
      options: {
        authorization: true,
        authorizationConfig: { verificationKeys: [HS_SECRET], algorithm: 'HS256' },
      },
      file: null,
      env: {},
      cwd: process.cwd(),
    });
    const jwt = await createTokenVerifier(config.auth, { clock, logger: silent() });
    const app = express();
    app.use(
      createAuthMiddleware({
        config: config.auth,
        index: compileRoutes(routes),
        verifier: createCredentialVerifier(jwt),
        logger: silent(),
      }),
    );
    app.get('/health', (_req, res) => void res.json({ ok: true }));
    app.get(
      '/widgets',
      (req, res) =>
        void res.json({
          ids: req.auth.accessibleIds instanceof Set ? [...req.auth.accessibleIds] : req.auth.accessibleIds,
        }),
    );
    app.post(
      '/widgets/:sku/buy',
      (req, res) => void res.json({ bought: req.params.sku, by: req.auth.userId }),
    );
    app.use(((err, _req, res, _next) => {
      const e = err as HttpError;
      res
        .status(e.status ?? 500)
        .set(e.headers ?? {})
        .json({ detail: e.detail });
    }) as express.ErrorRequestHandler);
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a public route needs no token', async () => {
    assert.equal((await request(port, 'GET', '/health')).status, 200);
  });
  test('a protected route without a token is 401', async () => {
    const r = await request(port, 'GET', '/widgets');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="agentos"');
  });
  test('per-resource scopes filter the list and gate the action', async () => {
    const t = await sign(['widgets:w1:read', 'widgets:w1:buy']);
    assert.deepEqual((await request(port, 'GET', '/widgets', bearer(t))).body, { ids: ['w1'] });
    assert.deepEqual((await request(port, 'POST', '/widgets/w1/buy', bearer(t))).body, {
      bought: 'w1',
      by: 'u-1',
    });
    const other = await request(port, 'POST', '/widgets/w2/buy', bearer(t));
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, { detail: 'Insufficient permissions. Required scope(s): widgets:w2:buy' });
  });
});
