/**
 * @module `agentos-feature-invalid`: `x-agentos-feature` names an optional AgentOS feature in
 * lowercase (`authz`, `users`, `company`, ...). docs/contract.md §8.6 "Features and versions".
 */
import { defineRule, quote } from '../lib/rule.js';
import { FEATURE_NAME } from '../lib/vocabulary.js';

export const agentosFeatureInvalid = defineRule({
  id: 'agentos-feature-invalid',
  description: 'x-agentos-feature is one lowercase feature name.',
  check({ operations }) {
    return operations.flatMap((op) => {
      const value = op.operation['x-agentos-feature'];
      if (value === undefined || (typeof value === 'string' && FEATURE_NAME.test(value))) return [];
      return {
        pointer: `${op.pointer}/x-agentos-feature`,
        message:
          `"x-agentos-feature" of ${op.label} is ${quote(value)}; it is one feature name in lowercase letters, ` +
          'digits and "-", e.g. "authz". Operations of the base app have none.',
      };
    });
  },
});
