/**
 * Property-based fuzzing against the running server (RELIABILITY=1; 5000 runs, about 20 s): fast-check
 * generates tokens (claims, keys, algorithms, attacks from the conformance suite), Authorization
 * forms, extra headers and paths (every operation of the spec with hostile path values, encoded
 * literals, dot segments, encoded slashes, unknown paths, other methods). Each request goes to the
 * reference server in its own process; the answer is judged by an independent oracle: the
 * conformance suite's (`conformance/src/oracle.ts`) for scope decisions, contract.md §1/§3 for
 * token validity, and a path matcher written here (not `@agentos/core`'s). Properties: never a
 * 5xx; never allowed where the oracle says deny (403) or where the token is invalid (401).
 *
 * The server runs with configured roles, a `role` claim and `trustTokenScopes` (contract.md §9.1):
 * tokens also carry known and unknown role names (a string, an array, odd values), with and
 * without scopes. The role plane's decision is computed here from the role table below by §9.2
 * (allow by the §2 matching, deny beats allow across all the roles held, unknown roles grant
 * nothing) and OR-ed with the token plane (the suite's oracle); where the contract leaves the
 * answer open (a multi-scope operation met only by mixing the planes, a list whose grants are all
 * denied), only a refusal with the documented 403 or an allowed answer that leaks no denied id is
 * accepted. A quarter of the template paths aim at the approvals and schedules operations.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  createTokenFactory,
  DEFAULT_SPEC,
  loadSpec,
  type Operation,
  oracle,
  type TokenFactory,
  type TokenSpec,
} from '@agentos/conformance';
import fc from 'fast-check';
import {
  recordReliability,
  request,
  rsaKeyPair,
  type ServerProcess,
  startReferenceServer,
  tempDir,
} from '../../bench/harness.js';

const ENABLED = process.env.RELIABILITY === '1';
const SKIP = ENABLED
  ? false
  : 'reliability test: set RELIABILITY=1 to run (npm run test:reliability; ~1 min)';
const NUM_RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 5000);
const TIME_LIMIT_MS = 150_000;
const AUDIENCE = 'agentos-fuzz';
/** Diagnosis only, while handlers are missing: treat 501 "Not implemented yet" as an allowed answer. */
const TOLERATE_501 = process.env.RELIABILITY_FUZZ_TOLERATE_501 === '1';
const AGENTS = ['research-agent', 'support-agent'];
/** The roles the fuzzed server is configured with (`authorizationConfig.roles`, contract.md §9.1). */
const ROLES: Record<string, { allow?: string[]; deny?: string[] } | string[]> = {
  reader: {
    allow: ['agents:*:read', 'approvals:read', 'schedules:read'],
    deny: ['agents:support-agent:read'],
  },
  'support-reader': { allow: ['agents:support-agent:read'] },
  operator: {
    allow: [
      'schedules:read',
      'schedules:write',
      'schedules:delete',
      'approvals:read',
      'approvals:write',
      'approvals:delete',
      'agents:research-agent:run',
    ],
    deny: ['approvals:delete'],
  },
  boss: { allow: ['agent_os:admin'], deny: ['agents:support-agent:read', 'schedules:delete'] },
  legacy: ['system:read', 'sessions:read'],
  'deny-only': { deny: ['agents:read'] },
};
/** Role names a token may carry: the configured ones, and names that must grant nothing. */
const ROLE_NAMES = [
  ...Object.keys(ROLES),
  'ghost',
  'Reader',
  ' reader',
  'reader ',
  'agent_os:admin',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '*',
  '',
];

// ------------------------------------------------------------------------ the independent router

type Match =
  | { kind: 'op'; op: Operation; values: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'none' }
  | { kind: 'malformed' };

interface Template {
  readonly op: Operation;
  readonly segs: readonly string[];
}

