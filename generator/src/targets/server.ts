/**
 * @module Target `server`: Express 5 stubs — a `Handlers` interface with one method per
 * operationId (typed path, query, body and caller in; a union over the documented statuses out,
 * SSE included) and `createRouter(handlers, options)`, which calls the versioned router runtime
 * `@agentos/runtime/express` (generated files hold tables and types only), and `openapi.json` (the
 * bundled document the validator reads).
 */
import { type GeneratorContext, jsonStamp, tsHeader } from '../context.js';
import {
  exportConst,
  exportType,
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
import { pathTemplateParams } from '../transform/operation-object.js';
import { defineTarget } from './target.js';
import { statusType } from './types.js';

/** The router runtime the generated module imports (a package, versioned, never copied). */
export const SERVER_RUNTIME = '@agentos/runtime/express';

const ref = (name: string) => f.createTypeReferenceNode(name);
const kw = (k: ts.KeywordTypeSyntaxKind) => f.createKeywordTypeNode(k);
const lit = (s: string) => f.createLiteralTypeNode(f.createStringLiteral(s));
const nonNullable = (t: ts.TypeNode) => f.createTypeReferenceNode('NonNullable', [t]);
const recordNever = () =>
  f.createTypeReferenceNode('Record', [kw(ts.SyntaxKind.StringKeyword), kw(ts.SyntaxKind.NeverKeyword)]);
const union = (types: ts.TypeNode[]) =>
  types.length === 0
    ? kw(ts.SyntaxKind.NeverKeyword)
    : types.length === 1
      ? types[0]!
      : f.createUnionTypeNode(types);

function member(name: string, type: ts.TypeNode, optional = false): ts.PropertySignature {
  return f.createPropertySignature(
    [f.createModifier(ts.SyntaxKind.ReadonlyKeyword)],
    propertyName(name),
    optional ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined,
    type,
  );
}

/** `operations["id"]["a"][200]...` */
function opType(op: OperationModel, ...keys: (string | number)[]): ts.TypeNode {
  return indexedAccess(ref('operations'), [op.operationId, ...keys]);
}

function statusKey(status: string): string | number {
  return /^\d+$/.test(status) ? Number(status) : status;
}

function requestType(op: OperationModel): ts.TypeNode {
  const hasPath = pathTemplateParams(op.path).length > 0;
  const hasQuery = op.parameters.some((p) => p.in === 'query');
  let body: ts.TypeNode = kw(ts.SyntaxKind.UndefinedKeyword);
  const content = op.requestBody?.content ?? [];
  if (content.length > 0) {
    const base = nonNullable(opType(op, 'requestBody'));
    const types = content.map((m) => indexedAccess(base, ['content', m.mediaType]));
    if (!op.requestBody!.required) types.push(kw(ts.SyntaxKind.UndefinedKeyword));
    body = union(types);
  }
  return f.createIntersectionTypeNode([
    ref('HandlerContext'),
    f.createTypeLiteralNode([
      withJsDoc(member('path', hasPath ? opType(op, 'parameters', 'path') : recordNever()), [
        'Path parameters, percent-decoded, as the auth middleware matched them (coerced to their schema type).',
      ]),
      withJsDoc(member('query', hasQuery ? nonNullable(opType(op, 'parameters', 'query')) : recordNever()), [
        'Query parameters, validated and coerced, defaults applied.',
      ]),
      withJsDoc(member('body', body), ['The request body, validated.']),
    ]),
  ]);
}

/** The result variants of one documented response: one per media type, or one without body. */
function responseVariants(op: OperationModel, response: ResponseModel): ts.TypeNode[] {
  const status = /^\d+$/.test(response.status)
    ? statusType(response.status)
    : kw(ts.SyntaxKind.NumberKeyword);
  const headers = member('headers', ref('ResponseHeaders'), true);
  if (response.content.length === 0) return [f.createTypeLiteralNode([member('status', status), headers])];
  const content = (m: MediaTypeModel) =>
    indexedAccess(opType(op, 'responses', statusKey(response.status)), ['content', m.mediaType]);
  return response.content.map((m) => {
    if (m.kind === 'sse') {
      return f.createTypeLiteralNode([
        member('status', status),
        member('sse', f.createTypeReferenceNode('AsyncIterable', [ref('SseEvent')])),
        headers,
      ]);
    }
    const isPlainJson =
      m.kind === 'json' && m.mediaType.split(';')[0]!.trim().toLowerCase() === 'application/json';
    return f.createTypeLiteralNode([
      member('status', status),
      member(
        'body',
        m.kind === 'json' ? content(m) : union([kw(ts.SyntaxKind.StringKeyword), ref('Uint8Array')]),
      ),
      member('contentType', lit(m.mediaType), isPlainJson),
      headers,
    ]);
  });
}

/**
 * `x-agentos-feature` of an operation, read from the document (the feature an AgentOS must be
 * configured with to mount it). Its handler is optional: without one the operation is not served.
 */
function featureOf(ctx: GeneratorContext, op: OperationModel): string | undefined {
  const paths = ctx.model.document.paths as Record<string, Record<string, unknown> | undefined> | undefined;
  const operation = paths?.[op.path]?.[op.method.toLowerCase()] as Record<string, unknown> | undefined;
  const feature = operation?.['x-agentos-feature'];
  return typeof feature === 'string' && feature !== '' ? feature : undefined;
}

function describe(op: OperationModel, feature: string | undefined): string[] {
  return [
    `${op.method} ${op.path}${op.summary ? ` — ${op.summary}` : ''}`,
    op.public ? 'Public: no token needed.' : `Requires ${op.scopes.map((s) => `\`${s}\``).join(', ')}.`,
    ...(op.filter
      ? [
          `Filtered list: \`caller.accessibleIds\` holds the \`${op.filter.resource}\` ids the caller may \`${op.filter.action}\` (by item \`${op.filter.id}\`).`,
        ]
      : []),
    ...(op.userOwned ? ['User-owned: honour `caller.scopedUserId`.'] : []),
    ...(feature
      ? [
          `Feature \`${feature}\` (x-agentos-feature): optional; without a handler the operation is not served (404).`,
        ]
      : []),
  ];
}

