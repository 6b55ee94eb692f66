/**
 * @module Runtime of the generated Express router (`@agentos/runtime/express`): the generated `server.ts` holds
 * the tables and types and imports this versioned module; nothing is copied.
 *
 * Request path: `options.auth` (sets `req.auth` and `req.agentos`, or answers 401/403/404) →
 * body parsers → express-openapi-validator (validation and coercion only) → the handler of the
 * operation the auth middleware resolved → the handler's result written as JSON, no body, or SSE.
 *
 * Dispatch never uses Express path matching: it reads `req.agentos.route`, the match the auth
 * middleware made with `compileRoutes` over the generated table, so auth and dispatch cannot
 * disagree. The validator is made to see the same operation too: each operation has its own
 * validator, built on the operation's first request from a document holding only that operation
 * (and the components it reaches), chosen by `req.agentos.route`. While it runs, the request URL
 * is the operation's template filled with the decoded path parameters, each re-encoded with
 * `encodeURIComponent`, so the validator matches (and decodes) exactly what dispatch decided,
 * whatever spelling the client used (`/%73essions` is `/sessions`). A validator that does not
 * match its own operation fails the request closed (500), never skips validation.
 *
 * Why one validator per operation: express-openapi-validator scans every path of its document on
 * every request, compiling a path-to-regexp matcher for each (there is no cache), so one validator
 * over the whole document costs time in proportion to the number of operations. A validator whose
 * document has one path does the same scan over one entry.
 */

import type { IncomingHttpHeaders } from 'node:http';
import {
  type CallerContext,
  type CompiledRoute,
  compileRoutes,
  filterResponse,
  type RouteIndex,
  type RouteSpec,
} from '@agentos/core';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { allowHeader, HttpError, hasNoBody, type ResponseHeaders, toErrorResponse } from './http.js';

export { allowHeader, HttpError, hasNoBody, type ResponseHeaders, toErrorResponse } from './http.js';

/**
 * What the auth middleware sets on the request before the router dispatches. The server declares
 * these on Express's `Request` (by augmentation); this module reads them without declaring them,
 * so the two declarations can never conflict.
 */
export interface AgentosRequestState {
  /** Who calls. */
  auth?: CallerContext | undefined;
  /** The operation the request resolved to: `compileRoutes(routes).match(method, path)`. */
  agentos?: { readonly route: CompiledRoute; readonly params: Readonly<Record<string, string>> } | undefined;
}

const stateOf = (req: Request) => req as unknown as AgentosRequestState;

/** One Server-Sent Event; `data` is sent as JSON. */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
  readonly id?: string;
}

/** What every handler receives besides its typed path, query and body. */
export interface HandlerContext {
  /** The caller, as the auth middleware decided (`req.auth`). */
  readonly caller: CallerContext;
  readonly headers: IncomingHttpHeaders;
  /** Escape hatches: a handler that writes `res` itself must not return a result. */
  readonly req: Request;
  readonly res: Response;
}

/** What the router writes: JSON (or another content type) with a status, no body, or an SSE stream. */
export type AnyHandlerResult =
  | {
      readonly status: number;
      readonly body?: unknown;
      readonly contentType?: string;
      readonly headers?: ResponseHeaders;
    }
  | { readonly status: number; readonly sse: AsyncIterable<SseEvent>; readonly headers?: ResponseHeaders };

// biome-ignore lint/suspicious/noExplicitAny: each generated handler takes its own request type.
type AnyHandler = (request: any) => unknown;

export interface RouterOptions {
  /**
   * The route index the auth middleware matched with (`compileRoutes(routes, { adminScope })`): one
   * index per server, so auth and dispatch cannot disagree. Default: compiled here from the table
   * with `adminScope`.
   */
  readonly index?: RouteIndex | undefined;
  /** The admin scope the default index is compiled with. Default `agent_os:admin`. */
  readonly adminScope?: string | undefined;
  /** List OPTIONS in the `Allow` of a 405 (the server answers preflights with CORS). Default false. */
  readonly allowOptions?: boolean | undefined;
  /**
   * The auth middleware. It must set `req.auth` (a `CallerContext`) and
   * `req.agentos = { route, params }` from `compileRoutes(routes).match(...)`, or answer itself
   * (401, 403, 404). A documented operation it lets through without both is answered 500.
   */
  readonly auth: RequestHandler;
  /** Validate every JSON answer against the document (a mismatch answers 500). Default false; tests turn it on. */
  readonly validateResponses?: boolean;
  /** Largest accepted upload per file, in bytes. Default 10 MiB. */
  readonly maxUploadBytes?: number;
  /** Accept query parameters the document does not declare, as the Python AgentOS does. Default true. */
  readonly allowUnknownQueryParameters?: boolean;
  /** Largest accepted JSON or form body. Default `1mb`. */
  readonly bodyLimit?: string | number;
  /** Called with every error answered 500 (default: `console.error`). */
  readonly onError?: (error: unknown, req: Request) => void;
}

