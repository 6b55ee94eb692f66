/**
 * @module `user-owned-invalid`: `x-user-owned`, when present, is a boolean.
 * design.md "The contract vocabulary" (`x-user-owned: true`); contract.md §5 "User isolation".
 */
import { defineRule, quote } from '../lib/rule.js';

export const userOwnedInvalid = defineRule({
  id: 'user-owned-invalid',
  description: 'x-user-owned is a boolean.',
  check({ operations }) {
    return operations.flatMap((op) => {
      const value = op.operation['x-user-owned'];
      if (value === undefined || typeof value === 'boolean') return [];
      return {
        pointer: `${op.pointer}/x-user-owned`,
        message:
          `"x-user-owned" of ${op.label} is ${quote(value)}, not a boolean; user isolation (contract.md §5) ` +
          'reads it as a flag. Write `x-user-owned: true`, or remove it.',
      };
    });
  },
});
