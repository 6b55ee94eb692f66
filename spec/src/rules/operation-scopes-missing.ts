/**
 * @module `operation-scopes-missing`: every operation declares `x-required-scopes`, an array of strings.
 * design.md "The contract vocabulary" (`x-required-scopes` on **every** operation); contract.md §4
 * (no route without a decision: the server fails closed).
 */
import { defineRule, quote } from '../lib/rule.js';

export const operationScopesMissing = defineRule({
  id: 'operation-scopes-missing',
  description: 'Every operation declares x-required-scopes, an array of scope strings ([] = public).',
  check({ operations }) {
    return operations.flatMap((op) => {
      const scopes = op.operation['x-required-scopes'];
      if (scopes === undefined) {
        return {
          pointer: op.pointer,
          message:
            `${op.label} has no "x-required-scopes": every operation must say which scopes it requires, ` +
            'or the server could not decide on it. Add e.g. `x-required-scopes: ["agents:read"]`, or ' +
            '`x-required-scopes: []` for a public operation.',
        };
      }
      if (!Array.isArray(scopes)) {
        return {
          pointer: `${op.pointer}/x-required-scopes`,
          message:
            `"x-required-scopes" of ${op.label} is ${quote(scopes)}, not an array of scope strings. ` +
            'Write a list, e.g. `["agents:read"]`, or `[]` for a public operation.',
        };
      }
      return scopes.flatMap((scope, i) =>
        typeof scope === 'string'
          ? []
          : {
              pointer: `${op.pointer}/x-required-scopes/${i}`,
              message: `Entry ${i} of "x-required-scopes" of ${op.label} is ${quote(scope)}, not a string. Write the scope as a string, e.g. "agents:read".`,
            },
      );
    });
  },
});
