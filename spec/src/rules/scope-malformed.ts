/**
 * @module `scope-malformed`: every required scope follows the scope grammar of `@agentos/core`.
 * contract.md §2 "Scopes" (anything else grants nothing, so an operation requiring it could never be
 * called); design.md "The contract vocabulary" (`agents:{agent_id}:run`). A valid scope with
 * capitals is a warning: the grammar is case-sensitive, and AgentOS scopes are lowercase.
 */
import { requiredScopes } from '../lib/document.js';
import { defineRule, quote } from '../lib/rule.js';
import { isLowercaseScope, parseScope, SCOPE_GRAMMAR } from '../lib/scope.js';

export const scopeMalformed = defineRule({
  id: 'scope-malformed',
  description:
    'Every required scope follows the scope grammar (resource:action, resource:{param}:action, resource:*:action or the admin scope).',
  check({ operations, adminScopes }) {
    return operations.flatMap((op) =>
      (requiredScopes(op.operation) ?? []).flatMap((scope, i) => {
        const pointer = `${op.pointer}/x-required-scopes/${i}`;
        const parsed = parseScope(scope, adminScopes);
        if (!parsed) {
          return {
            pointer,
            message:
              `Scope ${quote(scope)} of ${op.label} is malformed: a required scope is the admin scope ` +
              `(${adminScopes.map((s) => quote(s)).join(', ')}) or ${SCOPE_GRAMMAR}. ` +
              'Scopes are compared exactly, so fix its spelling, e.g. "agents:read" or "agents:{agent_id}:run".',
          };
        }
        if (isLowercaseScope(parsed)) return [];
        return {
          pointer,
          severity: 'warning' as const,
          message:
            `Scope ${quote(scope)} of ${op.label} has capitals: scopes are compared case-sensitively, so it is ` +
            `not ${quote(scope.toLowerCase())}, and AgentOS scopes are lowercase. Keep it only if your identity ` +
            'provider issues it with these capitals.',
        };
      }),
    );
  },
});
