/**
 * The transforms, table-driven: what each OpenAPI object becomes, and which documents are
 * refused with which code and JSON Pointer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationError, type GenerationErrorCode, generate } from '../src/index.js';
import { sampleFromSchema } from '../src/lib/sample.js';
import { compareSpecificity } from '../src/lib/sort.js';
import { mediaKind } from '../src/transform/media-type-object.js';
import { transformOpenAPIObject } from '../src/transform/openapi-object.js';

type Doc = Record<string, unknown>;

function doc(paths: Doc, extra: Doc = {}): Doc {
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths, ...extra };
}
const ok = { '200': { description: 'ok' } };
const op = (fields: Doc) => ({ responses: ok, ...fields });

/** One operation with a body and two path parameters, plus the extension fields under test. */
function objectLevelDoc(fields: Doc): Doc {
  return doc({
    '/shelves/{shelf_id}/loans/{loan_id}': {
      post: op({
        operationId: 'a',
        'x-required-scopes': [],
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
        ...fields,
      }),
    },
  });
}
const OL = '/paths/~1shelves~1{shelf_id}~1loans~1{loan_id}/post';

/** The object-level extensions, each refused with its code at the faulty value. */
function objectLevelRefusals(): [string, Doc, GenerationErrorCode, string, RegExp][] {
  const t = (name: string, fields: Doc, code: GenerationErrorCode, at: string, message: RegExp) =>
    [name, objectLevelDoc(fields), code, `${OL}${at}`, message] as [
      string,
      Doc,
      GenerationErrorCode,
      string,
      RegExp,
    ];
  return [
    t(
      'x-body-scopes not an array',
      { 'x-body-scopes': 'a' },
      'ERR_GEN_BODY_SCOPES',
      '/x-body-scopes',
      /non-empty array/,
    ),
    t(
      'x-body-scopes empty',
      { 'x-body-scopes': [] },
      'ERR_GEN_BODY_SCOPES',
      '/x-body-scopes',
      /non-empty array/,
    ),
    t(
      'a body scope bound to a path parameter',
      { 'x-body-scopes': ['agents:{body.agent_id}:run', 'agents:{loan_id}:run'] },
      'ERR_GEN_BODY_SCOPES',
      '/x-body-scopes/1',
      /not a body-scope template/,
    ),
    t(
      'a body scope naming a nested field',
      { 'x-body-scopes': ['agents:{body.a.b}:run'] },
      'ERR_GEN_BODY_SCOPES',
      '/x-body-scopes/0',
      /"resource:\{body\.field\}:action"/,
    ),
    [
      'x-body-scopes without a request body',
      doc({
        '/a': {
          post: op({ operationId: 'a', 'x-required-scopes': [], 'x-body-scopes': ['a:{body.x}:run'] }),
        },
      }),
      'ERR_GEN_BODY_SCOPES',
      '/paths/~1a/post/x-body-scopes',
      /no requestBody/,
    ],
    t(
      'x-scope-target with a bad source',
      { 'x-scope-target': { endpoint: 'endpoint', method: 'method', source: 'query' } },
      'ERR_GEN_SCOPE_TARGET',
      '/x-scope-target/source',
      /"body" or "stored"/,
    ),
    t(
      'a stored x-scope-target without a path parameter',
      {
        'x-scope-target': { endpoint: 'endpoint', method: 'method', source: 'stored', param: 'schedule_id' },
      },
      'ERR_GEN_SCOPE_TARGET',
      '/x-scope-target/param',
      /the path has "shelf_id", "loan_id"/,
    ),
    t(
      'a body x-scope-target with a param',
      { 'x-scope-target': { endpoint: 'endpoint', method: 'method', source: 'body', param: 'loan_id' } },
      'ERR_GEN_SCOPE_TARGET',
      '/x-scope-target/param',
      /stored` only/,
    ),
    t(
      'x-scope-target with an unknown key',
      { 'x-scope-target': { endpoint: 'endpoint', method: 'method', source: 'body', when: 1 } },
      'ERR_GEN_SCOPE_TARGET',
      '/x-scope-target/when',
      /unknown key "when"/,
    ),
    t(
      'x-contains naming a query parameter',
      { 'x-contains': [{ param: 'page', object: 'loan', owned: true }] },
      'ERR_GEN_CONTAINS',
      '/x-contains/0/param',
      /must be a path parameter/,
    ),
    t(
      'x-contains with a parent that is itself',
      {
        'x-contains': [{ param: 'loan_id', object: 'loan', parent: { param: 'loan_id', field: 'loan_id' } }],
      },
      'ERR_GEN_CONTAINS',
      '/x-contains/0/parent/param',
      /another path parameter/,
    ),
    t(
      'x-contains that checks nothing',
      { 'x-contains': [{ param: 'loan_id', object: 'loan' }] },
      'ERR_GEN_CONTAINS',
      '/x-contains/0',
      /checks nothing/,
    ),
    t(
      'x-contains with a bad object kind',
      { 'x-contains': [{ param: 'loan_id', object: 'Loan!', owned: true }] },
      'ERR_GEN_CONTAINS',
      '/x-contains/0/object',
      /object kind/,
    ),
    t(
      'x-approval-gate on a missing parameter',
      { 'x-approval-gate': { param: 'run_id' } },
      'ERR_GEN_APPROVAL_GATE',
      '/x-approval-gate/param',
      /naming the run/,
    ),
    t(
      'x-approval-gate as a string',
      { 'x-approval-gate': 'loan_id' },
      'ERR_GEN_APPROVAL_GATE',
      '/x-approval-gate',
      /must be an object \{ param \}/,
    ),
    t(
      'x-nested-filters with a relative pointer',
      { 'x-nested-filters': [{ resource: 'a', action: 'read', id: 'id', at: 'members' }] },
      'ERR_GEN_NESTED_FILTERS',
      '/x-nested-filters/0/at',
      /JSON pointer/,
    ),
    t(
      'x-nested-filters twice for one resource at one pointer',
      {
        'x-nested-filters': [
          { resource: 'agents', action: 'read', id: 'id', at: '/members' },
          { resource: 'agents', action: 'run', id: 'id', at: '/members' },
        ],
      },
      'ERR_GEN_NESTED_FILTERS',
      '/x-nested-filters/1/at',
      /filtered twice for "agents"/,
    ),
    t(
      'x-nested-filters without id',
      { 'x-nested-filters': [{ resource: 'a', action: 'read', at: '/members' }] },
      'ERR_GEN_NESTED_FILTERS',
      '/x-nested-filters/0/id',
      /non-empty string/,
    ),
    t(
      'x-agentos-feature not a name',
      { 'x-agentos-feature': 'Auth Z' },
      'ERR_GEN_AGENTOS_FEATURE',
      '/x-agentos-feature',
      /feature name/,
    ),
    t(
      'x-agentos-since as a number',
      { 'x-agentos-since': 3.1 },
      'ERR_GEN_AGENTOS_VERSION',
      '/x-agentos-since',
      /quote it/,
    ),
    t(
      'x-agentos-until with a v',
      { 'x-agentos-until': 'v3' },
      'ERR_GEN_AGENTOS_VERSION',
      '/x-agentos-until',
      /version string/,
    ),
    t(
      'x-agentos-until not after since',
      { 'x-agentos-since': '3.1', 'x-agentos-until': '3.1.0' },
      'ERR_GEN_AGENTOS_VERSION',
      '/x-agentos-until',
      /later version/,
    ),
  ];
}

describe('transformOpenAPIObject', () => {
  it('reads the object-level extensions into the model', () => {
    const model = transformOpenAPIObject({
      file: 'x.yaml',
      document: objectLevelDoc({
        'x-body-scopes': ['agents:{body.agent_id}:run', 'teams:{body.team_id}:run'],
        'x-scope-target': { endpoint: 'endpoint', method: 'method', source: 'stored', param: 'loan_id' },
        'x-contains': [
          { param: 'loan_id', object: 'loan', parent: { param: 'shelf_id', field: 'shelf_id' }, owned: true },
          { param: 'shelf_id', object: 'shelf', owned: false, parent: { param: 'loan_id', field: 'x' } },
        ],
        'x-approval-gate': { param: 'loan_id' },
        'x-nested-filters': [
          { resource: 'agents', action: 'read', id: 'id', at: '/members' },
          { resource: 'teams', action: 'read', id: 'id', at: '/members' },
        ],
        'x-agentos-feature': 'authz',
        'x-agentos-since': '3.0',
        'x-agentos-until': '3.1.10',
      }),
    });
    const o = model.operations[0]!;
    assert.deepEqual(
      [o.bodyScopes, o.target, o.contains, o.approvalGate, o.nestedFilters, o.feature, o.since, o.until],
      [
        ['agents:{body.agent_id}:run', 'teams:{body.team_id}:run'],
        { endpoint: 'endpoint', method: 'method', source: 'stored', param: 'loan_id' },
        [
          { param: 'loan_id', object: 'loan', parent: { param: 'shelf_id', field: 'shelf_id' }, owned: true },
          { param: 'shelf_id', object: 'shelf', parent: { param: 'loan_id', field: 'x' } },
        ],
        { param: 'loan_id' },
        [
          { resource: 'agents', action: 'read', id: 'id', at: '/members' },
          { resource: 'teams', action: 'read', id: 'id', at: '/members' },
        ],
        'authz',
        '3.0',
        '3.1.10',
      ],
    );
    const bare = transformOpenAPIObject({ file: 'x.yaml', document: objectLevelDoc({}) }).operations[0]!;
    assert.deepEqual(
      [
        bare.bodyScopes,
        bare.target,
        bare.contains,
        bare.approvalGate,
        bare.nestedFilters,
        bare.feature,
        bare.since,
        bare.until,
      ],
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    );
  });

  it('reads the AgentOS extensions and merges path-level parameters', () => {
    const model = transformOpenAPIObject({
      file: 'x.yaml',
      document: doc({
        '/things/{thing_id}': {
          parameters: [{ name: 'thing_id', in: 'path', required: true, schema: { type: 'integer' } }],
          get: op({
            operationId: 'getThing',
            'x-required-scopes': ['things:{thing_id}:read'],
            'x-user-owned': true,
          }),
        },
        '/things': {
          get: op({
            operationId: 'listThings',
            'x-required-scopes': ['things:read'],
            'x-scope-filter': { resource: 'things', action: 'read', id: 'thing_id' },
          }),
        },
        '/': { get: op({ operationId: 'root', 'x-required-scopes': [] }) },
      }),
    });
    assert.deepEqual(
      model.operations.map((o) => [
        o.operationId,
        o.method,
        o.path,
        o.scopes,
        o.filter,
        o.userOwned,
        o.public,
      ]),
      [
        ['getThing', 'GET', '/things/{thing_id}', ['things:{thing_id}:read'], undefined, true, false],
        [
          'listThings',
          'GET',
          '/things',
          ['things:read'],
          { resource: 'things', action: 'read', id: 'thing_id' },
          false,
          false,
        ],
        ['root', 'GET', '/', [], undefined, false, true],
      ],
    );
    assert.deepEqual(
      model.operations[0]!.parameters.map((p) => [p.name, p.in, p.type, p.required]),
      [['thing_id', 'path', 'integer', true]],
    );
    assert.deepEqual(model.adminScopes, ['agent_os:admin']);
  });

  const refused: [string, Doc, GenerationErrorCode, string, RegExp][] = [
    [
      'no x-required-scopes',
      doc({ '/a': { get: op({ operationId: 'a' }) } }),
      'ERR_GEN_REQUIRED_SCOPES',
      '/paths/~1a/get',
      /has no "x-required-scopes"/,
    ],
    [
      'x-required-scopes not an array',
      doc({ '/a': { get: op({ operationId: 'a', 'x-required-scopes': 'a:read' }) } }),
      'ERR_GEN_REQUIRED_SCOPES',
      '/paths/~1a/get/x-required-scopes',
      /must be an array/,
    ],
    [
      'a malformed scope',
      doc({ '/a': { get: op({ operationId: 'a', 'x-required-scopes': ['ok:read', 'a:b:c:d'] }) } }),
      'ERR_GEN_REQUIRED_SCOPES',
      '/paths/~1a/get/x-required-scopes/1',
      /Invalid required scope "a:b:c:d"/,
    ],
    [
      'a scope naming an absent parameter',
      doc({ '/a/{id}': { get: op({ operationId: 'a', 'x-required-scopes': ['a:{a_id}:read'] }) } }),
      'ERR_GEN_REQUIRED_SCOPES',
      '/paths/~1a~1{id}/get/x-required-scopes/0',
      /names the path parameter "a_id", but the path has "id"/,
    ],
    [
      'a bad x-scope-filter',
      doc({
        '/a': {
          get: op({
            operationId: 'a',
            'x-required-scopes': [],
            'x-scope-filter': { resource: 'a', action: 'read' },
          }),
        },
      }),
      'ERR_GEN_SCOPE_FILTER',
      '/paths/~1a/get/x-scope-filter/id',
      /must be a non-empty string/,
    ],
    [
      'a bad x-user-owned',
      doc({ '/a': { get: op({ operationId: 'a', 'x-required-scopes': [], 'x-user-owned': 'yes' }) } }),
      'ERR_GEN_USER_OWNED',
      '/paths/~1a/get/x-user-owned',
      /must be true or false/,
    ],
    ...objectLevelRefusals(),
    [
      'no operationId',
      doc({ '/a': { get: op({ 'x-required-scopes': [] }) } }),
      'ERR_GEN_OPERATION_ID',
      '/paths/~1a/get',
      /GET \/a has no "operationId"/,
    ],
    [
      'a duplicate operationId',
      doc({
        '/a': {
          get: op({ operationId: 'a', 'x-required-scopes': [] }),
          post: op({ operationId: 'a', 'x-required-scopes': [] }),
        },
      }),
      'ERR_GEN_OPERATION_ID',
      '/paths/~1a/post/operationId',
      /also used at \/paths\/~1a\/get/,
    ],
    [
      'two templates for one route',
      doc({
        '/a/{x}': { get: op({ operationId: 'a', 'x-required-scopes': [] }) },
        '/a/{y}': { get: op({ operationId: 'b', 'x-required-scopes': [] }) },
      }),
      'ERR_GEN_DUPLICATE_ROUTE',
      '/paths/~1a~1{y}/get',
      /same route as GET \/a\/\{x\}/,
    ],
    [
      'a reference that does not resolve',
      doc({
        '/a': {
          get: op({
            operationId: 'a',
            'x-required-scopes': [],
            parameters: [{ $ref: '#/components/parameters/Nope' }],
          }),
        },
      }),
      'ERR_GEN_REF',
      '/paths/~1a/get/parameters/0/$ref',
      /does not resolve/,
    ],
    [
      'OpenAPI 2.0',
      { swagger: '2.0', paths: {} },
      'ERR_GEN_SPEC_VERSION',
      '/openapi',
      /expected an OpenAPI 3\.0 or 3\.1 document/,
    ],
  ];
  for (const [name, document, code, pointer, message] of refused) {
    it(`refuses ${name} (${code} at ${pointer})`, async () => {
      await assert.rejects(
        generate({ spec: document, specName: 'bad.yaml', targets: ['scopes'] }),
        (e: unknown) => {
          assert.ok(e instanceof GenerationError);
          assert.equal(e.code, code);
          assert.equal(e.file, 'bad.yaml');
          assert.equal(e.pointer, pointer);
          assert.match(e.message, message);
          assert.ok(e.message.startsWith(`bad.yaml#${pointer}: `));
          return true;
        },
      );
    });
  }

  it('accepts a custom admin scope declared with x-admin-scope', () => {
    const model = transformOpenAPIObject({
      file: 'x',
      document: doc(
        { '/a': { delete: op({ operationId: 'a', 'x-required-scopes': ['root'] }) } },
        { 'x-admin-scope': 'root' },
      ),
    });
    assert.deepEqual(model.operations[0]!.scopes, ['root']);
  });
});

