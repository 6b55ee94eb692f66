/**
 * @module Runtime of the generated msw handlers (`@agentos/runtime/msw`): the generated `mocks.ts` holds the
 * tables and types and imports this versioned module; nothing is copied.
 *
 * Every handler answers like a conforming AgentOS server (contract.md §1–§3): no token → 401,
 * bad token → 401 `invalid_token`, missing scopes → 403 `insufficient_scope`, filterable lists
 * cut down to the caller's ids; and the object-level checks a mock can take without stored state
 * (contract.md §8): `x-body-scopes`, a body-named `x-scope-target`, `x-nested-filters`. The route match and the decision are `compileRoutes` and
 * `decide` from `@agentos/core`, exactly what the reference server runs.
 */
import {
  accessibleIds as accessibleIdsOf,
  bearerChallenge,
  type CallerContext,
  type ChallengeError,
  compileGrants,
  compileRequirement,
  compileRoutes,
  DEFAULT_SCOPES_CLAIM,
  decide,
  filterResponse,
  type Grants,
  insufficientScopeDetail,
  type RouteMatch,
  type RouteSpec,
  readScopesClaim,
  renderRequirement,
  satisfies,
} from '@agentos/core';
import {
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
  type KeyInput,
} from 'jose';
import { type HttpHandler, HttpResponse, http } from 'msw';
import { allowHeader } from './http.js';

/** What a `data` function receives. */
export interface MockRequestInfo {
  readonly request: Request;
  readonly operationId: string;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly caller: CallerContext;
}

/** A `data` entry: the success body, or a function returning it (or a whole `Response`). */
export type MockEntry<Body> = Body | ((info: MockRequestInfo) => Body | Response | Promise<Body | Response>);

export interface MockOptions<Data = Readonly<Record<string, unknown>>> {
  /** Where the API lives, e.g. `http://localhost:7777` or `https://api.example.com/v1`. */
  readonly baseUrl: string;
  /** Verification keys (PEM-imported keys, JWKs, secrets, or a `createLocalJWKSet` resolver); any one that verifies wins. */
  readonly keys?: readonly (KeyInput | JWTVerifyGetKey)[];
  /** Custom verification instead of `keys`: resolve to the claims, or throw (jose errors keep their meaning). */
  readonly verify?: (token: string) => Promise<Record<string, unknown>>;
  /** Success bodies by operationId, instead of the document's examples. */
  readonly data?: Data;
  /** The admin scope. Default `agent_os:admin`. */
  readonly adminScope?: string;
  /** Expected `aud`; when set, a token for another audience (or none) is refused. */
  readonly audience?: string | readonly string[];
  /** Accepted JWS algorithms for `keys`. Default: whatever the key supports. */
  readonly algorithms?: readonly string[];
  /** Claim holding the scopes. Default `scopes`. */
  readonly scopesClaim?: string;
}

/** How the generated table describes each operation's mock answer. */
export interface MockOperation {
  /** Success status answered. */
  readonly status: number;
  /** `json`, `text` (with `contentType`), `sse` or `empty`. */
  readonly kind: 'json' | 'text' | 'sse' | 'empty';
  readonly contentType?: string;
  /** The status also documents `text/event-stream`: answered when the request accepts it. */
  readonly sse?: boolean;
  /** Where the filterable items are in the body: `[]` for the body itself, `['data']` for `body.data`. */
  readonly items?: readonly string[];
}

/** What the generated `mocks.ts` passes in. */
export interface MockTable {
  readonly routes: readonly RouteSpec[];
  readonly operations: Readonly<Record<string, MockOperation>>;
  /** `{ operations: { [id]: { body?, sse? } } }` from `mock-examples.json`. */
  readonly examples: unknown;
}

