/** @module @agentos/spec: the AgentOS OpenAPI 3.1 document, its loader, bundler and contract lint. */
export {
  BUNDLE_HEADER,
  type BundleOptions,
  type BundleResult,
  bundleSpec,
  listSpecSources,
  specSourcesPath,
} from './bundle.js';
export { SpecError, type SpecErrorCode } from './errors.js';
export type { JsonObject, OpenAPIDocument } from './lib/document.js';
export { createPositionIndex, type PositionIndex, type SourcePosition } from './lib/positions.js';
export {
  type LintMessage,
  type LintOptions,
  type LintProfile,
  type LintResult,
  type LintRuleId,
  lintSpec,
} from './lint.js';
export { loadSpec, specPath } from './load.js';
export { lintRuleDescriptors, type SarifLog, type SarifOptions, toSarif } from './sarif.js';