describe('helpers', () => {
  it('orders templates most specific first', () => {
    const sorted = ['/a', '/a/{x}', '/a/b', '/a/{x}/c', '/a/b/{y}', '/', '/z/{q}'].sort(compareSpecificity);
    assert.deepEqual(sorted, ['/a/b/{y}', '/a/{x}/c', '/a/b', '/a/{x}', '/z/{q}', '/a', '/']);
  });

  const kinds: [string, string][] = [
    ['application/json', 'json'],
    ['application/problem+json; charset=utf-8', 'json'],
    ['text/event-stream', 'sse'],
    ['application/x-www-form-urlencoded', 'form'],
    ['multipart/form-data', 'multipart'],
    ['text/plain', 'text'],
    ['application/octet-stream', 'binary'],
  ];
  for (const [type, kind] of kinds) {
    it(`mediaKind(${type}) is ${kind}`, () => assert.equal(mediaKind(type), kind));
  }

  it('samples a schema when the document has no example', () => {
    const document = {
      components: {
        schemas: {
          Node: {
            type: 'object',
            required: ['id'],
            properties: {
              id: { type: 'string', format: 'uuid' },
              child: { $ref: '#/components/schemas/Node' },
            },
          },
        },
      },
    };
    const ctx = { document, file: 'x' };
    assert.deepEqual(
      sampleFromSchema(
        ctx,
        {
          type: 'object',
          properties: {
            n: { type: 'integer', minimum: 1 },
            s: { type: ['string', 'null'], enum: ['a', 'b'] },
            list: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
            when: { type: 'string', format: 'date-time' },
            flag: { type: 'boolean', default: true },
          },
        },
        '/x',
      ),
      {
        n: 1,
        s: 'a',
        list: [{ id: '00000000-0000-4000-8000-000000000000', child: null }],
        when: '2026-01-01T00:00:00Z',
        flag: true,
      },
    );
  });
});
