/**
 * @module seed — self-seeding (`--mode full`, or `--seed` for a disposable target in safe mode):
 * rows owned by user A are created through the target's own API (a session, a memory, a learning,
 * a run of an agent, whatever it serves), so the isolation probes always have another user's rows
 * to aim at, then removed after the run. Nothing here reads the database: only HTTP.
 */

import type { HttpClient } from './http.js';
import type { Discovery } from './plan-context.js';
import type { ApiSpec } from './spec.js';
import type { TokenFactory } from './tokens.js';

export interface SeedResult {
  /** What was created: `POST /sessions → 9f1c…`. */
  created: string[];
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
  remove?: (id: string) => { method: string; path: string };
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
  const created: { label: string; remove?: { method: string; path: string } }[] = [];
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
  }
  return {
    created: created.map((c) => c.label),
    failed,
    async cleanup() {
      const token = await tokens.mint({ scopes: [options.adminScope], sub: options.userA });
      const out: string[] = [];
      for (const c of created) {
        if (!c.remove) continue;
        const r = await client.send({
          ...c.remove,
          headers: { ...options.headers, authorization: `Bearer ${token}`, accept: 'application/json' },
        });
        if (r.status >= 300 && r.status !== 404) out.push(`${c.remove.method} ${c.remove.path}: ${r.status}`);
      }
      return out;
    },
  };
}
