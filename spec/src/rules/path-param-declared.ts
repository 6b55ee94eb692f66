/**
 * @module `path-param-declared`: path template expressions and `in: path` parameters match.
 * OpenAPI 3.1 §4.8.8.2 "Path Templating" (each expression MUST correspond to a path parameter) and
 * §4.8.12.1 (an `in: path` name MUST occur in the path; `required: true`).
 */
import { declaredPathParams, pathTemplateParams } from '../lib/document.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const pathParamDeclared = defineRule({
  id: 'path-param-declared',
  description: 'Path template expressions and in: path parameters match.',
  check({ document, operations }) {
    // A path-item parameter is shared by the item's operations: report it once.
    const reported = new Set<string>();
    return operations.flatMap((op): Finding[] => {
      const template = pathTemplateParams(op.path);
      const declared = declaredPathParams(document, op);
      const missing = template
        .filter((name) => !declared.some((p) => p.name === name))
        .map((name) => ({
          pointer: op.pointer,
          message:
            `${op.label} has ${quote(`{${name}}`)} in its path but no \`in: path\` parameter ${quote(name)} ` +
            '(on the operation or its path item). Add `{name: ' +
            name +
            ', in: path, required: true, schema: {type: string}}`.',
        }));
      const extra: Finding[] = [];
      for (const p of declared) {
        if (template.includes(p.name) || reported.has(p.pointer)) continue;
        reported.add(p.pointer);
        extra.push({
          pointer: p.pointer,
          message:
            `The \`in: path\` parameter ${quote(p.name)} does not occur in the path ${quote(op.path)} ` +
            `(its template expressions: ${template.map((n) => quote(n)).join(', ') || 'none'}). Rename it or remove it.`,
        });
      }
      return [...missing, ...extra];
    });
  },
});
