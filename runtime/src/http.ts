/**
 * @module The one HTTP error model of AgentOS servers (`@agentos/runtime/http`): the error a
 * handler or a middleware throws (`HttpError`, status + `detail` + headers), and the one function
 * that turns any thrown value into the `{ detail }` answer (`toErrorResponse`). Framework-free:
 * the Express router, the reference server's app and its auth layer all render through it.
 */

/** Extra response headers. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[]>>;

/** An error that answers `{ detail }` with its status (RFC 9110 status codes) and headers. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
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

/** What to answer for an error. `log` is true for a server fault the caller should record. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: { readonly detail: unknown };
  readonly headers?: ResponseHeaders | undefined;
  readonly log: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

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

const answer = (status: number, detail: unknown, headers?: ResponseHeaders, log = false): ErrorResponse => ({
  status,
  body: { detail },
  headers,
  log,
});

/**
 * The answer to any thrown value: an `HttpError` (or any error with a numeric `status` and a
 * `detail`) as itself; body-parser, multer and express-openapi-validator errors as the client
 * faults they are (400/413/422, FastAPI's `loc`/`msg`/`type`); anything else 500 without details.
 * @example const { status, body, headers } = toErrorResponse(new HttpError(404, 'Not Found'))
 */
export function toErrorResponse(
  error: unknown,
  request: {
    /** The request came without a body and without a media type (`hasNoBody`). */
    readonly bodyless?: boolean | undefined;
  } = {},
): ErrorResponse {
  const e = (isObject(error) || error instanceof Error ? error : {}) as Json;
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const headers = isObject(e.headers) ? (e.headers as ResponseHeaders) : undefined;
  // A deliberate answer (its status chosen by the code that threw it), not a fault to log.
  if (error instanceof HttpError || (typeof e.status === 'number' && 'detail' in e)) {
    return answer(status, e.detail, headers);
  }
  // body-parser: a body that is not JSON, or too large.
  if (e.type === 'entity.parse.failed') return answer(400, 'Malformed request body: invalid JSON');
  if (e.type === 'entity.too.large') return answer(413, 'Request body too large');
  // multer/busboy under express-openapi-validator: a malformed or oversized multipart body is the
  // client's fault, though the validator wraps it as a 500.
  const message = typeof e.message === 'string' ? e.message : '';
  if (/LIMIT_FILE_SIZE|File too large/.test(`${String(e.code)} ${message}`)) {
    return answer(413, 'Uploaded file too large');
  }
  if (
    /^LIMIT_/.test(String(e.code)) ||
    /Unexpected end of (form|multipart)|Malformed part header|Boundary not found|Part terminated early|Multipart/i.test(
      message,
    )
  ) {
    return answer(400, `Malformed multipart body: ${message || String(e.code)}`);
  }
  // express-openapi-validator: request validation (400 with `errors`), media type, method.
  if (status === 400 && Array.isArray(e.errors) && e.errors.length > 0) {
    return answer(
      422,
      (e.errors as Json[]).map((x) => ({
        loc: toLoc(x.path),
        msg: String(x.message),
        type: toType(x.errorCode),
      })),
    );
  }
  // express-openapi-validator: no body (and no media type) where the document requires one. FastAPI
  // answers that 422 (the body is a missing field), not 415 "unsupported media type undefined".
  if (status === 415 && request.bodyless) {
    return answer(422, [{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
  }
  if (status >= 400 && status < 500) {
    return answer(status, e.expose !== false && message ? message : 'Bad Request', headers);
  }
  if (status >= 500 && typeof e.path === 'string' && Array.isArray(e.errors) && /response/i.test(message)) {
    // express-openapi-validator: the handler's answer does not match the document.
    return answer(500, `Response validation failed: ${message}`, undefined, true);
  }
  return answer(500, 'Internal server error', undefined, true);
}

/**
 * True when a request carries no body and names no media type (RFC 9112 §6.3: a body is announced
 * by a non-zero Content-Length or a Transfer-Encoding).
 */
export function hasNoBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = headers['content-length'];
  return (
    headers['content-type'] === undefined &&
    headers['transfer-encoding'] === undefined &&
    (length === undefined || length === '0')
  );
}

/**
 * The `Allow` header of a 405 (RFC 9110 §10.2.1): the path's methods, HEAD with GET (a GET
 * operation answers HEAD), and OPTIONS when the server answers it (CORS preflights).
 * @example allowHeader(['POST', 'GET'], { options: true }) // 'GET, HEAD, OPTIONS, POST'
 */
export function allowHeader(
  methods: readonly string[],
  options: { readonly options?: boolean } = {},
): string {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  if (options.options) set.add('OPTIONS');
  return [...set].sort().join(', ');
}
