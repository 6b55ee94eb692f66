/**
 * @module CSRF defence for cookie-borne tokens (finding 13 of the review; OWASP CSRF Prevention
 * Cheat Sheet, "Verifying Origin with standard headers" and "Fetch Metadata").
 *
 * A browser attaches cookies to cross-site requests, so with `tokenSource: cookie | both` a
 * cross-site form could start and cancel runs. For every state-changing request (not GET, HEAD,
 * OPTIONS) whose token would come from the cookie, the request must come from this origin:
 * `Sec-Fetch-Site: same-origin | none`, or an `Origin` equal to the request's own origin or one of
 * the trusted origins (the CORS origins). A request carrying neither header is refused too: every
 * browser sends `Origin` on cross-origin POSTs, and a non-browser client can send the
 * `Authorization` header instead. On by default for cookie sources (`csrfProtection: false` turns
 * it off); a request with an `Authorization` header under `both` is not cookie-borne.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TokenSource } from '../config/options.js';
import { HttpError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfGuardOptions {
  readonly tokenSource: TokenSource;
  readonly cookieName: string;
  /** Default true. */
  readonly enabled?: boolean | undefined;
  /** Origins allowed besides the request's own (`https://app.example.com`); `*` is ignored. */
  readonly trustedOrigins?: readonly string[] | undefined;
}

const refuse = (why: string) =>
  new HttpError(
    403,
    `Cross-site request refused: ${why}. A state-changing request authenticated by the cookie must come from this origin; ` +
      'send the token in the Authorization header instead, or add your front-end origin to corsAllowedOrigins',
    { headers: { 'Cache-Control': 'no-store' } },
  );

function ownOrigin(req: Request): string | null {
  const host = req.headers.host;
  return host ? `${req.protocol}://${host}` : null;
}

function hasCookie(req: Request, name: string): boolean {
  const raw = req.headers.cookie;
  if (!raw) return false;
  return raw.split(';').some((part) => part.trimStart().startsWith(`${name}=`));
}

/**
 * Creates the CSRF guard; a no-op middleware when the token never comes from a cookie.
 * @example app.use(createCsrfGuard({ tokenSource: 'cookie', cookieName: 'access_token' }))
 */
export function createCsrfGuard(options: CsrfGuardOptions): RequestHandler {
  const trusted = new Set((options.trustedOrigins ?? []).filter((o) => o !== '*'));
  const active = options.enabled !== false && options.tokenSource !== 'header';
  return function agentosCsrfGuard(req: Request, _res: Response, next: NextFunction) {
    if (!active || SAFE_METHODS.has(req.method)) return next();
    // Under `both`, the header wins: a request that carries one is not authenticated by the cookie.
    if (options.tokenSource === 'both' && req.headers.authorization !== undefined) return next();
    if (!hasCookie(req, options.cookieName)) return next();
    const site = req.headers['sec-fetch-site'];
    if (site === 'same-origin' || site === 'none') return next();
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      if (origin === ownOrigin(req) || trusted.has(origin)) return next();
      return next(refuse(`Origin "${origin}" is not this server's origin nor a trusted one`));
    }
    if (typeof site === 'string') return next(refuse(`Sec-Fetch-Site is "${site}"`));
    return next(refuse('the request carries neither Origin nor Sec-Fetch-Site'));
  };
}
