/**
 * @module seed — self-seeding (`--mode full`, or `--seed` for a disposable target in safe mode):
 * rows owned by user A are created through the target's own API (a session, a memory, a learning,
 * a service account, knowledge content, a component, an eval run, a run of an agent, whatever it
 * serves), so the isolation probes always have another user's rows to aim at, then removed after
 * the run. Nothing here reads the database: only HTTP.
 *
 * Some kinds answer no owner field (agno's knowledge content has no `user_id`): the suite knows it
 * created those rows as A, and `attributeSeeded` marks them as A's in the admin listing, so the
 * isolation probes can tell them in user B's listing.
 */

import type { HttpClient } from './http.js';
import type { Discovery } from './plan-context.js';
import type { ApiSpec } from './spec.js';
import type { TokenFactory } from './tokens.js';

export interface SeedResult {
  /** What was created: `POST /sessions → 9f1c…`. */
  created: string[];
  /** The rows created, by the path that created them (the listing's path), with their owner. */
  owned: { path: string; id: string; owner: string }[];
  /** Why a kind could not be seeded. */
  failed: string[];
  cleanup: () => Promise<string[]>;
}

interface Seedable {
  method: string;
  path: string;
  /** Body as A; the id field of the answer; the delete that removes it. */
  body: (a: string, d: Discovery) => { contentType: string; text: string } | undefined;
  id: string;
  scopes: (d: Discovery) => string[];
  remove?: (id: string) => { method: string; path: string; body?: string };
}

const jsonBody = (v: unknown) => ({ contentType: 'application/json', text: JSON.stringify(v) });
const first = (d: Discovery, p: string) => d.ids[p]?.[0];

const SEEDABLE: Seedable[] = [
  {
    method: 'POST',
    path: '/sessions',
    body: (a, d) =>
      jsonBody({
        session_name: 'conformance seed',
        user_id: a,
        ...(first(d, 'agent_id') ? { agent_id: first(d, 'agent_id') } : {}),
        session_state: { seeded: true },
      }),
    id: 'session_id',
    scopes: () => ['sessions:write'],
    remove: (id) => ({ method: 'DELETE', path: `/sessions/${id}` }),
  },
  {
    method: 'POST',
    path: '/memories',
    body: (a) => jsonBody({ memory: 'conformance seed memory', user_id: a, topics: ['conformance'] }),
    id: 'memory_id',
    scopes: () => ['memories:write'],
    remove: (id) => ({ method: 'DELETE', path: `/memories/${id}` }),
  },
  {
    method: 'POST',
    path: '/learnings',
    body: (a) => jsonBody({ learning_type: 'conformance', content: { seed: true }, user_id: a }),
    id: 'learning_id',
    scopes: () => ['learnings:write'],
    remove: (id) => ({ method: 'DELETE', path: `/learnings/${id}` }),
  },
  {
    // A's own service account (user-owned since 3.1): names are unique among active accounts, so a
    // random suffix keeps a rerun against a kept target from colliding with an unrevoked seed.
    method: 'POST',
    path: '/service-accounts',
    body: () =>
      jsonBody({
        name: `conformance-seed-${Math.random().toString(36).slice(2, 10)}`,
        scopes: [{ scope: 'sessions:read' }],
        expires_in_days: 1,
      }),
    id: 'id',
    scopes: () => ['service_accounts:write', 'sessions:read'],
    remove: (id) => ({ method: 'DELETE', path: `/service-accounts/${id}` }),
  },
  {
    // A's knowledge content (user-owned since 3.1, with shared rows): text, no file, no URL.
    method: 'POST',
    path: '/knowledge/content',
    body: () => ({
      contentType: 'application/x-www-form-urlencoded',
      text: new URLSearchParams({
        name: 'conformance seed',
        text_content: `Conformance seed content ${Math.random().toString(36).slice(2, 10)}.`,
      }).toString(),
    }),
    id: 'id',
    scopes: () => ['knowledge:write'],
    remove: (id) => ({ method: 'DELETE', path: `/knowledge/content/${encodeURIComponent(id)}` }),
  },
  {
    // A's component (user-owned since 3.1, with shared rows): a draft agent, visible to A only.
    method: 'POST',
    path: '/components',
    body: () =>
      jsonBody({
        component_id: `conformance-seed-${Math.random().toString(36).slice(2, 10)}`,
        component_type: 'agent',
        name: 'Conformance seed',
        config: {},
        stage: 'draft',
      }),
    id: 'component_id',
    scopes: () => ['components:write'],
    remove: (id) => ({ method: 'DELETE', path: `/components/${encodeURIComponent(id)}` }),
  },
  {
    // A's eval run (user-owned since 3.1): a one-run performance eval of the first agent (no judge
    // model needed; it runs the agent, so it needs run permission on it as well).
    method: 'POST',
    path: '/eval-runs',
    body: (_a, d) =>
      first(d, 'agent_id')
        ? jsonBody({
            agent_id: first(d, 'agent_id'),
            eval_type: 'performance',
            input: 'conformance seed',
            num_iterations: 1,
            warmup_runs: 0,
            name: 'conformance seed',
          })
        : undefined,
    id: 'id',
    scopes: (d) => ['evals:write', `agents:${first(d, 'agent_id')}:run`],
    remove: (id) => ({ method: 'DELETE', path: '/eval-runs', body: JSON.stringify({ eval_run_ids: [id] }) }),
  },
  {
    method: 'POST',
    path: '/agents/{agent_id}/runs',
    body: (_a, d) =>
      first(d, 'agent_id')
        ? {
            contentType: 'application/x-www-form-urlencoded',
            text: new URLSearchParams({ message: 'conformance seed', stream: 'false' }).toString(),
          }
        : undefined,
    id: 'run_id',
    scopes: (d) => [`agents:${first(d, 'agent_id')}:run`],
  },
];

