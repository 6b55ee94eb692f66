/**
 * @module Runtime of the generated Express router, copied next to `server.ts` by agentos-gen.
 *
 * Request path: `options.auth` (sets `req.auth` and `req.agentos`, or answers 401/403/404) →
 * body parsers → express-openapi-validator (validation and coercion only) → the handler of the
 * operation the auth middleware resolved → the handler's result written as JSON, no body, or SSE.
 *
 * Dispatch never uses Express path matching: it reads `req.agentos.route`, the match the auth
 * middleware made with `compileRoutes` over the generated table, so auth and dispatch cannot
 * disagree. The validator is made to see the same operation too: each operation gets its own
 * path (`/_op<n>` + its template) in the document given to it, and the request URL is rewritten
 * to that path while it runs.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { type CallerContext, type CompiledRoute, compileRoutes, type RouteSpec } from '@agentos/core';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express';
import * as OpenApiValidator from 'express-openapi-validator';

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

/** Extra response headers a handler may set. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[]>>;

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

/** An error a handler throws to answer `{ detail }` with its status (RFC 9110 status codes). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly detail: unknown;
  readonly headers: ResponseHeaders | undefined;

  constructor(status: number, detail: unknown, options?: { headers?: ResponseHeaders; cause?: unknown }) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`, { cause: options?.cause });
    this.status = status;
    this.detail = detail;
    this.headers = options?.headers;
  }
}

export interface RouterOptions {
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
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document the validator sees: one path per operation, `/_op<n>` + template, servers at `/`. */
function validatorDocument(apiSpec: unknown, routes: readonly RouteSpec[]): Json {
  if (!isObject(apiSpec) || !isObject(apiSpec.paths))
    throw new TypeError('createRouter: apiSpec has no "paths"');
  const doc = structuredClone(apiSpec);
  const source = doc.paths as Json;
  const resolve = (value: unknown): unknown => {
    let v = value;
    for (let i = 0; i < 16 && isObject(v) && typeof v.$ref === 'string' && v.$ref.startsWith('#/'); i++) {
      v = v.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>(
          (o, k) => (isObject(o) ? o[k.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined),
          doc,
        );
    }
    return v;
  };
  // Accept unencoded reserved characters in query values (`?start_time=2026-11-01T10:00:00Z`,
  // `eval_types=a,b`), as the Python AgentOS does; the validator refuses them unless
  // `allowReserved` is set. The copy given to the validator changes, not the published document.
  const tolerateReserved = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      const param = resolve(p);
      if (isObject(param) && param.in === 'query') param.allowReserved = true;
    }
  };
  const paths: Json = {};
  routes.forEach((route, n) => {
    const item = resolve(source[route.path]);
    const method = route.method.toLowerCase();
    if (!isObject(item) || !isObject(item[method])) {
      throw new TypeError(
        `createRouter: apiSpec has no ${route.method} ${route.path} (${route.operationId})`,
      );
    }
    tolerateReserved(item.parameters);
    tolerateReserved((item[method] as Json).parameters);
    paths[`/_op${n}${route.path === '/' ? '' : route.path}`] = {
      ...(item.parameters ? { parameters: item.parameters } : {}),
      [method]: item[method],
    };
  });
  doc.paths = paths;
  doc.servers = [{ url: '/' }];
  return doc;
}

function coerce(value: string, type: 'integer' | 'number' | 'boolean'): unknown {
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

const LOCATIONS: Readonly<Record<string, string>> = { params: 'path', headers: 'header', cookies: 'cookie' };

/** `/body/items/0/name` → `['body', 'items', 0, 'name']` (FastAPI's `loc`). */
function toLoc(path: unknown): (string | number)[] {
  if (typeof path !== 'string') return [];
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s, i) => {
      if (/^\d+$/.test(s)) return Number(s);
      const token = s.replaceAll('~1', '/').replaceAll('~0', '~');
      // express-openapi-validator says `params`, `headers`, `cookies`; FastAPI says `path`, `header`, `cookie`.
      return i === 0 ? (LOCATIONS[token] ?? token) : token;
    });
}