/** What the generated `server.ts` passes in. */
export interface RouterTable {
  readonly routes: readonly RouteSpec[];
  /** operationId → path parameter → type its decoded value is coerced to (strings are left alone). */
  readonly pathParamTypes: Readonly<
    Record<string, Readonly<Record<string, 'integer' | 'number' | 'boolean'>>>
  >;
  /** The OpenAPI document (bundled; only local `$ref`s). Not modified. */
  readonly apiSpec: unknown;
  /**
   * operationIds mounted only with a feature (`x-agentos-feature`). Their handlers are optional: an
   * operation without one is left out of the router, which then answers it like an unknown path (404).
   */
  readonly optionalOperations?: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const isArrayType = (schema: unknown): boolean =>
  isObject(schema) &&
  (schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array')));

/** `#/components/<kind>/<name>[/…]` → `[kind, name]` (JSON Pointer and URI fragment unescaped). */
function componentOf(ref: string): [string, string] | undefined {
  if (!ref.startsWith('#/components/')) return undefined;
  const [kind, name] = ref
    .slice('#/components/'.length)
    .split('/')
    .map((token) => {
      let t = token;
      try {
        t = decodeURIComponent(t);
      } catch {
        // not percent-encoded: keep it as written
      }
      return t.replaceAll('~1', '/').replaceAll('~0', '~');
    });
  return kind && name ? [kind, name] : undefined;
}

/**
 * The components `root` reaches through `$ref`s (transitively) and discriminator mappings, so the
 * validator of one operation does not load (and compile against) the schemas of all the others.
 * Security schemes are always kept (the validator reads them for API keys sent in the query).
 */
function reachableComponents(components: unknown, root: unknown): Json {
  if (!isObject(components)) return {};
  const kept: Record<string, Json> = {};
  if (isObject(components.securitySchemes)) kept.securitySchemes = components.securitySchemes;
  const pending: unknown[] = [root];
  const seen = new Set<object>();
  const reach = (ref: string) => {
    const at = componentOf(ref);
    if (!at) return;
    const [kind, name] = at;
    const group = components[kind];
    if (!isObject(group) || !Object.hasOwn(group, name)) return;
    const into = kept[kind] ?? {};
    kept[kind] = into;
    if (Object.hasOwn(into, name)) return;
    into[name] = group[name];
    pending.push(group[name]);
  };
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string') {
        if (key === '$ref' || v.startsWith('#/components/')) reach(v);
      } else if (key === 'mapping' && isObject(v)) {
        // Discriminator mapping: a reference, or the bare name of a schema.
        for (const target of Object.values(v)) {
          if (typeof target !== 'string') continue;
          reach(target.startsWith('#') ? target : `#/components/schemas/${target}`);
        }
      } else {
        pending.push(v);
      }
    }
  }
  return kept;
}

/** What the validator of one operation needs; its document is built on the operation's first request. */
interface OperationPlan {
  readonly route: RouteSpec;
  /** The template: literal segments, and `{ param }` for each path parameter. */
  readonly segments: readonly (string | { readonly param: string })[];
  /** Whether the operation takes a multipart body (only then does its validator run multer). */
  readonly multipart: boolean;
  /** Properties of the multipart body declared as arrays: a single part is made a one-item array. */
  readonly arrayFields: ReadonlySet<string>;
  /** The document of this operation's validator: its path only, servers at `/`, the components it reaches. */
  readonly document: () => Json;
}

/**
 * Checks that the document has every operation of the table and prepares the validator of each.
 * @throws {TypeError} when the document lacks `paths` or one of the operations
 */