/** OpenAPI matching as contract.md §3 states it: decode each segment once, literal beats `{param}`. */
function matcher(ops: readonly Operation[]) {
  const templates: Template[] = ops.map((op) => ({
    op,
    segs: op.path === '/' ? [] : op.path.slice(1).split('/'),
  }));
  const isParam = (s: string) => /^\{.+\}$/.test(s);
  const moreSpecific = (a: Template, b: Template) => {
    for (let i = 0; i < a.segs.length; i++) {
      const pa = isParam(a.segs[i]!);
      const pb = isParam(b.segs[i]!);
      if (pa !== pb) return !pa;
    }
    return false;
  };
  return (method: string, rawPath: string): Match => {
    const q = rawPath.indexOf('?');
    let p = q >= 0 ? rawPath.slice(0, q) : rawPath;
    if (!p.startsWith('/')) return { kind: 'none' };
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    const raw = p === '/' ? [] : p.slice(1).split('/');
    const segs: string[] = [];
    for (const r of raw) {
      try {
        segs.push(decodeURIComponent(r));
      } catch {
        return { kind: 'malformed' };
      }
    }
    if (segs.some((s) => s === '' || s === '.' || s === '..')) return { kind: 'none' };
    const candidates = templates.filter(
      (t) => t.segs.length === segs.length && t.segs.every((s, i) => isParam(s) || s === segs[i]),
    );
    const withMethod = candidates.filter((t) => t.op.method.toUpperCase() === method);
    if (withMethod.length === 0)
      return candidates.length > 0 ? { kind: 'method-not-allowed' } : { kind: 'none' };
    let best = withMethod[0]!;
    for (const t of withMethod.slice(1)) if (moreSpecific(t, best)) best = t;
    const values: Record<string, string> = {};
    best.segs.forEach((s, i) => {
      if (isParam(s)) values[s.slice(1, -1)] = segs[i]!;
    });
    return { kind: 'op', op: best.op, values };
  };
}

/**
 * The default `excludedRoutePaths` (the seeds' public paths; research agno-api.md §0): they skip
 * authentication for every method, on the path as received and without its trailing slash.
 */
const EXCLUDED = new Set([
  '/',
  '/health',
  '/info',
  '/docs',
  '/redoc',
  '/openapi.json',
  '/docs/oauth2-redirect',
]);
function isExcludedPath(rawPath: string): boolean {
  const q = rawPath.indexOf('?');
  const p = q >= 0 ? rawPath.slice(0, q) : rawPath;
  return EXCLUDED.has(p) || (p.length > 1 && p.endsWith('/') && EXCLUDED.has(p.slice(0, -1)));
}

// ------------------------------------------------------------------------------ the generators

const SCOPE_VOCABULARY = [
  'agent_os:admin',
  'agents:read',
  'agents:run',
  'agents:research-agent:read',
  'agents:research-agent:run',
  'agents:support-agent:read',
  'agents:*:read',
  'agents:*:run',
  'teams:read',
  'teams:research-team:read',
  'workflows:*:read',
  'sessions:read',
  'sessions:write',
  'sessions:delete',
  'memories:read',
  'memories:write',
  'knowledge:read',
  'config:read',
  'system:read',
  'approvals:read',
  'traces:read',
  'metrics:read',
  'evals:read',
  'components:read',
  'schedules:read',
  'service_accounts:read',
  'learnings:read',
  'registry:read',
  'admin',
  'AGENTS:READ',
  'Agent_OS:Admin',
  'agents:read ',
  ' agents:read',
  'agents',
  'agents:research-agent',
  'agents:research-agent:read:extra',
  'agent_os:admin:x',
  '',
  '*',
  'agents:*',
];

type Exp = 'future' | 'within-leeway' | 'past' | 'missing';
type Aud = 'correct' | 'wrong' | 'missing' | 'array-with' | 'array-without';
type Sub = 'user' | 'missing' | 'reserved-sa' | 'reserved-scheduler' | 'reserved-oauth' | 'number';
type Key = 'good' | 'foreign' | 'alg-none' | 'hmac-public-pem' | 'garbage' | 'sig-flipped';
type Form = 'Bearer' | 'bearer' | 'BEARER' | 'bare' | 'Basic' | 'double-space' | 'absent' | 'cookie-only';

interface TokenChoice {
  scopes: unknown;
  /** The `role` claim; undefined: absent. */
  role: unknown;
  exp: Exp;
  aud: Aud;
  sub: Sub;
  nbfFuture: boolean;
  key: Key;
  form: Form;
  garbage: string;
}

const scopesArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.subarray(SCOPE_VOCABULARY, { maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(fc.constantFrom(...SCOPE_VOCABULARY), fc.string({ maxLength: 30 })), {
      maxLength: 5,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...SCOPE_VOCABULARY) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 42, null, { agents: 'read' }, [1, 2], true) },
);

/** The `role` claim: absent, one name, a list (maybe with non-strings), or a value naming no role. */
const roleArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.constantFrom(...ROLE_NAMES) },
  { weight: 3, arbitrary: fc.subarray(ROLE_NAMES, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.oneof(fc.constantFrom(...ROLE_NAMES), fc.constantFrom(1, null, true, ['reader'])),
      {
        maxLength: 3,
      },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(42, null, true, { reader: true }, 'reader,boss', 'reader boss') },
);

