/**
 * @module `contains-invalid`: `x-contains` lists `{param, object, parent?: {param, field}, owned?}`
 * with path parameters, a known object kind, and at least one check (a parent or `owned: true`).
 * docs/contract.md §8.3 "Containment".
 */
import { isObject } from '../lib/document.js';
import { checkListExtension } from '../lib/list-extension.js';
import { listNames, pathParamNames } from '../lib/path-params.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';
import { FIELD_NAME, OBJECT_KINDS } from '../lib/vocabulary.js';

const X_CONTAINS = {
  name: 'x-contains',
  keys: ['param', 'object', 'parent', 'owned'],
  shape: '`x-contains: [{param: run_id, object: run, parent: {param: agent_id, field: agent_id}}]`',
  orElse: ', or remove it',
};

export const containsInvalid = defineRule({
  id: 'contains-invalid',
  description:
    'x-contains lists {param, object, parent?, owned?} with path parameters and a known object kind.',
  check({ document, operations }) {
    return operations.flatMap((op) =>
      checkListExtension(op, X_CONTAINS, () => {
        const params = pathParamNames(document, op);
        const seen = new Set<string>();
        return (entry, i, here) => {
          const out: Finding[] = [];
          const { param, object, parent, owned } = entry;
          if (typeof param !== 'string' || !params.includes(param)) {
            out.push({
              pointer: param === undefined ? here : `${here}/param`,
              message: `"x-contains" entry ${i} of ${op.label} has "param" ${quote(param)}, which is not one of its path parameters (${listNames(params)}).`,
            });
          } else if (seen.has(param)) {
            out.push({
              pointer: `${here}/param`,
              message: `"x-contains" of ${op.label} lists ${quote(param)} twice; merge the entries.`,
            });
          }
          if (typeof param === 'string') seen.add(param);
          if (typeof object !== 'string' || !(object in OBJECT_KINDS)) {
            out.push({
              pointer: object === undefined ? here : `${here}/object`,
              message:
                `"x-contains" entry ${i} of ${op.label} has "object" ${quote(object)}, which is not a known object kind; ` +
                `known: ${Object.keys(OBJECT_KINDS)
                  .map((k) => quote(k))
                  .join(', ')}. A new kind is added to ` +
                'spec/src/lib/vocabulary.ts and docs/contract.md §8.3 together, so servers know where it is stored.',
            });
          }
          if (owned !== undefined && typeof owned !== 'boolean') {
            out.push({
              pointer: `${here}/owned`,
              message: `"owned" of "x-contains" entry ${i} of ${op.label} is ${quote(owned)}, not a boolean.`,
            });
          }
          if (parent !== undefined) {
            if (!isObject(parent)) {
              out.push({
                pointer: `${here}/parent`,
                message: `"parent" of "x-contains" entry ${i} of ${op.label} is ${quote(parent)}, not {param, field}.`,
              });
            } else {
              if (
                typeof parent.param !== 'string' ||
                !params.includes(parent.param) ||
                parent.param === param
              ) {
                out.push({
                  pointer: `${here}/parent/param`,
                  message: `"parent.param" of "x-contains" entry ${i} of ${op.label} is ${quote(parent.param)}; it names another path parameter (${listNames(params.filter((p) => p !== param))}).`,
                });
              }
              if (typeof parent.field !== 'string' || !FIELD_NAME.test(parent.field)) {
                out.push({
                  pointer: `${here}/parent/field`,
                  message: `"parent.field" of "x-contains" entry ${i} of ${op.label} is ${quote(parent.field)}; it names the stored object's field that must equal the parent's id, e.g. "agent_id".`,
                });
              }
            }
          } else if (owned !== true) {
            out.push({
              pointer: here,
              message: `"x-contains" entry ${i} of ${op.label} has neither "parent" nor "owned: true", so it checks nothing. Add one, or remove the entry.`,
            });
          }
          if (owned === true && op.operation['x-user-owned'] !== true) {
            out.push({
              pointer: `${here}/owned`,
              message: `"x-contains" entry ${i} of ${op.label} says the object is owned, but the operation is not \`x-user-owned: true\`, so isolation would not apply to it. Mark the operation user-owned.`,
            });
          }
          return out;
        };
      }),
    );
  },
});
