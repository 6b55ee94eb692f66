/**
 * @module probes/filter — §7D of security-anchors.md for operations with `x-scope-filter`
 * (contract.md §3): per-resource scopes list exactly those items, a run scope does not list, and
 * global/wildcard read scopes see what the admin sees.
 */

import { excerpt, itemIds, listItems } from '../expect.js';
import { type PlanContext, requestFor } from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { Case, Expectation, Step } from '../types.js';
import { probe } from './catalog.js';

/**
 * @param tolerated ids that may be listed or not (rows the suite seeded as another user: under
 *   user isolation a target may hide them from the probing subject, e.g. agno 3.1's draft
 *   components in `GET /agents`)
 */
function listed(
  want: { exactly?: string[]; subsetOf?: string[] },
  idField: string,
  tolerated: readonly string[] = [],
): Expectation {
  const d = want.exactly ? `exactly [${want.exactly.join(', ')}]` : `only [${want.subsetOf?.join(', ')}]`;
  return {
    describe: `200 listing ${d}`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      if (res.status !== 200) return `got ${res.status}: ${excerpt(res.body, 160)}`;
      const items = listItems(res.body);
      if (!items) return `not a list: ${excerpt(res.body, 120)}`;
      const got = itemIds(items, idField);
      const allowed = want.exactly ?? want.subsetOf ?? [];
      const extra = got.filter((g) => !allowed.includes(g) && !tolerated.includes(g));
      if (extra.length) return `listed items outside the token's scopes: ${extra.slice(0, 8).join(', ')}`;
      const missing = want.exactly?.filter((w) => !got.includes(w)) ?? [];
      return missing.length ? `items the token may read are missing: ${missing.join(', ')}` : undefined;
    },
  };
}

export function planFilter(ctx: PlanContext, op: Operation): Case[] {
  const f = op.scopeFilter;
  if (!f) return [];
  const adminItems = ctx.discovery.lists[op.operationId];
  // Rows seeded as user A are another user's under isolation: neither expected nor refused here
  // (the ISO probes decide about them).
  const seeded = ctx.userIsolation ? (ctx.discovery.seeded ?? []) : [];
  const all = adminItems ? itemIds(adminItems, f.id).filter((id) => !seeded.includes(id)) : undefined;
  const [a, b] = all ?? [];
  const base = { operationId: op.operationId, method: op.method, path: op.path, phase: 1 };
  const step = (label: string, scopes: string[], expect: Expectation, oracle: string): Step => ({
    label,
    request: requestFor(ctx, op, { scopes }),
    expect,
    oracle,
    ...(oracle === 'deny'
      ? { hyg: { kind: 'insufficient' as const, required: op.requiredScopes ?? [] } }
      : {}),
  });
  const cases: Case[] = [];
  const perId: Step[] = [];
  if (a !== undefined)
    perId.push(
      step(
        `${f.resource}:${a}:${f.action}`,
        [`${f.resource}:${a}:${f.action}`],
        listed({ exactly: [a] }, f.id),
        `filter:[${a}]`,
      ),
    );
  if (a !== undefined && b !== undefined)
    perId.push(
      step(
        `${f.resource}:${a}:${f.action} + ${b}`,
        [`${f.resource}:${a}:${f.action}`, `${f.resource}:${b}:${f.action}`],
        listed({ exactly: [a, b] }, f.id),
        `filter:[${a},${b}]`,
      ),
    );
  cases.push(
    perId.length
      ? { ...base, probe: probe('FILTER-PER-ID'), steps: perId }
      : {
          ...base,
          probe: probe('FILTER-PER-ID'),
          steps: [],
          skip: `no ${f.resource} found on the target (discovery with the admin token listed none); add fixtures or seed the target`,
        },
  );
  cases.push({
    ...base,
    probe: probe('FILTER-UNKNOWN-ID'),
    steps: [
      step(
        'scope for a missing id',
        [`${f.resource}:conformance-missing-id:${f.action}`],
        listed({ exactly: [] }, f.id),
        'filter:[conformance-missing-id]',
      ),
    ],
  });
  const actions = new Set<string>();
  for (const o of ctx.spec.operations)
    for (const s of o.requiredScopes ?? []) {
      const p = s.split(':');
      if (p[0] === f.resource && p[p.length - 1] !== f.action) actions.add(p[p.length - 1] as string);
    }
  if (actions.size === 0) actions.add('run');
  const deny: Expectation = {
    describe: '403',
    check: (r) =>
      r.error
        ? `no response: ${r.error}`
        : r.status === 403
          ? undefined
          : `got ${r.status}: ${excerpt(r.body, 160)}`,
  };
  cases.push({
    ...base,
    probe: probe('FILTER-OTHER-ACTION'),
    gate: 'DIFF-UNMAPPED-ROUTE',
    steps: [...actions].flatMap((act) => [
      step(`${f.resource}:${a ?? 'x'}:${act}`, [`${f.resource}:${a ?? 'x'}:${act}`], deny, 'deny'),
      step(`${f.resource}:${act}`, [`${f.resource}:${act}`], deny, 'deny'),
      step(`${f.resource}:*:${act}`, [`${f.resource}:*:${act}`], deny, 'deny'),
    ]),
  });
  cases.push({
    ...base,
    probe: probe('FILTER-GLOBAL'),
    steps: [
      step(
        `${f.resource}:${f.action}`,
        [`${f.resource}:${f.action}`],
        all ? listed({ exactly: all }, f.id, seeded) : listed({ subsetOf: [] }, f.id),
        'allow',
      ),
      step(
        `${f.resource}:*:${f.action}`,
        [`${f.resource}:*:${f.action}`],
        all ? listed({ exactly: all }, f.id, seeded) : listed({ subsetOf: [] }, f.id),
        'allow',
      ),
    ],
    ...(all ? {} : { skip: 'no admin listing to compare with (discovery failed)' }),
  });
  return cases;
}
