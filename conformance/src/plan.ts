/**
 * @module plan — turns the spec (and what discovery found on the target) into test cases.
 * Pure: no I/O. Every option is resolved here into one `PlanContext` (defaults included).
 */
import { HarnessError } from './errors.js';
import { DEFAULT_ADMIN_SCOPE } from './oracle.js';
import { planDiffers } from './probes/differs.js';
import { planFilter } from './probes/filter.js';
import { planHygieneCases } from './probes/hygiene.js';
import { planIsolation } from './probes/isolation.js';
import { planPath } from './probes/path.js';
import { planPublic, planScope } from './probes/scope.js';
import { planToken } from './probes/token.js';
import { type ApiSpec, type Operation, pathParamNames, renderPath } from './spec.js';
import type { SigningAlg, TokenSpec } from './tokens.js';
import type { Case, PlannedRequest } from './types.js';

export interface SkipRule {
  /** Glob on operationId, `METHOD /path` or the path. */
  operation: string;
  /** Glob on the probe id; default all. */
  probe?: string;
  reason: string;
}

/** What discovery learned from the target with an admin token. */
export interface Discovery {
  /** Path parameter name → ids found (first is used). */
  ids: Record<string, string[]>;
  /** operationId of a list operation → its items as the admin saw them. */
  lists: Record<string, unknown[]>;
}

export interface SuiteOptions {
  alg: SigningAlg;
  adminScope?: string;
  scopesClaim?: string;
  userIdClaim?: string;
  audience?: string | undefined;
  issuer?: string | undefined;
  /** Whether the target runs with user isolation (enables the ISO family). */
  userIsolation?: boolean;
  mode?: 'safe' | 'full';
  /** Globs: a case runs when one matches its operation (operationId, `METHOD /path`) or probe id. */
  only?: string[];
  skips?: SkipRule[];
  /** Leeway the target allows on exp/nbf, seconds. Default 10 (contract §1). */
  leeway?: number;
  /** Run token-validity probes on a representative set (default) or every secured operation. */
  tokenProbes?: 'representative' | 'all';
  /** Fixture ids per path parameter name (from the config file); win over discovery. */
  fixtures?: Record<string, string>;
  discovery?: Discovery;
  /** Two user subjects for isolation probes (a owns rows, b probes them). */
  users?: { a: string; b: string };
  /** Origin sent by the CORS probes. Default http://localhost:3000. */
  origin?: string;
  /** Item property holding the owner (user isolation). Default user_id. */
  ownerField?: string;
}

export interface PlanContext {
  spec: ApiSpec;
  adminScope: string;
  scopesClaim: string;
  userIdClaim: string;
  audience: string | undefined;
  issuer: string | undefined;
  alg: SigningAlg;
  userIsolation: boolean;
  mode: 'safe' | 'full';
  leeway: number;
  tokenProbes: 'representative' | 'all';
  fixtures: Record<string, string>;
  discovery: Discovery;
  users: { a: string; b: string };
  origin: string;
  ownerField: string;
  /** Secured operations selected for the token/path probe families. */
  representative: Operation[];
}

export interface Plan {
  context: PlanContext;
  cases: Case[];
  /** Operations in the plan (after --only), for the matrix. */
  operations: Operation[];
  notes: string[];
}

/** Subject of the suite's tokens unless a probe names another. */
export const DEFAULT_SUBJECT = 'conformance-user';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isMutating = (op: Operation) => MUTATING.has(op.method);
export const isSecured = (op: Operation) => (op.requiredScopes?.length ?? 0) > 0;
export const opKey = (op: { method: string; path: string }) => `${op.method} ${op.path}`;

/** Glob with `*` (any run of characters) and `?`; case-sensitive. */
export function globMatch(glob: string, text: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(text);
}

/** Ids a request on `op` uses. Safe mode: missing ids on mutating operations; else fixtures. */
export function valuesFor(
  ctx: PlanContext,
  op: Operation,
  purpose: 'read' | 'missing' = 'read',
): Record<string, string> {
  const out: Record<string, string> = {};
  const missing = purpose === 'missing' || (ctx.mode === 'safe' && isMutating(op));
  for (const name of pathParamNames(op.path)) {
    // A user id in the path of per-user data is the caller's own (the suite's default subject).
    if (name === ctx.ownerField && op.userOwned) out[name] = DEFAULT_SUBJECT;
    else out[name] = missing ? `conformance-missing-${name.replace(/_/g, '-')}` : fixtureFor(ctx, name);
  }
  return out;
}

export function fixtureFor(ctx: PlanContext, name: string): string {
  return ctx.fixtures[name] ?? ctx.discovery.ids[name]?.[0] ?? `conformance-${name.replace(/_/g, '-')}`;
}

