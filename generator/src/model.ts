/**
 * @module The generator's view of an OpenAPI document: operations with what every target needs,
 * `$ref`s resolved where a target needs a value, JSON Pointers kept for messages.
 */
import type {
  ApprovalGate,
  Containment,
  HttpMethod,
  NestedFilter,
  ScopeFilter,
  ScopeTarget,
} from '@agentos/core';

/** A parsed JSON/YAML object. */
export type JsonObject = { [key: string]: unknown };

/** How a target treats a media type. */
export type MediaKind = 'json' | 'sse' | 'form' | 'multipart' | 'text' | 'binary';

/** A Media Type Object (OpenAPI 3.1 §4.8.14). */
export interface MediaTypeModel {
  readonly mediaType: string;
  readonly kind: MediaKind;
  /** The schema, `$ref`s left as they are. */
  readonly schema: unknown;
  /** The first example the document gives (media `example`, first of `examples`, schema `examples`). */
  readonly example?: { readonly value: unknown } | undefined;
  readonly pointer: string;
}

/** A Parameter Object (OpenAPI 3.1 §4.8.12), resolved. */
export interface ParameterModel {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  /** The JSON Schema `type` of the parameter, when it is one primitive type. */
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'unknown';
  readonly pointer: string;
}

/** A Request Body Object (OpenAPI 3.1 §4.8.13), resolved. */
export interface RequestBodyModel {
  readonly required: boolean;
  readonly content: readonly MediaTypeModel[];
}

/** One entry of a Responses Object (OpenAPI 3.1 §4.8.16–17), resolved. */
export interface ResponseModel {
  /** `200`, `2XX` or `default`. */
  readonly status: string;
  readonly description: string;
  /** Empty when the response has no body. */
  readonly content: readonly MediaTypeModel[];
  readonly pointer: string;
}

/** An Operation Object (OpenAPI 3.1 §4.8.10) with the AgentOS extensions. */
export interface OperationModel {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Path template as written under `paths`. */
  readonly path: string;
  readonly pointer: string;
  readonly summary: string | undefined;
  /** `x-required-scopes`, or the first alternative of `security` when the document has no extension. */
  readonly scopes: readonly string[];
  /** Alternatives read from a standard `security` list (no `x-required-scopes`); see `RouteSpec.anyOf`. */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
  /** `x-scope-filter`. */
  readonly filter: ScopeFilter | undefined;
  /** `x-user-owned`. */
  readonly userOwned: boolean;
  /** `x-required-scopes: []`, or no `security` (or an empty alternative `{}`). */
  readonly public: boolean;
  /** `x-body-scopes`: `resource:{body.field}:action` templates. */
  readonly bodyScopes: readonly string[] | undefined;
  /** `x-scope-target`. */
  readonly target: ScopeTarget | undefined;
  /** `x-contains`. */
  readonly contains: readonly Containment[] | undefined;
  /** `x-approval-gate`. */
  readonly approvalGate: ApprovalGate | undefined;
  /** `x-nested-filters`. */
  readonly nestedFilters: readonly NestedFilter[] | undefined;
  /** `x-agentos-feature`. */
  readonly feature: string | undefined;
  /** `x-agentos-since`. */
  readonly since: string | undefined;
  /** `x-agentos-until`. */
  readonly until: string | undefined;
  /** Path Item and operation parameters merged (operation wins), document order. */
  readonly parameters: readonly ParameterModel[];
  readonly requestBody: RequestBodyModel | undefined;
  /** Sorted: numeric statuses ascending, then ranges, then `default`. */
  readonly responses: readonly ResponseModel[];
}

/** The whole document as the targets see it. */
export interface ApiModel {
  /** The document, bundled into one file: only local `$ref`s remain. */
  readonly document: JsonObject;
  /** Sorted by operationId. */
  readonly operations: readonly OperationModel[];
  /** `agent_os:admin` plus any `x-admin-scope` the document declares. */
  readonly adminScopes: readonly string[];
}
