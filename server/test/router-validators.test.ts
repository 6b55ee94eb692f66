/**
 * The validators of the generated router, over the reference server's whole document: every
 * operation's validator builds from its own document (its path and the components it reaches)
 * and validates without an internal error, and validating a request costs the same whatever the
 * number of operations — express-openapi-validator compiles a path-to-regexp matcher for each path
 * of its document on every request, so each operation's validator has exactly one path.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { compileRoutes } from '@agentos/core';
import express, { type RequestHandler } from 'express';
import { routes } from '../src/generated/routes.js';
import { createRouter, type Handlers } from '../src/generated/server.js';

// The path-to-regexp the validator uses, observed (not changed) to count the matchers it compiles.
const require = createRequire(import.meta.url);
const pathToRegexpModule = createRequire(require.resolve('express-openapi-validator'))('path-to-regexp') as {
  pathToRegexp: (...args: unknown[]) => unknown;
};

const index = compileRoutes(routes);
const auth: RequestHandler = (req, _res, next) => {
  const m = index.match(req.method, req.path);
  if (m.kind === 'found') {
    Object.assign(req, {
      auth: { operationId: m.route.spec.operationId, isAdmin: true },
      agentos: { route: m.route, params: m.params },
    });
  }
  next();
};
const handled: string[] = [];
const handlers = new Proxy(
  {},
  {
    get: (_target, id) => () => {
      handled.push(String(id));
      return { status: 200, body: {} };
    },
  },
) as unknown as Handlers;

let server: Server;
let base = '';
const errors: unknown[] = [];
let compiled = 0;
let original: (...args: unknown[]) => unknown;

before(async () => {
  original = pathToRegexpModule.pathToRegexp;
  pathToRegexpModule.pathToRegexp = (...args: unknown[]) => {
    compiled += 1;
    return original(...args);
  };
  const app = express();
  app.use(createRouter(handlers, { auth, onError: (e) => errors.push(e) }));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  pathToRegexpModule.pathToRegexp = original;
  await new Promise((resolve) => server.close(resolve));
});

const pathOf = (template: string) => template.replace(/\{[^}]+\}/g, '1');

async function send(method: string, path: string): Promise<number> {
  const res = await fetch(base + path, { method });
  await res.arrayBuffer();
  return res.status;
}

describe('per-operation validators', () => {
  test(`every operation (${routes.length}) is validated without an internal error`, async () => {
    const failed: string[] = [];
    for (const r of routes) {
      const status = await send(r.method, pathOf(r.path));
      if (status >= 500) failed.push(`${r.method} ${r.path} (${r.operationId}): ${status}`);
    }
    assert.deepEqual(failed, []);
    assert.deepEqual(errors, []);
  });

  test('a request compiles one path matcher, wherever its operation is in the table', async () => {
    const probes = [
      routes[0]!,
      routes.find((r) => r.operationId === 'listAgents')!,
      routes.find((r) => r.operationId === 'getHealth')!,
      routes.at(-1)!,
    ];
    for (const r of probes) {
      await send(r.method, pathOf(r.path)); // built already; warm anyway
      compiled = 0;
      const n = 5;
      for (let i = 0; i < n; i++) await send(r.method, pathOf(r.path));
      assert.ok(
        compiled <= n,
        `${r.operationId}: ${compiled} path matchers compiled for ${n} requests (${routes.length} operations)`,
      );
    }
  });

  test('the handler runs once per validated request', async () => {
    handled.length = 0;
    assert.equal(await send('GET', '/agents'), 200);
    assert.deepEqual(handled, ['listAgents']);
  });
});