function planOperations(apiSpec: unknown, routes: readonly RouteSpec[]): OperationPlan[] {
  if (!isObject(apiSpec) || !isObject(apiSpec.paths))
    throw new TypeError('createRouter: apiSpec has no "paths"');
  // Read only: no copy of the whole document is kept (it is hundreds of kB of objects); each
  // operation's document is a private copy of its part, made on its first request.
  const doc = apiSpec;
  const resolveIn = (root: Json, value: unknown): unknown => {
    let v = value;
    for (let i = 0; i < 16 && isObject(v) && typeof v.$ref === 'string' && v.$ref.startsWith('#/'); i++) {
      v = v.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>(
          (o, k) => (isObject(o) ? o[k.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined),
          root,
        );
    }
    return v;
  };
  const resolve = (value: unknown): unknown => resolveIn(doc, value);
  // Accept unencoded reserved characters in query values (`?start_time=2026-11-01T10:00:00Z`,
  // `eval_types=a,b`), as the Python AgentOS does; the validator refuses them unless
  // `allowReserved` is set. The copy given to the validator changes, not the published document.
  const tolerateReserved = (root: Json, list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      const param = resolveIn(root, p);
      if (isObject(param) && param.in === 'query') param.allowReserved = true;
    }
  };
  const bodyContent = (operation: Json): Json => {
    const body = resolve(operation.requestBody);
    return isObject(body) && isObject(body.content) ? body.content : {};
  };
  const multipartArrayFields = (operation: Json): Set<string> => {
    const fields = new Set<string>();
    const media = resolve(bodyContent(operation)['multipart/form-data']);
    const visit = (schema: unknown, depth: number) => {
      const s = resolve(schema);
      if (!isObject(s) || depth > 8) return;
      if (isObject(s.properties)) {
        for (const [name, prop] of Object.entries(s.properties))
          if (isArrayType(resolve(prop))) fields.add(name);
      }
      if (Array.isArray(s.allOf)) for (const part of s.allOf) visit(part, depth + 1);
    };
    if (isObject(media)) visit(media.schema, 0);
    return fields;
  };
  const { paths: source, webhooks: _webhooks, tags: _tags, components, ...top } = doc;
  return routes.map((route): OperationPlan => {
    const item = resolve((source as Json)[route.path]);
    const method = route.method.toLowerCase();
    if (!isObject(item) || !isObject(item[method])) {
      throw new TypeError(
        `createRouter: apiSpec has no ${route.method} ${route.path} (${route.operationId})`,
      );
    }
    const operation = item[method] as Json;
    const shared = Array.isArray(item.parameters) ? item.parameters : undefined;
    return {
      route,
      segments: (route.path === '/' ? [] : route.path.replace(/^\//, '').split('/')).map((seg) => {
        // The same template syntax as compileRoutes: a whole segment `{name}` is a parameter.
        const m = /^\{(.+)\}$/.exec(seg);
        return m ? { param: m[1]! } : seg;
      }),
      multipart: Object.keys(bodyContent(operation)).some((type) => /^multipart\//i.test(type)),
      arrayFields: multipartArrayFields(operation),
      document: (): Json => {
        const pathItem: Json = { ...(shared ? { parameters: shared } : {}), [method]: operation };
        // One private deep copy: the validator completes (changes) the document it is given.
        const own = structuredClone({
          ...top,
          servers: [{ url: '/' }],
          paths: { [route.path]: pathItem },
          components: reachableComponents(components, pathItem),
        }) as Json;
        const ownItem = (own.paths as Json)[route.path] as Json;
        tolerateReserved(own, ownItem.parameters);
        tolerateReserved(own, (ownItem[method] as Json).parameters);
        // HEAD is answered by the GET operation (compileRoutes), so it is validated as one.
        if (method === 'get' && !isObject(item.head)) ownItem.head = structuredClone(ownItem.get);
        return own;
      },
    };
  });
}

/**
 * The path the validator of an operation sees: its template filled with the decoded parameters,
 * each encoded with `encodeURIComponent` (the validator decodes them back, once). Undefined when a
 * parameter is missing, empty or cannot be encoded (a lone surrogate).
 */
function canonicalPath(
  segments: OperationPlan['segments'],
  params: Readonly<Record<string, string>>,
): string | undefined {
  let path = '';
  for (const seg of segments) {
    if (typeof seg === 'string') {
      path += `/${seg}`;
      continue;
    }
    const value = params[seg.param];
    if (typeof value !== 'string' || value.length === 0) return undefined;
    try {
      path += `/${encodeURIComponent(value)}`;
    } catch {
      return undefined;
    }
  }
  return path === '' ? '/' : path;
}

/**
 * express-openapi-validator gives the body a `''` placeholder per file part, so one file for a
 * property declared `type: array` fails as "must be array" (two or more are an array). Make it an
 * array of one, as for two.
 */
function fileArraysNormaliser(fields: ReadonlySet<string>): RequestHandler {
  return function agentosFileArrays(req: Request, _res: Response, next: NextFunction) {
    const files = (req as { files?: unknown }).files;
    const body: unknown = req.body;
    if (Array.isArray(files) && isObject(body)) {
      for (const file of files as { fieldname?: unknown }[]) {
        const name = file?.fieldname;
        if (
          typeof name === 'string' &&
          fields.has(name) &&
          Object.hasOwn(body, name) &&
          !Array.isArray(body[name])
        )
          body[name] = [body[name]];
      }
    }
    next();
  };
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A decoded path parameter as its declared type, or undefined when it is not one. Stricter than
 * the validator's coercion (Ajv reads `" "` as the integer 0): surrounding spaces are ignored, as
 * FastAPI does, but the rest must be a number written in decimal.
 */
function coerce(value: string, type: 'integer' | 'number' | 'boolean'): unknown {
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : undefined;
  const text = value.trim();
  if (!(type === 'integer' ? INTEGER : NUMBER).test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && (type === 'number' || Number.isSafeInteger(n)) ? n : undefined;
}

function sendJson(res: Response, status: number, body: unknown, headers?: ResponseHeaders): void {
  if (headers) res.set(headers as Record<string, string | string[]>);
  res.status(status).json(body);
}

function writeFrame(res: Response, event: SseEvent): void {
  let frame = '';
  if (event.id !== undefined) frame += `id: ${String(event.id).replace(/[\r\n]/g, '')}\n`;
  frame += `event: ${String(event.event).replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(event.data ?? null)}\n\n`;
  res.write(frame);
}

/**
 * Builds the router of a generated `server.ts`. Use the generated `createRouter(handlers, options)`.
 * @throws {TypeError} at construction when a handler is missing or `options.auth` is not a function
 */
export function createAgentosRouter(handlers: object, table: RouterTable, options: RouterOptions): Router {
  if (typeof options?.auth !== 'function') {
    throw new TypeError(
      'createRouter: options.auth must be an Express middleware that sets req.auth and req.agentos (see @agentos/runtime/express)',
    );
  }
  const byId = handlers as Readonly<Record<string, AnyHandler | undefined>>;
  const optional = new Set(table.optionalOperations ?? []);
  const served = (id: string) => typeof byId[id] === 'function';
  const missing = table.routes.map((r) => r.operationId).filter((id) => !served(id) && !optional.has(id));
  if (missing.length > 0) throw new TypeError(`createRouter: no handler for ${missing.join(', ')}`);
  // A feature operation without a handler is not mounted: it is matched like any unknown path (404),
  // as an AgentOS without that feature answers. The auth middleware still runs first on it.
  const mounted = table.routes.filter((r) => served(r.operationId));
  const unmounted = new Set(table.routes.filter((r) => !served(r.operationId)).map((r) => r.operationId));

  // The shared index holds every operation of the table (the auth middleware matched with it);
  // only the mounted ones get a slot, a validator plan and a handler.
  const index = options.index ?? compileRoutes(table.routes, { adminScope: options.adminScope });
  for (const r of table.routes) {
    if (index.byOperationId(r.operationId)?.spec.path !== r.path) {
      throw new TypeError(
        `createRouter: options.index does not hold ${r.operationId} (${r.method} ${r.path})`,
      );
    }
  }
  const slot = new Map(mounted.map((r, n) => [r.operationId, n]));
  const plans = planOperations(table.apiSpec, mounted);
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const limit = options.bodyLimit ?? '1mb';

  /** The validator middlewares of each operation, by slot; built on the operation's first request. */
  const validators: (readonly RequestHandler[] | undefined)[] = new Array(plans.length);
  // A fresh object per validator: express-openapi-validator completes the options it is given.
  const validatorOptions = (plan: OperationPlan) => ({
    apiSpec: plan.document() as never,
    validateRequests: {
      allowUnknownQueryParameters: options.allowUnknownQueryParameters ?? true,
      coerceTypes: true,
    },
    validateResponses: options.validateResponses ? { removeAdditional: false, coerceTypes: false } : false,
    validateSecurity: false,
    // The document was checked once (and bundled) when generated; each operation's part of it
    // need not be checked against the OpenAPI schema again on its first request.
    validateApiSpec: false,
    ignoreUndocumented: true,
    useRequestUrl: true,
    // Uploads are held in memory: bound them (multer answers 413 beyond). Multer (and the ajv
    // instance the validator makes for it) only where a multipart body is declared: anywhere
    // else it would let the request through untouched.
    fileUploader: plan.multipart
      ? { limits: { fileSize: options.maxUploadBytes ?? 10 * 1024 * 1024, files: 20 } }
      : (false as const),
  });
  const validatorOf = (n: number): readonly RequestHandler[] => {
    const built = validators[n];
    if (built) return built;
    const plan = plans[n]!;
    const chain = OpenApiValidator.middleware(validatorOptions(plan)) as unknown as RequestHandler[];
    if (plan.arrayFields.size > 0) {
      // After multer has filled the body, before the body is validated.
      const at = chain.findIndex((mw) => mw.name === 'requestMiddleware');
      if (at === -1) throw new Error('express-openapi-validator: no request validation middleware');
      chain.splice(at, 0, fileArraysNormaliser(plan.arrayFields));
    }
    validators[n] = chain;
    return chain;
  };

  const router = Router();

  router.use(options.auth);

  router.use(function agentosResolve(req: Request, res: Response, next: NextFunction) {
    const { auth, agentos } = stateOf(req);
    if (auth && agentos && slot.has(agentos.route.spec.operationId)) return next();
    // The auth middleware decided on a feature operation this router does not serve (no handler):
    // after that decision (401/403 stay the middleware's), it is not found, whatever else the path
    // could match here.
    if (auth && agentos && unmounted.has(agentos.route.spec.operationId)) {
      return next(new HttpError(404, 'Not Found'));
    }
    const match = index.match(req.method, req.path);
    if (match.kind !== 'found') return next(notFoundError(match, options));
    if (unmounted.has(match.route.spec.operationId)) return next(new HttpError(404, 'Not Found'));
    // A documented operation reached dispatch without a decision: fail closed.
    next(
      new Error(
        `options.auth let ${match.route.spec.operationId} through without setting req.auth and req.agentos`,
      ),
    );
  });

  router.use(express.json({ limit, type: ['application/json', 'application/*+json'] }));
  router.use(express.urlencoded({ extended: false, limit }));
  router.use(express.text({ limit, type: 'text/plain' }));

  router.use(function agentosValidate(req: Request, res: Response, next: NextFunction) {
    const { route, params } = stateOf(req).agentos!;
    const n = slot.get(route.spec.operationId)!;
    const path = canonicalPath(plans[n]!.segments, params);
    if (path === undefined) {
      return next(new Error(`req.agentos.params do not fill the path of ${route.spec.operationId}`));
    }
    let chain: readonly RequestHandler[];
    try {
      chain = validatorOf(n);
    } catch (error) {
      return next(error);
    }
    const url = req.url;
    const q = url.indexOf('?');
    req.url = q === -1 ? path : path + url.slice(q);
    const finish = (error?: unknown) => {
      req.url = url;
      if (error) return next(error);
      // The validator found no operation at `path`: it validated nothing. Fail closed.
      if (!(req as { openapi?: unknown }).openapi) {
        return next(new Error(`the validator of ${route.spec.operationId} does not match ${path}`));
      }
      next();
    };
    const run = (i: number): void => {
      if (i === chain.length) {
        finish();
        return;
      }
      let called = false;
      const step = (error?: unknown) => {
        if (called) {
          // A second call: the response validator reports a mismatch when the handler's answer
          // is written (it calls the `next` it was given then). Express's `next` goes on from the
          // dispatch, to the error handler.
          if (error) next(error);
          return;
        }
        called = true;
        if (error) finish(error);
        else run(i + 1);
      };
      try {
        chain[i]!(req, res, step);
      } catch (error) {
        step(error ?? new Error('express-openapi-validator threw'));
      }
    };
    run(0);
  });

  router.use(async function agentosDispatch(req: Request, res: Response, next: NextFunction) {
    const { auth, agentos } = stateOf(req);
    const { route, params } = agentos!;
    const id = route.spec.operationId;
    const types = table.pathParamTypes[id];
    const path: Record<string, unknown> = { ...params };
    for (const [name, type] of Object.entries(types ?? {})) {
      if (params[name] === undefined) continue;
      const value = coerce(params[name], type);
      if (value === undefined) {
        return sendJson(res, 422, {
          detail: [{ loc: ['path', name], msg: `must be ${type}`, type: 'type_error' }],
        });
      }
      path[name] = value;
    }
    let result: AnyHandlerResult | undefined;
    try {
      result = (await byId[id]!.call(handlers, {
        path,
        query: req.query ?? {},
        body: req.body,
        headers: req.headers,
        caller: auth!,
        req,
        res,
      })) as AnyHandlerResult | undefined;
    } catch (error) {
      return next(error);
    }
    if (res.headersSent) return;
    if (!result || typeof result.status !== 'number') {
      return next(new Error(`handler ${id} returned no { status } result`));
    }
    if (result.headers) res.set(result.headers as Record<string, string | string[]>);
    if ('sse' in result) return streamSse(req, res, result.status, result.sse);
    if (result.body === undefined) return void res.status(result.status).end();
    // contract.md §3, once for every operation from the table: `x-scope-filter` lists and
    // `x-nested-filters` arrays keep only what the caller may see (handlers answer everything).
    const body =
      result.status < 300
        ? filterResponse(result.body, route.spec, auth!.accessibleIds, auth!.grants)
        : result.body;
    if (result.contentType && !/json/i.test(result.contentType)) {
      return void res.status(result.status).type(result.contentType).send(body);
    }
    if (result.contentType) res.type(result.contentType);
    res.status(result.status).json(body);
  });

  async function streamSse(req: Request, res: Response, status: number, events: AsyncIterable<SseEvent>) {
    res.status(status);
    // setHeader, not res.set: Express would append `; charset=utf-8` to the media type.
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    const iterator = events[Symbol.asyncIterator]();
    let closed = false;
    res.on('close', () => {
      closed = true;
      // The client went away: let the producer clean up.
      void iterator.return?.();
    });
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done || closed) break;
        writeFrame(res, step.value);
      }
    } catch (error) {
      onError(error, req);
      if (!closed) writeFrame(res, { event: 'error', data: { detail: 'Internal server error' } });
    }
    if (!closed) res.end();
  }

  router.use(createErrorHandler({ onError }));

  return router;
}

