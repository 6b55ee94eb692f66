/**
 * @module expect — expectations a step's response is checked against, and the helpers that turn an
 * oracle decision into one.
 */
import { type Decision, insufficientDetail } from './oracle.js';
import type { Expectation, HttpResponse } from './types.js';

const DENIED = new Set([401, 403]);

function transport(res: HttpResponse): string | undefined {
  return res.error ? `no response: ${res.error}` : undefined;
}

/** Authorized means "not 401/403" (safe mode sends ids that do not exist or bodies that fail validation). */
export function authorized(extra?: (res: HttpResponse) => string | undefined): Expectation {
  return {
    describe: 'authorized (any status but 401/403)',
    check(res) {
      return (
        transport(res) ??
        (DENIED.has(res.status) ? `refused with ${res.status}: ${excerpt(res.body, 160)}` : extra?.(res))
      );
    },
  };
}

export function status(codes: number[], why?: string): Expectation {
  return {
    describe: `${codes.join(' or ')}${why ? ` (${why})` : ''}`,
    check(res) {
      return (
        transport(res) ??
        (codes.includes(res.status) ? undefined : `got ${res.status}: ${excerpt(res.body, 160)}`)
      );
    },
  };
}

/** Never 2xx (nor a transport error that hides the answer). */
export function not2xx(why: string): Expectation {
  return {
    describe: `not 2xx (${why})`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      return res.status >= 200 && res.status < 300 ? `got ${res.status}: the request was served` : undefined;
    },
  };
}

/** Never 2xx and never 5xx. */
export function refusedNoCrash(codes: number[]): Expectation {
  return {
    describe: `${codes.join('/')} (never 2xx or 5xx)`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      return codes.includes(res.status) ? undefined : `got ${res.status}: ${excerpt(res.body, 160)}`;
    },
  };
}

/** Items of a list answer: an array, or `{data: [...]}`. */
export function listItems(body: string): unknown[] | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (Array.isArray(v)) return v;
    if (v && typeof v === 'object' && Array.isArray((v as { data?: unknown }).data))
      return (v as { data: unknown[] }).data;
  } catch {
    /* not JSON */
  }
  return undefined;
}

export function itemIds(items: unknown[], idField: string): string[] {
  return items.map((i) =>
    i && typeof i === 'object' ? String((i as Record<string, unknown>)[idField]) : String(i),
  );
}

/**
 * Expectation derived from the oracle's decision for a valid token.
 * `deny` → exactly 403; `filter` → 200 with items ⊆ ids; `allow`/`public` → authorized.
 */
export function fromDecision(d: Decision, idField = 'id'): Expectation {
  switch (d.kind) {
    case 'deny':
      return {
        describe: `403 (${insufficientDetail(d.required)})`,
        check(res) {
          return (
            transport(res) ??
            (res.status === 403 ? undefined : `got ${res.status}: ${excerpt(res.body, 160)}`)
          );
        },
      };
    case 'filter':
      return {
        describe: `200, items filtered to ${idField} ∈ [${d.ids.join(', ')}]`,
        check(res) {
          if (res.error) return `no response: ${res.error}`;
          if (res.status !== 200) return `got ${res.status}: ${excerpt(res.body, 160)}`;
          const items = listItems(res.body);
          if (!items) return `the 200 body is not a list: ${excerpt(res.body, 120)}`;
          const extra = itemIds(items, idField).filter((id) => !d.ids.includes(id));
          return extra.length
            ? `the list holds items the token has no scope for: ${extra.slice(0, 8).join(', ')}`
            : undefined;
        },
      };
    default:
      return authorized();
  }
}

export function excerpt(body: string, n = 300): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

export function oracleLabel(d: Decision): string {
  return d.kind === 'filter' ? `filter:[${d.ids.join(',')}]` : d.kind;
}
