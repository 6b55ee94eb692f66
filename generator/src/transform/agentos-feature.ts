/**
 * @module `x-agentos-feature` (docs/contract.md "Features and versions"): the operation is mounted
 * only when an optional AgentOS feature is configured (`authz`, `users`, `company`, ...).
 */
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import type { TransformContext } from './reference.js';

/** A feature name: lowercase letters, digits and `-`, starting with a letter. */
export const FEATURE_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Reads `x-agentos-feature` of one Operation Object.
 * @throws {GenerationError} `ERR_GEN_AGENTOS_FEATURE` when present and not a feature name
 */
export function transformAgentosFeature(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
): string | undefined {
  const value = operation['x-agentos-feature'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !FEATURE_NAME.test(value)) {
    throw new GenerationError('ERR_GEN_AGENTOS_FEATURE', {
      file: ctx.file,
      pointer: `${at}/x-agentos-feature`,
      message: `"x-agentos-feature" must be a feature name like "authz" (lowercase letters, digits, "-"), got ${JSON.stringify(value)}`,
    });
  }
  return value;
}
