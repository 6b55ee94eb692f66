/** @module The shape of a contract-lint rule: an id, and a check over the un-dereferenced document. */
import type { OpenAPIDocument, OperationRef } from './document.js';

/** Stable ids of the lint rules; `openapi-*` come from the OpenAPI 3.1 schema check. */
export type LintRuleId =
  | 'openapi-version'
  | 'openapi-schema'
  | 'operation-scopes-missing'
  | 'scope-malformed'
  | 'scope-param-unknown'
  | 'security-mismatch'
  | 'scope-undeclared'
  | 'operation-id'
  | 'scope-filter-invalid'
  | 'user-owned-invalid'
  | 'error-responses'
  | 'path-param-declared'
  | 'body-scopes-invalid'
  | 'scope-target-invalid'
  | 'contains-invalid'
  | 'approval-gate-invalid'
  | 'nested-filters-invalid'
  | 'agentos-feature-invalid'
  | 'agentos-version-invalid'
  | 'security-requirement-invalid';

/** What a rule sees: the document, its operations (document order) and the admin scopes. */
export interface RuleContext {
  document: OpenAPIDocument;
  operations: readonly OperationRef[];
  adminScopes: readonly string[];
}

/** One problem found by a rule. Pointers name the faulty value, or the object that lacks a field. */
export interface Finding {
  pointer: string;
  message: string;
  severity?: 'error' | 'warning';
}

export interface Rule {
  id: LintRuleId;
  /** One sentence: what the rule requires (the SARIF `shortDescription`). */
  description: string;
  check(context: RuleContext): Finding[];
}

export function defineRule(rule: Rule): Rule {
  return rule;
}

/** Quotes a value for a message: strings in double quotes, the rest as JSON. */
export function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
