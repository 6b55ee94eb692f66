/**
 * @module `scope-target-invalid`: `x-scope-target` is `{endpoint, method, source: body|stored,
 * param?}`; `endpoint` and `method` are request-body properties; a `stored` target names its object
 * with a path parameter, a `body` one has none. docs/contract.md §8.2 "Scheduled targets".
 */
import { isObject } from '../lib/document.js';
import { listNames, pathParamNames } from '../lib/path-params.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';
import { propertySchema, requestBodySchemas } from '../lib/schema.js';
import { FIELD_NAME } from '../lib/vocabulary.js';

const KEYS = ['endpoint', 'method', 'source', 'param'];
const SHAPE =
  '`x-scope-target: {endpoint: endpoint, method: method, source: body}` (create) or ' +
  '`{endpoint: endpoint, method: method, source: stored, param: schedule_id}` (update, enable, trigger)';

export const scopeTargetInvalid = defineRule({
  id: 'scope-target-invalid',
  description:
    'x-scope-target is {endpoint, method, source: body|stored, param?} over declared body fields and a path parameter.',
  check({ document, operations }) {
    return operations.flatMap((op): Finding[] => {
      const value = op.operation['x-scope-target'];
      if (value === undefined) return [];
      const at = `${op.pointer}/x-scope-target`;
      if (!isObject(value)) {
        return [
          {
            pointer: at,
            message: `"x-scope-target" of ${op.label} is ${quote(value)}, not an object. Write ${SHAPE}.`,
          },
        ];
      }
      const out: Finding[] = [];
      for (const key of Object.keys(value)) {
        if (!KEYS.includes(key)) {
          out.push({
            pointer: `${at}/${key}`,
            message: `"x-scope-target" of ${op.label} has the unknown key ${quote(key)}; allowed keys: ${KEYS.map((k) => quote(k)).join(', ')}.`,
          });
        }
      }
      const bodies = requestBodySchemas(document, op) ?? [];
      for (const key of ['endpoint', 'method'] as const) {
        const field = value[key];
        if (typeof field !== 'string' || !FIELD_NAME.test(field)) {
          out.push({
            pointer: field === undefined ? at : `${at}/${key}`,
            message: `"x-scope-target.${key}" of ${op.label} is ${quote(field)}; it names the request-body field holding the target ${key}. Write ${SHAPE}.`,
          });
          continue;
        }
        // A stored target may take the field from the stored object when the body omits it, but a
        // body that can change it must declare it, so the check sees every way to retarget.
        const lacking = bodies.filter((b) => propertySchema(document, b.schema, field) === undefined);
        if (bodies.length === 0 && value.source === 'body') {
          out.push({
            pointer: `${at}/${key}`,
            message: `${op.label} reads the target from the body, but has no request body. Add it, or use \`source: stored\`.`,
          });
        }
        for (const b of lacking) {
          out.push({
            pointer: `${at}/${key}`,
            message:
              `"x-scope-target.${key}" of ${op.label} names the body field ${quote(field)}, which the ${quote(b.mediaType)} ` +
              'request schema does not declare. Declare it, or fix the field name.',
          });
        }
      }
      const { source, param } = value;
      if (source !== 'body' && source !== 'stored') {
        out.push({
          pointer: source === undefined ? at : `${at}/source`,
          message: `"x-scope-target.source" of ${op.label} is ${quote(source)}; it is "body" (the request names the target) or "stored" (the stored object does, the body may change it).`,
        });
      }
      const params = pathParamNames(document, op);
      if (source === 'stored' && (typeof param !== 'string' || !params.includes(param))) {
        out.push({
          pointer: param === undefined ? at : `${at}/param`,
          message:
            `"x-scope-target" of ${op.label} reads a stored target, so "param" names the path parameter of the stored ` +
            `object; it is ${quote(param)}, and the path parameters are ${listNames(params)}.`,
        });
      }
      if (source === 'body' && param !== undefined) {
        out.push({
          pointer: `${at}/param`,
          message: `"x-scope-target.param" of ${op.label} applies to \`source: stored\` only. Remove it, or make the source "stored".`,
        });
      }
      return out;
    });
  },
});
