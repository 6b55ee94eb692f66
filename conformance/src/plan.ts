/**
 * @module plan — turns the spec (and what discovery found on the target) into test cases.
 * Pure: no I/O. Every option is resolved into one `PlanContext` (context.ts, defaults included).
 */

import { HarnessError } from './errors.js';
import { DEFAULT_ADMIN_SCOPE } from './oracle.js';
import {
  globMatch,
  isSecured,
  opKey,
  type Plan,
  type PlanContext,
  pickRepresentative,
  type SuiteOptions,
} from './plan-context.js';
import { planDiffers } from './probes/differs.js';
import { planFilter } from './probes/filter.js';
import { planHygieneCases } from './probes/hygiene.js';
import { planIsolation } from './probes/isolation.js';
import { planObject } from './probes/object.js';
import { planOwnership } from './probes/ownership.js';
import { planPath } from './probes/path.js';
import { planRoles } from './probes/roles.js';
import { planPublic, planScope } from './probes/scope.js';
import { planSurface, templateKey } from './probes/surface.js';
import { planToken } from './probes/token.js';
import type { ApiSpec } from './spec.js';
import type { Case } from './types.js';

export * from './plan-context.js';

/**
 * Plans every case for `spec` under `options`.
 * @throws {HarnessError} `ERR_SPEC` when an operation lacks `x-required-scopes`.
 * @example const plan = planSuite(spec, { alg: 'RS256', audience: 'my-os' });
 */
export function planSuite(spec: ApiSpec, options: SuiteOptions): Plan {
  const notes: string[] = [];
  const missing = spec.operations.filter((o) => o.requiredScopes === undefined);
  if (missing.length > 0) {
    throw new HarnessError(
      'ERR_SPEC',
      `${missing.length} operation(s) lack x-required-scopes (e.g. ${missing
        .slice(0, 3)
        .map(opKey)
        .join(
          ', ',
        )}); every operation must declare its scopes ([] for public), see docs/contract.md. For an API that states its scopes with standard OpenAPI security, run with --profile generic`,
    );
  }
  const served = options.surface ? new Set(options.surface.served) : undefined;
  // With the target's own document, plan only what it serves (its missing operations are reported).
  const ops = spec.operations.filter(
    (o) =>
      o.method !== 'OPTIONS' && o.method !== 'HEAD' && (!served || served.has(templateKey(o.method, o.path))),
  );
  if (options.surface) {
    const s = options.surface;
    notes.push(
      `Target surface (${s.source}): ${s.served.length} spec operations served, ${s.extra.length} served but absent from the spec (probed as SURFACE-UNMAPPED${s.extra.length ? `: ${s.extra.map((e) => `${e.method} ${e.path}`).join(', ')}` : ''}), ${s.missing.length} spec operations not served${s.missing.length ? ` (not planned: ${s.missing.join(', ')})` : ''}.`,
    );
  } else notes.push('Target surface: the target has no /openapi.json; every spec operation was planned.');
  const ctx: PlanContext = {
    spec,
    adminScope: options.adminScope ?? DEFAULT_ADMIN_SCOPE,
    scopesClaim: options.scopesClaim ?? 'scopes',
    userIdClaim: options.userIdClaim ?? 'sub',
    audience: options.audience,
    issuer: options.issuer,
    alg: options.alg,
    userIsolation: options.userIsolation ?? false,
    mode: options.mode ?? 'safe',
    leeway: options.leeway ?? 10,
    tokenProbes: options.tokenProbes ?? 'representative',
    fixtures: options.fixtures ?? {},
    discovery: options.discovery ?? { ids: {}, lists: {} },
    users: options.users ?? { a: 'conformance-user-a', b: 'conformance-user-b' },
    origin: options.origin ?? 'http://localhost:3000',
    ownerField: options.ownerField ?? 'user_id',
    representative: [],
    seed: options.seed ?? false,
    approvalTrigger: options.approvalTrigger,
    tokenSource: options.tokenSource ?? 'header',
    cookieName: options.cookieName ?? 'access_token',
    rolesClaim: options.rolesClaim,
    roles: options.roles ?? [],
    disabledUser: options.disabledUser,
    surface: options.surface,
    publicKeyGiven: options.publicKeyGiven ?? false,
  };
  ctx.representative = ctx.tokenProbes === 'all' ? ops.filter(isSecured) : pickRepresentative(ops);
  notes.push(
    ctx.tokenProbes === 'all'
      ? 'Token-validity (TOK) probes ran on every secured operation.'
      : `Token-validity (TOK), path (PATH) and DIFF-EXP-REQUIRED probes ran on a representative set of ${ctx.representative.length} operations (one GET per resource family, one per-id GET, one POST): ${ctx.representative.map(opKey).join(', ')}. Scope (SCOPE) probes ran on every secured operation.`,
  );
  if (!ctx.userIsolation)
    notes.push(
      'User-isolation (ISO) probes did not run: pass --user-isolation when the target isolates users.',
    );
  if (ctx.mode === 'safe')
    notes.push(
      'Safe mode: allowed calls on writes used ids that do not exist or bodies that fail validation; "authorized" means "not 401/403".',
    );

  const cases: Case[] = [];
  for (const op of ops) {
    if (isSecured(op)) {
      cases.push(...planScope(ctx, op));
      cases.push(...planDiffers(ctx, op));
      if (ctx.representative.includes(op)) cases.push(...planToken(ctx, op));
      if (op.scopeFilter) cases.push(...planFilter(ctx, op));
    } else {
      cases.push(...planPublic(ctx, op));
    }
  }
  cases.push(...planPath(ctx, ops));
  cases.push(...planHygieneCases(ctx, ops));
  if (ctx.userIsolation) cases.push(...planIsolation(ctx, ops, notes));
  cases.push(...planObject(ctx, ops));
  cases.push(...planOwnership(ctx, ops));
  cases.push(...planSurface(ctx, ops));
  cases.push(...planRoles(ctx, ops));

  const only = options.only ?? [];
  const selected = only.length
    ? cases.filter((c) =>
        only.some(
          (g) =>
            globMatch(g, c.operationId) || globMatch(g, `${c.method} ${c.path}`) || globMatch(g, c.probe.id),
        ),
      )
    : cases;
  for (const c of selected) {
    const rule = options.skips?.find(
      (r) =>
        (globMatch(r.operation, c.operationId) ||
          globMatch(r.operation, `${c.method} ${c.path}`) ||
          globMatch(r.operation, c.path)) &&
        globMatch(r.probe ?? '*', c.probe.id),
    );
    if (rule && !c.skip) c.skip = `skipped by config: ${rule.reason}`;
  }
  const inPlan = new Set(selected.map((c) => c.operationId));
  return { context: ctx, cases: selected, operations: ops.filter((o) => inPlan.has(o.operationId)), notes };
}
