/**
 * @module spec — loads an OpenAPI 3.x document (YAML or JSON) and reduces it to the operations the
 * suite plans from: method, path template, parameters, request body and the contract extensions
 * `x-required-scopes`, `x-scope-filter` and `x-user-owned` (shared/design.md).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { HarnessError } from './errors.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `x-scope-filter` of a list operation: items are filtered by per-resource scopes. */
export interface ScopeFilter {
  resource: string;
  action: string;
  /** Item property that holds the resource id. */
  id: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Record<string, unknown> | undefined;
  example: unknown;
}

export interface RequestBody {
  required: boolean;
  /** Media types in document order. */
  contentTypes: string[];
  /** Example for the first JSON (or form) media type, if the document has one. */
  example: unknown;
  schema: Record<string, unknown> | undefined;
}

/** One operation of the document, with the contract extensions already read. */
export interface Operation {
  operationId: string;
  method: string;
  path: string;
  tags: string[];
  /** `x-required-scopes`; `[]` means public; `undefined` means the document omits it. */
  requiredScopes: string[] | undefined;
  scopeFilter: ScopeFilter | undefined;
  userOwned: boolean;
  parameters: Parameter[];
  requestBody: RequestBody | undefined;
  /** Response status codes the document declares. */
  responses: string[];
  /** First JSON example of the first 2xx response, used to learn item shapes. */
  responseExample: unknown;
  /** Every `x-*` key of the operation as written (x-contains, x-body-scopes, x-scope-target …). */
  extensions: Record<string, unknown>;
}

export interface ApiSpec {
  title: string;
  version: string;
  operations: Operation[];
  /** The raw document (for `$ref` lookups by callers that need more). */
  document: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolveRef(doc: Obj, value: unknown, seen = new Set<string>()): unknown {
  if (!isObj(value) || typeof value.$ref !== 'string') return value;
  const ref = value.$ref;
  if (!ref.startsWith('#/'))
    throw new HarnessError('ERR_SPEC', `external $ref "${ref}" is not supported; bundle the document first`);
  if (seen.has(ref)) return {};
  seen.add(ref);
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isObj(cur) ? cur[key] : undefined;
    if (cur === undefined) throw new HarnessError('ERR_SPEC', `unresolved $ref "${ref}"`);
  }
  return resolveRef(doc, cur, seen);
}

function firstExample(doc: Obj, media: Obj | undefined): unknown {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  if (isObj(media.examples)) {
    for (const ex of Object.values(media.examples)) {
      const r = resolveRef(doc, ex);
      if (isObj(r) && r.value !== undefined) return r.value;
    }
  }
  const schema = resolveRef(doc, media.schema);
  if (isObj(schema)) {
    if (schema.example !== undefined) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  }
  return undefined;
}

/**
 * Reduces a parsed OpenAPI document to the operations the suite needs.
 * @throws {HarnessError} `ERR_SPEC` when the document has no `paths` or an unresolved `$ref`.
 */
export function readSpec(document: unknown): ApiSpec {
  if (!isObj(document) || !isObj(document.paths)) {
    throw new HarnessError('ERR_SPEC', 'the document has no "paths" object; is it an OpenAPI 3.x document?');
  }
  const doc = document;
  const info = isObj(doc.info) ? doc.info : {};
  const operations: Operation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths as Obj)) {
    const item = resolveRef(doc, rawItem);
    if (!isObj(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const params = new Map<string, Parameter>();
      for (const p of [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const r = resolveRef(doc, p);
        if (!isObj(r) || typeof r.name !== 'string') continue;
        const schema = resolveRef(doc, r.schema);
        params.set(`${r.in}:${r.name}`, {
          name: r.name,
          in: r.in as Parameter['in'],
          required: r.required === true || r.in === 'path',
          schema: isObj(schema) ? schema : undefined,
          example:
            r.example ??
            (isObj(schema)
              ? (schema.example ?? (Array.isArray(schema.examples) ? schema.examples[0] : undefined))
              : undefined),
        });
      }
      let requestBody: RequestBody | undefined;
      const rb = resolveRef(doc, op.requestBody);
      if (isObj(rb) && isObj(rb.content)) {
        const contentTypes = Object.keys(rb.content);
        const preferred = contentTypes.find((c) => c.includes('json')) ?? contentTypes[0];
        const media = preferred ? resolveRef(doc, (rb.content as Obj)[preferred]) : undefined;
        const schema = isObj(media) ? resolveRef(doc, media.schema) : undefined;
        requestBody = {
          required: rb.required === true,
          contentTypes,
          example: isObj(media) ? firstExample(doc, media) : undefined,
          schema: isObj(schema) ? schema : undefined,
        };
      }
      const responses = isObj(op.responses) ? Object.keys(op.responses) : [];
      let responseExample: unknown;
      for (const code of responses) {
        if (!code.startsWith('2')) continue;
        const resp = resolveRef(doc, (op.responses as Obj)[code]);
        if (isObj(resp) && isObj(resp.content)) {
          const json = Object.entries(resp.content).find(([ct]) => ct.includes('json'));
          if (json) responseExample = firstExample(doc, resolveRef(doc, json[1]) as Obj);
        }
        break;
      }
      const sf = op['x-scope-filter'];
      const rs = op['x-required-scopes'];
      operations.push({
        operationId: typeof op.operationId === 'string' ? op.operationId : `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        tags: Array.isArray(op.tags) ? op.tags.map(String) : [],
        requiredScopes: Array.isArray(rs) ? rs.map(String) : undefined,
        scopeFilter:
          isObj(sf) && typeof sf.resource === 'string' && typeof sf.action === 'string'
            ? { resource: sf.resource, action: sf.action, id: typeof sf.id === 'string' ? sf.id : 'id' }
            : undefined,
        userOwned: op['x-user-owned'] === true,
        parameters: [...params.values()],
        requestBody,
        responses,
        responseExample,
        extensions: Object.fromEntries(Object.entries(op).filter(([k]) => k.startsWith('x-'))),
      });
    }
  }
  return { title: String(info.title ?? ''), version: String(info.version ?? ''), operations, document: doc };
}

/**
 * Reads and parses an OpenAPI document from a file (YAML or JSON).
 * @throws {HarnessError} `ERR_SPEC` when the file is missing or does not parse.
 */
export async function loadSpec(file: string): Promise<ApiSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new HarnessError('ERR_SPEC', `cannot read the spec "${file}": ${(cause as Error).message}`, {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: -1 });
  } catch (cause) {
    throw new HarnessError('ERR_SPEC', `cannot parse the spec "${file}": ${(cause as Error).message}`, {
      cause,
    });
  }
  return readSpec(parsed);
}

/** Path parameter names in template order: `/a/{x}/b/{y}` → `['x', 'y']`. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/** Renders a path template with raw (already encoded or deliberately unencoded) values. */
export function renderPath(path: string, values: Record<string, string>, encode = true): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values[name] ?? `conformance-${name}`;
    return encode ? encodeURIComponent(v) : v;
  });
}
