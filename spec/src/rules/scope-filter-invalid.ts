/**
 * @module `scope-filter-invalid`: `x-scope-filter` is `{resource, action, id}` on a GET operation that
 * requires a matching scope. design.md "The contract vocabulary" (`x-scope-filter`); contract.md §3
 * (a filtered list answers 200 with the granted items, or 403 naming the required scope).
 */
import { isObject, requiredScopes } from '../lib/document.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';
import { parseScope } from '../lib/scope.js';

const FIELDS = ['resource', 'action', 'id'] as const;
const SHAPE = '`x-scope-filter: {resource: agents, action: read, id: id}`';

export const scopeFilterInvalid = defineRule({
  id: 'scope-filter-invalid',
  description: 'x-scope-filter is {resource, action, id} on a GET that requires a matching scope.',
  check({ operations, adminScopes }) {
    return operations.flatMap((op): Finding[] => {
      const filter = op.operation['x-scope-filter'];
      if (filter === undefined) return [];
      const at = `${op.pointer}/x-scope-filter`;
      if (!isObject(filter)) {
        return [
          {
            pointer: at,
            message: `"x-scope-filter" of ${op.label} is ${quote(filter)}, not an object. Write ${SHAPE}.`,
          },
        ];
      }
      const out: Finding[] = [];
      for (const field of FIELDS) {
        const value = filter[field];
        if (typeof value === 'string' && value !== '') continue;
        out.push({
          pointer: value === undefined ? at : `${at}/${field}`,
          message:
            `"x-scope-filter" of ${op.label} ${value === undefined ? `has no "${field}"` : `has "${field}": ${quote(value)}`}; ` +
            `resource, action and id (the item property holding the resource id) are non-empty strings, as in ${SHAPE}.`,
        });
      }
      for (const key of Object.keys(filter)) {
        if (!(FIELDS as readonly string[]).includes(key)) {
          out.push({
            pointer: `${at}/${key}`,
            message: `"x-scope-filter" of ${op.label} has the unknown key ${quote(key)}; allowed keys: "resource", "action", "id".`,
          });
        }
      }
      if (op.method !== 'get') {
        out.push({
          pointer: at,
          message:
            `${op.label} has "x-scope-filter", which only applies to GET operations that list items ` +
            '(the server filters the answer instead of refusing it). Remove it, or move it to the list operation.',
        });
      }
      const { resource, action } = filter;
      if (typeof resource === 'string' && typeof action === 'string') {
        const matches = (requiredScopes(op.operation) ?? []).some((scope) => {
          const parsed = parseScope(scope, adminScopes);
          return (
            parsed && parsed.kind !== 'admin' && parsed.resource === resource && parsed.action === action
          );
        });
        if (!matches) {
          out.push({
            pointer: at,
            message:
              `"x-scope-filter" of ${op.label} filters by ${quote(`${resource}:${action}`)}, but the operation does ` +
              `not require a ${quote(resource)} scope with action ${quote(action)}, so callers without any such scope ` +
              `would not get the 403 of contract.md §3. Add ${quote(`${resource}:${action}`)} to x-required-scopes, or fix the filter.`,
          });
        }
      }
      return out;
    });
  },
});
