/** @module The contract-lint rules, in the order their messages are reported. */
import type { Rule } from '../lib/rule.js';
import { agentosFeatureInvalid } from './agentos-feature-invalid.js';
import { agentosVersionInvalid } from './agentos-version-invalid.js';
import { approvalGateInvalid } from './approval-gate-invalid.js';
import { bodyScopesInvalid } from './body-scopes-invalid.js';
import { containsInvalid } from './contains-invalid.js';
import { errorResponses } from './error-responses.js';
import { nestedFiltersInvalid } from './nested-filters-invalid.js';
import { operationId } from './operation-id.js';
import { operationScopesMissing } from './operation-scopes-missing.js';
import { pathParamDeclared } from './path-param-declared.js';
import { scopeFilterInvalid } from './scope-filter-invalid.js';
import { scopeMalformed } from './scope-malformed.js';
import { scopeParamUnknown } from './scope-param-unknown.js';
import { scopeTargetInvalid } from './scope-target-invalid.js';
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
  bodyScopesInvalid,
  scopeTargetInvalid,
  containsInvalid,
  approvalGateInvalid,
  nestedFiltersInvalid,
  agentosFeatureInvalid,
  agentosVersionInvalid,
];
