/**
 * @module Reading JSON Schemas of an un-dereferenced document: the properties of a request body,
 * the schema a JSON pointer reaches inside a response. `$ref` and `allOf` are followed; `anyOf` /
 * `oneOf` count a property when any branch has it.
 */
import {
  isObject,
  type JsonObject,
  type OpenAPIDocument,
  type OperationRef,
  resolveRef,
} from './document.js';

const MAX_DEPTH = 16;

/**
 * The schemas a value may be described by: the schema itself, its `allOf` members, and the
 * branches of `anyOf`/`oneOf`, `$ref`s resolved, recursively (bounded).
 */
function branches(document: OpenAPIDocument, raw: unknown, depth = 0): JsonObject[] {
  const schema = resolveRef(document, raw);
  if (!isObject(schema) || depth > MAX_DEPTH) return [];
  const out = [schema];
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) out.push(...branches(document, s, depth + 1));
  }
  return out;
}

/** The schema of property `name` in `raw`, or undefined when no branch declares it. */
export function propertySchema(document: OpenAPIDocument, raw: unknown, name: string): unknown {
  for (const s of branches(document, raw)) {
    if (isObject(s.properties) && name in s.properties) return s.properties[name];
  }
  return undefined;
}

/** Whether `raw` describes an array (`type: array` or a type list holding `array`). */
export function isArraySchema(document: OpenAPIDocument, raw: unknown): boolean {
  return branches(document, raw).some(
    (s) => s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array')) || 'items' in s,
  );
}

/** The `items` schema of an array schema, or undefined. */
export function itemsSchema(document: OpenAPIDocument, raw: unknown): unknown {
  for (const s of branches(document, raw)) if (s.items !== undefined) return s.items;
  return undefined;
}

/** The media types of an operation's request body with their schemas (`$ref`s resolved). */
export function requestBodySchemas(
  document: OpenAPIDocument,
  op: OperationRef,
): { mediaType: string; schema: unknown }[] | undefined {
  const body = resolveRef(document, op.operation.requestBody);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  return Object.entries(body.content).map(([mediaType, media]) => ({
    mediaType,
    schema: isObject(media) ? media.schema : undefined,
  }));
}

/** The JSON schema of the operation's first documented 2xx response, or undefined. */
export function successSchema(
  document: OpenAPIDocument,
  op: OperationRef,
): { status: string; schema: unknown } | undefined {
  const responses = resolveRef(document, op.operation.responses);
  if (!isObject(responses)) return undefined;
  const status = Object.keys(responses)
    .filter((k) => /^2\d\d$/.test(k))
    .sort()[0];
  if (status === undefined) return undefined;
  const response = resolveRef(document, responses[status]);
  if (!isObject(response) || !isObject(response.content)) return undefined;
  for (const [mediaType, media] of Object.entries(response.content)) {
    const base = mediaType.split(';')[0]!.trim().toLowerCase();
    if ((base === 'application/json' || base.endsWith('+json')) && isObject(media)) {
      return { status, schema: media.schema };
    }
  }
  return undefined;
}

/**
 * Follows a JSON pointer through a schema's object properties. Returns the schema reached, or the
 * first token no branch declares.
 */
export function schemaAtPointer(
  document: OpenAPIDocument,
  schema: unknown,
  ptr: string,
): { schema: unknown } | { missing: string } {
  let current = schema;
  for (const raw of ptr.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const next = propertySchema(document, current, token);
    if (next !== undefined) {
      current = next;
      continue;
    }
    return { missing: token };
  }
  return { schema: current };
}
