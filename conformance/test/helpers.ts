/** @module test/helpers — a key pair, the fixture spec and a one-call runner for the self-tests. */
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { discoverFixtures } from '../src/discover.js';
import { createHttpClient } from '../src/http.js';
import { planSuite, type SuiteOptions } from '../src/plan.js';
import { compareSurface, fetchTargetDocument } from '../src/probes/surface.js';
import { runSuite, type SuiteResult } from '../src/run.js';
import { type ApiSpec, loadSpec } from '../src/spec.js';
import { createTokenFactory } from '../src/tokens.js';
import { type Defects, startMiniServer } from './targets/mini-server.js';

export const MINI_SPEC = fileURLToPath(new URL('./fixtures/mini.openapi.yaml', import.meta.url));
export const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const AUDIENCE = 'mini-os';

let specPromise: Promise<ApiSpec> | undefined;
export const miniSpec = () => (specPromise ??= loadSpec(MINI_SPEC));

/** Starts a mini target with `defects`, runs the suite against it, stops it. */
export async function runAgainst(
  defects: Defects,
  options: Partial<SuiteOptions> = {},
): Promise<SuiteResult> {
  const spec = await miniSpec();
  const server = await startMiniServer(spec, keys.publicKey, { audience: AUDIENCE, defects });
  try {
    const tokens = await createTokenFactory({
      alg: 'RS256',
      signingKey: privatePem,
      audience: AUDIENCE,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
    });
    const client = createHttpClient(server.url, { timeoutMs: 5000, concurrency: 8 });
    const discovery = await discoverFixtures(spec, client, tokens, {
      adminScope: 'agent_os:admin',
      concurrency: 8,
    });
    const doc = await fetchTargetDocument(client);
    client.close();
    const plan = planSuite(spec, {
      ...(doc ? { surface: compareSurface(doc, spec.operations, `${server.url}/openapi.json`) } : {}),
      fixtures: { team_id: 'research-team' },
      alg: 'RS256',
      audience: AUDIENCE,
      userIsolation: true,
      users: { a: 'user_123', b: 'user_999' },
      discovery,
      ...options,
    });
    return await runSuite(plan, { baseUrl: server.url, tokens, timeoutMs: 5000 });
  } finally {
    await server.close();
  }
}

export function failing(result: SuiteResult): string[] {
  return [...new Set(result.results.filter((r) => r.status === 'fail').map((r) => r.probeId))].sort();
}
