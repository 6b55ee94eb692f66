/**
 * @module The generated route table, decoded and indexed for the client (@internal): operations by
 * id and by `METHOD path`, and how each operation's request body is encoded. The generator's
 * `client` target writes the table as compact text (generated/route-table.ts; the format is
 * described in generator/src/targets/client.ts), a quarter of the object literals' gzipped size.
 */
import type { HttpMethod, ScopeFilter } from '@agentos/core';
import { routeMethods, routeTable, routeVerbs } from './generated/route-table.js';

/** How a request body goes on the wire. */
export type BodyEncoding = 'json' | 'form' | 'multipart';

/** @internal What the client reads of one operation. */
export interface ClientRoute {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly scopes: readonly string[];
  readonly filter?: ScopeFilter;
  readonly public: boolean;
  readonly encoding: BodyEncoding;
}

const singular = (w: string) => w.replace(/ies$/, 'y').replace(/s$/, '');
const camel = (w: string) => w.replace(/(?:^|[^a-z\d])([a-z])/gi, (_, c: string) => c.toUpperCase());

/** @internal Decodes the rows of the compact table (generator/src/targets/client.ts). */
export function _decodeRoutes(table: string): ClientRoute[] {
  let segs: string[] = [];
  const last: Record<string, string[]> = {};
  return table.split('\n').map((row) => {
    const [head = '', m = '', id = '', ...rest] = row.split(' ');
    segs = [...segs.slice(0, +head[0]!), ...(head[1] ? head.slice(1).split('/') : [])].map((s, i, a) =>
      s === '{' ? `{${singular(a[i - 1]!).replace(/-/g, '_')}_id}` : s,
    );
    const k = m[0]!;
    const end = segs[segs.length - 1]!;
    const verb =
      id && !/[A-Z!]/.test(id) ? id : k === 'G' ? (end[0] === '{' || !end ? 'get' : 'list') : routeVerbs[k]!;
    const lits = segs.filter((s) => s && s[0] !== '{');
    if (camel(lits[lits.length - 1] ?? '').toLowerCase() === verb) lits.pop();
    const first = segs[1]!;
    const family = `${first}:${segs.find((s) => s[0] === '{')}:`;
    const scopes: string[] = [];
    let filter: ScopeFilter | undefined;
    if (rest[0]) last[k] = rest;
    for (const t of last[k] ?? []) {
      if (t[0] === '=') {
        const [resource = first, action = 'read', f = 'id'] = t.length > 1 ? t.slice(1).split(':') : [];
        filter = { resource, action, id: f };
      } else if (t !== '-') scopes.push(t[0] === '~' ? family + t.slice(1) : t[0] === ':' ? first + t : t);
    }
    return {
      operationId: /[A-Z!]/.test(id)
        ? id.replace(/^!/, '')
        : verb + lits.map((w, i) => camel(verb === 'list' && !lits[i + 1] ? w : singular(w))).join(''),
      method: (routeMethods as Readonly<Record<string, HttpMethod>>)[k]!,
      path: segs.join('/'),
      scopes,
      ...(filter && { filter }),
      public: !scopes.length,
      encoding: m[1] === '+' ? 'form' : m[1] === '*' ? 'multipart' : 'json',
    };
  });
}

/** @internal Every operation of the table. */
export const _routes: readonly ClientRoute[] = _decodeRoutes(routeTable);

/** @internal */
export const _byId: ReadonlyMap<string, ClientRoute> = new Map(_routes.map((r) => [r.operationId, r]));

const byKey = new Map(_routes.map((r) => [`${r.method} ${r.path}`, r]));

/** @internal The route of `METHOD path`; HEAD falls back to GET as servers do (RFC 9110 §9.3.2). */
export const _route = (method: string, path: string): ClientRoute | undefined =>
  byKey.get(`${method} ${path}`) ?? (method === 'HEAD' ? byKey.get(`GET ${path}`) : undefined);

/** @internal The encoding of an operation's request body. */
export const _encoding = (operationId: string): BodyEncoding => _byId.get(operationId)?.encoding ?? 'json';
