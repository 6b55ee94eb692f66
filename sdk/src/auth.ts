/**
 * @module Bearer token handling: an openapi-fetch middleware that attaches the token to secured
 * operations only (public = `x-required-scopes: []` in the generated route table), and a fetch
 * wrapper that, on a 401, refreshes the token once — one refresh shared by every request that
 * failed concurrently — and retries each such request once.
 *
 * The retry lives in the fetch wrapper rather than in `onResponse` so that it re-sends the request
 * exactly as the other middleware left it, and so that every `onResponse` hook sees one response.
 */
import type { Middleware } from 'openapi-fetch';

/** What `getToken` is told. */
export interface TokenRequest {
  /** True after the server rejected the current token with 401: return a fresh one. */
  readonly forceRefresh: boolean;
}

/** Supplies the bearer token; may be async. Return null/undefined for "no token". */
export type TokenProvider = (
  request: TokenRequest,
) => string | null | undefined | Promise<string | null | undefined>;

/**
 * Called once per 401 burst, instead of `getToken({ forceRefresh: true })`. Return the new token;
 * return nothing to read it again from `getToken({ forceRefresh: false })`; return null to give up.
 */
export type UnauthorizedHandler = (context: {
  readonly response: Response;
  readonly request: Request;
}) => string | null | undefined | void | Promise<string | null | undefined | void>;

/** @internal */
export interface AuthOptions {
  readonly token?: string | undefined;
  readonly getToken?: TokenProvider | undefined;
  readonly onUnauthorized?: UnauthorizedHandler | undefined;
  readonly fetch?: ((request: Request) => Promise<Response>) | undefined;
}

/** @internal */
export interface Auth {
  readonly middleware: Middleware;
  readonly fetch: (request: Request) => Promise<Response>;
  /** Responses to requests that carried a bearer token (tells "no token" from "bad token" on a bare 401). */
  readonly sent: WeakSet<Response>;
}

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * Creates the token middleware and the refreshing fetch of one client.
 * @param options token sources and the fetch to send with
 * @param isPublic whether `method schemaPath` is a public operation
 * @internal
 */
export function _createAuth(
  options: AuthOptions,
  isPublic: (method: string, schemaPath: string) => boolean,
): Auth {
  const { getToken, onUnauthorized } = options;
  // The newest token known to the client: the static one, then whatever a refresh returned.
  let current = options.token;
  let refreshing: Promise<string | undefined> | undefined;
  const sent = new WeakSet<Response>();
  const mark = (response: Response, token: string | undefined) => {
    if (token !== undefined) sent.add(response);
    return response;
  };

  const read = async (forceRefresh: boolean) =>
    getToken ? ((await getToken({ forceRefresh })) ?? undefined) : current;

  function refresh(used: string, response: Response, request: Request): Promise<string | undefined> {
    // Another request refreshed after this one was sent: reuse its token, do not refresh again.
    if (!refreshing && current !== undefined && current !== used) return Promise.resolve(current);
    refreshing ??= (async () => {
      try {
        let next: string | null | undefined | void;
        if (onUnauthorized) {
          next = await onUnauthorized({ response, request });
          if (next === undefined && getToken) next = await read(false);
        } else if (getToken) {
          next = await read(true);
        }
        if (typeof next === 'string' && next) current = next;
        return next || undefined;
      } catch {
        // A failing refresh leaves the 401 as the answer (an error value), rather than throwing.
        return undefined;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  return {
    sent,
    middleware: {
      async onRequest({ request, schemaPath }) {
        if (isPublic(request.method, schemaPath) || request.headers.has('authorization')) return undefined;
        const token = await read(false);
        if (token) request.headers.set('Authorization', `Bearer ${token}`);
        return request;
      },
    },
    async fetch(request) {
      // Resolved per call, not at creation: a client made before msw's server.listen() still hits the mock.
      const send = options.fetch ?? ((r: Request) => globalThis.fetch(r));
      const used = BEARER.exec(request.headers.get('authorization') ?? '')?.[1];
      const canRetry = used !== undefined && (getToken !== undefined || onUnauthorized !== undefined);
      const copy = canRetry ? request.clone() : undefined;
      const response = mark(await send(request), used);
      if (response.status !== 401 || !copy) return response;
      const next = await refresh(used!, response, request);
      if (!next || next === used) return response;
      // Not awaited: some Response implementations (msw) never settle cancel() on an unread body.
      response.body?.cancel().catch(() => {});
      copy.headers.set('Authorization', `Bearer ${next}`);
      return mark(await send(copy), next);
    },
  };
}
