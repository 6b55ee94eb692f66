/** @module The contract-lint rules, in the order their messages are reported. */
import type { Rule } from '../lib/rule.js';
import { errorResponses } from './error-responses.js';
import { operationId } from './operation-id.js';
import { operationScopesMissing } from './operation-scopes-missing.js';
import { pathParamDeclared } from './path-param-declared.js';
import { scopeFilterInvalid } from './scope-filter-invalid.js';
import { scopeMalformed } from './scope-malformed.js';
import { scopeParamUnknown } from './scope-param-unknown.js';
import { scopeUndeclared } from './scope-undeclared.js';
import { securityMismatch } from './security-mismatch.js';
import { userOwnedInvalid } from './user-owned-invalid.js';

export const rules: readonly Rule[] = [
  operationScopesMissing,
  scopeMalformed,
  scopeParamUnknown,
  securityMismatch,
  scopeUndeclared,
  operationId,
  scopeFilterInvalid,
  userOwnedInvalid,
  errorResponses,
  pathParamDeclared,
];
