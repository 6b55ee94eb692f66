/**
 * @module `agentos-version-invalid`: `x-agentos-since` / `x-agentos-until` are AgentOS versions
 * (`3.1`, `3.1.10`) as strings, and `until` comes after `since`. docs/contract.md §8.6.
 */
import { compareVersions, isAgentosVersion } from '@agentos/core';
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const agentosVersionInvalid = defineRule({
  id: 'agentos-version-invalid',
  description: 'x-agentos-since / x-agentos-until are version strings, until after since.',
  check({ operations }) {
    return operations.flatMap((op): Finding[] => {
      const out: Finding[] = [];
      const valid: Partial<Record<'since' | 'until', string>> = {};
      for (const key of ['since', 'until'] as const) {
        const value = op.operation[`x-agentos-${key}`];
        if (value === undefined) continue;
        if (isAgentosVersion(value)) {
          valid[key] = value;
          continue;
        }
        out.push({
          pointer: `${op.pointer}/x-agentos-${key}`,
          message:
            `"x-agentos-${key}" of ${op.label} is ${quote(value)}, not a version string like "3.1" or "3.1.10" ` +
            '(quote it in YAML: an unquoted 3.10 is the number 3.1).',
        });
      }
      if (valid.since && valid.until && compareVersions(valid.since, valid.until) >= 0) {
        out.push({
          pointer: `${op.pointer}/x-agentos-until`,
          message: `${op.label} is served from ${valid.since} ("x-agentos-since") until ${valid.until} ("x-agentos-until"), an empty range. "until" is the first version that no longer serves it.`,
        });
      }
      return out;
    });
  },
});