function queryValue(ctx: PlanContext, p: Operation['parameters'][number]): string {
  if (ctx.fixtures[p.name] !== undefined) return ctx.fixtures[p.name] as string;
  if (ctx.discovery.ids[p.name]?.[0] !== undefined) return ctx.discovery.ids[p.name]?.[0] as string;
  const s = p.schema ?? {};
  const v = p.example ?? s.default ?? (Array.isArray(s.enum) ? s.enum[0] : undefined);
  if (v !== undefined && v !== null) return String(v);
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  return t === 'integer' || t === 'number' ? '1' : t === 'boolean' ? 'true' : 'conformance';
}

/** Request target for `op` with path values and required query parameters. */
export function targetFor(
  ctx: PlanContext,
  op: Operation,
  values: Record<string, string>,
  extraQuery = '',
): string {
  const q = op.parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(queryValue(ctx, p))}`);
  if (extraQuery) q.push(extraQuery);
  return renderPath(op.path, values) + (q.length ? `?${q.join('&')}` : '');
}

/**
 * Body for `op`. Safe mode: a body that fails validation (truncated JSON, broken multipart), so an
 * allowed call changes nothing. Full mode: the spec's example.
 */
export function bodyFor(ctx: PlanContext, op: Operation): { body?: string; headers: Record<string, string> } {
  const rb = op.requestBody;
  if (!rb || op.method === 'GET' || op.method === 'HEAD') return { headers: {} };
  const json = rb.contentTypes.find((c) => c.includes('json'));
  const multipart = rb.contentTypes.find((c) => c.startsWith('multipart/'));
  const form = rb.contentTypes.find((c) => c === 'application/x-www-form-urlencoded');
  if (ctx.mode === 'safe') {
    if (json) return { body: '{"conformance": ', headers: { 'content-type': 'application/json' } };
    if (multipart)
      return {
        body: 'this is not a multipart body',
        headers: { 'content-type': 'multipart/form-data; boundary=conformance-boundary' },
      };
    return { body: '', headers: { 'content-type': form ?? rb.contentTypes[0] ?? 'application/json' } };
  }
  const ex = rb.example ?? {};
  if (json) return { body: JSON.stringify(ex), headers: { 'content-type': 'application/json' } };
  const fields = ex && typeof ex === 'object' ? Object.entries(ex as Record<string, unknown>) : [];
  const enc = fields
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
    )
    .join('&');
  return { body: enc, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/**
 * Whether an authorized call on `op` can be made without changing data (safe mode): reads always;
 * writes when the request names a missing id or carries a body that fails validation.
 */
export function safeToAuthorize(ctx: PlanContext, op: Operation): boolean {
  if (ctx.mode === 'full' || !isMutating(op)) return true;
  return pathParamNames(op.path).length > 0 || op.requestBody !== undefined;
}

export const SAFE_SKIP_REASON =
  'safe mode: this write takes no id and no body, so an authorized call would change data; run with --mode full against a disposable target';

/** The canonical request of `op` with a token. */
export function requestFor(
  ctx: PlanContext,
  op: Operation,
  token: TokenSpec | undefined,
  values?: Record<string, string>,
): PlannedRequest {
  const v = values ?? valuesFor(ctx, op);
  const b = bodyFor(ctx, op);
  const req: PlannedRequest = { method: op.method, path: targetFor(ctx, op, v), headers: { ...b.headers } };
  if (b.body !== undefined) req.body = b.body;
  if (token) req.token = token;
  return req;
}

/** One GET per resource family (list preferred, then per-id) plus one POST; the token/path probe set. */
export function pickRepresentative(ops: Operation[]): Operation[] {
  const secured = ops.filter(isSecured);
  const byFamily = new Map<string, Operation[]>();
  for (const op of secured) {
    const fam = op.path.split('/')[1] ?? '';
    byFamily.set(fam, [...(byFamily.get(fam) ?? []), op]);
  }
  const out: Operation[] = [];
  for (const group of byFamily.values()) {
    const gets = group.filter((o) => o.method === 'GET');
    const pick = gets.find((o) => pathParamNames(o.path).length === 0) ?? gets[0];
    if (pick) out.push(pick);
  }
  const perId = secured.find((o) => o.method === 'GET' && o.requiredScopes?.some((s) => s.includes('{')));
  if (perId && !out.includes(perId)) out.push(perId);
  const post =
    secured.find((o) => o.method === 'POST' && o.requiredScopes?.some((s) => s.includes('{'))) ??
    secured.find((o) => o.method === 'POST');
  if (post && !out.includes(post)) out.push(post);
  return out;
}

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
  const ops = spec.operations.filter((o) => o.method !== 'OPTIONS' && o.method !== 'HEAD');
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
