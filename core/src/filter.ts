/**
 * @module Response filtering by the caller's grants (contract.md §3): the items of a list with
 * `x-scope-filter` and the arrays named by `x-nested-filters`, generic over the item's id field.
 * The server, the mocks and any embedder filter with these, from the route table.
 */

import { filterNested } from './object-scopes.js';
import { type AccessibleIds, type Grants, isAccessible } from './scopes.js';
import type { RouteSpec } from './types.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Keeps the items whose `idField` is accessible.
 * @example filterItems([{ id: 'a1' }, { id: 'a2' }], new Set(['a1']), 'id') // [{ id: 'a1' }]
 */
export function filterItems<T>(items: readonly T[], ids: AccessibleIds, idField: string): T[] {
  if (ids === '*') return [...items];
  return items.filter((item) => isObject(item) && isAccessible(ids, item[idField]));
}

/**
 * The list of a list answer: the body when it is an array, else its `data` array (the paginated
 * `{ data, meta }` shape), else the array at `path` when given.
 */
function listOf(
  body: unknown,
  path?: readonly string[],
): { items: unknown[]; put: (kept: unknown[]) => unknown } | null {
  const keys = path ?? (Array.isArray(body) ? [] : ['data']);
  if (keys.length === 0) return Array.isArray(body) ? { items: body, put: (kept) => kept } : null;
  const put = (holder: unknown, i: number, kept: unknown[]): unknown =>
    isObject(holder)
      ? { ...holder, [keys[i]!]: i === keys.length - 1 ? kept : put(holder[keys[i]!], i + 1, kept) }
      : holder;
  let at: unknown = body;
  for (const k of keys) at = isObject(at) ? at[k] : undefined;
  return Array.isArray(at) ? { items: at, put: (kept) => put(body, 0, kept) } : null;
}

/**
 * Filters the list of an `x-scope-filter` answer to the accessible ids; other bodies unchanged.
 * @param path where the items are (default: the body if it is an array, else `body.data`)
 */
export function filterList(
  body: unknown,
  idField: string,
  ids: AccessibleIds,
  path?: readonly string[],
): unknown {
  if (ids === '*') return body;
  const list = listOf(body, path);
  return list ? list.put(filterItems(list.items, ids, idField)) : body;
}

/**
 * Filters the arrays named by `x-nested-filters`: one implementation, `object-scopes.ts`
 * (`*` segments for every item of an array, mixed arrays checked by kind when `kindOf` is given).
 */
export { filterNested };

/**
 * Applies every filter of an operation to its answer: `x-scope-filter` with the decision's ids,
 * then `x-nested-filters` with the caller's grants.
 * @param ids the decision's accessible ids (`caller.accessibleIds`); null for no list filter
 */
export function filterResponse(
  body: unknown,
  spec: Pick<RouteSpec, 'filter' | 'nestedFilters'>,
  ids: AccessibleIds | null,
  grants: Grants,
  options: {
    readonly path?: readonly string[] | undefined;
    /** The resource family of an item of a mixed array (the server knows what it built). */
    readonly kindOf?: ((item: unknown) => string | undefined) | undefined;
  } = {},
): unknown {
  let out = body;
  if (spec.filter && ids !== null) out = filterList(out, spec.filter.id, ids, options.path);
  if (spec.nestedFilters?.length) out = filterNested(out, spec.nestedFilters, grants, options.kindOf);
  return out;
}
