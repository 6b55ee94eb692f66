/**
 * @module Target `mocks`: msw v2 handlers for every operation that answer from the document's
 * examples (or supplied `data`) and enforce the same 401/403/filtering as the contract, with the
 * decision taken by `@agentos/core`. The handlers come from the versioned runtime
 * `@agentos/runtime/msw` (generated files hold tables and types only); ships `mock-examples.json`.
 */
import { type GeneratorContext, jsonStamp, tsHeader } from '../context.js';
import { orderedStringify } from '../lib/json.js';
import { sampleFromSchema } from '../lib/sample.js';
import {
  exportConst,
  factory as f,
  importDecl,
  indexedAccess,
  printNodes,
  propertyName,
  reexportDecl,
  toExpression,
  ts,
  withJsDoc,
} from '../lib/ts.js';
import type { MediaTypeModel, OperationModel, ResponseModel } from '../model.js';
import { isObject, resolveReference, type TransformContext } from '../transform/reference.js';
import { defineTarget } from './target.js';

/** The msw runtime the generated module imports (a package, versioned, never copied). */
export const MOCKS_RUNTIME = '@agentos/runtime/msw';

/** What the mock of one operation answers, decided at generation time. */
interface MockPlan {
  readonly status: number;
  /** The `responses` key: `200`, `2XX`, `default`; undefined when nothing is documented. */
  readonly statusKey: string | undefined;
  readonly kind: 'json' | 'text' | 'sse' | 'empty';
  readonly media: MediaTypeModel | undefined;
  readonly sseMedia: MediaTypeModel | undefined;
  readonly items: string[] | undefined;
}

/** The first documented success: lowest 2xx, then `2XX`, then `default`. */
function successResponse(op: OperationModel): ResponseModel | undefined {
  return (
    op.responses.find((r) => /^2\d\d$/.test(r.status)) ??
    op.responses.find((r) => /^2xx$/i.test(r.status)) ??
    op.responses.find((r) => r.status === 'default')
  );
}

/** Where a filterable list keeps its items: the body itself, or an array property whose items have the id. */
function itemsPath(ctx: TransformContext, media: MediaTypeModel, idProperty: string): string[] | undefined {
  const resolve = (v: unknown, at: string) => {
    try {
      return resolveReference(ctx, v, at);
    } catch {
      return { value: undefined, pointer: at };
    }
  };
  const root = resolve(media.schema, `${media.pointer}/schema`);
  if (!isObject(root.value)) return undefined;
  const isArray = (s: Record<string, unknown>) =>
    s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array'));
  if (isArray(root.value)) return [];
  const props = root.value.properties;
  if (!isObject(props)) return undefined;
  let fallback: string | undefined;
  for (const [name, raw] of Object.entries(props)) {
    const prop = resolve(raw, `${root.pointer}/properties/${name}`);
    if (!isObject(prop.value) || !isArray(prop.value)) continue;
    fallback ??= name;
    const items = resolve(prop.value.items, `${prop.pointer}/items`);
    if (isObject(items.value) && isObject(items.value.properties) && idProperty in items.value.properties)
      return [name];
  }
  return fallback === undefined ? undefined : [fallback];
}

function planOf(ctx: TransformContext, op: OperationModel): MockPlan {
  const response = successResponse(op);
  const status = response && /^\d+$/.test(response.status) ? Number(response.status) : 200;
  const content = response?.content ?? [];
  const json = content.find((m) => m.kind === 'json');
  const sse = content.find((m) => m.kind === 'sse');
  const other = content.find((m) => m.kind !== 'json' && m.kind !== 'sse');
  const media = json ?? other ?? sse;
  const kind: MockPlan['kind'] = !media ? 'empty' : json ? 'json' : other ? 'text' : 'sse';
  return {
    status,
    statusKey: response?.status,
    kind,
    media,
    sseMedia: sse,
    items: op.filter && json ? itemsPath(ctx, json, op.filter.id) : undefined,
  };
}

function exampleOf(ctx: TransformContext, media: MediaTypeModel): unknown {
  return media.example
    ? media.example.value
    : sampleFromSchema(ctx, media.schema ?? {}, `${media.pointer}/schema`);
}

function bodyType(op: OperationModel, plan: MockPlan): ts.TypeNode {
  if (plan.kind === 'empty') return f.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword);
  if (plan.kind !== 'json') return f.createKeywordTypeNode(ts.SyntaxKind.StringKeyword);
  const key = /^\d+$/.test(plan.statusKey!) ? Number(plan.statusKey) : plan.statusKey!;
  return indexedAccess(f.createTypeReferenceNode('operations'), [
    op.operationId,
    'responses',
    key,
    'content',
    plan.media!.mediaType,
  ]);
}

