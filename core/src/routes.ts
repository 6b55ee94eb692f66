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
  ops: Map<string, Op>;
}

/** An operation at a trie node, with the names of its path parameters in order. */
interface Op {
  readonly route: CompiledRoute;
  readonly names: readonly string[];
}

const newNode = (): Node => ({ literal: new Map(), ops: new Map() });

const NOT_FOUND: RouteMatch = { kind: 'not-found' };

/**
 * Splits a request path into decoded segments, or null when it can never name an operation.
 * @param path the path without query string, as received (percent-encoded)
 */
export function splitPath(path: string): string[] | null {
  if (path.length === 0 || path.charCodeAt(0) !== 47 /* / */) return null;
  let end = path.length;
  if (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  if (end === 1) return [];
  const out: string[] = [];
  let start = 1;
  // One pass over the path: no intermediate array, each segment decoded at most once.
  while (start <= end) {
    let stop = path.indexOf('/', start);
    if (stop === -1 || stop > end) stop = end;
    let seg = path.slice(start, stop);
    if (seg.indexOf('%') !== -1) {
      try {
        seg = decodeURIComponent(seg);
      } catch {
        return null;
      }
    }
    if (seg.length === 0 || seg === '.' || seg === '..') return null;
    out.push(seg);
    start = stop + 1;
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
  /** Trie nodes of templates without parameters, by path: one lookup instead of a walk. */
  const literalPaths = new Map<string, Node>();
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
    const segs = templateSegments(spec.path);
    if (names.length === 0 && segs.every((seg) => seg !== '' && seg !== '.' && seg !== '..')) {
      literalPaths.set(`/${segs.join('/')}`, node);
    }
    if (node.ops.has(spec.method)) {
      throw new TypeError(`Two operations for ${spec.method} ${spec.path}`);
    }
    node.ops.set(spec.method, { route, names });
  }

  /** The operation of `node` for `method` (HEAD is answered by GET, RFC 9110 §9.3.2). */
  function opOf(node: Node, method: string): Op | undefined {
    const op = node.ops.get(method);
    return op === undefined && method === 'HEAD' ? node.ops.get('GET') : op;
  }

  /**
   * Finds the node for `segs` with an operation for `method` (any operation when `method` is
   * null), literal edges first; pushes the parameter values on `values`.
   */
  function walk(
    node: Node,
    segs: readonly string[],
    i: number,
    values: string[],
    method: string | null,
  ): Node | null {
    if (i === segs.length) {
      return (method === null ? node.ops.size > 0 : opOf(node, method) !== undefined) ? node : null;
    }
    const seg = segs[i]!;
    const lit = node.literal.get(seg);
    if (lit !== undefined) {
      const found = walk(lit, segs, i + 1, values, method);
      if (found !== null) return found;
    }
    const param = node.param;
    if (param !== undefined) {
      values.push(seg);
      const found = walk(param.node, segs, i + 1, values, method);
      if (found !== null) return found;
      values.pop();
    }
    return null;
  }

  return {
    routes: compiled,
    byOperationId: (id) => byId.get(id),
    match(method, path) {
      // A literal template is the first candidate of the walk (literal edges first): when the
      // path is one and has the method, the walk would return it. Encoded paths take the walk.
      if (path.indexOf('%') === -1) {
        const last = path.length - 1;
        const key = last > 0 && path.charCodeAt(last) === 47 ? path.slice(0, last) : path;
        const node = literalPaths.get(key);
        if (node !== undefined) {
          const op = opOf(node, method);
          if (op !== undefined) return { kind: 'found', route: op.route, params: {} };
        }
      }
      const segs = splitPath(path);
      if (!segs) return NOT_FOUND;
      const values: string[] = [];
      const node = walk(root, segs, 0, values, method);
      if (!node) {
        const other = walk(root, segs, 0, [], null);
        if (!other) return NOT_FOUND;
        return { kind: 'method-not-allowed', allowed: [...other.ops.keys()].sort() as HttpMethod[] };
      }
      const op = opOf(node, method)!;
      const params: Record<string, string> = {};
      for (let k = 0; k < op.names.length; k++) params[op.names[k]!] = values[k]!;
      return { kind: 'found', route: op.route, params };
    },
  };
}
