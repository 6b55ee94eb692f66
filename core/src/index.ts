/**
 * @module @agentos/core: the AgentOS security contract as a dependency-free runtime.
 *
 * Used by the reference server's middleware, the SDK's `can()` and the generated msw handlers,
 * so that all three take the same decision for the same token and request.
 */

export { closest, EXIT_USAGE, stripAnsi, unknownOption, useColor } from './cli-args.js';
export {
  bearerChallenge,
  type ChallengeError,
  type Decision,
  type DecisionInput,
  decide,
  insufficientScopeDetail,
} from './decision.js';
export { compileScopeMappings, type ScopeOverride, type ScopeOverrides } from './mappings.js';
export {
  type BodyScope,
  compileBodyScope,
  decideBodyScopes,
  decideMembers,
  decideTarget,
  filterNested,
  isRunOperation,
  type Member,
  type ObjectDecision,
} from './object-scopes.js';
export { type CompiledRoute, compileRoutes, type RouteIndex, type RouteMatch, splitPath } from './routes.js';
export {
  accessibleIds,
  compileGrants,
  compileRequirement,
  DEFAULT_ADMIN_SCOPE,
  type Grants,
  type ParsedScope,
  parseScope,
  type Requirement,
  renderRequirement,
  satisfies,
} from './scopes.js';
export type {
  ApprovalGate,
  CallerContext,
  Containment,
  HttpMethod,
  NestedFilter,
  RouteSpec,
  ScopeFilter,
  ScopeOptions,
  ScopeTarget,
} from './types.js';
