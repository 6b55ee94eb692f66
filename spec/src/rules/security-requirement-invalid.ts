/**
 * @module `security-requirement-invalid` (generic profile): every operation states its `security`,
 * and each Security Requirement is well formed. OpenAPI 3.1 §4.8.10.1 `security` (the operation's
 * list replaces the root one; `[]` removes it), §4.8.30 Security Requirement Object (names are
 * schemes of `components.securitySchemes`; for other types than oauth2/openIdConnect 3.0 wants an
 * empty list); RFC 6749 §3.3 scope-token. `agentos-gen` derives the route→scope table from it.
 */
import { isObject } from '../lib/document.js';
import { escapeToken } from '../lib/json-pointer.js';
import { defineRule, type Finding, quote } from '../lib/rule.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const securityRequirementInvalid = defineRule({
  id: 'security-requirement-invalid',
  description:
    'Every operation states security (its own or the root one), with declared schemes and valid scopes.',
  check({ document, operations }) {
    const schemes = isObject(document.components) ? document.components.securitySchemes : undefined;
    const declared = isObject(schemes) ? schemes : {};
    const names = Object.keys(declared);
    const is30 = typeof document.openapi === 'string' && document.openapi.startsWith('3.0');
    const findings: Finding[] = [];

    const checkList = (list: unknown, base: string, where: string) => {
      if (!Array.isArray(list)) {
        findings.push({
          pointer: base,
          message: `"security" of ${where} is ${quote(list)}, not a list of Security Requirement Objects. Write e.g. \`- ${names[0] ?? 'scheme'}: []\`.`,
        });
        return;
      }
      list.forEach((requirement, i) => {
        if (!isObject(requirement)) {
          findings.push({
            pointer: `${base}/${i}`,
            message: `Entry ${i} of the "security" of ${where} is ${quote(requirement)}, not an object mapping scheme names to scope lists.`,
          });
          return;
        }
        for (const [name, scopes] of Object.entries(requirement)) {
          const pointer = `${base}/${i}/${escapeToken(name)}`;
          const scheme = declared[name];
          if (scheme === undefined) {
            findings.push({
              pointer,
              message:
                `Entry ${i} of the "security" of ${where} names the scheme ${quote(name)}, which ` +
                `components.securitySchemes does not declare (declared: ${names.map((n) => quote(n)).join(', ') || 'none'}). ` +
                'Use a declared scheme or declare it.',
            });
            continue;
          }
          if (!Array.isArray(scopes)) {
            findings.push({
              pointer,
              message: `The scopes of ${quote(name)} in entry ${i} of the "security" of ${where} are ${quote(scopes)}, not a list of strings.`,
            });
            continue;
          }
          scopes.forEach((scope, k) => {
            if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
              findings.push({
                pointer: `${pointer}/${k}`,
                message: `${quote(scope)} is not a scope: RFC 6749 §3.3 allows printable ASCII without space, quote or backslash.`,
              });
            }
          });
          const type = isObject(scheme) ? scheme.type : undefined;
          if (
            is30 &&
            scopes.length > 0 &&
            typeof type === 'string' &&
            type !== 'oauth2' &&
            type !== 'openIdConnect'
          ) {
            findings.push({
              pointer,
              severity: 'warning',
              message: `${quote(name)} is of type ${quote(type)}: OpenAPI 3.0 wants an empty scope list for it (only oauth2 and openIdConnect carry scopes), so tools ignore ${quote(scopes)}.`,
            });
          }
        }
      });
    };

    if (document.security !== undefined) checkList(document.security, '/security', 'the document');
    for (const op of operations) {
      const own = op.operation.security;
      if (own !== undefined) checkList(own, `${op.pointer}/security`, op.label);
      else if (document.security === undefined) {
        findings.push({
          pointer: op.pointer,
          message:
            `${op.label} has no "security" and the document has none at its root, so nothing says whether it ` +
            'needs a token (agentos-gen refuses to guess). Add the requirement, e.g. ' +
            `\`security: [{${names[0] ?? 'scheme'}: [...]}]\`, or \`security: []\` when it is public.`,
        });
      }
    }
    return findings;
  },
});