/** Any token: every dimension varies independently (mostly invalid ones). */
const anyTokenArb: fc.Arbitrary<TokenChoice> = fc.record({
  scopes: scopesArb,
  role: roleArb,
  exp: fc.constantFrom<Exp>('future', 'within-leeway', 'past', 'missing'),
  aud: fc.constantFrom<Aud>('correct', 'array-with', 'wrong', 'missing', 'array-without'),
  sub: fc.constantFrom<Sub>(
    'user',
    'missing',
    'reserved-sa',
    'reserved-scheduler',
    'reserved-oauth',
    'number',
  ),
  nbfFuture: fc.boolean(),
  key: fc.constantFrom<Key>('good', 'foreign', 'alg-none', 'hmac-public-pem', 'garbage', 'sig-flipped'),
  form: fc.constantFrom<Form>(
    'Bearer',
    'bearer',
    'BEARER',
    'bare',
    'Basic',
    'double-space',
    'absent',
    'cookie-only',
  ),
  garbage: fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 80 }), fc.constant('a.b.c')),
});

/** A token the contract accepts, in every accepted form; only the scopes vary freely. */
const validTokenArb: fc.Arbitrary<TokenChoice> = fc.record({
  scopes: scopesArb,
  role: roleArb,
  exp: fc.constantFrom<Exp>('future', 'future', 'within-leeway'),
  aud: fc.constantFrom<Aud>('correct', 'correct', 'array-with'),
  sub: fc.constantFrom<Sub>('user', 'user', 'missing'),
  nbfFuture: fc.constant(false),
  key: fc.constant<Key>('good'),
  form: fc.constantFrom<Form>('Bearer', 'Bearer', 'Bearer', 'bearer', 'BEARER', 'bare'),
  garbage: fc.constant(''),
});

/** A valid token whose grants come mostly from its roles: no scopes claim, an empty one, or a few scopes. */
const roleTokenArb: fc.Arbitrary<TokenChoice> = fc.record({
  scopes: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 2, arbitrary: fc.subarray(SCOPE_VOCABULARY, { maxLength: 2 }) },
  ),
  role: fc.oneof(fc.constantFrom(...ROLE_NAMES), fc.subarray(ROLE_NAMES, { minLength: 1, maxLength: 3 })),
  exp: fc.constant<Exp>('future'),
  aud: fc.constant<Aud>('correct'),
  sub: fc.constantFrom<Sub>('user', 'user', 'missing'),
  nbfFuture: fc.constant(false),
  key: fc.constant<Key>('good'),
  form: fc.constantFrom<Form>('Bearer', 'bearer', 'bare'),
  garbage: fc.constant(''),
});

const tokenArb = fc.oneof(
  { weight: 3, arbitrary: validTokenArb },
  { weight: 2, arbitrary: roleTokenArb },
  { weight: 2, arbitrary: anyTokenArb },
);

/**
 * Scopes aimed at the operation the path reaches, added to an array scopes claim (random scopes
 * alone rarely satisfy one of 123 operations): exactly the required ones, their global or
 * wildcard forms, or near misses (case, extra part, another id, the other action).
 */
type Grant = 'none' | 'exact' | 'global' | 'wildcard' | 'near-miss';
const grantArb = fc.constantFrom<Grant>(
  'none',
  'none',
  'exact',
  'global',
  'wildcard',
  'near-miss',
  'near-miss',
);

function aimedScopes(
  grant: Grant,
  required: readonly string[],
  values: Record<string, string>,
  pick: number,
): string[] {
  const out: string[] = [];
  required.forEach((r, i) => {
    const q = oracle.parseRequired(r);
    const id = q.param !== undefined ? values[q.param] : q.id;
    switch (grant) {
      case 'exact':
        out.push(oracle.renderRequired(r, values));
        break;
      case 'global':
        out.push(`${q.resource}:${q.action}`);
        break;
      case 'wildcard':
        out.push(`${q.resource}:*:${q.action}`);
        break;
      case 'near-miss': {
        // One requirement is missed, the others are met (so the miss is what decides).
        if (i !== pick % required.length) {
          out.push(`${q.resource}:${q.action}`);
          break;
        }
        const misses = [
          `${q.resource.toUpperCase()}:${q.action}`,
          `${q.resource}:${q.action}:x`,
          `${q.resource}:${id === undefined ? 'some-id' : `${id}-other`}:${q.action}`,
          `${q.resource}:${q.action === 'read' ? 'run' : 'read'}`,
          `${q.resource}s:${q.action}`,
        ];
        out.push(misses[pick % misses.length]!);
        break;
      }
      case 'none':
        break;
    }
  });
  return out;
}

