/**
 * @module Walking an un-dereferenced OpenAPI 3.1 document: operations, local `$ref`s, path parameters.
 * Every helper tolerates malformed input (the lint runs its rules even when the schema check failed).
 */
import { pointer } from './json-pointer.js';

/** A parsed JSON/YAML object. */
export type JsonObject = { [key: string]: unknown };

/** An OpenAPI document as parsed from YAML or JSON, before any `$ref` is resolved. */
export type OpenAPIDocument = JsonObject;

/** The fixed fields of a Path Item Object that hold operations (OpenAPI 3.1 §4.8.9.1). */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One operation of the document, with the JSON pointer of its Operation Object. */
export interface OperationRef {
  path: string;
  method: (typeof HTTP_METHODS)[number];
  operation: JsonObject;
  pathItem: JsonObject;
  /** e.g. `/paths/~1agents~1{agent_id}/get` */
  pointer: string;
  /** e.g. `GET /agents/{agent_id}` */
  route: string;
  /** e.g. `GET /agents/{agent_id} (getAgent)`, for messages. */
  label: string;
}

/** Lists the operations under `paths`, in document order. (`webhooks` are not routes of the server.) */
export function listOperations(document: OpenAPIDocument): OperationRef[] {
  const out: OperationRef[] = [];
  if (!isObject(document.paths)) return out;
  for (const [path, rawItem] of Object.entries(document.paths)) {
    const pathItem = resolveRef(document, rawItem);
    if (!isObject(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation)) continue;
      const route = `${method.toUpperCase()} ${path}`;
      const id = typeof operation.operationId === 'string' ? ` (${operation.operationId})` : '';
      out.push({
        path,
        method,
        operation,
        pathItem,
        pointer: pointer('paths', path, method),
        route,
        label: route + id,
      });
    }
  }
  return out;
}

/**
 * Follows local `$ref`s (`#/components/...`) until a non-reference value; returns `undefined` for a
 * reference that does not resolve or loops. Remote references are left to swagger-parser.
 */
export function resolveRef(document: OpenAPIDocument, value: unknown): unknown {
  const seen = new Set<string>();
  let current = value;
  while (isObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (!ref.startsWith('#') || seen.has(ref)) return undefined;
    seen.add(ref);
    current = getByPointer(document, decodeURIComponent(ref.slice(1)));
  }
  return current;
}

function getByPointer(document: unknown, ptr: string): unknown {
  if (ptr === '') return document;
  let current = document;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isObject(current)) current = current[key];
    else return undefined;
  }
  return current;
}

/** The `{name}` expressions of a path template, in order (OpenAPI 3.1 §4.8.8.2 "Path Templating"). */
export function pathTemplateParams(path: string): string[] {
  return [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
}

/** A declared `in: path` parameter and where it is declared. */
export interface PathParam {
  name: string;
  pointer: string;
}

/**
 * The `in: path` parameters that apply to an operation: its own, plus those of its Path Item that it
 * does not override (OpenAPI 3.1 §4.8.10.1 `parameters`).
 */
export function declaredPathParams(document: OpenAPIDocument, op: OperationRef): PathParam[] {
  const byName = new Map<string, PathParam>();
  const collect = (list: unknown, base: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((raw, i) => {
      const param = resolveRef(document, raw);
      if (isObject(param) && param.in === 'path' && typeof param.name === 'string') {
        byName.set(param.name, { name: param.name, pointer: `${base}/parameters/${i}` });
      }
    });
  };
  collect(op.pathItem.parameters, pointer('paths', op.path));
  collect(op.operation.parameters, op.pointer);
  return [...byName.values()];
}

/** The scopes of `x-required-scopes` when it is a well-formed array of strings, else `undefined`. */
export function requiredScopes(operation: JsonObject): string[] | undefined {
  const scopes = operation['x-required-scopes'];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return undefined;
  return scopes;
}
