/**
 * @module Target `types`: openapi-typescript's `paths`, `operations`, `components` (openapi.ts),
 * and a type-level operations map with what openapi-typescript drops — method, path template,
 * `x-required-scopes`, `x-scope-filter`, `x-user-owned`, documented statuses, SSE (operations.ts).
 */

import { type GeneratorContext, tsHeader } from '../context.js';
import { GenerationError } from '../errors.js';
import { factory as f, printNodes, propertyName, toTypeNode, ts, withJsDoc } from '../lib/ts.js';
import type { OperationModel } from '../model.js';
import { defineTarget } from './target.js';

/** A status key as a literal type: `200` as a number, `2XX`/`default` as strings. */
export function statusType(status: string): ts.TypeNode {
  return /^\d+$/.test(status)
    ? f.createLiteralTypeNode(f.createNumericLiteral(Number(status)))
    : f.createLiteralTypeNode(f.createStringLiteral(status));
}

function union(types: ts.TypeNode[]): ts.TypeNode {
  if (types.length === 0) return f.createKeywordTypeNode(ts.SyntaxKind.NeverKeyword);
  return types.length === 1 ? types[0]! : f.createUnionTypeNode(types);
}

function prop(name: string, type: ts.TypeNode, doc?: string): ts.PropertySignature {
  const node = f.createPropertySignature(
    [f.createModifier(ts.SyntaxKind.ReadonlyKeyword)],
    propertyName(name),
    undefined,
    type,
  );
  return doc ? withJsDoc(node, [doc]) : node;
}

function operationEntry(op: OperationModel): ts.PropertySignature {
  const sse = op.responses
    .filter((r) => r.content.some((c) => c.kind === 'sse'))
    .map((r) => statusType(r.status));
  const type = f.createTypeLiteralNode([
    prop('method', toTypeNode(op.method)),
    prop('path', toTypeNode(op.path), 'OpenAPI path template.'),
    prop('scopes', toTypeNode(op.scopes), '`x-required-scopes`: all required; empty means public.'),
    prop('filter', toTypeNode(op.filter ?? null), '`x-scope-filter`, or null.'),
    prop('userOwned', toTypeNode(op.userOwned), '`x-user-owned`.'),
    prop('public', toTypeNode(op.public)),
    prop('statuses', union(op.responses.map((r) => statusType(r.status))), 'Documented response statuses.'),
    prop('sse', union(sse), 'Statuses documented as `text/event-stream`.'),
    prop(
      'types',
      f.createIndexedAccessTypeNode(
        f.createTypeReferenceNode('OpenAPIOperations'),
        f.createLiteralTypeNode(f.createStringLiteral(op.operationId)),
      ),
      'Parameters, request body and responses, from openapi-typescript.',
    ),
  ]);
  const node = f.createPropertySignature(undefined, propertyName(op.operationId), undefined, type);
  return withJsDoc(node, [`${op.method} ${op.path}${op.summary ? ` — ${op.summary}` : ''}`]);
}

function operationsModule(ctx: GeneratorContext): string {
  const nodes: ts.Node[] = [
    withJsDoc(
      // `import type { operations as OpenAPIOperations } from './openapi.js'`
      f.createImportDeclaration(
        undefined,
        f.createImportClause(
          true,
          undefined,
          f.createNamedImports([
            f.createImportSpecifier(
              false,
              f.createIdentifier('operations'),
              f.createIdentifier('OpenAPIOperations'),
            ),
          ]),
        ),
        f.createStringLiteral('./openapi.js'),
      ),
      [
        `@module Operations of ${ctx.info.spec} by operationId, with the AgentOS extensions openapi-typescript drops.`,
      ],
    ),
    withJsDoc(
      f.createInterfaceDeclaration(
        [f.createModifier(ts.SyntaxKind.ExportKeyword)],
        'OperationMap',
        undefined,
        undefined,
        ctx.model.operations.map(operationEntry),
      ),
      ['Every operation by operationId (`keyof OperationMap` is `OperationId` of routes.ts).'],
    ),
  ];
  return tsHeader(ctx) + printNodes(nodes);
}

async function openapiModule(ctx: GeneratorContext): Promise<string> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  let source: string;
  try {
    // A copy: openapi-typescript's bundler annotates the object it is given.
    const ast = await openapiTS(structuredClone(ctx.model.document) as never, {
      silent: true,
      defaultNonNullable: false,
    });
    source = astToString(ast);
  } catch (e) {
    throw new GenerationError(
      'ERR_GEN_TYPES',
      { file: ctx.file, message: `openapi-typescript: ${(e as Error).message}` },
      { cause: e },
    );
  }
  return `${tsHeader(ctx)}/** @module openapi-typescript types of ${ctx.info.spec}: \`paths\`, \`operations\`, \`components\`. */\n\n${source}`;
}

export const typesTarget = defineTarget({
  name: 'types',
  async generate(ctx) {
    return [
      { path: 'openapi.ts', contents: await openapiModule(ctx) },
      { path: 'operations.ts', contents: operationsModule(ctx) },
    ];
  },
});
