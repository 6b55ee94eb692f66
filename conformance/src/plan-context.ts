/**
 * @module plan-context — what every probe module plans from: the resolved options (`PlanContext`),
 * discovery results, and the helpers that turn an operation into a request (ids, query, body).
 * The probe modules import this, never `plan.ts` (which imports them), so there is no import cycle.
 */
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
  /** Ids of the rows the suite created as user A (`--seed`): another user's rows under isolation. */
  seeded?: string[];
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
  /** Create the rows the ISO and OBJ probes attack, in safe mode too (a disposable target). */
  seed?: boolean;
  /** A run that pauses on a required approval: entity path parameter, id and message. */
  approvalTrigger?: { param: string; id: string; message: string };
  /** Where the target reads tokens: the Authorization header (default) or a cookie. */
  tokenSource?: 'header' | 'cookie';
  cookieName?: string;
  /** Claim holding roles (AgentOS 3.1) and the role fixtures to check. */
  rolesClaim?: string;
  roles?: RoleFixture[];
  /** Subject the target's user directory has disabled. */
  disabledUser?: string;
  /** The target's public key was given (`--public-key`): also key HS256 with its exact text. */
  publicKeyGiven?: boolean;
  /** What the target itself declares (its /openapi.json), when it was read. */
  surface?: Surface;
}

/** A role of the target and what it must allow and deny (`METHOD /concrete/path`). */
export interface RoleFixture {
  role: string | string[];
  allow?: string[];
  deny?: string[];
}

/** The target's own operation list compared with the spec's. */
export interface Surface {
  source: string;
  /** Spec operations the target declares (by METHOD + path template). */
  served: string[];
  /** Operations the target declares that the spec lacks. */
  extra: { method: string; path: string; operationId: string }[];
  /** Spec operations the target does not declare. */
  missing: string[];
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
  seed: boolean;
  approvalTrigger: { param: string; id: string; message: string } | undefined;
  tokenSource: 'header' | 'cookie';
  cookieName: string;
  rolesClaim: string | undefined;
  roles: RoleFixture[];
  disabledUser: string | undefined;
  surface: Surface | undefined;
  publicKeyGiven: boolean;
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
