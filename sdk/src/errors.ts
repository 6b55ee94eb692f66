/**
 * @module Typed HTTP errors of the AgentOS client: the RFC 6750 §3 challenge in `WWW-Authenticate`
 * parsed, and every non-2xx answer turned into an {@link HttpError} value (never thrown by the
 * request methods; thrown only by the `for await` stream helpers, which have no other channel).
 */
import type { ERR_SCOPE_INSUFFICIENT } from '@agentos/core';

/** RFC 6750 §3.1 error codes, verbatim; other codes a server may send stay strings. */
export type ChallengeError = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | (string & {});

/** One parsed `WWW-Authenticate` challenge (RFC 9110 §11.6.1, RFC 6750 §3). */
export interface BearerChallenge {
  /** The auth scheme as sent, e.g. `Bearer`. */
  readonly scheme: string;
  /** `realm`, e.g. `agentos`. */
  readonly realm: string | undefined;
  /** `error`: `invalid_request`, `invalid_token` or `insufficient_scope`. Undefined when no token was sent. */
  readonly error: ChallengeError | undefined;
  /** `error_description`. */
  readonly errorDescription: string | undefined;
  /** `scope`, split on spaces: the scopes the operation requires. Empty when absent. */
  readonly scope: readonly string[];
  /** Every auth-param, names lower-cased, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

// `name=value` (an auth-param), a bare token (an auth-scheme, or a token68 right after one), or `,`.
const CHALLENGE_PART = /([^\s,=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)|([^\s,]+)|,/g;

/**
 * Parses a `WWW-Authenticate` header and returns its `Bearer` challenge (the first one, when a server
 * offers several schemes).
 * @param header the header value, or null
 * @returns the challenge, or undefined when there is no Bearer challenge
 * @example
 * parseBearerChallenge('Bearer realm="agentos", error="insufficient_scope", scope="agents:read"')
 * // { scheme: 'Bearer', realm: 'agentos', error: 'insufficient_scope', scope: ['agents:read'], ... }
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let afterScheme = false;
  for (const [, name, value, bare] of header.matchAll(CHALLENGE_PART)) {
    const current = challenges[challenges.length - 1];
    if (bare !== undefined) {
      // RFC 9110 §11.6.1: `scheme token68` has no comma between; a token after a comma is a new scheme.
      if (!afterScheme) challenges.push({ scheme: bare, params: {} });
      afterScheme = !afterScheme;
    } else {
      afterScheme = false;
      if (name !== undefined && current) {
        current.params[name.toLowerCase()] =
          value!.charCodeAt(0) === 34 /* " */ ? value!.slice(1, -1).replace(/\\(.)/g, '$1') : value!;
      }
    }
  }
  const bearer = challenges.find((c) => /^bearer$/i.test(c.scheme));
  if (!bearer) return undefined;
  const p = bearer.params;
  return {
    scheme: bearer.scheme,
    realm: p.realm,
    error: p.error,
    errorDescription: p.error_description,
    scope: p.scope ? p.scope.split(' ').filter(Boolean) : [],
    params: p,
  };
}

/**
 * Stable codes of {@link HttpError} (`ERR_SCOPE_INSUFFICIENT` is the contract's code, the one the
 * server's errors carry; it was `ERR_INSUFFICIENT_SCOPE` before 0.2):
 * - `ERR_UNAUTHENTICATED`: 401 without an error code (no token was sent, RFC 6750 §3.1)
 * - `ERR_INVALID_TOKEN`: 401 `invalid_token` (expired, bad signature, wrong audience, …), or a 401
 *   without a challenge for a request that carried a token
 * - `ERR_INVALID_REQUEST`: 400/401 `invalid_request` (malformed Authorization header)
 * - `ERR_SCOPE_INSUFFICIENT`: 403 (`insufficient_scope`): see {@link HttpError.requiredScopes}
 * - `ERR_HTTP`: any other non-2xx answer
 */
export type HttpErrorCode =
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_INVALID_REQUEST'
  | typeof ERR_SCOPE_INSUFFICIENT
  | 'ERR_HTTP';

/** Base class of the SDK's domain errors: sets `name` and keeps `cause`. */
export class AgentOSError extends Error {
  override readonly name: string = 'AgentOSError';
  /** A stable upper-case code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const REQUIRED_IN_DETAIL = /Required scope\(s\): (.+)$/;

/**
 * A non-2xx answer, as the `error` of a result. `body` is the error body typed from the spec (for
 * AgentOS, `{ detail }`); `detail` is its `detail`; 401/403 answers carry the parsed challenge.
 * @example
 * const { data, error } = await client.call('getAgent', { path: { agent_id: 'a1' } });
 * if (error?.code === 'ERR_SCOPE_INSUFFICIENT') console.log('ask for', error.requiredScopes);
 */
export class HttpError<Body = unknown> extends AgentOSError {
  override readonly name = 'HttpError';
  declare readonly code: HttpErrorCode;
  /** HTTP status, e.g. 403. */
  readonly status: number;
  /** The parsed error body (JSON when it parses, else text; undefined when empty). */
  readonly body: Body;
  /** `body.detail` when the body has one: a message, or the validation errors of a 422. */
  readonly detail: Body extends { detail: infer D } ? D : unknown;
  /** The Bearer challenge of a 401/403, when the server sent one. */
  readonly challenge: BearerChallenge | undefined;
  /** Scopes the operation requires (from the challenge's `scope`, else from the 403 `detail`). */
  readonly requiredScopes: readonly string[];
  /** The raw response (its body is already read). */
  readonly response: Response;

  /**
   * @param response the non-2xx response
   * @param body its parsed body
   * @param sentToken whether the request carried a bearer token (tells "missing" from "invalid"
   *   when a server answers 401 without a challenge)
   */
  constructor(response: Response, body: Body, sentToken: boolean) {
    const status = response.status;
    const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
    const detail = (body as { detail?: unknown } | null)?.detail;
    const err = challenge?.error;
    const code: HttpErrorCode =
      err === 'invalid_request'
        ? 'ERR_INVALID_REQUEST'
        : status === 403 || err === 'insufficient_scope'
          ? 'ERR_SCOPE_INSUFFICIENT'
          : status !== 401
            ? 'ERR_HTTP'
            : err === 'invalid_token' || (!err && sentToken)
              ? 'ERR_INVALID_TOKEN'
              : 'ERR_UNAUTHENTICATED';
    let required = challenge?.scope ?? [];
    if (required.length === 0 && typeof detail === 'string') {
      const m = REQUIRED_IN_DETAIL.exec(detail);
      if (m) required = m[1]!.split(', ');
    }
    const text = typeof detail === 'string' ? detail : typeof body === 'string' ? body : response.statusText;
    super(code, `${status} ${err ?? ''}${err && text ? ': ' : ''}${text ?? ''}`.trim());
    this.status = status;
    this.body = body;
    this.detail = detail as never;
    this.challenge = challenge;
    this.requiredScopes = required;
    this.response = response;
  }
}
