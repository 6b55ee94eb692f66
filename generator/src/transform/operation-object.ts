/**
 * @module Operation Object (OpenAPI 3.1 §4.8.10) → `OperationModel`, with the AgentOS extensions
 * read by their own transforms (`x-required-scopes`, `x-scope-filter`, `x-user-owned`,
 * `x-body-scopes`, `x-scope-target`, `x-contains`, `x-approval-gate`, `x-nested-filters`,
 * `x-agentos-feature`, `x-agentos-since`/`x-agentos-until`).
 */
import type { HttpMethod } from '@agentos/core';
import { GenerationError } from '../errors.js';
import type { JsonObject, OperationModel, ParameterModel } from '../model.js';
import { transformAgentosFeature } from './agentos-feature.js';
import { transformAgentosVersion } from './agentos-version.js';
import { transformApprovalGate } from './approval-gate.js';
import { transformBodyScopes } from './body-scopes.js';
import { transformContains } from './contains.js';
import { transformNestedFilters } from './nested-filters.js';
import { transformParameterObject } from './parameter-object.js';
import type { TransformContext } from './reference.js';
import { transformRequestBodyObject } from './request-body-object.js';
import { transformRequiredScopes } from './required-scopes.js';
import { transformResponsesObject } from './responses-object.js';
import { transformScopeFilter } from './scope-filter.js';
import { transformScopeTarget } from './scope-target.js';
import { transformSecurityRequirement } from './security-requirement.js';
import { transformUserOwned } from './user-owned.js';

/** The `{name}` expressions of a path template, in order (OpenAPI 3.1 §4.8.8.2). */
export function pathTemplateParams(path: string): string[] {
  return [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
}

const extensionUse = new WeakMap<JsonObject, boolean>();

/** Whether any operation of the document writes `x-required-scopes` (an AgentOS-style document). */
function usesRequiredScopes(document: JsonObject): boolean {
  let uses = extensionUse.get(document);
  if (uses === undefined) {
    const paths = document.paths;
    uses =
      typeof paths === 'object' &&
      paths !== null &&
      Object.values(paths).some(
        (item) =>
          typeof item === 'object' &&
          item !== null &&
          Object.values(item).some(
            (op) => typeof op === 'object' && op !== null && 'x-required-scopes' in (op as JsonObject),
          ),
      );
    extensionUse.set(document, uses);
  }
  return uses;
}

export interface OperationInput {
  readonly path: string;
  readonly method: HttpMethod;
  readonly operation: JsonObject;
  /** Parameters declared on the Path Item, already transformed. */
  readonly pathItemParameters: readonly ParameterModel[];
  /** JSON Pointer of the Operation Object. */
  readonly pointer: string;
  readonly adminScopes: readonly string[];
}

/**
 * Transforms one operation.
 * @throws {GenerationError} `ERR_GEN_OPERATION_ID` without an `operationId`; extension errors from their transforms
 */
export function transformOperationObject(ctx: TransformContext, input: OperationInput): OperationModel {
  const { operation, pointer: at, path, method } = input;
  const operationId = operation.operationId;
  if (typeof operationId !== 'string' || operationId.length === 0) {
    throw new GenerationError('ERR_GEN_OPERATION_ID', {
      file: ctx.file,
      pointer: at,
      message: `${method} ${path} has no "operationId"; the generated handlers and types are named after it`,
    });
  }
  const pathParams = pathTemplateParams(path);
  // Without `x-required-scopes`, a standard document says it with `security` (OR of ANDs).
  // Only in a document that never writes the extension (an AgentOS document missing it on one
  // operation is a mistake), and only when some `security` applies: an operation that states
  // nothing is refused below rather than read as public.
  const stated = operation.security !== undefined || ctx.document.security !== undefined;
  const derived =
    operation['x-required-scopes'] === undefined && stated && !usesRequiredScopes(ctx.document)
      ? transformSecurityRequirement(operation, ctx, at)
      : undefined;
  if (
    !derived &&
    !stated &&
    operation['x-required-scopes'] === undefined &&
    !usesRequiredScopes(ctx.document)
  ) {
    throw new GenerationError('ERR_GEN_REQUIRED_SCOPES', {
      file: ctx.file,
      pointer: at,
      message:
        'operation has no "x-required-scopes" and no "security" applies to it (neither its own nor the root one); ' +
        'state the scopes it needs with either (`security: []` for a public operation), see `agentos-spec lint --profile generic`',
    });
  }
  const scopes =
    derived?.scopes ?? transformRequiredScopes(operation, ctx, at, pathParams, input.adminScopes);

  // OpenAPI 3.1 §4.8.10.1: operation parameters override Path Item parameters by (name, in).
  const params = new Map<string, ParameterModel>();
  for (const p of input.pathItemParameters) params.set(`${p.in}:${p.name}`, p);
  if (Array.isArray(operation.parameters)) {
    operation.parameters.forEach((raw, i) => {
      const p = transformParameterObject(ctx, raw, `${at}/parameters/${i}`);
      if (p) params.set(`${p.in}:${p.name}`, p);
    });
  }

  const requestBody = transformRequestBodyObject(ctx, operation.requestBody, `${at}/requestBody`);
  const { since, until } = transformAgentosVersion(operation, ctx, at);
  return {
    operationId,
    method,
    path,
    pointer: at,
    summary: typeof operation.summary === 'string' ? operation.summary : undefined,
    scopes,
    anyOf: derived?.anyOf,
    filter: transformScopeFilter(operation, ctx, at),
    userOwned: transformUserOwned(operation, ctx, at),
    public: derived?.public ?? scopes.length === 0,
    bodyScopes: transformBodyScopes(operation, ctx, at, requestBody !== undefined),
    target: transformScopeTarget(operation, ctx, at, pathParams),
    contains: transformContains(operation, ctx, at, pathParams),
    approvalGate: transformApprovalGate(operation, ctx, at, pathParams),
    nestedFilters: transformNestedFilters(operation, ctx, at),
    feature: transformAgentosFeature(operation, ctx, at),
    since,
    until,
    parameters: [...params.values()],
    requestBody,
    responses: transformResponsesObject(ctx, operation.responses, `${at}/responses`),
  };
}
