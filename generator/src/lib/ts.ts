/**
 * @module TypeScript printing: every generated module is an AST printed by `ts.createPrinter`,
 * never concatenated source text (style.md "Generated code").
 */
import ts from 'typescript';

const f = ts.factory;

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: false });

const isModuleLink = (n: ts.Node) =>
  ts.isImportDeclaration(n) || (ts.isExportDeclaration(n) && !!n.moduleSpecifier);

/** Prints top-level nodes: imports and re-exports together, one blank line between other statements. */
export function printNodes(nodes: readonly ts.Node[]): string {
  const file = ts.createSourceFile('generated.ts', '', ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  let out = '';
  nodes.forEach((n, i) => {
    if (i > 0) out += isModuleLink(n) && isModuleLink(nodes[i - 1]!) ? '\n' : '\n\n';
    out += printer.printNode(ts.EmitHint.Unspecified, n, file);
  });
  return `${out}\n`;
}

/**
 * Parses TypeScript source and prints it back through the printer, so hand-written runtime
 * modules shipped with the output are formatted exactly like generated ones.
 */
export function reprint(source: string, fileName = 'module.ts'): string {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let out = '';
  file.statements.forEach((n, i) => {
    if (i > 0) out += isModuleLink(n) && isModuleLink(file.statements[i - 1]!) ? '\n' : '\n\n';
    out += printer.printNode(ts.EmitHint.Unspecified, n, file);
  });
  return `${out}\n`;
}

/** `export { a, type B } from 'x'`. */
export function reexportDecl(
  from: string,
  names: readonly (string | { name: string; type: true })[],
): ts.ExportDeclaration {
  return f.createExportDeclaration(
    undefined,
    false,
    f.createNamedExports(
      names.map((n) =>
        typeof n === 'string'
          ? f.createExportSpecifier(false, undefined, n)
          : f.createExportSpecifier(true, undefined, n.name),
      ),
    ),
    f.createStringLiteral(from),
  );
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property name: an identifier when valid, else a string literal. */
export function propertyName(name: string): ts.PropertyName {
  return IDENTIFIER.test(name) ? f.createIdentifier(name) : f.createStringLiteral(name);
}

/** A JSON value as an expression (object keys in insertion order). */
export function toExpression(value: unknown): ts.Expression {
  if (value === null || value === undefined) return f.createNull();
  if (typeof value === 'string') return f.createStringLiteral(value);
  if (typeof value === 'boolean') return value ? f.createTrue() : f.createFalse();
  if (typeof value === 'number') {
    return value < 0
      ? f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(-value))
      : f.createNumericLiteral(value);
  }
  if (Array.isArray(value)) {
    const multiline = value.some((v) => typeof v === 'object' && v !== null);
    return f.createArrayLiteralExpression(value.map(toExpression), multiline);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return f.createObjectLiteralExpression(
      entries.map(([k, v]) => f.createPropertyAssignment(propertyName(k), toExpression(v))),
      entries.length > 0,
    );
  }
  throw new TypeError(`cannot print ${typeof value} as a literal`);
}

/** A JSON value as a literal type (`readonly` tuples for arrays). */
export function toTypeNode(value: unknown): ts.TypeNode {
  if (value === null || value === undefined) return f.createLiteralTypeNode(f.createNull());
  if (typeof value === 'string') return f.createLiteralTypeNode(f.createStringLiteral(value));
  if (typeof value === 'boolean') return f.createLiteralTypeNode(value ? f.createTrue() : f.createFalse());
  if (typeof value === 'number') {
    return f.createLiteralTypeNode(
      value < 0
        ? f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(-value))
        : f.createNumericLiteral(value),
    );
  }
  if (Array.isArray(value)) {
    const tuple = ts.setEmitFlags(f.createTupleTypeNode(value.map(toTypeNode)), ts.EmitFlags.SingleLine);
    return f.createTypeOperatorNode(ts.SyntaxKind.ReadonlyKeyword, tuple);
  }
  return f.createTypeLiteralNode(
    Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      f.createPropertySignature(
        [f.createModifier(ts.SyntaxKind.ReadonlyKeyword)],
        propertyName(k),
        undefined,
        toTypeNode(v),
      ),
    ),
  );
}