const RESERVED_SUBJECT = /^(sa:|__oauth__:)|^__scheduler__$/;
/** contract.md §8.2: the run endpoints a scheduled target may name without the admin scope. */
const RUN_ENDPOINT = /^\/(agents|teams|workflows)\/([^/?#]+)\/runs\/?$/;
const CLOCK_TOLERANCE_S = 10;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function problem(
  status: number,
  detail: string,
  challenge?: { error?: ChallengeError; scope?: readonly string[] },
) {
  return HttpResponse.json(
    { detail },
    { status, headers: challenge ? { 'WWW-Authenticate': bearerChallenge(challenge) } : {} },
  );
}

/** Orders jose failures by how far verification got: a claim failure means the signature was good. */
function rank(error: unknown): number {
  if (error instanceof joseErrors.JWTExpired) return 3;
  if (error instanceof joseErrors.JWTClaimValidationFailed) return 2;
  if (error instanceof joseErrors.JOSEError) return 1;
  return 0;
}

/** contract.md §3: the 401 detail for a token that did not verify. */
function invalidTokenDetail(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired || (isObject(error) && error.code === 'ERR_JWT_EXPIRED')) {
    return 'Token has expired';
  }
  if (
    error instanceof joseErrors.JWTClaimValidationFailed &&
    error.claim === 'aud' &&
    error.reason !== 'missing'
  ) {
    return 'Invalid token audience - token not valid for this AgentOS instance';
  }
  return `Invalid token: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Builds the msw handlers of a generated `mocks.ts`. Use the generated `createMockHandlers`.
 * @throws {TypeError} when `baseUrl` is not an absolute URL, or neither `keys` nor `verify` is given
 */
export function createAgentosMockHandlers(table: MockTable, options: MockOptions<unknown>): HttpHandler[] {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new TypeError(
      `createMockHandlers: baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}`,
    );
  }
  if (!options.verify && !(options.keys && options.keys.length > 0)) {
    throw new TypeError('createMockHandlers: pass `keys` (verification keys) or `verify(token)`');
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  const scopeOptions = { adminScope: options.adminScope };
  const index = compileRoutes(table.routes, scopeOptions);
  const examples = (
    isObject(table.examples) && isObject(table.examples.operations) ? table.examples.operations : {}
  ) as Json;
  const data = (isObject(options.data) ? options.data : {}) as Json;
  const scopesClaim = options.scopesClaim ?? DEFAULT_SCOPES_CLAIM;
  const verifyOptions: JWTVerifyOptions = {
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_TOLERANCE_S,
    ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
    ...(options.algorithms ? { algorithms: [...options.algorithms] } : {}),
  };

  /** The path below `baseUrl`, or null when the request is for another origin or prefix. */
  function relativePath(request: Request): string | null {
    const url = new URL(request.url);
    if (url.origin !== base.origin) return null;
    if (basePath === '') return url.pathname;
    if (url.pathname === basePath) return '/';
    return url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : null;
  }

  function match(request: Request): RouteMatch | null {
    const path = relativePath(request);
    return path === null ? null : index.match(request.method, path);
  }

  async function verifyToken(token: string): Promise<Json> {
    if (options.verify) return options.verify(token);
    let best: unknown;
    for (const key of options.keys!) {
      try {
        const { payload } = await jwtVerify(token, key as KeyInput, verifyOptions);
        return payload as Json;
      } catch (error) {
        if (best === undefined || rank(error) > rank(best)) best = error;
      }
    }
    throw best;
  }

  /** Authenticates: the claims, or the 401 to answer. */
  async function authenticate(request: Request): Promise<Json | Response> {
    const header = request.headers.get('authorization')?.trim() ?? '';
    // contract.md §1: `Bearer <jwt>`, scheme case-insensitive; a bare token is accepted too.
    const token = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : header;
    if (!token) return problem(401, 'Authorization header missing', {});
    let claims: Json;
    try {
      claims = await verifyToken(token);
    } catch (error) {
      return problem(401, invalidTokenDetail(error), { error: 'invalid_token' });
    }
    if (typeof claims.sub === 'string' && RESERVED_SUBJECT.test(claims.sub)) {
      return problem(401, 'Invalid token subject', { error: 'invalid_token' });
    }
    return claims;
  }

  /** The caller, with the server's claim reader and grants (`@agentos/core`). */
  function callerOf(
    operationId: string,
    claims: Json | null,
    grants: Grants,
    accessibleIds: CallerContext['accessibleIds'],
  ): CallerContext {
    return {
      operationId,
      authenticated: claims !== null,
      userId: typeof claims?.sub === 'string' ? claims.sub : null,
      sessionId: typeof claims?.session_id === 'string' ? claims.session_id : null,
      scopes: grants.scopes,
      grants,
      roles: grants.roles,
      claims: claims ?? {},
      dependencies: {},
      sessionState: {},
      isAdmin: grants.admin,
      accessibleIds,
      scopedUserId: null,
    };
  }

  async function respond(request: Request): Promise<Response> {
    const m = match(request);
    if (m === null) return problem(404, 'Not Found');
    const route = m.kind === 'found' ? m.route : null;
    let claims: Json | null = null;
    if (!route?.spec.public) {
      const auth = await authenticate(request);
      if (auth instanceof Response) return auth;
      claims = auth;
    }
    if (m.kind === 'not-found') return problem(404, 'Not Found');
    if (m.kind === 'method-not-allowed') {
      return HttpResponse.json(
        { detail: 'Method Not Allowed' },
        { status: 405, headers: { Allow: allowHeader(m.allowed) } },
      );
    }
    const spec = m.route.spec;
    let accessibleIds: CallerContext['accessibleIds'] = null;
    const grants = compileGrants(spec.public ? [] : readScopesClaim(claims, scopesClaim), scopeOptions);
    if (!spec.public) {
      const decision = decide(m.route, m.params, grants);
      if (decision.effect === 'deny') {
        return problem(403, insufficientScopeDetail(decision.required), {
          error: 'insufficient_scope',
          scope: decision.required,
        });
      }
      accessibleIds = decision.accessibleIds;
      if (spec.bodyScopes || spec.target?.source === 'body') {
        const missing = await bodyRequirements(request, spec, grants);
        if (missing.length > 0) {
          return problem(403, insufficientScopeDetail(missing), {
            error: 'insufficient_scope',
            scope: missing,
          });
        }
      }
    }
    const caller = callerOf(spec.operationId, claims, grants, accessibleIds);
    return answer(request, spec, m.params, caller);
  }

  /**
   * contract.md §8: the scopes the JSON body adds (`x-body-scopes`, a `source: body` target) that
   * the caller lacks, rendered with the body's values. A body that is not a JSON object adds none
   * (the server's validator answers it).
   */
  async function bodyRequirements(request: Request, spec: RouteSpec, grants: Grants): Promise<string[]> {
    let body: unknown;
    try {
      body = await request.clone().json();
    } catch {
      return [];
    }
    if (!isObject(body)) return [];
    const missing: string[] = [];
    for (const template of spec.bodyScopes ?? []) {
      const req = compileRequirement(template, scopeOptions);
      if (req.kind !== 'param') continue;
      const value = body[req.param.slice('body.'.length)];
      if (value === undefined || value === null) continue;
      // A non-string value names no resource: only a global, wildcard or admin grant satisfies it.
      const params: Record<string, string> = typeof value === 'string' ? { [req.param]: value } : {};
      if (!satisfies(grants, req, params)) missing.push(renderRequirement(req, params));
    }
    const target = spec.target;
    if (target?.source === 'body') {
      const endpoint = body[target.endpoint];
      const method = body[target.method] ?? 'POST';
      if (typeof endpoint === 'string' && typeof method === 'string') {
        missing.push(...targetRequirements(endpoint, method, grants));
      }
    }
    return missing;
  }

  /**
   * contract.md §8.2 "Scheduled targets": `POST /(agents|teams|workflows)/<id>/runs` needs
   * `<family>:<id>:run` (the id percent-decoded once); any other method or endpoint needs the
   * admin scope.
   */
  function targetRequirements(endpoint: string, method: string, grants: Grants): string[] {
    const admin = options.adminScope ?? 'agent_os:admin';
    const m = method.toUpperCase() === 'POST' ? RUN_ENDPOINT.exec(endpoint) : null;
    let id: string | undefined;
    try {
      id = m ? decodeURIComponent(m[2]!) : undefined;
    } catch {
      id = undefined;
    }
    if (!m || id === undefined || id.includes('/')) return grants.admin ? [] : [admin];
    const req = compileRequirement(`${m[1]}:{id}:run`, scopeOptions);
    return satisfies(grants, req, { id }) ? [] : [renderRequirement(req, { id })];
  }

  async function answer(
    request: Request,
    spec: RouteSpec,
    params: Record<string, string>,
    caller: CallerContext,
  ): Promise<Response> {
    const op = table.operations[spec.operationId] ?? { status: 200, kind: 'json' as const };
    const example = (isObject(examples[spec.operationId]) ? examples[spec.operationId] : {}) as Json;
    const wantsSse = op.sse === true && (request.headers.get('accept') ?? '').includes('text/event-stream');
    const noBody = request.method === 'HEAD';

    let body: unknown;
    const entry = data[spec.operationId];
    if (typeof entry === 'function') {
      const result = await entry({
        request,
        operationId: spec.operationId,
        params,
        caller,
      } satisfies MockRequestInfo);
      if (result instanceof Response) return result;
      body = result;
    } else if (entry !== undefined) {
      body = structuredClone(entry);
    } else if (op.kind === 'sse' || wantsSse) {
      const text = typeof example.sse === 'string' ? example.sse : 'event: message\ndata: {}\n\n';
      return new HttpResponse(noBody ? null : text, {
        status: op.status,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
      });
    } else {
      body = structuredClone(example.body);
    }

    // contract.md §3: the list and nested arrays cut down to what the caller may see, as the server does.
    if (!spec.public)
      body = filterResponse(body, spec, caller.accessibleIds, caller.grants, { path: op.items });
    if (op.kind === 'empty' || body === undefined) return new HttpResponse(null, { status: op.status });
    if (op.kind === 'text' || op.kind === 'sse') {
      return new HttpResponse(noBody ? null : String(body), {
        status: op.status,
        headers: { 'Content-Type': op.contentType ?? 'text/plain' },
      });
    }
    return noBody
      ? new HttpResponse(null, { status: op.status, headers: { 'Content-Type': 'application/json' } })
      : HttpResponse.json(body as never, {
          status: op.status,
          headers: op.contentType ? { 'Content-Type': op.contentType } : {},
        });
  }

  const METHODS = {
    GET: http.get,
    PUT: http.put,
    POST: http.post,
    DELETE: http.delete,
    OPTIONS: http.options,
    HEAD: http.head,
    PATCH: http.patch,
  } as const;

  // One handler per operation, in the table's order (most specific first); each only takes the
  // requests that core's match gives to its operation, so msw's order cannot pick another one.
  const handlers: HttpHandler[] = [];
  for (const spec of table.routes) {
    const method = METHODS[spec.method as keyof typeof METHODS] ?? http.all;
    handlers.push(
      method(
        ({ request }) => {
          const m = match(request);
          return m?.kind === 'found' && m.route.spec.operationId === spec.operationId
            ? { matches: true, params: m.params }
            : false;
        },
        ({ request }) => respond(request),
      ),
    );
  }
  // Everything else under baseUrl answers as the server would: 401 without a valid token, then
  // 404/405 (HEAD is answered by the GET operation).
  handlers.push(
    http.all(
      ({ request }) => relativePath(request) !== null,
      ({ request }) => respond(request),
    ),
  );
  return handlers;
}
