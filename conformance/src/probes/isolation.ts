/**
 * @module probes/isolation — §7E/§7D of security-anchors.md under contract.md §5 (user isolation):
 * rows owned by user A (found by the admin discovery) are invisible and untouchable for user B,
 * a `user_id` query parameter cannot widen a listing, and another user's row answers 404 like a
 * missing one. Needs rows owned by some user on the target (seed them, or run --mode full).
 */

import { excerpt, listItems } from '../expect.js';
import { renderRequired } from '../oracle.js';
import { type PlanContext, targetFor } from '../plan-context.js';
import { type Operation, pathParamNames } from '../spec.js';
import type { Case, Expectation, PlannedRequest, Step } from '../types.js';
import { probe } from './catalog.js';

/**
 * A listing shows only `owner`'s rows: an item whose `field` names someone else, or (for items
 * without an owner field, such as agno's knowledge content) whose id the admin listing attributed
 * to someone else (`othersIds`, by `idOf`), is another user's row.
 */
function ownedOnly(
  owner: string,
  field: string,
  foreign: string[],
  othersIds: ReadonlyMap<string, string> = new Map(),
  idOf: (i: Record<string, unknown>) => string | undefined = () => undefined,
): Expectation {
  return {
    describe: `2xx listing only rows with ${field} = ${owner}`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      if (res.status < 200 || res.status > 299) return `got ${res.status}: ${excerpt(res.body, 160)}`;
      const items = listItems(res.body);
      if (!items) return undefined;
      const ownerOf = (i: Record<string, unknown>): unknown => {
        if (field in i) return i[field];
        const id = idOf(i);
        return id === undefined ? undefined : othersIds.get(id);
      };
      const bad = items.filter((i) => {
        if (!i || typeof i !== 'object') return false;
        const o = ownerOf(i as Record<string, unknown>);
        return o !== undefined && o !== owner;
      });
      return bad.length
        ? `${bad.length} row(s) of other users listed (${field} = ${[...new Set(bad.map((b) => String(ownerOf(b as Record<string, unknown>))))].slice(0, 4).join(', ')})${foreign.length ? '' : ''}`
        : undefined;
    },
  };
}

const notFound: Expectation = {
  describe: '404 (indistinguishable from a missing row)',
  check: (r) =>
    r.error
      ? `no response: ${r.error}`
      : r.status === 404
        ? undefined
        : `got ${r.status}: ${excerpt(r.body, 160)}`,
};

const hiddenSub: Expectation = {
  describe: '404, or 2xx with no rows',
  check(r) {
    if (r.error) return `no response: ${r.error}`;
    if (r.status === 404) return undefined;
    if (r.status >= 200 && r.status < 300) {
      const items = listItems(r.body);
      return items && items.length === 0
        ? undefined
        : `got ${r.status} with another user's data: ${excerpt(r.body, 160)}`;
    }
    return [400, 422].includes(r.status) ? undefined : `got ${r.status}: ${excerpt(r.body, 160)}`;
  },
};

