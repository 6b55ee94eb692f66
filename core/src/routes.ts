/**
 * @module Compiled route lookup: a per-method segment trie over OpenAPI path templates.
 *
 * Matching rules (contract.md §3): a trailing slash is the same route; paths are case-sensitive;
 * each segment is percent-decoded exactly once before matching; a literal segment beats a
 * `{param}` segment (OpenAPI 3.1 §4.8.8.1: concrete paths match before templated ones); empty,
 * `.` and `..` segments never match, so dot segments and `//` cannot reach another operation.
 */
import { compileRequirement, type Requirement } from './scopes.js';
import type { HttpMethod, RouteSpec, ScopeOptions } from './types.js';

/** An operation ready for decisions. */
export interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly requirements: readonly Requirement[];
  /** `spec.filter`, so that a compiled route is a `decide` input as it is. */
  readonly filter: RouteSpec['filter'];
  /** `spec.anyOf`: alternative exact scope sets; when present `requirements` is empty. */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: CompiledRoute; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

interface Node {
  literal: Map<string, Node>;
  param?: { name: string; node: Node };
  /** Operations ending at this node, by method. */
  ops: Map<string, { route: CompiledRoute; names: readonly string[] }>;
}

const newNode = (): Node => ({ literal: new Map(), ops: new Map() });

const NOT_FOUND: RouteMatch = { kind: 'not-found' };

/**
 * Splits a request path into decoded segments, or null when it can never name an operation.
 * @param path the path without query string, as received (percent-encoded)
 */
export function splitPath(path: string): string[] | null {
  if (path.length === 0 || path.charCodeAt(0) !== 47 /* / */) return null;
  let p = path;
  if (p.length > 1 && p.charCodeAt(p.length - 1) === 47) p = p.slice(0, -1);
  if (p === '/') return [];
  const raw = p.slice(1).split('/');
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    let seg = raw[i]!;
    if (seg.indexOf('%') !== -1) {
      try {
        seg = decodeURIComponent(seg);
      } catch {
        return null;
      }
    }
    if (seg.length === 0 || seg === '.' || seg === '..') return null;
    out[i] = seg;
  }
  return out;
}

function templateSegments(path: string): string[] {
  return path === '/' ? [] : path.replace(/^\//, '').split('/');
}

/** A compiled route table: `match(method, path)` is a trie walk, not a scan. */
export interface RouteIndex {
  readonly routes: readonly CompiledRoute[];
  match(method: string, path: string): RouteMatch;
  byOperationId(operationId: string): CompiledRoute | undefined;
}

/**
 * Compiles the generated route→scope table into a lookup.
 * @throws {TypeError} on a malformed scope or two operations with the same method and path
 * @example
 * const index = compileRoutes(routes);
 * index.match('GET', '/agents/a1') // { kind: 'found', route, params: { agent_id: 'a1' } }
 */
export function compileRoutes(routes: readonly RouteSpec[], options: ScopeOptions = {}): RouteIndex {
  const root = newNode();
  const compiled: CompiledRoute[] = [];
  const byId = new Map<string, CompiledRoute>();
  for (const spec of routes) {
    // A standard `security` list holds opaque scope strings: they are compared exactly, not compiled.
    const route: CompiledRoute = spec.anyOf
      ? { spec, requirements: [], filter: spec.filter, anyOf: spec.anyOf }
      : { spec, requirements: spec.scopes.map((s) => compileRequirement(s, options)), filter: spec.filter };
    compiled.push(route);
    byId.set(spec.operationId, route);
    let node = root;
    const names: string[] = [];
    for (const seg of templateSegments(spec.path)) {
      const m = /^\{(.+)\}$/.exec(seg);
      if (m) {
        // Parameter names differ between sibling templates only in badly written specs; the
        // first name wins for the trie edge and each operation keeps its own names.
        node.param ??= { name: m[1]!, node: newNode() };
        names.push(m[1]!);
        node = node.param.node;
      } else {
        let next = node.literal.get(seg);
        if (!next) {
          next = newNode();
          node.literal.set(seg, next);
        }
        node = next;
      }
    }
    if (node.ops.has(spec.method)) {
      throw new TypeError(`Two operations for ${spec.method} ${spec.path}`);
    }
    node.ops.set(spec.method, { route, names });
  }

  /** Finds the node for `segs` that has an operation accepted by `accepts`, literal edges first. */
  function walk(
    node: Node,
    segs: readonly string[],
    i: number,
    values: string[],
    accepts: (n: Node) => boolean,
  ): Node | null {
    if (i === segs.length) return accepts(node) ? node : null;
    const seg = segs[i]!;
    const lit = node.literal.get(seg);
    if (lit) {
      const found = walk(lit, segs, i + 1, values, accepts);
      if (found) return found;
    }
    if (node.param) {
      values.push(seg);
      const found = walk(node.param.node, segs, i + 1, values, accepts);
      if (found) return found;
      values.pop();
    }
    return null;
  }

  const anyOp = (n: Node) => n.ops.size > 0;

  return {
    routes: compiled,
    byOperationId: (id) => byId.get(id),
    match(method, path) {
      const segs = splitPath(path);
      if (!segs) return NOT_FOUND;
      // HEAD is answered by the GET operation, as HTTP servers do (RFC 9110 §9.3.2).
      const lookup =
        method === 'HEAD'
          ? (n: Node) => n.ops.get('HEAD') ?? n.ops.get('GET')
          : (n: Node) => n.ops.get(method);
      const values: string[] = [];
      const node = walk(root, segs, 0, values, (n) => lookup(n) !== undefined);
      if (!node) {
        const other = walk(root, segs, 0, [], anyOp);
        if (!other) return NOT_FOUND;
        return { kind: 'method-not-allowed', allowed: [...other.ops.keys()].sort() as HttpMethod[] };
      }
      const op = lookup(node)!;
      const params: Record<string, string> = {};
      for (let k = 0; k < op.names.length; k++) params[op.names[k]!] = values[k]!;
      return { kind: 'found', route: op.route, params };
    },
  };
}
