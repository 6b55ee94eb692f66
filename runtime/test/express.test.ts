/** The router runtime's one index and one error model (@agentos/runtime/express, ./http). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRoutes, type RouteSpec } from '@agentos/core';
import { allowHeader, createAgentosRouter, HttpError, toErrorResponse } from '../src/express.js';

const apiSpec = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok' } } } } },
};
// A document whose admin scope is a bare word (`x-admin-scope: root`), outside the scope grammar.
const routes: RouteSpec[] = [
  { operationId: 'getX', method: 'GET', path: '/x', scopes: ['root'], userOwned: false, public: false },
];
const handlers = { getX: () => ({ status: 200, body: {} }) };
const auth = (_req: unknown, _res: unknown, next: () => void) => next();

describe('createAgentosRouter: one route index', () => {
  test('compiles its index with the admin scope (it used to compile without it and refuse to start)', () => {
    assert.doesNotThrow(() =>
      createAgentosRouter(handlers, { routes, pathParamTypes: {}, apiSpec }, { auth, adminScope: 'root' }),
    );
  });
  test("uses the server's index as it is", () => {
    const index = compileRoutes(routes, { adminScope: 'root' });
    assert.doesNotThrow(() =>
      createAgentosRouter(handlers, { routes, pathParamTypes: {}, apiSpec }, { auth, index }),
    );
  });
  test('refuses an index that is not of its table', () => {
    const other = compileRoutes([{ ...routes[0]!, path: '/y', scopes: [] }]);
    assert.throws(
      () => createAgentosRouter(handlers, { routes, pathParamTypes: {}, apiSpec }, { auth, index: other }),
      /options\.index does not hold getX \(GET \/x\)/,
    );
  });
});

describe('one error model', () => {
  const cases: [string, unknown, { status: number; detail: unknown; headers?: unknown }][] = [
    [
      'an HttpError as itself',
      new HttpError(404, 'Agent not found'),
      { status: 404, detail: 'Agent not found' },
    ],
    [
      'its headers',
      new HttpError(405, 'Method Not Allowed', { headers: { Allow: 'GET' } }),
      { status: 405, detail: 'Method Not Allowed', headers: { Allow: 'GET' } },
    ],
    [
      'any { status, detail } (the auth errors)',
      { status: 503, detail: 'down', headers: { 'Retry-After': '5' } },
      { status: 503, detail: 'down', headers: { 'Retry-After': '5' } },
    ],
    [
      'body-parser JSON',
      Object.assign(new Error('x'), { status: 400, type: 'entity.parse.failed' }),
      { status: 400, detail: 'Malformed request body: invalid JSON' },
    ],
    [
      'a 4xx message',
      Object.assign(new Error('Unsupported Media Type'), { status: 415 }),
      { status: 415, detail: 'Unsupported Media Type' },
    ],
    [
      'anything else hides its message',
      new Error('secret stack'),
      { status: 500, detail: 'Internal server error' },
    ],
  ];
  for (const [name, error, want] of cases) {
    test(name, () => {
      const r = toErrorResponse(error);
      assert.deepEqual(
        { status: r.status, detail: r.body.detail, ...(r.headers ? { headers: r.headers } : {}) },
        want,
      );
    });
  }
  test('one Allow rendering: HEAD with GET, OPTIONS where CORS answers it', () => {
    assert.equal(allowHeader(['POST', 'GET']), 'GET, HEAD, POST');
    assert.equal(allowHeader(['DELETE'], { options: true }), 'DELETE, OPTIONS');
  });
});