/** Creates A's rows for every seedable operation the spec (and so the target) serves. */
export async function seedRows(
  spec: ApiSpec,
  client: HttpClient,
  tokens: TokenFactory,
  options: { userA: string; adminScope: string; discovery: Discovery; headers: Record<string, string> },
): Promise<SeedResult> {
  const created: { label: string; remove?: { method: string; path: string; body?: string } }[] = [];
  const owned: SeedResult['owned'] = [];
  const failed: string[] = [];
  for (const s of SEEDABLE) {
    if (!spec.operations.some((o) => o.method === s.method && o.path === s.path)) continue;
    const body = s.body(options.userA, options.discovery);
    if (!body) {
      failed.push(`${s.method} ${s.path}: no fixture id`);
      continue;
    }
    const path = s.path.replace('{agent_id}', encodeURIComponent(first(options.discovery, 'agent_id') ?? ''));
    const token = await tokens.mint({ scopes: s.scopes(options.discovery), sub: options.userA });
    const r = await client.send({
      method: s.method,
      path,
      headers: {
        ...options.headers,
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'content-type': body.contentType,
      },
      body: body.text,
    });
    let id: unknown;
    try {
      id = (JSON.parse(r.body) as Record<string, unknown>)[s.id];
    } catch {
      id = undefined;
    }
    if (r.status < 200 || r.status > 299 || typeof id !== 'string') {
      failed.push(`${s.method} ${path}: ${r.status || r.error} ${r.body.slice(0, 120)}`);
      continue;
    }
    created.push({ label: `${s.method} ${path} → ${id}`, ...(s.remove ? { remove: s.remove(id) } : {}) });
    owned.push({ path, id, owner: options.userA });
  }
  return {
    created: created.map((c) => c.label),
    owned,
    failed,
    async cleanup() {
      const token = await tokens.mint({ scopes: [options.adminScope], sub: options.userA });
      const out: string[] = [];
      for (const c of created) {
        if (!c.remove) continue;
        const r = await client.send({
          ...c.remove,
          headers: {
            ...options.headers,
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(c.remove.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
        });
        if (r.status >= 300 && r.status !== 404) out.push(`${c.remove.method} ${c.remove.path}: ${r.status}`);
      }
      return out;
    },
  };
}

/**
 * Marks the rows the suite created as A's in the admin listings where the target answers no owner
 * field (agno's knowledge content has no `user_id`): an item of the listing at the creating path
 * whose `id` (or `<something>_id`) is a seeded id gets `ownerField` = A. Items that carry an owner
 * are left as the target answered them. Answers the discovery with the marked listings and the
 * seeded ids (`seeded`).
 */
export function attributeSeeded<D extends Discovery>(
  discovery: D,
  spec: ApiSpec,
  owned: SeedResult['owned'],
  ownerField: string,
): D {
  if (owned.length === 0) return discovery;
  const lists = { ...discovery.lists };
  for (const op of spec.operations) {
    if (op.method !== 'GET') continue;
    const mine = owned.filter((o) => o.path === op.path);
    const items = lists[op.operationId];
    if (mine.length === 0 || !items) continue;
    lists[op.operationId] = items.map((item) => {
      if (!item || typeof item !== 'object' || ownerField in item) return item;
      const rec = item as Record<string, unknown>;
      const ids = Object.entries(rec)
        .filter(([k, v]) => (k === 'id' || k.endsWith('_id')) && typeof v === 'string')
        .map(([, v]) => v as string);
      const seed = mine.find((o) => ids.includes(o.id));
      return seed ? { ...rec, [ownerField]: seed.owner } : item;
    });
  }
  return { ...discovery, lists, seeded: owned.map((o) => o.id) };
}
