/**
 * @module probes/surfaces — the authentication surfaces beside the REST operations: a target in
 * security-key mode (family KEY, `--security-key FILE`) and the workflow WebSocket (family WS, for
 * any target that serves `/workflows/ws`). They run after the operation plan (`Target.extra`).
 */
import type { Plan, PlanContext } from '../plan.js';
import type { ApiSpec } from '../spec.js';
import type { CaseResult } from '../types.js';
import { securityKeyProbes } from './security-key.js';
import { type WsProbeOptions, wsProbes } from './ws.js';

export interface SurfaceProbeOptions extends WsProbeOptions {
  readonly securityKey?: string | undefined;
}

/** The KEY probes (with a security key) and the WS probes (when the target serves the socket). */
export async function surfaceProbes(options: SurfaceProbeOptions): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  if (options.securityKey) {
    out.push(
      ...(await securityKeyProbes({
        baseUrl: options.baseUrl,
        key: options.securityKey,
        headers: options.headers,
        timeoutMs: options.timeoutMs,
      })),
    );
  }
  out.push(...(await wsProbes(options)));
  return out;
}

/** The plan of a security-key target: no operation case (its tokens are not JWTs), only the surfaces. */
export function keyOnlyPlan(spec: ApiSpec, mode: string): Plan {
  return {
    context: { spec, mode, alg: 'none (security key)' } as unknown as PlanContext,
    cases: [],
    operations: [],
    notes: ['security-key target: the JWT operation probes do not apply; only the KEY and WS probes ran'],
  };
}
