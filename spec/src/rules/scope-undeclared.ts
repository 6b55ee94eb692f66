/**
 * @module `scope-undeclared`: scopes required through an oauth2 scheme are declared by that scheme.
 * OpenAPI 3.1 §4.8.30.2 (for oauth2 the list names scopes "declared in the Security Scheme"),
 * §4.8.29 OAuth Flow Object `scopes`; design.md "The contract vocabulary".
 */
import { isObject } from '../lib/document.js';
import { escapeToken } from '../lib/json-pointer.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const scopeUndeclared = defineRule({
  id: 'scope-undeclared',
  description: 'Every oauth2 scope an operation uses is declared by the scheme.',
  check({ document, operations }) {
    const schemes = isObject(document.components) ? document.components.securitySchemes : undefined;
    const declared = new Map<string, Set<string>>();
    if (isObject(schemes)) {
      for (const [name, scheme] of Object.entries(schemes)) {
        if (!isObject(scheme) || scheme.type !== 'oauth2') continue;
        const flows = isObject(scheme.flows) ? Object.values(scheme.flows) : [];
        const scopes = flows.flatMap((flow) =>
          isObject(flow) && isObject(flow.scopes) ? Object.keys(flow.scopes) : [],
        );
        declared.set(name, new Set(scopes));
      }
    }
    const lists: [string, unknown, string][] = [['/security', document.security, 'the root "security"']];
    for (const op of operations) lists.push([`${op.pointer}/security`, op.operation.security, op.label]);

    return lists.flatMap(([base, security, where]): Finding[] => {
      if (!Array.isArray(security)) return [];
      return security.flatMap((requirement, i) => {
        if (!isObject(requirement)) return [];
        return Object.entries(requirement).flatMap(([name, scopes]) => {
          const known = declared.get(name);
          if (!known || !Array.isArray(scopes)) return [];
          return scopes.flatMap((scope, k) =>
            typeof scope !== 'string' || known.has(scope)
              ? []
              : {
                  pointer: `${base}/${i}/${escapeToken(name)}/${k}`,
                  message:
                    `Scope ${quote(scope)} required by ${where} is not declared by the oauth2 scheme ` +
                    `${quote(name)}, so tools cannot list or request it. Add it to the "scopes" map of a ` +
                    `flow in components.securitySchemes.${name}, with a description.`,
                },
          );
        });
      });
    });
  },
});
