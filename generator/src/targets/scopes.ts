/**
 * @module Target `scopes`: the route→scope table as a TypeScript module (`RouteSpec[]` for
 * `@agentos/core` `compileRoutes`, `OperationId`, `operations` by id), as JSON, and as the Python
 * AgentOS `scope_mappings` JSON.
 */
import type { RouteSpec } from '@agentos/core';
import { type GeneratorContext, jsonStamp, tsHeader } from '../context.js';
import { agnoScopeMappings, toAgnoPattern } from '../lib/agno.js';
import { orderedStringify } from '../lib/json.js';
import { compareMethods, compareSpecificity, compareStrings } from '../lib/sort.js';
import {
  exportConst,
  exportType,
  factory as f,
  importDecl,
  printNodes,
  propertyName,
  stringUnion,
  toExpression,
  ts,
  withJsDoc,
} from '../lib/ts.js';
import type { OperationModel } from '../model.js';
import { defineTarget } from './target.js';

/**
 * The `RouteSpec` of one operation; `filter` and the object-level fields (`bodyScopes`, `target`,
 * `contains`, `approvalGate`, `nestedFilters`, `feature`, `since`, `until`) only when the operation
 * has them, so an operation without them keeps its old entry byte for byte.
 */
export function routeSpecOf(op: OperationModel): RouteSpec {
  return {
    operationId: op.operationId,
    method: op.method,
    path: op.path,
    scopes: [...op.scopes],
    ...(op.anyOf ? { anyOf: op.anyOf.map((set) => [...set]) } : {}),
    ...(op.filter ? { filter: { ...op.filter } } : {}),
    userOwned: op.userOwned,
    public: op.public,
    ...(op.bodyScopes ? { bodyScopes: [...op.bodyScopes] } : {}),
    ...(op.target ? { target: { ...op.target } } : {}),
    ...(op.contains
      ? { contains: op.contains.map((c) => ({ ...c, ...(c.parent ? { parent: { ...c.parent } } : {}) })) }
      : {}),
    ...(op.approvalGate ? { approvalGate: { ...op.approvalGate } } : {}),
    ...(op.nestedFilters ? { nestedFilters: op.nestedFilters.map((n) => ({ ...n })) } : {}),
    ...(op.feature !== undefined ? { feature: op.feature } : {}),
    ...(op.since !== undefined ? { since: op.since } : {}),
    ...(op.until !== undefined ? { until: op.until } : {}),
  };
}

/** Operations most specific path first, then by method: the order of `routes`. */
export function routeOrder(ops: readonly OperationModel[]): OperationModel[] {
  return [...ops].sort((a, b) => compareSpecificity(a.path, b.path) || compareMethods(a.method, b.method));
}

function describe(op: OperationModel): string {
  const scopes = op.public ? 'public' : `requires ${op.scopes.join(', ')}`;
  return `${op.method} ${op.path}${op.summary ? ` — ${op.summary}` : ''} (${scopes})`;
}

function routesModule(ctx: GeneratorContext): string {
  const ops = ctx.model.operations;
  const ordered = routeOrder(ops);
  const allScopes = [...new Set(ops.flatMap((o) => o.scopes))].sort(compareStrings);
  const nodes: ts.Node[] = [
    withJsDoc(importDecl('@agentos/core', ['RouteSpec'], { typeOnly: true }), [
      `@module Route→scope table of ${ctx.info.spec}: one entry per operation, for \`compileRoutes\` from \`@agentos/core\`.`,
    ]),
    withJsDoc(exportConst('generated', toExpression(ctx.info), { asConst: true }), [
      'Provenance of this table: compare `sha256` with the spec at boot to detect a stale build.',
    ]),
    withJsDoc(exportType('OperationId', stringUnion(ops.map((o) => o.operationId))), [
      'Every operationId of the document.',
    ]),
    withJsDoc(exportType('RequiredScope', stringUnion(allScopes)), [
      'Every scope template some operation requires (`{param}` names a path parameter).',
    ]),
    withJsDoc(
      exportConst(
        'operations',
        f.createObjectLiteralExpression(
          ops.map((op) =>
            withJsDoc(
              f.createPropertyAssignment(propertyName(op.operationId), toExpression(routeSpecOf(op))),
              [describe(op)],
            ),
          ),
          true,
        ),
        {
          asConst: true,
          satisfies: f.createTypeReferenceNode('Readonly', [
            f.createTypeReferenceNode('Record', [
              f.createTypeReferenceNode('OperationId'),
              f.createTypeReferenceNode('RouteSpec'),
            ]),
          ]),
        },
      ),
      [
        'The operations by operationId, with their scopes, list filter, ownership flag and object-level',
        'checks (body scopes, scheduled target, containment, approval gate, nested filters, feature, versions).',
      ],
    ),
    withJsDoc(
      exportConst(
        'routes',
        f.createArrayLiteralExpression(
          ordered.map((op) => memberAccess('operations', op.operationId)),
          true,
        ),
        {
          type: f.createTypeOperatorNode(
            ts.SyntaxKind.ReadonlyKeyword,
            f.createArrayTypeNode(f.createTypeReferenceNode('RouteSpec')),
          ),
        },
      ),
      ['The table for `compileRoutes(routes)`, most specific path first.'],
    ),
    withJsDoc(
      exportConst(
        'operationIdByRoute',
        toExpression(Object.fromEntries(ordered.map((op) => [`${op.method} ${op.path}`, op.operationId]))),
        {
          asConst: true,
          satisfies: f.createTypeLiteralNode([
            f.createIndexSignature(
              [f.createModifier(ts.SyntaxKind.ReadonlyKeyword)],
              [
                f.createParameterDeclaration(
                  undefined,
                  undefined,
                  'route',
                  undefined,
                  f.createKeywordTypeNode(ts.SyntaxKind.StringKeyword),
                ),
              ],
              f.createTypeReferenceNode('OperationId'),
            ),
          ]),
        },
      ),
      [
        '`"METHOD /path/{template}"` → operationId (openapi-fetch middleware sees the template as `schemaPath`).',
      ],
    ),
    withJsDoc(
      exportConst(
        'requestMediaTypes',
        toExpression(
          Object.fromEntries(
            ops
              .filter((op) => (op.requestBody?.content.length ?? 0) > 0)
              .map((op) => [op.operationId, op.requestBody!.content.map((m) => m.mediaType)]),
          ),
        ),
        {
          type: f.createTypeReferenceNode('Readonly', [
            f.createTypeReferenceNode('Partial', [
              f.createTypeReferenceNode('Record', [
                f.createTypeReferenceNode('OperationId'),
                f.createTypeOperatorNode(
                  ts.SyntaxKind.ReadonlyKeyword,
                  f.createArrayTypeNode(f.createKeywordTypeNode(ts.SyntaxKind.StringKeyword)),
                ),
              ]),
            ]),
          ]),
        },
      ),
      [
        'Media types each operation with a request body accepts, in document order (how a client encodes the body).',
      ],
    ),
  ];
  return tsHeader(ctx) + printNodes(nodes);
}

