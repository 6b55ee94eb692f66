/**
 * @module The generated route table, indexed for the client (@internal): operations by id and by
 * `METHOD path`, and how each operation's request body is encoded.
 */
import type { RouteSpec } from '@agentos/core';
import type { operations } from './generated/openapi.js';
import { type OperationId, routes } from './generated/routes.js';

/** How a request body goes on the wire. */
export type BodyEncoding = 'json' | 'form' | 'multipart';

type MediaTypesOf<Id extends OperationId> = operations[Id] extends { requestBody?: infer B }
  ? NonNullable<B> extends { content: infer C }
    ? keyof C
    : never
  : never;
/** `form` when the body may be `application/x-www-form-urlencoded`, `multipart` when only `multipart/form-data`. */
type EncodingOf<Id extends OperationId> =
  'application/x-www-form-urlencoded' extends MediaTypesOf<Id>
    ? 'form'
    : 'multipart/form-data' extends MediaTypesOf<Id>
      ? 'multipart'
      : 'json';
type FormOperationId = { [K in OperationId]: EncodingOf<K> extends 'json' ? never : K }[OperationId];

/**
 * @internal The operations whose request body is a form. openapi-typescript keeps the media types in
 * types only, so this table is written out, and tsc checks it against the generated types: a
 * missing, extra or wrongly encoded operation does not compile.
 */
export const _formEncodings: { readonly [K in FormOperationId]: EncodingOf<K> } = {
  continueAgentRun: 'form',
  continueTeamRun: 'form',
  continueWorkflowRun: 'form',
  createAgentRun: 'form',
  createKnowledgeContent: 'form',
  createRemoteKnowledgeContent: 'form',
  createTeamRun: 'form',
  createWorkflowRun: 'form',
  resumeAgentRun: 'form',
  resumeTeamRun: 'form',
  resumeWorkflowRun: 'form',
  updateKnowledgeContent: 'form',
};

/** @internal */
export const _byId: ReadonlyMap<string, RouteSpec> = new Map(routes.map((r) => [r.operationId, r]));

const byKey = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));

/** @internal The route of `METHOD path`; HEAD falls back to GET as servers do (RFC 9110 §9.3.2). */
export const _route = (method: string, path: string): RouteSpec | undefined =>
  byKey.get(`${method} ${path}`) ?? (method === 'HEAD' ? byKey.get(`GET ${path}`) : undefined);

/** @internal The encoding of an operation's request body. */
export const _encoding = (operationId: string): BodyEncoding =>
  (_formEncodings as Readonly<Record<string, BodyEncoding>>)[operationId] ?? 'json';
