/**
 * @module The rules of the generic profile (`agentos-spec lint --profile generic`): any OpenAPI 3.0
 * or 3.1 API whose operations state their scopes with standard `security`. The AgentOS extensions
 * (`x-required-scopes` and the rest) are neither required nor read.
 */
import type { Rule } from '../lib/rule.js';
import { operationId } from './operation-id.js';
import { pathParamDeclared } from './path-param-declared.js';
import { scopeUndeclared } from './scope-undeclared.js';
import { securityRequirementInvalid } from './security-requirement-invalid.js';

export const genericRules: readonly Rule[] = [
  securityRequirementInvalid,
  scopeUndeclared,
  operationId,
  pathParamDeclared,
];