/** Path values that try to reach another operation or break decoding. */
const HOSTILE = [
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%2F',
  'a%2Fb',
  '%00',
  '%',
  '%zz',
  '%E9',
  '*',
  '%20',
  '~',
  'agents',
  'runs',
];

interface PathChoice {
  kind: 'template' | 'random';
  op: number;
  values: { kind: 'known' | 'segment' | 'string' | 'hostile'; text: string }[];
  trailingSlash: boolean;
  encodeLiteral: number;
  doubleSlash: boolean;
  query: string;
  otherMethod: string | null;
  random: string;
}

const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
const extraHeadersArb = fc.dictionary(
  fc.constantFrom(
    'x-forwarded-for',
    'x-original-url',
    'x-rewrite-url',
    'x-http-method-override',
    'origin',
    'accept',
    'x-forwarded-prefix',
  ),
  headerValue,
  { maxKeys: 3 },
);

/** `focus`: indexes of operations picked more often (a quarter of the template paths). */
function pathArb(opCount: number, focus: readonly number[]): fc.Arbitrary<PathChoice> {
  const value = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...AGENTS, 'research-team', 'content-pipeline', 'apr-1', 'sched-1')
        .map((text) => ({ kind: 'known' as const, text })),
    },
    { weight: 3, arbitrary: fc.webSegment().map((text) => ({ kind: 'segment' as const, text })) },
    {
      weight: 2,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 12 })
        .map((text) => ({ kind: 'string' as const, text })),
    },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE).map((text) => ({ kind: 'hostile' as const, text })) },
  );
  return fc.record({
    kind: fc.constantFrom<'template' | 'random'>(
      'template',
      'template',
      'template',
      'template',
      'template',
      'random',
    ),
    op: fc.oneof(
      { weight: 3, arbitrary: fc.nat({ max: opCount - 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(...focus) },
    ),
    values: fc.array(value, { minLength: 4, maxLength: 4 }),
    trailingSlash: fc.boolean(),
    encodeLiteral: fc.integer({ min: -4, max: 6 }),
    doubleSlash: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    query: fc.oneof(
      fc.constant(''),
      fc.constant('?limit=5'),
      fc.webQueryParameters().map((q) => (q ? `?${q}` : '')),
    ),
    otherMethod: fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
    ),
    random: fc.webPath(),
  });
}

/** Percent-encodes the first character of one literal segment (`/agents` → `/%61gents`). */
function encodeOneLiteral(path: string, which: number): string {
  const segs = path.split('/');
  const literals = segs.map((s, i) => (s.length > 0 && !s.includes('{') ? i : -1)).filter((i) => i > 0);
  if (which < 0 || literals.length === 0) return path;
  const i = literals[which % literals.length]!;
  const s = segs[i]!;
  segs[i] = `%${s.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${s.slice(1)}`;
  return segs.join('/');
}

function renderPath(ops: readonly Operation[], c: PathChoice): { method: string; path: string } {
  if (c.kind === 'random')
    return {
      method: c.otherMethod ?? 'GET',
      path: (c.random.startsWith('/') ? c.random : `/${c.random}`) + c.query,
    };
  const op = ops[c.op]!;
  let k = 0;
  let path = op.path.replace(/\{([^}]+)\}/g, () => {
    const v = c.values[k++ % c.values.length]!;
    return v.kind === 'hostile' ? v.text : encodeURIComponent(v.text);
  });
  path = encodeOneLiteral(path, c.encodeLiteral);
  if (c.doubleSlash) path = path.replace(/^\/([^/]+)\//, '/$1//');
  if (c.trailingSlash && path !== '/') path += '/';
  return { method: c.otherMethod ?? op.method.toUpperCase(), path: path + c.query };
}

// ------------------------------------------------------------------------------ the oracle side

type Validity = 'valid' | 'invalid' | 'ambiguous' | 'absent';

function tokenValidity(t: TokenChoice): Validity {
  if (t.form === 'absent' || t.form === 'cookie-only') return 'absent';
  if (t.form === 'Basic') return 'invalid';
  if (t.key !== 'good') return 'invalid';
  if (t.exp === 'past' || t.exp === 'missing') return 'invalid';
  if (t.aud === 'wrong' || t.aud === 'missing' || t.aud === 'array-without') return 'invalid';
  if (t.sub.startsWith('reserved')) return 'invalid';
  if (t.nbfFuture) return 'invalid';
  // Not settled by contract.md: a non-string subject; two spaces after the scheme.
  if (t.sub === 'number' || t.form === 'double-space') return 'ambiguous';
  return 'valid';
}

