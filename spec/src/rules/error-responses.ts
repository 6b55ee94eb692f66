/**
 * @module `error-responses`: secured operations document 401 and 403; public ones do not document 401.
 * contract.md §3 "Decisions and their answers" (no/invalid token → 401, missing scopes → 403);
 * OpenAPI 3.1 §4.8.16 Responses Object.
 */
import { isObject, requiredScopes } from '../lib/document.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

const REFS = { '401': 'Unauthorized', '403': 'Forbidden' } as const;

export const errorResponses = defineRule({
  id: 'error-responses',
  description: 'Secured operations document 401 and 403; public ones do not document 401.',
  check({ operations }) {
    return operations.flatMap((op): Finding[] => {
      const scopes = requiredScopes(op.operation);
      const responses = isObject(op.operation.responses) ? op.operation.responses : {};
      if (!scopes) return [];
      if (scopes.length === 0) {
        if (responses['401'] === undefined) return [];
        return [
          {
            severity: 'warning',
            pointer: `${op.pointer}/responses/401`,
            message:
              `${op.label} is public (x-required-scopes: []) but documents a 401 answer; a public operation ` +
              'ignores the token and never answers 401 (contract.md §3). Remove the 401 response.',
          },
        ];
      }
      return (['401', '403'] as const).flatMap((code) =>
        responses[code] !== undefined
          ? []
          : {
              pointer: `${op.pointer}/responses`,
              message:
                `${op.label} requires ${quote(scopes)} but does not document the ${code} answer (contract.md §3). ` +
                `Add \`'${code}': {$ref: '#/components/responses/${REFS[code]}'}\` (the bundler adds it).`,
            },
      );
    });
  },
});
