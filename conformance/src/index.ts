/**
 * @module @agentos/conformance — replays signed tokens with varied scopes against any AgentOS
 * implementation and checks 401/403, list filtering, user isolation and response hygiene against
 * the suite's own oracle of shared/contract.md.
 *
 * @example
 * const spec = await loadSpec('agentos.openapi.yaml');
 * const tokens = await createTokenFactory({ alg: 'RS256', signingKey: pem, scopesClaim: 'scopes', userIdClaim: 'sub', audience: 'my-os' });
 * const plan = planSuite(spec, { alg: 'RS256', audience: 'my-os' });
 * const result = await runSuite(plan, { baseUrl: 'http://127.0.0.1:7777', tokens });
 */
export { type ConfigFile, loadConfig } from './config.js';
export { discoverFixtures } from './discover.js';
export { HarnessError, type HarnessErrorCode } from './errors.js';
export { createHttpClient, type HttpClient } from './http.js';
export * as oracle from './oracle.js';
export {
  type Discovery,
  type Plan,
  type PlanContext,
  planSuite,
  type SkipRule,
  type SuiteOptions,
} from './plan.js';
export { PROBES } from './probes/catalog.js';
export { renderHtml } from './report/html.js';
export { renderJson } from './report/json.js';
export { renderJunit } from './report/junit.js';
export { renderSummary } from './report/summary.js';
export { type ExpectedFailure, runSuite, type SuiteResult, type Summary, type Target } from './run.js';
export { type ApiSpec, loadSpec, type Operation, readSpec } from './spec.js';
export { createTokenFactory, type SigningAlg, type TokenFactory, type TokenSpec } from './tokens.js';
export type * from './types.js';

import { fileURLToPath } from 'node:url';

function resolveDefaultSpec(): string {
  try {
    return fileURLToPath(import.meta.resolve('@agentos/spec/agentos.openapi.yaml'));
  } catch {
    return fileURLToPath(new URL('../../spec/agentos.openapi.yaml', import.meta.url));
  }
}

/** The bundled AgentOS spec (`@agentos/spec/agentos.openapi.yaml`). */
export const DEFAULT_SPEC = resolveDefaultSpec();