async function mintFor(tokens: TokenFactory, t: TokenChoice): Promise<string> {
  if (t.key === 'garbage') return t.garbage;
  const claims: Record<string, unknown> = {};
  // An absolute time, so the factory's cache (keyed by the spec) cannot hand out a token minted
  // long ago that has since left the leeway (10 s): the key changes every second.
  if (t.exp === 'within-leeway') claims.exp = Math.floor(Date.now() / 1000) - 3;
  if (t.exp === 'past') claims.exp = { $now: -3600 };
  if (t.exp === 'missing') claims.exp = undefined;
  if (t.aud === 'wrong') claims.aud = 'another-agentos';
  if (t.aud === 'missing') claims.aud = undefined;
  if (t.aud === 'array-with') claims.aud = ['x-other', AUDIENCE];
  if (t.aud === 'array-without') claims.aud = ['x-other', 'y-other'];
  if (t.nbfFuture) claims.nbf = { $now: 3600 };
  const sub: TokenSpec['sub'] =
    t.sub === 'user'
      ? 'fuzz-user'
      : t.sub === 'missing'
        ? null
        : t.sub === 'reserved-sa'
          ? 'sa:fuzz'
          : t.sub === 'reserved-scheduler'
            ? '__scheduler__'
            : t.sub === 'reserved-oauth'
              ? '__oauth__:fuzz'
              : undefined;
  if (t.sub === 'number') claims.sub = 42;
  if (t.role !== undefined) claims.role = t.role;
  const spec: TokenSpec = { scopes: t.scopes, claims, ...(sub !== undefined ? { sub } : {}) };
  if (t.key === 'foreign') spec.attack = { kind: 'foreign-key' };
  if (t.key === 'alg-none') spec.attack = { kind: 'alg-none', alg: 'none' };
  if (t.key === 'hmac-public-pem') spec.attack = { kind: 'hmac', alg: 'HS256', key: 'public-pem' };
  if (t.key === 'sig-flipped') spec.attack = { kind: 'flip-signature' };
  return tokens.mint(spec);
}

function authHeaders(t: TokenChoice, token: string): Record<string, string> {
  switch (t.form) {
    case 'Bearer':
    case 'bearer':
    case 'BEARER':
      return { authorization: `${t.form} ${token}` };
    case 'bare':
      return { authorization: token };
    case 'Basic':
      return { authorization: `Basic ${Buffer.from(`user:${token.slice(0, 10)}`).toString('base64')}` };
    case 'double-space':
      return { authorization: `Bearer  ${token}` };
    case 'cookie-only':
      return { cookie: `access_token=${token}` };
    case 'absent':
      return {};
  }
}

/** The scopes a server reads from the claim (contract.md §1), as the oracle reads them. */
function scopesOf(t: TokenChoice): string[] {
  return oracle.readScopesClaim(t.scopes, 'scopes');
}

/** The roles the `role` claim names (contract.md §9.1): a string is one, an array its non-empty strings. */
function rolesOf(t: TokenChoice): string[] {
  if (typeof t.role === 'string') return t.role === '' ? [] : [t.role];
  if (Array.isArray(t.role)) return t.role.filter((r): r is string => typeof r === 'string' && r !== '');
  return [];
}

interface Grants {
  allow: oracle.ParsedScope[];
  deny: oracle.ParsedScope[];
}

/** The role plane: the grants of the known roles named (unknown ones grant nothing). */
function roleGrants(names: readonly string[]): Grants {
  const g: Grants = { allow: [], deny: [] };
  for (const name of names) {
    if (!Object.hasOwn(ROLES, name)) continue;
    const role = ROLES[name]!;
    const { allow = [], deny = [] } = Array.isArray(role) ? { allow: role } : role;
    g.allow.push(...allow.map((s) => oracle.parseScope(s)));
    g.deny.push(...deny.map((s) => oracle.parseScope(s)));
  }
  return g;
}

/** Does deny grant `d` match requirement `r` bound to `values` (contract.md §9.2)? */
function denyMatches(
  r: oracle.RequiredScope,
  values: Record<string, string>,
  d: oracle.ParsedScope,
): boolean {
  switch (d.kind) {
    case 'admin':
      return true;
    case 'global':
    case 'wildcard':
      return d.resource === r.resource && d.action === r.action;
    case 'resource': {
      if (d.resource !== r.resource || d.action !== r.action) return false;
      const v = r.param !== undefined ? values[r.param] : r.id;
      return v !== undefined && v === d.id;
    }
    default:
      return false;
  }
}