function serverModule(ctx: GeneratorContext): string {
  const ops = ctx.model.operations;
  const exported = (_name: string) => [f.createModifier(ts.SyntaxKind.ExportKeyword)];
  const handlerReq = (op: OperationModel) =>
    f.createTypeReferenceNode('HandlerRequest', [lit(op.operationId)]);
  const handlerRes = (op: OperationModel) =>
    f.createTypeReferenceNode('HandlerResponse', [lit(op.operationId)]);
  const kParam = [f.createTypeParameterDeclaration(undefined, 'K', ref('OperationId'))];
  const serverOps = (k: string) =>
    indexedAccess(f.createIndexedAccessTypeNode(ref('ServerOperations'), ref('K')), [k]);

  const features = new Map(ops.map((op) => [op.operationId, featureOf(ctx, op)]));
  const optionalOperations = ops.filter((op) => features.get(op.operationId)).map((op) => op.operationId);
  const pathParamTypes: Record<string, Record<string, string>> = {};
  for (const op of ops) {
    const typed = op.parameters.filter(
      (p) => p.in === 'path' && ['integer', 'number', 'boolean'].includes(p.type),
    );
    if (typed.length > 0)
      pathParamTypes[op.operationId] = Object.fromEntries(typed.map((p) => [p.name, p.type]));
  }

  const nodes: ts.Node[] = [
    withJsDoc(importDecl('express', ['Router'], { typeOnly: true }), [
      `@module Express server stubs of ${ctx.info.spec}: implement \`Handlers\`, mount \`createRouter(handlers, { auth })\`.`,
    ]),
    importDecl('./openapi.json', [], { defaultName: 'apiSpec', attributes: { type: 'json' } }),
    importDecl('./openapi.js', ['operations'], { typeOnly: true }),
    importDecl('./routes.js', ['routes', { name: 'OperationId', type: true }]),
    importDecl(SERVER_RUNTIME, [
      'createAgentosRouter',
      { name: 'HandlerContext', type: true },
      { name: 'ResponseHeaders', type: true },
      { name: 'RouterOptions', type: true },
      { name: 'SseEvent', type: true },
    ]),
    reexportDecl(SERVER_RUNTIME, [
      'HttpError',
      { name: 'HandlerContext', type: true },
      { name: 'ResponseHeaders', type: true },
      { name: 'RouterOptions', type: true },
      { name: 'SseEvent', type: true },
    ]),
    withJsDoc(
      f.createInterfaceDeclaration(
        exported('ServerOperations'),
        'ServerOperations',
        undefined,
        undefined,
        ops.map((op) =>
          withJsDoc(
            f.createPropertySignature(
              undefined,
              propertyName(op.operationId),
              undefined,
              f.createTypeLiteralNode([
                member('request', requestType(op)),
                member('response', union(op.responses.flatMap((r) => responseVariants(op, r)))),
              ]),
            ),
            [`${op.method} ${op.path}`],
          ),
        ),
      ),
      ['Request and response of every operation: what its handler receives and may return.'],
    ),
    withJsDoc(exportType('HandlerRequest', serverOps('request'), kParam), [
      'What the handler of operation `K` receives.',
    ]),
    withJsDoc(exportType('HandlerResponse', serverOps('response'), kParam), [
      'What the handler of operation `K` returns: a documented status with its body, no body, or an SSE stream.',
    ]),
    withJsDoc(
      f.createInterfaceDeclaration(
        exported('Handlers'),
        'Handlers',
        undefined,
        undefined,
        ops.map((op) =>
          withJsDoc(
            f.createMethodSignature(
              undefined,
              propertyName(op.operationId),
              features.get(op.operationId) ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined,
              undefined,
              [f.createParameterDeclaration(undefined, undefined, 'request', undefined, handlerReq(op))],
              union([handlerRes(op), f.createTypeReferenceNode('Promise', [handlerRes(op)])]),
            ),
            describe(op, features.get(op.operationId)),
          ),
        ),
      ),
      [
        'One method per operation. All are required (a missing handler is a compile error), except those of',
        'operations mounted only with a feature (`x-agentos-feature`): without their handler they are not served.',
      ],
    ),
    exportConstPrivate('pathParamTypes', toExpression(pathParamTypes)),
    withJsDoc(exportConst('optionalOperations', toExpression(optionalOperations), { asConst: true }), [
      'operationIds mounted only with a feature (`x-agentos-feature`): their handlers are optional.',
    ]),
    withJsDoc(
      f.createFunctionDeclaration(
        exported('createRouter'),
        undefined,
        'createRouter',
        undefined,
        [
          f.createParameterDeclaration(undefined, undefined, 'handlers', undefined, ref('Handlers')),
          f.createParameterDeclaration(undefined, undefined, 'options', undefined, ref('RouterOptions')),
        ],
        ref('Router'),
        f.createBlock(
          [
            f.createReturnStatement(
              f.createCallExpression(f.createIdentifier('createAgentosRouter'), undefined, [
                f.createIdentifier('handlers'),
                f.createObjectLiteralExpression(
                  [
                    f.createShorthandPropertyAssignment('routes'),
                    f.createShorthandPropertyAssignment('pathParamTypes'),
                    f.createShorthandPropertyAssignment('optionalOperations'),
                    f.createShorthandPropertyAssignment('apiSpec'),
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
        'Builds the Express router: `options.auth` → body parsers → express-openapi-validator → the handler',
        'of the operation the auth middleware resolved (`req.agentos.route`) → its result as JSON, no body or SSE.',
        '@param handlers one method per operationId',
        '@param options `auth` (required), `validateResponses` (default false), `allowUnknownQueryParameters` (default true),',
        '  `bodyLimit` (default 1mb), `onError` (default console.error)',
        '@throws {TypeError} when a handler is missing (feature operations excepted: they are then not served)',
        '  or `options.auth` is not a middleware',
        '@example app.use(createRouter(handlers, { auth: createAuthMiddleware(config) }));',
      ],
    ),
  ];
  return tsHeader(ctx) + printNodes(nodes);
}

/** `const name = value as const;` (module-private). */
function exportConstPrivate(name: string, init: ts.Expression): ts.VariableStatement {
  const stmt = exportConst(name, init, { asConst: true });
  return f.updateVariableStatement(stmt, undefined, stmt.declarationList);
}

function apiSpecJson(ctx: GeneratorContext): string {
  const { openapi, ...rest } = ctx.model.document;
  return `${JSON.stringify({ openapi, 'x-agentos-generated': jsonStamp(ctx), ...rest }, null, 2)}\n`;
}

export const serverTarget = defineTarget({
  name: 'server',
  generate(ctx) {
    return [
      { path: 'server.ts', contents: serverModule(ctx) },
      { path: 'openapi.json', contents: apiSpecJson(ctx) },
    ];
  },
});