export function planIsolation(ctx: PlanContext, ops: Operation[], notes: string[]): Case[] {
  const cases: Case[] = [];
  const field = ctx.ownerField;
  const B = ctx.users.b;
  const lists = ops.filter((o) => o.method === 'GET' && o.userOwned && pathParamNames(o.path).length === 0);
  let anyRows = false;
  for (const L of lists) {
    const items = (ctx.discovery.lists[L.operationId] ?? []).filter(
      (i): i is Record<string, unknown> => !!i && typeof i === 'object',
    );
    const owned = items.filter((i) => typeof i[field] === 'string' && i[field] !== B);
    const base = { operationId: L.operationId, method: L.method, path: L.path, phase: 1 };
    const R = L.requiredScopes ?? [];
    if (owned.length === 0) {
      cases.push({
        ...base,
        probe: probe('ISO-LIST-OWN'),
        steps: [],
        skip: `no rows with ${field} found by the admin listing of ${L.path}; seed rows owned by a user to check isolation`,
      });
      continue;
    }
    anyRows = true;
    const A = String(owned[0]?.[field]);
    const foreignOwners = [
      ...new Set(items.map((i) => i[field]).filter((u): u is string => typeof u === 'string')),
    ];
    // Rows the admin listing attributed to an owner, by id: the id key of the item operation
    // (`{L.path}/{param}`), else `id`. Items answered without an owner field are found by it.
    const itemOp = ops.find((o) => {
      const ps = pathParamNames(o.path);
      return ps.length === 1 && o.path === `${L.path}/{${ps[0]}}`;
    });
    const idKey = itemOp ? (pathParamNames(itemOp.path)[0] as string) : 'id';
    const idOf = (i: Record<string, unknown>): string | undefined => {
      const v = i[idKey] ?? i.id;
      return typeof v === 'string' ? v : undefined;
    };
    const ownerById = new Map<string, string>();
    for (const i of owned) {
      const id = idOf(i);
      if (id !== undefined) ownerById.set(id, String(i[field]));
    }
    const listReq = (sub: string, extra = ''): PlannedRequest => ({
      method: 'GET',
      path: targetFor(ctx, L, {}, extra),
      token: { scopes: R, sub },
    });
    cases.push({
      ...base,
      probe: probe('ISO-LIST-OWN'),
      steps: [
        {
          label: `as ${A} (owns rows)`,
          request: listReq(A),
          expect: ownedOnly(A, field, foreignOwners, ownerById, idOf),
          oracle: `own:${A}`,
        },
        {
          label: `as ${B}`,
          request: listReq(B),
          expect: ownedOnly(B, field, foreignOwners, ownerById, idOf),
          oracle: `own:${B}`,
        },
      ],
    });
    const own = ownedOnly(B, field, foreignOwners, ownerById, idOf);
    cases.push({
      ...base,
      probe: probe('ISO-LIST-QUERY-OVERRIDE'),
      steps: [
        {
          label: `as ${B} with ?${field}=${A}`,
          request: listReq(B, `${field}=${encodeURIComponent(A)}`),
          expect: {
            describe: `403/404 (refused), or ${own.describe}`,
            check: (r, cx) => ([403, 404].includes(r.status) ? undefined : own.check(r, cx)),
          },
          oracle: `own:${B}`,
        },
      ],
    });
    // Item and sub-resource operations under L.path/{param}.
    for (const op of ops) {
      if (!op.path.startsWith(`${L.path}/{`)) continue;
      const param = pathParamNames(op.path)[0] as string;
      const row = owned.find((i) => typeof (i[param] ?? i.id) === 'string');
      if (!row) continue;
      const id = String(row[param] ?? row.id);
      const owner = String(row[field]);
      const values: Record<string, string> = {};
      for (const n of pathParamNames(op.path))
        values[n] = n === param ? id : (ctx.fixtures[n] ?? ctx.discovery.ids[n]?.[0] ?? `conformance-${n}`);
      const scopes = (op.requiredScopes ?? []).map((r) => renderRequired(r, values));
      const opBase = { operationId: op.operationId, method: op.method, path: op.path };
      const isItem = op.path === `${L.path}/{${param}}`;
      const target = targetFor(ctx, op, values);
      if (op.method === 'GET') {
        const steps: Step[] = [
          {
            label: `as ${B}, ${param} of ${owner}`,
            request: { method: 'GET', path: target, token: { scopes, sub: B } },
            expect: isItem ? notFound : hiddenSub,
            oracle: 'hidden',
          },
        ];
        if (isItem)
          steps.push({
            label: `as ${B}, missing ${param}`,
            request: {
              method: 'GET',
              path: targetFor(ctx, op, { ...values, [param]: 'conformance-missing-row' }),
              token: { scopes, sub: B },
            },
            expect: notFound,
            oracle: 'missing',
          });
        cases.push({
          ...opBase,
          probe: probe(isItem ? 'ISO-READ-OTHER-USER' : 'ISO-SUB-OTHER-USER'),
          phase: 1,
          steps,
        });
      } else if (['PATCH', 'PUT', 'DELETE', 'POST'].includes(op.method)) {
        const ex = op.requestBody?.example;
        const body = op.requestBody ? JSON.stringify(ex ?? {}) : undefined;
        const write: PlannedRequest = { method: op.method, path: target, token: { scopes, sub: B } };
        if (body !== undefined) {
          write.body = body;
          write.headers = {
            'content-type':
              op.requestBody?.contentTypes.find((c) => c.includes('json')) ?? 'application/json',
          };
        }
        const readBack = ops.find((o) => o.method === 'GET' && o.path === `${L.path}/{${param}}`);
        // The answer must not tell another user's row from a missing one (contract §5 says 404).
        let missingStatus: number | undefined;
        const steps: Step[] = [
          {
            label: `${op.method} as ${B} on a missing ${param}`,
            request: {
              ...write,
              path: targetFor(ctx, op, { ...values, [param]: 'conformance-missing-row' }),
            },
            expect: {
              describe: 'recorded for comparison',
              check: (r) => {
                missingStatus = r.status;
                return undefined;
              },
            },
            oracle: 'missing',
          },
          {
            label: `${op.method} as ${B} on ${owner}'s ${param}`,
            request: write,
            expect: {
              describe: '404, or the same answer as for a missing row',
              check: (r) =>
                r.error
                  ? `no response: ${r.error}`
                  : r.status === 404 || r.status === missingStatus
                    ? undefined
                    : `got ${r.status} (a missing row got ${missingStatus}): ${excerpt(r.body, 160)}`,
            },
            oracle: 'hidden',
          },
        ];
        if (readBack)
          steps.push({
            label: `re-read as admin: the row is still there`,
            request: {
              method: 'GET',
              path: targetFor(ctx, readBack, { [param]: id }),
              token: { scopes: [ctx.adminScope], sub: owner },
            },
            expect: {
              describe: '200',
              check: (r) =>
                r.status === 200
                  ? undefined
                  : `the row is gone or changed: ${r.status} ${excerpt(r.body, 120)}`,
            },
            oracle: 'allow',
          });
        cases.push({
          ...opBase,
          probe: probe('ISO-WRITE-OTHER-USER'),
          phase: 2,
          steps,
          note: 'a correct server answers 404 and changes nothing; a broken one changes another user\u2019s row',
        });
      }
    }
  }
  if (!anyRows && lists.length)
    notes.push(
      'User isolation: the admin listings returned no rows owned by a user, so ISO probes could not target another user\u2019s rows.',
    );
  return cases;
}
