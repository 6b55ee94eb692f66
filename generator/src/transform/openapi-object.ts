/**
 * @module OpenAPI Object (OpenAPI 3.1 §4.8.1) → `ApiModel`: every operation under `paths`,
 * checked for what the targets rely on (unique operationIds, one operation per route).
 * `webhooks` are not routes of a server and are left to the types target.
 */
import { adminScopesOf } from '@agentos/core';
import { GenerationError } from '../errors.js';
import { compareStrings } from '../lib/sort.js';
import type { ApiModel, JsonObject, OperationModel } from '../model.js';
import { transformPathItemObject } from './path-item-object.js';
import { isObject, type TransformContext } from './reference.js';

/**
 * Builds the model of a bundled document.
 * @throws {GenerationError} on a missing or duplicate operationId, two operations for one route,
 *   or a malformed AgentOS extension
 */
export function transformOpenAPIObject(ctx: TransformContext): ApiModel {
  const { document } = ctx;
  const version = document.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    throw new GenerationError('ERR_GEN_SPEC_VERSION', {
      file: ctx.file,
      pointer: '/openapi',
      message: `expected an OpenAPI 3.0 or 3.1 document, got "openapi": ${JSON.stringify(version)}`,
    });
  }
  const adminScopes = adminScopesOf(document);
  const operations: OperationModel[] = [];
  if (isObject(document.paths)) {
    for (const [path, item] of Object.entries(document.paths)) {
      if (path.startsWith('x-')) continue;
      operations.push(...transformPathItemObject(ctx, path, item, adminScopes));
    }
  }

  const byId = new Map<string, OperationModel>();
  const byRoute = new Map<string, OperationModel>();
  for (const op of operations) {
    const first = byId.get(op.operationId);
    if (first) {
      throw new GenerationError('ERR_GEN_OPERATION_ID', {
        file: ctx.file,
        pointer: `${op.pointer}/operationId`,
        message: `operationId "${op.operationId}" is also used at ${first.pointer}; operationIds must be unique`,
      });
    }
    byId.set(op.operationId, op);
    // `/a/{x}` and `/a/{y}` are the same route (OpenAPI 3.1 §4.8.8.1 calls them identical).
    const route = `${op.method} ${op.path.replace(/\{[^{}]+\}/g, '{}')}`;
    const other = byRoute.get(route);
    if (other) {
      throw new GenerationError('ERR_GEN_DUPLICATE_ROUTE', {
        file: ctx.file,
        pointer: op.pointer,
        message: `${op.method} ${op.path} is the same route as ${other.method} ${other.path} (${other.pointer})`,
      });
    }
    byRoute.set(route, op);
  }

  operations.sort((a, b) => compareStrings(a.operationId, b.operationId));
  return { document, operations, adminScopes };
}