/** `operations.x` for identifiers, `operations["x-y"]` otherwise. */
function memberAccess(object: string, key: string): ts.Expression {
  const n = propertyName(key);
  return ts.isIdentifier(n)
    ? f.createPropertyAccessExpression(f.createIdentifier(object), n)
    : f.createElementAccessExpression(f.createIdentifier(object), f.createStringLiteral(key));
}

function agnoNote(ctx: GeneratorContext): string {
  const { info } = ctx;
  const publicPaths = [
    ...new Set(ctx.model.operations.filter((o) => o.public).map((o) => toAgnoPattern(o.path))),
  ].sort(compareStrings);
  return [
    `<!-- Auto-generated by ${info.generator} ${info.version} from ${info.spec} (sha256:${info.sha256}). Do not edit: run \`${ctx.regenerateCommand}\`. -->`,
    '',
    '# agno-scope-mappings.json',
    '',
    `The route→scope table of \`${info.spec}\` in the \`scope_mappings\` format of the Python AgentOS`,
    '(`"METHOD /path/*": [scopes]`). Load it with',
    '',
    '```python',
    'import json',
    'from agno.os.middleware import JWTMiddleware',
    '',
    'app.add_middleware(JWTMiddleware, verification_keys=[public_key], authorization=True,',
    '                   scope_mappings=json.load(open("agno-scope-mappings.json")))',
    '```',
    '',
    '- Keys are ordered most specific first, because Python tries the exact key, then the patterns',
    '  in order with `fnmatch` (`*` also matches `/`) and the first match wins.',
    '- `[]` marks a public operation. Python still asks public operations for a token unless their',
    '  paths are in `excluded_route_paths` (which replaces its default list and ignores the method):',
    '',
    '  ```python',
    `  excluded_route_paths=${JSON.stringify(publicPaths)}`,
    '  ```',
    '',
    ...(ctx.model.adminScopes.length > 1
      ? [
          `- The document declares the admin scope ${ctx.model.adminScopes
            .slice(1)
            .map((s) => `\`${s}\``)
            .join(', ')}: pass \`admin_scope=${JSON.stringify(ctx.model.adminScopes[1])}\`.`,
        ]
      : []),
    '- Per-resource templates are written as global scopes (`agents:{agent_id}:run` → `agents:run`).',
    '  Python checks them per resource only for `/agents`, `/teams` and `/workflows` paths, where it',
    '  takes the id from the path; elsewhere the global scope is required.',
    '',
  ].join('\n');
}

export const scopesTarget = defineTarget({
  name: 'scopes',
  generate(ctx) {
    const ordered = routeOrder(ctx.model.operations);
    return [
      { path: 'routes.ts', contents: routesModule(ctx) },
      {
        path: 'routes.json',
        contents: orderedStringify({ $generated: jsonStamp(ctx), routes: ordered.map(routeSpecOf) }),
      },
      { path: 'agno-scope-mappings.json', contents: orderedStringify(agnoScopeMappings(ordered)) },
      { path: 'agno-scope-mappings.md', contents: agnoNote(ctx) },
    ];
  },
});