/** `required.openapi.validation` → `missing`, `type.openapi.validation` → `type_error`, … */
function toType(errorCode: unknown): string {
  const keyword = typeof errorCode === 'string' ? errorCode.split('.')[0]! : 'invalid';
  return (
    (({ required: 'missing', type: 'type_error', additionalProperties: 'extra_forbidden' } as Json)[
      keyword
    ] as string | undefined) ?? keyword
  );
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
      'createRouter: options.auth must be an Express middleware that sets req.auth and req.agentos (see server-runtime.ts)',
    );
  }
  const byId = handlers as Readonly<Record<string, AnyHandler | undefined>>;
  const missing = table.routes.map((r) => r.operationId).filter((id) => typeof byId[id] !== 'function');
  if (missing.length > 0) throw new TypeError(`createRouter: no handler for ${missing.join(', ')}`);

  const index = compileRoutes(table.routes);
  const slot = new Map(table.routes.map((r, n) => [r.operationId, n]));
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const limit = options.bodyLimit ?? '1mb';
  const originalUrl = Symbol('agentos.url');
  type Rewritable = Request & { [originalUrl]?: string };

  const router = Router();

  router.use(options.auth);

  router.use(function agentosResolve(req: Request, res: Response, next: NextFunction) {
    const { auth, agentos } = stateOf(req);
    if (auth && agentos && slot.has(agentos.route.spec.operationId)) return next();
    const match = index.match(req.method, req.path);
    if (match.kind === 'not-found') return sendJson(res, 404, { detail: 'Not Found' });
    if (match.kind === 'method-not-allowed') {
      return sendJson(res, 405, { detail: 'Method Not Allowed' }, { Allow: match.allowed.join(', ') });
    }
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

  router.use(function agentosValidatorPath(req: Request, _res: Response, next: NextFunction) {
    const n = slot.get(stateOf(req).agentos!.route.spec.operationId)!;
    const q = req.url.indexOf('?');
    (req as Rewritable)[originalUrl] = req.url;
    req.url = `/_op${n}${req.path === '/' ? '' : req.path}${q === -1 ? '' : req.url.slice(q)}`;
    next();
  });

  router.use(
    OpenApiValidator.middleware({
      apiSpec: validatorDocument(table.apiSpec, table.routes) as never,
      validateRequests: {
        allowUnknownQueryParameters: options.allowUnknownQueryParameters ?? true,
        coerceTypes: true,
      },
      validateResponses: options.validateResponses ? { removeAdditional: false, coerceTypes: false } : false,
      validateSecurity: false,
      ignoreUndocumented: true,
      useRequestUrl: true,
      // Uploads are held in memory: bound them (multer answers 413 beyond).
      fileUploader: { limits: { fileSize: options.maxUploadBytes ?? 10 * 1024 * 1024, files: 20 } },
    }),
  );

  const restoreUrl = (req: Request) => {
    const url = (req as Rewritable)[originalUrl];
    if (url !== undefined) {
      req.url = url;
      delete (req as Rewritable)[originalUrl];
    }
  };

  router.use(async function agentosDispatch(req: Request, res: Response, next: NextFunction) {
    restoreUrl(req);
    const { auth, agentos } = stateOf(req);
    const { route, params } = agentos!;
    const id = route.spec.operationId;
    const types = table.pathParamTypes[id];
    const path: Record<string, unknown> = { ...params };
    if (types)
      for (const [name, type] of Object.entries(types))
        if (params[name] !== undefined) path[name] = coerce(params[name], type);
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
    if (result.contentType && !/json/i.test(result.contentType)) {
      return void res.status(result.status).type(result.contentType).send(result.body);
    }
    if (result.contentType) res.type(result.contentType);
    res.status(result.status).json(result.body);
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

  router.use(function agentosErrors(error: unknown, req: Request, res: Response, next: NextFunction) {
    restoreUrl(req);
    if (res.headersSent) return next(error);
    const e = (isObject(error) || error instanceof Error ? error : {}) as Json;
    const status =
      typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    const headers = isObject(e.headers) ? (e.headers as ResponseHeaders) : undefined;

    if (error instanceof HttpError || (typeof e.status === 'number' && 'detail' in e)) {
      return sendJson(res, status, { detail: e.detail }, headers);
    }
    // body-parser: a body that is not JSON, or too large.
    if (e.type === 'entity.parse.failed')
      return sendJson(res, 400, { detail: 'Malformed request body: invalid JSON' });
    if (e.type === 'entity.too.large') return sendJson(res, 413, { detail: 'Request body too large' });
    // express-openapi-validator: request validation (400 with `errors`), media type, method.
    if (status === 400 && Array.isArray(e.errors) && e.errors.length > 0) {
      return sendJson(res, 422, {
        detail: (e.errors as Json[]).map((x) => ({
          loc: toLoc(x.path),
          msg: String(x.message),
          type: toType(x.errorCode),
        })),
      });
    }
    if (status >= 400 && status < 500) {
      return sendJson(
        res,
        status,
        { detail: typeof e.message === 'string' ? e.message : 'Bad Request' },
        headers,
      );
    }
    if (
      status >= 500 &&
      typeof e.path === 'string' &&
      Array.isArray(e.errors) &&
      /response/i.test(String(e.message))
    ) {
      // express-openapi-validator: the handler's answer does not match the document.
      onError(error, req);
      return sendJson(res, 500, { detail: `Response validation failed: ${String(e.message)}` });
    }
    onError(error, req);
    sendJson(res, 500, { detail: 'Internal server error' });
  });

  return router;
}