/** The 404, or the 405 with its `Allow`, of a request no operation takes. */
function notFoundError(
  match: Exclude<ReturnType<RouteIndex['match']>, { kind: 'found' }>,
  options: { readonly allowOptions?: boolean | undefined },
): HttpError {
  return match.kind === 'method-not-allowed'
    ? new HttpError(405, 'Method Not Allowed', {
        headers: { Allow: allowHeader(match.allowed, { options: options.allowOptions }) },
      })
    : new HttpError(404, 'Not Found');
}

/**
 * The one 404/405 answer of a server: mount it after every route. It renders through the error
 * handler, so the answer is the router's own.
 * @param index the server's route index (405 when the path exists with other methods)
 */
export function createNotFoundHandler(
  index: RouteIndex,
  options: { readonly allowOptions?: boolean | undefined } = {},
): RequestHandler {
  return function agentosNotFound(req: Request, _res: Response, next: NextFunction) {
    const match = index.match(req.method, req.path);
    next(notFoundError(match.kind === 'found' ? { kind: 'not-found' } : match, options));
  };
}

/**
 * The one error handler: every error becomes `toErrorResponse`'s `{ detail }` answer; server
 * faults go to `onError` (default `console.error`).
 */
export function createErrorHandler(
  options: { readonly onError?: ((error: unknown, req: Request) => void) | undefined } = {},
) {
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  return function agentosErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) {
      next(error);
      return;
    }
    const r = toErrorResponse(error, { bodyless: hasNoBody(req.headers) });
    if (r.log) onError(error, req);
    sendJson(res, r.status, r.body, r.headers);
  };
}
