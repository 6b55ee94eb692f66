/**
 * @module `nested-filters-invalid`: `x-nested-filters` lists `{resource, action, id, at}` where `at`
 * is a JSON pointer reaching an array of the success response's JSON schema whose items declare
 * `id`. docs/contract.md §8.5 "Nested filters".
 */
import { checkListExtension } from '../lib/list-extension.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';
import { isArraySchema, itemsSchema, propertySchema, schemaAtPointer, successSchema } from '../lib/schema.js';
import { JSON_POINTER } from '../lib/vocabulary.js';

const SHAPE = '`x-nested-filters: [{resource: agents, action: read, id: id, at: /members}]`';
const X_NESTED_FILTERS = { name: 'x-nested-filters', keys: ['resource', 'action', 'id', 'at'], shape: SHAPE };

export const nestedFiltersInvalid = defineRule({
  id: 'nested-filters-invalid',
  description:
    'x-nested-filters lists {resource, action, id, at} with at reaching an array of the success response whose items declare id.',
  check({ document, operations }) {
    return operations.flatMap((op) =>
      checkListExtension(op, X_NESTED_FILTERS, () => {
        const success = successSchema(document, op);
        const seen = new Set<string>();
        return (entry, i, here) => {
          const out: Finding[] = [];
          for (const key of ['resource', 'action', 'id'] as const) {
            const v = entry[key];
            if (typeof v !== 'string' || v === '') {
              out.push({
                pointer: v === undefined ? here : `${here}/${key}`,
                message: `"${key}" of "x-nested-filters" entry ${i} of ${op.label} is ${quote(v)}, not a non-empty string. Write ${SHAPE}.`,
              });
            }
          }
          const ptr = entry.at;
          if (typeof ptr !== 'string' || !JSON_POINTER.test(ptr)) {
            out.push({
              pointer: ptr === undefined ? here : `${here}/at`,
              message: `"at" of "x-nested-filters" entry ${i} of ${op.label} is ${quote(ptr)}, not a JSON pointer into the response body like "/members" (a top-level list uses x-scope-filter).`,
            });
            return out;
          }
          const key = `${String(entry.resource)} ${ptr}`;
          if (seen.has(key))
            out.push({
              pointer: `${here}/at`,
              message: `"x-nested-filters" of ${op.label} filters ${quote(ptr)} twice for ${quote(entry.resource)}; merge the entries.`,
            });
          seen.add(key);
          if (!success) {
            out.push({
              pointer: `${here}/at`,
              message: `${op.label} has no 2xx JSON response schema, so ${quote(ptr)} cannot be checked. Document the response.`,
            });
            return out;
          }
          const reached = schemaAtPointer(document, success.schema, ptr);
          if ('missing' in reached) {
            out.push({
              pointer: `${here}/at`,
              message: `${quote(ptr)} of ${op.label} does not reach a property of the ${success.status} response schema (no ${quote(reached.missing)}). Fix the pointer.`,
            });
          } else if (!isArraySchema(document, reached.schema)) {
            out.push({
              pointer: `${here}/at`,
              message: `${quote(ptr)} of ${op.label} reaches a property of the ${success.status} response that is not an array; a nested filter keeps some items of an array.`,
            });
          } else if (
            typeof entry.id === 'string' &&
            propertySchema(document, itemsSchema(document, reached.schema), entry.id) === undefined
          ) {
            out.push({
              pointer: `${here}/id`,
              message: `The items of ${quote(ptr)} in the ${success.status} response of ${op.label} declare no property ${quote(entry.id)}, so no item could be kept. Name the item property holding the resource id.`,
            });
          }
          return out;
        };
      }),
    );
  },
});
