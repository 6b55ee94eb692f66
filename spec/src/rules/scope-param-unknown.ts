/**
 * @module `scope-param-unknown`: a `{param}` in a scope names a path parameter of its operation.
 * design.md "The contract vocabulary" (`agents:{agent_id}:run` is bound to the path parameter's value);
 * contract.md §2 (per-resource scopes); OpenAPI 3.1 §4.8.8.2 "Path Templating".
 */
import { declaredPathParams, pathTemplateParams, requiredScopes } from '../lib/document.js';
import { defineRule, quote } from '../lib/rule.js';
import { parseScope } from '../lib/scope.js';

export const scopeParamUnknown = defineRule({
  id: 'scope-param-unknown',
  description: 'A {param} in a required scope names a path parameter of its operation.',
  check({ document, operations, adminScopes }) {
    return operations.flatMap((op) => {
      const known = new Set([
        ...pathTemplateParams(op.path),
        ...declaredPathParams(document, op).map((p) => p.name),
      ]);
      return (requiredScopes(op.operation) ?? []).flatMap((scope, i) => {
        const parsed = parseScope(scope, adminScopes);
        if (parsed?.kind !== 'param' || known.has(parsed.param)) return [];
        const names = known.size ? [...known].map((n) => quote(n)).join(', ') : 'none';
        return {
          pointer: `${op.pointer}/x-required-scopes/${i}`,
          message:
            `Scope ${quote(scope)} of ${op.label} names the path parameter ${quote(parsed.param)}, ` +
            `which this operation does not have (its path parameters: ${names}), so the server could not ` +
            `bind it to a resource id. Use one of its path parameters, or the global form ` +
            `${quote(`${parsed.resource}:${parsed.action}`)}.`,
        };
      });
    });
  },
});
