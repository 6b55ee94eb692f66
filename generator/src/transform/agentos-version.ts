/**
 * @module `x-agentos-since` / `x-agentos-until` (docs/contract.md "Features and versions"): the
 * first AgentOS version serving the operation, and the first one no longer serving it.
 */
import { compareVersions, isAgentosVersion } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject } from '../model.js';
import type { TransformContext } from './reference.js';

/**
 * Reads `x-agentos-since` and `x-agentos-until` of one Operation Object.
 * @throws {GenerationError} `ERR_GEN_AGENTOS_VERSION` when one is not a version string, or `until`
 *   is not after `since`
 */
export function transformAgentosVersion(
  operation: JsonObject,
  ctx: TransformContext,
  at: string,
): { since: string | undefined; until: string | undefined } {
  const read = (key: 'x-agentos-since' | 'x-agentos-until'): string | undefined => {
    const value = operation[key];
    if (value === undefined) return undefined;
    if (!isAgentosVersion(value)) {
      throw new GenerationError('ERR_GEN_AGENTOS_VERSION', {
        file: ctx.file,
        pointer: `${at}/${key}`,
        message: `"${key}" must be a version string like "3.1" or "3.1.10" (quote it in YAML), got ${JSON.stringify(value)}`,
      });
    }
    return value;
  };
  const since = read('x-agentos-since');
  const until = read('x-agentos-until');
  if (since !== undefined && until !== undefined && compareVersions(since, until) >= 0) {
    throw new GenerationError('ERR_GEN_AGENTOS_VERSION', {
      file: ctx.file,
      pointer: `${at}/x-agentos-until`,
      message: `"x-agentos-until" (${until}) must be a later version than "x-agentos-since" (${since})`,
    });
  }
  return { since, until };
}
