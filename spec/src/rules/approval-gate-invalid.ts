/**
 * @module `approval-gate-invalid`: `x-approval-gate` is `{param}` on a POST whose path parameter
 * `param` names the run to continue. docs/contract.md §8.4 "The approval gate".
 */
import { isObject } from '../lib/document.js';
import { listNames, pathParamNames } from '../lib/path-params.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const approvalGateInvalid = defineRule({
  id: 'approval-gate-invalid',
  description: 'x-approval-gate is {param} on a POST, param naming the run.',
  check({ document, operations }) {
    return operations.flatMap((op): Finding[] => {
      const value = op.operation['x-approval-gate'];
      if (value === undefined) return [];
      const at = `${op.pointer}/x-approval-gate`;
      if (!isObject(value)) {
        return [
          {
            pointer: at,
            message: `"x-approval-gate" of ${op.label} is ${quote(value)}, not an object. Write \`x-approval-gate: {param: run_id}\`.`,
          },
        ];
      }
      const out: Finding[] = [];
      for (const key of Object.keys(value)) {
        if (key !== 'param') {
          out.push({
            pointer: `${at}/${key}`,
            message: `"x-approval-gate" of ${op.label} has the unknown key ${quote(key)}; its only key is "param".`,
          });
        }
      }
      const params = pathParamNames(document, op);
      if (typeof value.param !== 'string' || !params.includes(value.param)) {
        out.push({
          pointer: value.param === undefined ? at : `${at}/param`,
          message: `"x-approval-gate.param" of ${op.label} is ${quote(value.param)}; it names the path parameter holding the run id (path parameters: ${listNames(params)}).`,
        });
      }
      if (op.method !== 'post') {
        out.push({
          pointer: at,
          message: `${op.label} has "x-approval-gate", which guards the POST that continues a run. Move it to that operation.`,
        });
      }
      return out;
    });
  },
});
