/**
 * @module Reading the bearer token from a request (contract.md §1, RFC 6750 §2).
 *
 * - `Authorization: Bearer <token>` (scheme case-insensitive, one or more spaces), or a bare
 *   token without a scheme (compatibility with the Python AgentOS).
 * - Optional cookie (`tokenSource: cookie | both`; `both` uses the header when it is present).
 * - Never the query string: `?access_token=` is not a credential here (RFC 6750 §2.3 is optional
 *   and leaks tokens into logs). Sent together with a header token it is two methods → 400.
 *
 * Malformed credentials answer 400 `invalid_request` (RFC 6750 §3.1): `Bearer` with no token, a
 * token containing whitespace or control characters, two Authorization headers, two methods.
 * A scheme other than Bearer answers 401 without an error code (RFC 6750 §3.1: "unsupported
 * authentication scheme").
 */
import { parseCookie } from 'cookie';
import type { Request } from 'express';
import type { TokenSource } from '../config/options.js';
import { AuthError, invalidRequest, missingTokenDetail, tokenMissing } from './errors.js';

/**
 * Whitespace and C0/C1 control characters never occur in a JWS compact serialisation: C0 and
 * space, DEL to NBSP, and the Unicode spaces (Ogham, U+2000–U+200A, line and paragraph
 * separators, narrow NBSP, medium mathematical space, ideographic space, BOM). One compiled
 * character class, scanned by the regular-expression engine rather than a loop per character.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const BAD_CHARS = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

export interface TokenSourceOptions {
  readonly tokenSource: TokenSource;
  readonly cookieName: string;
}

function countAuthorizationHeaders(req: Request): number {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') n++;
  }
  return n;
}

function hasQueryToken(req: Request): boolean {
  const q = req.originalUrl.indexOf('?');
  return q !== -1 && new URLSearchParams(req.originalUrl.slice(q + 1)).has('access_token');
}

function fromHeader(value: string): string {
  const v = value.trim();
  const sp = v.indexOf(' ');
  if (sp === -1) {
    if (v.toLowerCase() === 'bearer') {
      throw invalidRequest('Malformed Authorization header: expected "Bearer <token>"', 'header_malformed');
    }
    if (BAD_CHARS.test(v)) {
      throw invalidRequest(
        'Malformed Authorization header: the token contains whitespace or control characters',
        'header_malformed',
      );
    }
    return v; // a bare token
  }
  const scheme = v.slice(0, sp);
  if (scheme.toLowerCase() !== 'bearer') {
    throw new AuthError(
      'ERR_AUTH_SCHEME_UNSUPPORTED',
      401,
      'Unsupported authorization scheme: use "Authorization: Bearer <token>"',
      {},
      'scheme_unsupported',
    );
  }
  const token = v.slice(sp + 1).replace(/^ +/, '');
  if (token.length === 0) {
    throw invalidRequest('Malformed Authorization header: expected "Bearer <token>"', 'header_malformed');
  }
  if (BAD_CHARS.test(token)) {
    throw invalidRequest(
      'Malformed Authorization header: the token contains whitespace or control characters',
      'header_malformed',
    );
  }
  return token;
}

/**
 * Returns the request's token.
 * @throws {AuthError} 401 when there is none, 400 when the credential is malformed, 401 for another scheme
 */
export function extractToken(req: Request, options: TokenSourceOptions): string {
  const { tokenSource, cookieName } = options;
  if (tokenSource !== 'cookie') {
    if (countAuthorizationHeaders(req) > 1) {
      throw invalidRequest('Malformed request: more than one Authorization header', 'header_repeated');
    }
    const header = req.headers.authorization;
    if (header !== undefined && header.trim() !== '') {
      const token = fromHeader(header);
      if (hasQueryToken(req)) {
        throw invalidRequest(
          'Malformed request: the token is given both in the Authorization header and in the query string',
          'token_methods',
        );
      }
      return token;
    }
  }
  if (tokenSource !== 'header') {
    const cookies = req.headers.cookie;
    const value = cookies ? parseCookie(cookies)[cookieName] : undefined;
    if (value !== undefined && value !== '') {
      if (BAD_CHARS.test(value)) {
        throw invalidRequest(
          `Malformed '${cookieName}' cookie: the token contains whitespace or control characters`,
          'cookie_malformed',
        );
      }
      return value;
    }
  }
  throw tokenMissing(missingTokenDetail(tokenSource, cookieName));
}
