/**
 * @module discover — finds fixture ids on the target with an admin token: every secured list
 * operation (GET without path parameters) is called once, and ids are read from its items for the
 * path parameters of the operations below it (`/agents` → `agent_id` of `/agents/{agent_id}`).
 */

import { HarnessError } from './errors.js';
import { excerpt, listItems } from './expect.js';
import type { HttpClient } from './http.js';
import type { Discovery } from './plan-context.js';
import { runPool } from './pool.js';
import { type ApiSpec, pathParamNames } from './spec.js';
import type { TokenFactory } from './tokens.js';

export interface DiscoverOptions {
  adminScope: string;
  headers?: Record<string, string>;
  concurrency: number;
}

/**
 * Checks the target is up and accepts our tokens, then discovers ids.
 * @throws {HarnessError} `ERR_TARGET_UNREACHABLE`, or `ERR_TARGET_REJECTS_TOKENS` when an admin token gets 401.
 */
export async function discoverFixtures(
  spec: ApiSpec,
  client: HttpClient,
  tokens: TokenFactory,
  options: DiscoverOptions,
): Promise<Discovery & { log: string[] }> {
  const log: string[] = [];
  const token = await tokens.mint({ scopes: [options.adminScope] });
  const headers = { ...options.headers, authorization: `Bearer ${token}`, accept: 'application/json' };
  const lists = spec.operations.filter(
    (o) =>
      o.method === 'GET' &&
      (o.requiredScopes?.length ?? 0) > 0 &&
      pathParamNames(o.path).length === 0 &&
      !o.parameters.some((p) => p.in === 'query' && p.required),
  );
  const probeOp = lists[0];
  const first = await client.send({ method: 'GET', path: probeOp?.path ?? '/', headers });
  if (first.error) {
    throw new HarnessError(
      'ERR_TARGET_UNREACHABLE',
      `cannot reach ${client.origin}${client.basePath}: ${first.error}. Is the server running, and is --base-url right?`,
    );
  }
  if (first.status === 401 && probeOp) {
    throw new HarnessError(
      'ERR_TARGET_REJECTS_TOKENS',
      `the target answered 401 to an admin token on GET ${probeOp.path} (${excerpt(first.body, 200)}). It does not accept the suite's tokens: check --signing-key, --alg, --kid, --audience, --issuer and --admin-scope.`,
    );
  }
  const out: Discovery & { log: string[] } = { ids: {}, lists: {}, log };
  const answers = await runPool(lists, options.concurrency, async (op) => ({
    op,
    res: await client.send({ method: 'GET', path: op.path, headers }),
  }));
  for (const { op, res } of answers) {
    const items = res.status === 200 ? listItems(res.body) : undefined;
    if (!items) {
      log.push(`GET ${op.path}: ${res.status || res.error} (no list)`);
      continue;
    }
    out.lists[op.operationId] = items;
    log.push(`GET ${op.path}: ${items.length} item(s)`);
    const children = spec.operations.filter((o) => o.path.startsWith(`${op.path}/{`));
    for (const child of children) {
      const param = pathParamNames(child.path)[0] as string;
      if (out.ids[param]) continue;
      const field = op.scopeFilter?.id;
      const ids = items
        .map((i) =>
          i && typeof i === 'object'
            ? ((i as Record<string, unknown>)[param] ??
              (field ? (i as Record<string, unknown>)[field] : undefined) ??
              (i as Record<string, unknown>).id)
            : undefined,
        )
        .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
        .map(String);
      if (ids.length) out.ids[param] = [...new Set(ids)];
    }
  }
  // Second pass: any item field named like a path parameter (sessions carry agent_id, run_id …).
  const params = new Set(spec.operations.flatMap((o) => pathParamNames(o.path)));
  for (const items of Object.values(out.lists))
    for (const i of items) {
      if (!i || typeof i !== 'object') continue;
      for (const p of params) {
        const v = (i as Record<string, unknown>)[p];
        if (!out.ids[p] && (typeof v === 'string' || typeof v === 'number')) out.ids[p] = [String(v)];
      }
    }
  return out;
}
