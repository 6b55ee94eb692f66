/**
 * @module `body-scopes-invalid`: `x-body-scopes` is a non-empty list of `resource:{body.field}:action`
 * templates, each naming a top-level property that every media type of the request body declares.
 * docs/contract.md §8.1 "Scopes bound to the request body".
 */
import { defineRule, type Finding, quote } from '../lib/rule.js';
import { propertySchema, requestBodySchemas } from '../lib/schema.js';
import { BODY_SCOPE } from '../lib/vocabulary.js';

const SHAPE = '`x-body-scopes: ["agents:{body.agent_id}:run"]`';

export const bodyScopesInvalid = defineRule({
  id: 'body-scopes-invalid',
  description:
    'x-body-scopes lists resource:{body.field}:action templates whose fields every request media type declares.',
  check({ document, operations }) {
    return operations.flatMap((op): Finding[] => {
      const value = op.operation['x-body-scopes'];
      if (value === undefined) return [];
      const at = `${op.pointer}/x-body-scopes`;
      if (!Array.isArray(value) || value.length === 0) {
        return [
          {
            pointer: at,
            message: `"x-body-scopes" of ${op.label} is ${quote(value)}, not a non-empty list of templates. Write ${SHAPE}, or remove it.`,
          },
        ];
      }
      const bodies = requestBodySchemas(document, op);
      if (!bodies || bodies.length === 0) {
        return [
          {
            pointer: at,
            message: `${op.label} has "x-body-scopes" but no request body with content, so no field can be read. Add the requestBody, or remove "x-body-scopes".`,
          },
        ];
      }
      return value.flatMap((template, i): Finding[] => {
        const here = `${at}/${i}`;
        const m = typeof template === 'string' ? BODY_SCOPE.exec(template) : null;
        if (!m) {
          return [
            {
              pointer: here,
              message:
                `Entry ${i} of "x-body-scopes" of ${op.label} is ${quote(template)}, not a body-scope template: write ` +
                `"resource:{body.field}:action" with a top-level field, as in ${SHAPE}. Scopes bound to path parameters ` +
                'belong in x-required-scopes.',
            },
          ];
        }
        const field = m[2]!;
        const lacking = bodies.filter((b) => propertySchema(document, b.schema, field) === undefined);
        return lacking.map((b) => ({
          pointer: here,
          message:
            `${quote(template)} of ${op.label} reads the body field ${quote(field)}, but the ${quote(b.mediaType)} request ` +
            `schema declares no property ${quote(field)}. A field the schema does not declare could be sent under ` +
            'another name and skip the check: declare it in every media type of the body, or fix the template.',
        }));
      });
    });
  },
});