function mocksModule(ctx: GeneratorContext, plans: ReadonlyMap<string, MockPlan>): string {
  const ops = ctx.model.operations;
  const table = Object.fromEntries(
    ops.map((op) => {
      const p = plans.get(op.operationId)!;
      const plainJson =
        p.kind === 'json' && p.media!.mediaType.split(';')[0]!.trim().toLowerCase() === 'application/json';
      return [
        op.operationId,
        {
          status: p.status,
          kind: p.kind,
          ...(p.media && p.kind !== 'sse' && !plainJson ? { contentType: p.media.mediaType } : {}),
          ...(p.sseMedia && p.kind !== 'sse' ? { sse: true } : {}),
          ...(p.items ? { items: p.items } : {}),
        },
      ];
    }),
  );
  const nodes: ts.Node[] = [
    withJsDoc(importDecl('msw', ['HttpHandler'], { typeOnly: true }), [
      `@module msw handlers of ${ctx.info.spec}: answer from the examples, enforce the scopes.`,
    ]),
    importDecl('./mock-examples.json', [], { defaultName: 'examples', attributes: { type: 'json' } }),
    importDecl('./openapi.js', ['operations'], { typeOnly: true }),
    importDecl('./routes.js', ['routes', { name: 'OperationId', type: true }]),
    importDecl(MOCKS_RUNTIME, [
      'createAgentosMockHandlers',
      { name: 'MockEntry', type: true },
      { name: 'MockOperation', type: true },
      { name: 'MockOptions', type: true },
    ]),
    reexportDecl(MOCKS_RUNTIME, [
      { name: 'MockEntry', type: true },
      { name: 'MockOptions', type: true },
      { name: 'MockRequestInfo', type: true },
    ]),
    withJsDoc(
      f.createInterfaceDeclaration(
        [f.createModifier(ts.SyntaxKind.ExportKeyword)],
        'MockBodies',
        undefined,
        undefined,
        ops.map((op) => {
          const p = plans.get(op.operationId)!;
          return withJsDoc(
            f.createPropertySignature(
              [f.createModifier(ts.SyntaxKind.ReadonlyKeyword)],
              propertyName(op.operationId),
              undefined,
              bodyType(op, p),
            ),
            [`${op.method} ${op.path} → ${p.status}${p.kind === 'empty' ? ' (no body)' : ''}`],
          );
        }),
      ),
      ["The success body each operation's mock answers."],
    ),
    withJsDoc(
      f.createTypeAliasDeclaration(
        [f.createModifier(ts.SyntaxKind.ExportKeyword)],
        'MockData',
        undefined,
        f.createMappedTypeNode(
          f.createToken(ts.SyntaxKind.ReadonlyKeyword),
          f.createTypeParameterDeclaration(undefined, 'K', f.createTypeReferenceNode('OperationId')),
          undefined,
          f.createToken(ts.SyntaxKind.QuestionToken),
          f.createTypeReferenceNode('MockEntry', [
            f.createIndexedAccessTypeNode(
              f.createTypeReferenceNode('MockBodies'),
              f.createTypeReferenceNode('K'),
            ),
          ]),
          undefined,
        ),
      ),
      ['`data` of `createMockHandlers`: success bodies (or functions answering them) by operationId.'],
    ),
    (() => {
      const stmt = exportConst('mockOperations', toExpression(table), {
        satisfies: f.createTypeReferenceNode('Readonly', [
          f.createTypeReferenceNode('Record', [
            f.createTypeReferenceNode('OperationId'),
            f.createTypeReferenceNode('MockOperation'),
          ]),
        ]),
      });
      return f.updateVariableStatement(stmt, undefined, stmt.declarationList);
    })(),
    withJsDoc(
      f.createFunctionDeclaration(
        [f.createModifier(ts.SyntaxKind.ExportKeyword)],
        undefined,
        'createMockHandlers',
        undefined,
        [
          f.createParameterDeclaration(
            undefined,
            undefined,
            'options',
            undefined,
            f.createTypeReferenceNode('MockOptions', [f.createTypeReferenceNode('MockData')]),
          ),
        ],
        f.createArrayTypeNode(f.createTypeReferenceNode('HttpHandler')),
        f.createBlock(
          [
            f.createReturnStatement(
              f.createCallExpression(f.createIdentifier('createAgentosMockHandlers'), undefined, [
                f.createObjectLiteralExpression(
                  [
                    f.createShorthandPropertyAssignment('routes'),
                    f.createPropertyAssignment('operations', f.createIdentifier('mockOperations')),
                    f.createShorthandPropertyAssignment('examples'),
                  ],
                  false,
                ),
                f.createIdentifier('options'),
              ]),
            ),
          ],
          true,
        ),
      ),
      [
        'msw handlers for every operation, answering like a conforming server: no token → 401',
        '`Authorization header missing`; bad token → 401 `invalid_token`; missing scopes → 403',
        "`insufficient_scope`; filterable lists cut down to the caller's ids; then the example (or `data`).",
        '@param options `baseUrl`; `keys` (verified with jose, `exp` required) or `verify(token)`; optional',
        '  `data` by operationId, `adminScope` (default `agent_os:admin`), `audience`, `algorithms`, `scopesClaim`',
        '@throws {TypeError} when `baseUrl` is not absolute, or neither `keys` nor `verify` is given',
        '@example',
        "const server = setupServer(...createMockHandlers({ baseUrl: 'http://localhost:7777', keys: [publicKey] }));",
      ],
    ),
  ];
  return tsHeader(ctx) + printNodes(nodes);
}

function examplesJson(
  ctx: GeneratorContext,
  tctx: TransformContext,
  plans: ReadonlyMap<string, MockPlan>,
): string {
  const operations: Record<string, unknown> = {};
  for (const op of ctx.model.operations) {
    const p = plans.get(op.operationId)!;
    const entry: Record<string, unknown> = {};
    if (p.media && p.kind !== 'sse') entry.body = exampleOf(tctx, p.media);
    if (p.sseMedia && typeof p.sseMedia.example?.value === 'string') entry.sse = p.sseMedia.example.value;
    operations[op.operationId] = entry;
  }
  return orderedStringify({ $generated: jsonStamp(ctx), operations });
}

export const mocksTarget = defineTarget({
  name: 'mocks',
  generate(ctx) {
    const tctx: TransformContext = { document: ctx.model.document, file: ctx.file };
    const plans = new Map(ctx.model.operations.map((op) => [op.operationId, planOf(tctx, op)]));
    return [
      { path: 'mocks.ts', contents: mocksModule(ctx, plans) },
      { path: 'mock-examples.json', contents: examplesJson(ctx, tctx, plans) },
    ];
  },
});
