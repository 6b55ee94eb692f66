/**
 * Standard OpenAPI `security` (no `x-required-scopes`) → the route table: OR of ANDs as `anyOf`,
 * decided by `@agentos/core` exactly as the document says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileGrants, compileRoutes, decide, type RouteSpec } from '@agentos/core';
import { GenerationError, generate } from '../src/index.js';

const petstore = fileURLToPath(new URL('../../examples/petstore/openapi.yaml', import.meta.url));

const doc = (security: unknown, root?: unknown) => ({
  openapi: '3.0.3',
  info: { title: 't', version: '1' },
  ...(root === undefined ? {} : { security: root }),
  components: {
    securitySchemes: {
      auth: {
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: 'https://x/t', scopes: { a: '', b: '', c: '' } } },
      },
      oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://x/.well-known/openid-configuration' },
      key: { type: 'apiKey', name: 'k', in: 'header' },
    },
  },
  paths: {
    '/x': {
      get: {
        operationId: 'getX',
        ...(security === undefined ? {} : { security }),
        responses: { 200: { description: 'ok' } },
      },
    },
  },
});

async function routeOf(document: object): Promise<RouteSpec> {
  const files = await generate({ spec: document, targets: ['scopes'] });
  const routes = JSON.parse(files.get('routes.json')!).routes as RouteSpec[];
  return routes[0]!;
}

describe('security → route table', () => {
  const cases: [string, { given: [unknown, unknown?]; want: Partial<RouteSpec> }][] = [
    [
      'one requirement: AND',
      { given: [[{ auth: ['b', 'a'] }]], want: { scopes: ['a', 'b'], anyOf: [['a', 'b']], public: false } },
    ],
    [
      'two requirements: OR',
      {
        given: [[{ auth: ['a'] }, { oidc: ['c'] }]],
        want: { scopes: ['a'], anyOf: [['a'], ['c']], public: false },
      },
    ],
    [
      'two schemes in one requirement: scopes united',
      { given: [[{ auth: ['a'], oidc: ['b'] }]], want: { anyOf: [['a', 'b']] } },
    ],
    [
      'either-scheme form: the apiKey alternative is left out',
      { given: [[{ key: [] }, { auth: ['a'] }]], want: { anyOf: [['a']], public: false } },
    ],
    [
      'apiKey only: no token can meet it',
      { given: [[{ key: [] }]], want: { scopes: [], anyOf: [], public: false } },
    ],
    ['inherits the root security', { given: [undefined, [{ auth: ['c'] }]], want: { anyOf: [['c']] } }],
    [
      'security: [] on the operation removes the root one',
      { given: [[], [{ auth: ['c'] }]], want: { scopes: [], public: true } },
    ],
    ['an empty requirement {} makes it public', { given: [[{}, { auth: ['a'] }]], want: { public: true } }],
  ];
  for (const [name, { given, want }] of cases) {
    it(name, async () => {
      const route = await routeOf(doc(...given));
      for (const [k, v] of Object.entries(want)) assert.deepEqual(route[k as keyof RouteSpec], v, k);
      if (want.public) assert.equal(route.anyOf, undefined);
    });
  }

  it('refuses an undeclared scheme, naming the declared ones', async () => {
    await assert.rejects(
      generate({ spec: doc([{ petstore_auth: ['a'] }]), targets: ['scopes'] }),
      (e: unknown) =>
        e instanceof GenerationError &&
        e.code === 'ERR_GEN_SECURITY' &&
        /"petstore_auth".*declared: "auth", "oidc", "key"/.test(e.message) &&
        !/bearerAuth/.test(e.message),
    );
  });

  it('refuses an operation that states neither x-required-scopes nor security (never read as public)', async () => {
    await assert.rejects(
      generate({ spec: doc(undefined), targets: ['scopes'] }),
      (e: unknown) => e instanceof GenerationError && e.code === 'ERR_GEN_REQUIRED_SCOPES',
    );
  });

  it('x-required-scopes still wins when present (AgentOS documents unchanged)', async () => {
    const d = doc([{ auth: ['a'] }]);
    (d.paths['/x'].get as Record<string, unknown>)['x-required-scopes'] = ['agents:read'];
    const route = await routeOf(d);
    assert.deepEqual(route.scopes, ['agents:read']);
    assert.equal(route.anyOf, undefined);
  });
});

describe('examples/petstore (OpenAPI 3.0, oauth2, integer ids)', () => {
  it('generates every target, and core decides as the document says', async () => {
    const files = await generate({ spec: petstore });
    assert.ok(
      files.has('routes.ts') && files.has('openapi.ts') && files.has('server.ts') && files.has('mocks.ts'),
    );
    const index = compileRoutes(JSON.parse(files.get('routes.json')!).routes as RouteSpec[]);
    const decideOn = (method: string, path: string, scopes: string[]) => {
      const m = index.match(method, path);
      assert.equal(m.kind, 'found');
      return m.kind === 'found' ? decide(m.route, m.params, compileGrants(scopes)).effect : undefined;
    };
    assert.equal(decideOn('DELETE', '/pets/7', ['write:pets']), 'allow');
    assert.equal(decideOn('DELETE', '/pets/7', ['admin:store']), 'allow');
    assert.equal(decideOn('DELETE', '/pets/7', ['read:pets']), 'deny');
    assert.equal(decideOn('POST', '/store/orders', ['write:orders']), 'deny');
    assert.equal(decideOn('POST', '/store/orders', ['write:orders', 'read:pets']), 'allow');
    assert.equal(decideOn('GET', '/pets', ['read:pets']), 'allow');
    assert.equal(decideOn('GET', '/store/inventory', ['read:pets', 'admin:store']), 'deny');
    assert.equal(index.byOperationId('getHealth')?.spec.public, true);
  });
});
