/**
 * @module probes/surface — what the target itself declares (its `/openapi.json`, or
 * `--target-spec FILE`) against the spec: operations it serves that the spec lacks are probed with
 * no token, a garbage token and a token without any relevant scope (contract §4: an unmapped
 * operation is where fail-open lives), and the spec operations it lacks are reported.
 */

import { HarnessError } from '../errors.js';
import { excerpt } from '../expect.js';
import type { HttpClient } from '../http.js';
import type { PlanContext, Surface } from '../plan-context.js';
import { HTTP_METHODS, type Operation } from '../spec.js';
import type { Case, Expectation } from '../types.js';
import { probe } from './catalog.js';

/** `GET /agents/{}`: method and path template with parameter names erased. */
export const templateKey = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}').replace(/(.)\/$/, '$1')}`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compares a target's OpenAPI document with the spec's operations. */
export function compareSurface(document: unknown, spec: Operation[], source: string): Surface {
  const declared = new Map<string, { method: string; path: string; operationId: string }>();
  const paths = isObj(document) && isObj(document.paths) ? document.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isObj(op) || m === 'head' || m === 'options') continue;
      const method = m.toUpperCase();
      declared.set(templateKey(method, path), {
        method,
        path,
        operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${path}`,
      });
    }
  }
  const specKeys = new Set(spec.map((o) => templateKey(o.method, o.path)));
  return {
    source,
    served: spec
      .filter((o) => declared.has(templateKey(o.method, o.path)))
      .map((o) => templateKey(o.method, o.path)),
    extra: [...declared.entries()].filter(([k]) => !specKeys.has(k)).map(([, v]) => v),
    missing: spec
      .filter((o) => !declared.has(templateKey(o.method, o.path)))
      .map((o) => `${o.method} ${o.path}`),
  };
}

/**
 * Fetches the target's `/openapi.json` (public on AgentOS). Undefined when the target has none (404,
 * or not an OpenAPI document); a transport error or a 5xx is retried once, then thrown: a slow target
 * must not silently lose its surface (every spec operation would be planned, removed ones included).
 * @throws {HarnessError} `ERR_TARGET_SPEC`
 */
export async function fetchTargetDocument(client: HttpClient, path = '/openapi.json'): Promise<unknown> {
  let r = await client.send({ method: 'GET', path, headers: { accept: 'application/json' } });
  if (r.error || r.status >= 500)
    r = await client.send({ method: 'GET', path, headers: { accept: 'application/json' } });
  // Nothing listening: discovery reports the unreachable target with its own message.
  if (r.error?.startsWith('ECONNREFUSED')) return undefined;
  if (r.error || r.status >= 500)
    throw new HarnessError(
      'ERR_TARGET_SPEC',
      `cannot read the target's ${path}: ${r.error ?? `${r.status} ${excerpt(r.body, 120)}`}. Pass --target-spec FILE, or --target-spec none to plan every spec operation`,
    );
  if (r.status !== 200) return undefined;
  try {
    const d = JSON.parse(r.body) as unknown;
    return isObj(d) && isObj(d.paths) ? d : undefined;
  } catch {
    return undefined;
  }
}

const refusedNo2xx = (why: string): Expectation => ({
  describe: `not 2xx (${why})`,
  check: (r) =>
    r.error
      ? `no response: ${r.error}`
      : r.status >= 200 && r.status < 300
        ? `got ${r.status}: served without authorization (unmapped fail-open): ${excerpt(r.body, 160)}`
        : undefined,
});

export function planSurface(ctx: PlanContext, _ops: Operation[]): Case[] {
  const s = ctx.surface;
  if (!s) return [];
  const cases: Case[] = [];
  for (const e of s.extra) {
    const path = e.path.replace(/\{([^}]+)\}/g, (_, n: string) => `conformance-${n.replace(/_/g, '-')}`);
    const mutating = e.method !== 'GET';
    // Safe mode: a body that fails validation, so a fail-open write changes nothing (the status says it).
    const body = mutating ? (ctx.mode === 'safe' ? '{"conformance": ' : '{}') : undefined;
    const req = {
      method: e.method,
      path,
      ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
    };
    cases.push({
      probe: probe('SURFACE-UNMAPPED'),
      operationId: e.operationId,
      method: e.method,
      path: e.path,
      phase: 0,
      note: `served by the target (${s.source}) and absent from the spec`,
      steps: [
        { label: 'no token', request: req, expect: refusedNo2xx('no token'), oracle: '401' },
        {
          label: 'garbage token',
          request: { ...req, token: { attack: { kind: 'raw', token: 'conformance.garbage.token' } } },
          expect: refusedNo2xx('garbage token'),
          oracle: '401',
        },
        {
          label: 'a valid token with an unrelated scope only',
          request: { ...req, token: { scopes: ['conformance:unrelated'] } },
          expect: refusedNo2xx('no relevant scope'),
          oracle: 'deny',
        },
      ],
    });
  }
  return cases;
}
