/**
 * @module `security-mismatch`: the effective `security` of an operation mirrors `x-required-scopes`.
 * design.md "The contract vocabulary" (`security` mirrors `x-required-scopes`, `[]` when public);
 * OpenAPI 3.1 §4.8.10.1 `security` (operation-level replaces the root-level list; `[]` removes it),
 * §4.8.30 Security Requirement Object (each name must be a scheme in `components.securitySchemes`).
 */
import { isObject, requiredScopes } from '../lib/document.js';
import { escapeToken } from '../lib/json-pointer.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const securityMismatch = defineRule({
  id: 'security-mismatch',
  description: 'security mirrors x-required-scopes.',
  check({ document, operations }) {
    const schemes = isObject(document.components) ? document.components.securitySchemes : undefined;
    const schemeNames = isObject(schemes) ? Object.keys(schemes) : [];
    return operations.flatMap((op): Finding[] => {
      const scopes = requiredScopes(op.operation);
      if (!scopes) return [];
      const own = op.operation.security !== undefined;
      const security = own ? op.operation.security : document.security;
      const base = own ? `${op.pointer}/security` : '/security';
      const whose = own ? `the "security" of ${op.label}` : `the root "security" inherited by ${op.label}`;
      const its = own ? 'its "security"' : 'the root "security" it inherits';
      const want = [...new Set(scopes)].sort();
      const mirror = `security: [{bearerAuth: ${quote(scopes)}}, {oauth2: ${quote(scopes)}}]`;

      if (want.length === 0) {
        if (security === undefined || (Array.isArray(security) && security.length === 0)) return [];
        return [
          {
            pointer: own ? base : op.pointer,
            message:
              `${op.label} is public (x-required-scopes: []) but ${its} is ${quote(security)}, so tools ` +
              'would ask for a token it does not need. Set `security: []` on the operation (the bundler does).',
          },
        ];
      }
      if (!Array.isArray(security) || security.length === 0) {
        return [
          {
            pointer: own ? base : op.pointer,
            message:
              `${op.label} requires ${quote(scopes)} but ${security === undefined ? 'has no "security"' : `${its} is ${quote(security)}`}, ` +
              'so tools would treat it as public. Add `' +
              mirror +
              '` (the bundler derives it).',
          },
        ];
      }
      return security.flatMap((requirement, i): Finding[] => {
        if (!isObject(requirement) || Object.keys(requirement).length === 0) {
          return [
            {
              pointer: `${base}/${i}`,
              message:
                `Entry ${i} of ${whose} is ${quote(requirement)}: an empty requirement lets callers in ` +
                `without a token, but the operation requires ${quote(scopes)}. Use \`${mirror}\`.`,
            },
          ];
        }
        return Object.entries(requirement).flatMap(([name, listed]): Finding[] => {
          const pointer = `${base}/${i}/${escapeToken(name)}`;
          if (!schemeNames.includes(name)) {
            return [
              {
                pointer,
                message:
                  `Entry ${i} of ${whose} names the security scheme ${quote(name)}, which ` +
                  `components.securitySchemes does not declare (declared: ${schemeNames.map((s) => quote(s)).join(', ') || 'none'}). ` +
                  'Use a declared scheme or declare it.',
              },
            ];
          }
          const got = Array.isArray(listed) ? [...new Set(listed)].sort() : undefined;
          if (got && got.length === want.length && got.every((s, k) => s === want[k])) return [];
          return [
            {
              pointer,
              message:
                `Scheme ${quote(name)} in entry ${i} of ${whose} lists ${quote(listed)}, but x-required-scopes ` +
                `is ${quote(scopes)}; every security requirement must list exactly the required scopes, so ` +
                `tools see the same requirement as the server. Use \`${mirror}\` (the bundler derives it).`,
            },
          ];
        });
      });
    });
  },
});