/** A union of string literal types, or `never` when empty. */
export function stringUnion(values: readonly string[]): ts.TypeNode {
  if (values.length === 0) return f.createKeywordTypeNode(ts.SyntaxKind.NeverKeyword);
  if (values.length === 1) return f.createLiteralTypeNode(f.createStringLiteral(values[0]!));
  return f.createUnionTypeNode(values.map((v) => f.createLiteralTypeNode(f.createStringLiteral(v))));
}

/** Attaches a JSDoc block (`/** ... *\/`) to a node. */
export function withJsDoc<T extends ts.Node>(node: T, lines: readonly string[]): T {
  const text = lines.map((l) => l.replaceAll('*/', '*\\/'));
  const body = text.length === 1 ? `* ${text[0]} ` : `*\n${text.map((l) => ` * ${l}`).join('\n')}\n `;
  return ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, body, true);
}

/** `import { a, type B } from 'x'` / `import type { ... }`. */
export function importDecl(
  from: string,
  names: readonly (string | { name: string; type: true })[],
  options: { typeOnly?: boolean; defaultName?: string; attributes?: Record<string, string> } = {},
): ts.ImportDeclaration {
  const specifiers = names.map((n) =>
    typeof n === 'string'
      ? f.createImportSpecifier(false, undefined, f.createIdentifier(n))
      : f.createImportSpecifier(true, undefined, f.createIdentifier(n.name)),
  );
  const attributes = options.attributes
    ? f.createImportAttributes(
        f.createNodeArray(
          Object.entries(options.attributes).map(([k, v]) =>
            f.createImportAttribute(f.createIdentifier(k), f.createStringLiteral(v)),
          ),
        ),
      )
    : undefined;
  return f.createImportDeclaration(
    undefined,
    f.createImportClause(
      options.typeOnly ?? false,
      options.defaultName ? f.createIdentifier(options.defaultName) : undefined,
      specifiers.length > 0 ? f.createNamedImports(specifiers) : undefined,
    ),
    f.createStringLiteral(from),
    attributes,
  );
}

/** `export const name: type = init;` (`as const` when `asConst`). */
export function exportConst(
  name: string,
  init: ts.Expression,
  options: { type?: ts.TypeNode; asConst?: boolean; satisfies?: ts.TypeNode } = {},
): ts.VariableStatement {
  let expr = init;
  if (options.asConst) expr = f.createAsExpression(expr, f.createTypeReferenceNode('const'));
  if (options.satisfies) expr = f.createSatisfiesExpression(expr, options.satisfies);
  return f.createVariableStatement(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    f.createVariableDeclarationList(
      [f.createVariableDeclaration(f.createIdentifier(name), undefined, options.type, expr)],
      ts.NodeFlags.Const,
    ),
  );
}

/** `export type Name = type;` */
export function exportType(name: string, type: ts.TypeNode, typeParameters?: ts.TypeParameterDeclaration[]) {
  return f.createTypeAliasDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    f.createIdentifier(name),
    typeParameters,
    type,
  );
}

/** `T["a"][200]...`: indexed access by string or number keys. */
export function indexedAccess(base: ts.TypeNode, keys: readonly (string | number)[]): ts.TypeNode {
  return keys.reduce<ts.TypeNode>(
    (t, k) =>
      f.createIndexedAccessTypeNode(
        t,
        f.createLiteralTypeNode(typeof k === 'number' ? f.createNumericLiteral(k) : f.createStringLiteral(k)),
      ),
    base,
  );
}

export { f as factory, ts };
