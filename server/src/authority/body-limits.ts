/**
 * @module Depth limits of request bodies (finding 10 of the review: JSON nested 2,000+ levels
 * answered 500 from a stack overflow, and stored deep JSON broke later runs).
 *
 * Every request body is parsed before the route's validator and handler see it, and refused with
 * 422 when it nests deeper than `MAX_JSON_DEPTH`: the body itself, and every string field that
 * holds JSON text (run forms carry `session_state`, `metadata`, `tools` as JSON strings, parsed by
 * the handlers later). Sizes are bounded by the body parsers (413). The walk is iterative, so the
 * check itself cannot overflow the stack.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { HttpError } from '../auth/errors.js';

/** Deepest accepted nesting of objects and arrays (a scalar at top level is depth 0). */
export const MAX_JSON_DEPTH = 64;

/** Depth of nested brackets in JSON text (brackets inside string literals do not count). */
export function jsonTextDepth(text: string, stopAt = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

const looksLikeJson = (s: string) => {
  const t = s.trimStart();
  return t.startsWith('{') || t.startsWith('[');
};

/**
 * Where a value nests deeper than `max`, as a FastAPI `loc`, or undefined. Counts object/array
 * nesting, and the nesting inside string fields that hold JSON text.
 * @example tooDeep({ a: [[[1]]] }, 2) // ['body', 'a']
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): (string | number)[] | undefined {
  const stack: [unknown, number, (string | number)[]][] = [[value, 0, ['body']]];
  while (stack.length > 0) {
    const [v, depth, loc] = stack.pop()!;
    if (typeof v === 'string') {
      if (looksLikeJson(v) && depth + jsonTextDepth(v, max) > max) return loc;
      continue;
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue;
    if (depth + 1 > max) return loc;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, loc.length < 8 ? [...loc, i] : loc]);
    } else {
      for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, loc.length < 8 ? [...loc, k] : loc]);
    }
  }
  return undefined;
}

/** The 422 of a body nested too deep, naming where. */
export function depthError(loc: (string | number)[], max = MAX_JSON_DEPTH): HttpError {
  return new HttpError(
    422,
    `Request body nested too deep at ${loc.join('.')}: at most ${max} levels of objects and arrays are accepted; flatten it`,
  );
}

/**
 * Parses JSON bodies (bounded by `limit`: 413 beyond) and refuses deep ones (422) before any
 * validator or handler runs; the parsers that run later see the body already parsed and skip it.
 * Form bodies are parsed here too, so their JSON-text fields are checked. Multipart bodies are
 * parsed by the operation's validator; their fields are checked by the authority layer.
 */
export function createBodyLimits(
  options: { limit?: string | number; maxDepth?: number } = {},
): RequestHandler {
  const limit = options.limit ?? '1mb';
  const max = options.maxDepth ?? MAX_JSON_DEPTH;
  const json = express.json({ limit, type: ['application/json', 'application/*+json'] });
  const form = express.urlencoded({ extended: false, limit });
  // Operations of the table answer parser errors in the generated router's words.
  const asRouter = (req: Request, err: unknown): unknown => {
    if (!req.agentos) return err;
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.parse.failed') return new HttpError(400, 'Malformed request body: invalid JSON');
    if (type === 'entity.too.large') return new HttpError(413, 'Request body too large');
    return err;
  };
  return function agentosBodyLimits(req: Request, res: Response, next: NextFunction) {
    json(req, res, (err?: unknown) => {
      if (err) return next(asRouter(req, err));
      form(req, res, (err2?: unknown) => {
        if (err2) return next(asRouter(req, err2));
        const loc = req.body === undefined ? undefined : tooDeep(req.body, max);
        next(loc ? depthError(loc, max) : undefined);
      });
    });
  };
}