/** Per requirement of `op`: is it met by the role plane (an allow satisfies it, no deny matches it)? */
function roleMet(op: Operation, values: Record<string, string>, g: Grants): boolean[] {
  return (op.requiredScopes ?? []).map((required) => {
    const r = oracle.parseRequired(required);
    const allowed =
      required === oracle.DEFAULT_ADMIN_SCOPE
        ? g.allow.some((a) => a.kind === 'admin')
        : g.allow.some((a) => oracle.satisfies(r, values, a));
    return allowed && !g.deny.some((d) => denyMatches(r, values, d));
  });
}

/**
 * The ids a filtered list may show through the role plane (§9.2: allowed minus denied; every id
 * not denied when the list's own requirement is met), or null when there is no filter.
 */
function roleListAccess(
  op: Operation,
  g: Grants,
  listMet: boolean,
): { all: boolean; ids: Set<string>; denied: Set<string>; allIdsDenied: boolean } | null {
  const f = op.scopeFilter;
  if (!f) return null;
  const same = (s: oracle.ParsedScope) =>
    s.kind !== 'admin' && s.kind !== 'unknown' && s.resource === f.resource && s.action === f.action;
  const denied = new Set(g.deny.flatMap((d) => (d.kind === 'resource' && same(d) ? [d.id] : [])));
  const none = g.deny.some(
    (d) => d.kind === 'admin' || ((d.kind === 'global' || d.kind === 'wildcard') && same(d)),
  );
  const allowed = g.allow.flatMap((a) => (a.kind === 'resource' && same(a) ? [a.id] : []));
  const ids = new Set(none ? [] : allowed.filter((id) => !denied.has(id)));
  return { all: listMet && !none, ids, denied, allIdsDenied: allowed.length > 0 && ids.size === 0 };
}

type Combined =
  | oracle.Decision
  /** Allowed; a filtered list must not show an id for which `leak` holds. */
  | { kind: 'allow'; leak: (id: string) => boolean }
  /** Refused (403 with `required`) or allowed without leaking: the contract does not settle it. */
  | { kind: 'open'; required: string[]; leak: (id: string) => boolean };

/**
 * The decision with roles and `trustTokenScopes` (contract.md §9.2): allowed when either plane
 * meets every requirement, or (a filtered list) when either plane grants some ids; refused when
 * neither does, even requirement by requirement across the planes; open in between (the planes
 * mixed across the requirements of one operation, or a list whose role ids are all denied).
 */
function combine(
  op: Operation,
  values: Record<string, string>,
  scopes: readonly string[],
  grants: Grants,
): Combined {
  const tokenPlane = oracle.decide(op, values, scopes);
  if (tokenPlane.kind === 'allow' || tokenPlane.kind === 'public') return tokenPlane;
  const requirements = op.requiredScopes ?? [];
  const required = requirements.map((r) => oracle.renderRequired(r, values));
  const role = roleMet(op, values, grants);
  const roleAll = role.every(Boolean);
  const list = roleListAccess(op, grants, roleAll);
  const tokenIds = tokenPlane.kind === 'filter' ? tokenPlane.ids : [];
  // What a list may show: the token plane's ids, and the role plane's (every id but its denied
  // ones when its requirement is met).
  const leak = (id: string) => {
    if (tokenIds.includes(id) || !list) return false;
    return list.all ? list.denied.has(id) : !list.ids.has(id);
  };
  if (roleAll) return { kind: 'allow', leak };
  if (tokenIds.length > 0 || (list && list.ids.size > 0)) return { kind: 'allow', leak };
  if (list?.allIdsDenied) return { kind: 'open', required, leak };
  const perRequirement = requirements.every(
    (r, i) =>
      role[i] ||
      oracle.decide({ requiredScopes: [r], scopeFilter: undefined }, values, scopes).kind === 'allow',
  );
  if (perRequirement) return { kind: 'open', required, leak };
  return { kind: 'deny', required };
}

/** A filtered list's answer shows no id for which `leak` holds. */
function checkLeak(op: Operation, json: unknown, leak: (id: string) => boolean, where: string): void {
  const f = op.scopeFilter;
  const items = Array.isArray(json) ? json : (json as { data?: unknown } | undefined)?.data;
  if (!f || !Array.isArray(items)) return;
  for (const item of items as Record<string, unknown>[]) {
    const id = String(item[f.id ?? 'id']);
    if (leak(id)) throw new Error(`filtered list leaks ${id}: ${where}`);
  }
}

// ------------------------------------------------------------------------------------- the test

