/** `RouteSpec.anyOf`: standard OpenAPI `security` alternatives (OR of ANDs), compared exactly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGrants, compileRoutes, decide, type RouteSpec } from '../src/index.js';

const routes: RouteSpec[] = [
  {
    operationId: 'deletePet',
    method: 'DELETE',
    path: '/pets/{petId}',
    // [{petstore_auth: [write:pets, read:pets]}, {oidc: [pets.admin]}]
    scopes: ['write:pets', 'read:pets'],
    anyOf: [['write:pets', 'read:pets'], ['pets.admin']],
    userOwned: false,
    public: false,
  },
  {
    operationId: 'getInventory',
    method: 'GET',
    path: '/store/inventory',
    // A requirement with no scopes: any verified token.
    scopes: [],
    anyOf: [[]],
    userOwned: false,
    public: false,
  },
  {
    operationId: 'listPets',
    method: 'GET',
    path: '/pets',
    scopes: ['https://example.com/auth/pets.read'],
    anyOf: [['https://example.com/auth/pets.read']],
    userOwned: false,
    public: false,
  },
];

const index = compileRoutes(routes);
const at = (method: string, path: string) => {
  const m = index.match(method, path);
  assert.equal(m.kind, 'found');
  return m.kind === 'found' ? m : assert.fail();
};

const cases: [string, { route: [string, string]; scopes: string[]; want: 'allow' | 'deny' }][] = [
  [
    'every scope of the first set',
    { route: ['DELETE', '/pets/1'], scopes: ['read:pets', 'write:pets'], want: 'allow' },
  ],
  ['the second set alone', { route: ['DELETE', '/pets/1'], scopes: ['pets.admin'], want: 'allow' }],
  ['half of the first set (AND)', { route: ['DELETE', '/pets/1'], scopes: ['write:pets'], want: 'deny' }],
  ['no scope', { route: ['DELETE', '/pets/1'], scopes: [], want: 'deny' }],
  ['case differs (exact comparison)', { route: ['DELETE', '/pets/1'], scopes: ['PETS.ADMIN'], want: 'deny' }],
  [
    'the AgentOS admin scope means nothing here',
    { route: ['DELETE', '/pets/1'], scopes: ['agent_os:admin'], want: 'deny' },
  ],
  [
    'a wildcard means nothing here',
    { route: ['DELETE', '/pets/1'], scopes: ['write:*:pets', 'read:*:pets'], want: 'deny' },
  ],
  ['empty set: any verified token', { route: ['GET', '/store/inventory'], scopes: [], want: 'allow' }],
  [
    'a scope outside the contract grammar',
    { route: ['GET', '/pets'], scopes: ['https://example.com/auth/pets.read'], want: 'allow' },
  ],
];

for (const [name, { route, scopes, want }] of cases) {
  test(`anyOf: ${name} → ${want}`, () => {
    const m = at(...route);
    const d = decide(m.route, m.params, compileGrants(scopes));
    assert.equal(d.effect, want);
    if (d.effect === 'deny') assert.deepEqual(d.required, m.route.spec.anyOf?.[0]);
  });
}

test('anyOf: a scope that is not "resource:action" compiles (it is compared, not parsed)', () => {
  assert.doesNotThrow(() => compileRoutes(routes));
  assert.throws(() => compileRoutes([{ ...routes[2]!, anyOf: undefined }]), /Invalid required scope/);
});

test('anyOf: a DecisionInput without a compiled route honours it too', () => {
  const d = decide({ requirements: [], anyOf: [['a'], ['b', 'c']] }, {}, compileGrants(['c', 'b']));
  assert.equal(d.effect, 'allow');
});
