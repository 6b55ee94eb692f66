/**
 * @module @agentos/core: the AgentOS security contract as a dependency-free runtime.
 *
 * The one place the contract's meaning lives: the scope grammar, the claim reader, roles and
 * deny, the decision, list filtering and the error codes. Used by the spec lint, the generator,
 * the reference server, the SDK's `can()` and the generated msw handlers, so that all of them
 * take the same decision for the same token and request. (The conformance suite keeps its own
 * independent oracle on purpose.)
 */
export { DEFAULT_SCOPES_CLAIM, readRolesClaim, readScopesClaim } from './claims.js';
export { closest, EXIT_USAGE, stripAnsi, unknownOption, useColor } from './cli-args.js';
export {
  bearerChallenge,
  type ChallengeError,
  type Decision,
  type DecisionInput,
  decide,
  insufficientScopeDetail,
} from './decision.js';
export { type ContractErrorCode, ERR_SCOPE_INSUFFICIENT } from './errors.js';
export { filterItems, filterList, filterResponse } from './filter.js';
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
export {
  type CompiledRole,
  type CompiledRoles,
  compileRoles,
  type GrantOptions,
  type GrantSources,
  type RoleDefinition,
  resolveGrants,
} from './roles.js';
export { type CompiledRoute, compileRoutes, type RouteIndex, type RouteMatch, splitPath } from './routes.js';
export {
  type AccessibleIds,
  accessibleIds,
  adminScopesOf,
  compileGrants,
  compileRequirement,
  compileScopeSet,
  DEFAULT_ADMIN_SCOPE,
  type ExceptIds,
  type GrantPlane,
  type Grants,
  holdsScope,
  isAccessible,
  type ParsedScope,
  parseRequirement,
  parseScope,
  planeSatisfies,
  type Requirement,
  renderRequirement,
  SCOPE_GRAMMAR,
  type ScopeSet,
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
export { AGENTOS_VERSION, compareVersions, isAgentosVersion } from './versions.js';