describe('reliability: property-based fuzzing', { skip: SKIP, timeout: 300_000 }, () => {
  let server: ServerProcess;
  let tokens: TokenFactory;
  let ops: Operation[];
  let focus: number[];
  let match: ReturnType<typeof matcher>;
  const tmp = tempDir('agentos-rel-fuzz-');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  before(async () => {
    const keys = rsaKeyPair();
    server = await startReferenceServer({
      cwd: tmp.dir,
      env: {
        AUTHORIZATION_ENABLED: 'true',
        JWT_VERIFICATION_KEY: keys.publicPem,
        JWT_VERIFY_AUDIENCE: 'true',
        JWT_AUDIENCE: AUDIENCE,
      },
      config: {
        id: 'agentos-fuzz',
        agents: AGENTS.map((id) => ({ id, name: id })),
        teams: [{ id: 'research-team', name: 'Research Team' }],
        workflows: [{ id: 'content-pipeline', name: 'Content Pipeline' }],
        // Roles in force; the token's scopes stay a second plane (contract.md §9.1 item 3), so
        // tokens without a role are decided by the suite's oracle as before.
        authorizationConfig: { roles: ROLES, rolesClaim: 'role', trustTokenScopes: true },
      },
    });
    tokens = await createTokenFactory({
      alg: 'RS256',
      signingKey: keys.privatePem,
      audience: AUDIENCE,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
      lifetime: 3600,
    });
    ops = (await loadSpec(DEFAULT_SPEC)).operations;
    focus = ops.flatMap((o, i) => (/^\/(approvals|schedules)(\/|$)/.test(o.path) ? [i] : []));
    assert.ok(focus.length >= 10, `approvals and schedules operations: ${focus.length}`);
    match = matcher(ops);
  });

  after(async () => {
    agent.destroy();
    await server?.stop();
    tmp.cleanup();
  });

  test('never 5xx; never allowed where the oracle denies or the token is invalid', async () => {
    const stats = new Map<string, number>();
    const bump = (k: string) => stats.set(k, (stats.get(k) ?? 0) + 1);
    const property = fc.asyncProperty(
      tokenArb,
      pathArb(ops.length, focus),
      extraHeadersArb,
      grantArb,
      fc.nat({ max: 20 }),
      async (t0, p, extra, grant, pick) => {
        const { method, path } = renderPath(ops, p);
        const m = match(method, path);
        const t = { ...t0 };
        if (Array.isArray(t.scopes) && m.kind === 'op' && grant !== 'none') {
          t.scopes = [...t.scopes, ...aimedScopes(grant, m.op.requiredScopes ?? [], m.values, pick)];
        }
        const token = await mintFor(tokens, t);
        const headers: Record<string, string> = { ...extra, ...authHeaders(t, token) };
        let body: string | undefined;
        if (method !== 'GET' && method !== 'DELETE') {
          // Never a valid body: allowed writes stop at validation, nothing is created.
          headers['content-type'] = 'application/json';
          body = '{"';
        }
        const r = await request(server.url, path, {
          method,
          headers,
          agent,
          timeoutMs: 15_000,
          ...(body !== undefined ? { body } : {}),
        });
        const validity = tokenValidity(t);
        const where = `${method} ${path} token=${tokens.describe({ scopes: t.scopes })} role=${JSON.stringify(t.role)} validity=${validity} (${t.form}/${t.key}/${t.exp}/${t.aud}/${t.sub}) → ${r.status} ${r.body.slice(0, 160)}`;
        bump(`status ${r.status}`);
        bump(`validity ${validity}`);
        if (t.role !== undefined) bump(validity === 'valid' ? 'role token valid' : 'role token other');
        if (m.kind === 'op' && /^\/(approvals|schedules)(\/|$)/.test(m.op.path))
          bump(`family ${m.op.path.split('/')[1]}`);
        // A 503 the operation documents is its answer, not a fault (`/queue` without a durable queue,
        // as agno answers); any other 5xx is one.
        const documented503 = r.status === 503 && m.kind === 'op' && m.op.responses.includes('503');
        if (r.status >= 500 && !documented503 && !(TOLERATE_501 && r.status === 501))
          throw new Error(`5xx: ${where}`);
        const isPublic =
          (m.kind === 'op' && (m.op.requiredScopes ?? []).length === 0) || isExcludedPath(path);
        if (isPublic) {
          bump('public');
          if (r.status === 401 || r.status === 403) throw new Error(`public operation refused: ${where}`);
          return;
        }
        const allowed = r.status !== 401 && r.status !== 403;
        if (validity === 'absent' || validity === 'invalid') {
          // An empty credential or one with spaces is a malformed header: 400 invalid_request is
          // also right there (RFC 6750 §3.1; conformance TOK-EMPTY-BEARER accepts 401/400).
          const malformed =
            t.form !== 'absent' && t.form !== 'cookie-only' && (token.trim() === '' || /\s/.test(token));
          if (r.status !== 401 && !(malformed && r.status === 400)) {
            throw new Error(`expected 401 for a missing or invalid token: ${where}`);
          }
          return;
        }
        if (m.kind !== 'op') {
          bump(`unmatched ${m.kind}`);
          if (validity === 'valid') {
            const ok =
              m.kind === 'malformed' ? [400, 404] : m.kind === 'method-not-allowed' ? [404, 405] : [404];
            if (!ok.includes(r.status))
              throw new Error(`expected ${ok.join('/')} for an unknown route: ${where}`);
          } else if (r.status !== 401 && !(r.status >= 400 && r.status < 500)) {
            throw new Error(`unknown route answered ${r.status}: ${where}`);
          }
          return;
        }
        const grants = roleGrants(rolesOf(t));
        const hasRolePlane = grants.allow.length > 0 || grants.deny.length > 0;
        const decision: Combined = hasRolePlane
          ? combine(m.op, m.values, scopesOf(t), grants)
          : oracle.decide(m.op, m.values, scopesOf(t));
        bump(`decision ${decision.kind}`);
        if (hasRolePlane) bump(`role plane ${decision.kind}`);
        if (validity === 'ambiguous') {
          // Either refused as a token (401) or decided as the oracle says; never allowed on a deny.
          if (decision.kind === 'deny' && allowed)
            throw new Error(`allowed where the oracle denies: ${where}`);
          return;
        }
        if (decision.kind === 'open') {
          // Not settled by the contract: refused with §3's answer, or allowed without a leak.
          if (r.status === 403) {
            const detail = (r.json as { detail?: unknown } | undefined)?.detail;
            if (detail !== oracle.insufficientDetail(decision.required))
              throw new Error(`403 detail ${JSON.stringify(detail)} on an open decision: ${where}`);
          } else if (!allowed) {
            throw new Error(`open decision answered ${r.status}: ${where}`);
          } else {
            checkLeak(m.op, r.json, decision.leak, where);
          }
          return;
        }
        if (decision.kind === 'deny') {
          if (r.status !== 403)
            throw new Error(`expected 403 (${oracle.insufficientDetail(decision.required)}): ${where}`);
          const detail = (r.json as { detail?: unknown } | undefined)?.detail;
          if (detail !== oracle.insufficientDetail(decision.required)) {
            throw new Error(
              `403 detail ${JSON.stringify(detail)}, expected ${JSON.stringify(oracle.insufficientDetail(decision.required))}: ${where}`,
            );
          }
          return;
        }
        if (!allowed) throw new Error(`refused where the oracle allows (${decision.kind}): ${where}`);
        if (decision.kind === 'filter') checkLeak(m.op, r.json, (id) => !decision.ids.includes(id), where);
        const leak = (decision as { leak?: (id: string) => boolean }).leak;
        if (decision.kind === 'allow' && leak) checkLeak(m.op, r.json, leak, where);
      },
    );
    const started = Date.now();
    const out = await fc.check(property, {
      numRuns: NUM_RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: false,
      ...(process.env.RELIABILITY_FUZZ_SEED ? { seed: Number(process.env.RELIABILITY_FUZZ_SEED) } : {}),
    });
    if (out.failed) {
      const error =
        out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      assert.fail(
        `${error}\n\n${fc.defaultReportMessage(out) ?? ''}\n(replay: RELIABILITY_FUZZ_SEED=${out.seed})`,
      );
    }
    recordReliability('fuzz', {
      runs: NUM_RUNS,
      seconds: Math.round((Date.now() - started) / 1000),
      ...Object.fromEntries([...stats].sort()),
    });
    console.log(
      `reliability-fuzz: ${JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000), ...Object.fromEntries([...stats].sort()) })}`,
    );
    assert.ok(server.alive(), 'the server exited during fuzzing');
    assert.ok((stats.get('decision deny') ?? 0) > 20, 'too few deny decisions were exercised');
    assert.ok((stats.get('decision allow') ?? 0) > 20, 'too few allow decisions were exercised');
    // Roles, approvals and schedules are really exercised (issue 15 item 4).
    for (const k of [
      'role token valid',
      'role plane allow',
      'role plane deny',
      'family approvals',
      'family schedules',
    ])
      assert.ok((stats.get(k) ?? 0) > 20, `too few runs: ${k} (${stats.get(k) ?? 0})`);
  });
});
