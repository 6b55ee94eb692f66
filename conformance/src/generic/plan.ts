/**
 * @module generic/plan — the cases of `--profile generic`: any OpenAPI 3.0/3.1 API whose operations
 * state their scopes with standard `security`. The probes keep their catalog ids; those that test
 * an AgentOS-only rule are planned as skipped, each with the reason, so the report says what was
 * not checked and why.
 */
import { authorized, status } from '../expect.js';
import type { Plan, PlanContext, SkipRule } from '../plan.js';
import { globMatch, opKey } from '../plan.js';
import { PROBES, probe } from '../probes/catalog.js';
import { type ApiSpec, type Operation, type Parameter, pathParamNames, renderPath } from '../spec.js';
import { fromNow, type SigningAlg, type TokenSpec } from '../tokens.js';
import type { Case, Expectation, HttpResponse, PlannedRequest, ProbeInfo, Step } from '../types.js';
import type { GenericOptions } from './options.js';
import { meets, type TokenRequirement, tokenRequirement } from './security.js';

export interface GenericPlanOptions extends GenericOptions {
  alg: SigningAlg;
  scopesClaim: string;
  audience?: string | undefined;
  issuer?: string | undefined;
  mode: 'safe' | 'full';
  leeway: number;
  only: string[];
  skips: SkipRule[];
}

/** Why each probe the generic profile does not run is skipped. */
const AGENTOS_ONLY: [RegExp, string][] = [
  [
    /^SCOPE-(ADMIN|BARE-ADMIN)$/,
    'the admin scope (agent_os:admin) is an AgentOS rule; a generic API has no scope that grants everything',
  ],
  [
    /^SCOPE-(GLOBAL|WILDCARD|WILDCARD-FORMS|OTHER-ID|ACTION-SWAP|FOUR-PART|LEGACY-SYSTEM|DUPLICATE|MANY|WHITESPACE|DELIMITER|CONTROL-CHARS|HOMOGLYPH|CLAIM-TYPE|OUTSIDE-TOKEN|WRONG-CLAIM|STRING-CLAIM)$/,
    'reads scopes in the AgentOS grammar (resource:action, res:*:act wildcards, per-id scopes, the scopes claim); generic scopes are opaque strings compared exactly, carried as --scope-format says',
  ],
  [/^TOK-SUB-RESERVED$/, 'reserved subjects are an AgentOS rule'],
  [
    /^TOK-BARE-TOKEN$/,
    'a bare token without the Bearer scheme is an AgentOS compatibility rule (RFC 6750 §2.1 requires the scheme)',
  ],
  [
    /^TOK-(PERSISTENCE|QUERY-STRING)$/,
    'depends on AgentOS routes (stored runs, the query-token rule of contract.md)',
  ],
  [
    /^PATH-UNKNOWN-ROUTE$|^DIFF-UNMAPPED-ROUTE$/,
    '401 on unknown routes is an AgentOS rule; a generic API may answer 404',
  ],
  [
    /^PATH-/,
    'path-normalization probes assume the AgentOS route table; not adapted to the generic profile yet',
  ],
  [/^FILTER-/, 'list filtering by per-resource scopes (x-scope-filter) is an AgentOS extension'],
  [/^ISO-/, 'user isolation (x-user-owned) is an AgentOS extension'],
  [/^DIFF-/, 'compares with the Python AgentOS'],
  [
    /^HYG-(NO-LEAK|NO-5XX|CORS-ERRORS|CORS-PREFLIGHT|CACHE)$/,
    'response hygiene is judged on the AgentOS error bodies; not adapted to the generic profile yet',
  ],
  [/^PUB-(VALID|GARBAGE)-TOKEN$/, 'what a public AgentOS route does with a token is an AgentOS rule'],
  [/^TOK-/, 'not adapted to the generic profile yet; run the AgentOS profile for it'],
];

/** The probes the generic profile runs, with the references that hold outside AgentOS. */
const RUN: Record<string, string> = {
  'TOK-MISSING': 'RFC 6750 §3.1',
  'TOK-GARBAGE': 'RFC 7519 §7.2; RFC 6750 §3.1',
  'TOK-SIG-BROKEN': 'RFC 7515 §5.2',
  'TOK-ALG-NONE': 'RFC 8725 §3.1',
  'TOK-FOREIGN-KEY': 'RFC 7515 §5.2',
  'TOK-EXPIRED': 'RFC 7519 §4.1.4',
  'TOK-AUD': 'RFC 7519 §4.1.3; RFC 9068 §4',
  'TOK-ISS': 'RFC 7519 §4.1.1; RFC 9068 §4',
  'SCOPE-EXACT': 'OpenAPI 3.1 §4.8.30 (any one requirement object)',
  'SCOPE-AND': 'OpenAPI 3.1 §4.8.30 (all scopes of a requirement object)',
  'SCOPE-EMPTY': 'RFC 6750 §3.1 insufficient_scope',
  'SCOPE-NO-CLAIM': 'RFC 6750 §3.1 insufficient_scope',
  'SCOPE-CASE': 'RFC 6749 §3.3 (scope tokens are case-sensitive)',
  'SCOPE-PREFIX-SUFFIX': 'RFC 6749 §3.3 (exact comparison)',
  'SCOPE-UNRELATED': 'OpenAPI 3.1 §4.8.30',
  'PUB-NO-TOKEN': 'OpenAPI 3.1 §4.8.10.1 (security: [])',
  'HYG-WWW-AUTH-401': 'RFC 6750 §3',
  'HYG-WWW-AUTH-403': 'RFC 6750 §3.1',
  'HYG-ERROR-BODY': 'RFC 9457 or the --error-body the API documents',
};

const info = (id: string): ProbeInfo => ({ ...probe(id), reference: RUN[id] ?? probe(id).reference });
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A value of the parameter's type: fixture, example, or a plausible default. */
function valueFor(p: Parameter | undefined, name: string, o: GenericPlanOptions, missing: boolean): string {
  if (o.fixtures[name] !== undefined && !missing) return o.fixtures[name] as string;
  const s = p?.schema ?? {};
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (missing) {
    if (t === 'integer' || t === 'number')
      return String(typeof s.maximum === 'number' ? s.maximum : 2147483646);
    return s.format === 'uuid' ? '00000000-0000-4000-8000-00000000dead' : `conformance-missing-${name}`;
  }
  const v = p?.example ?? s.default ?? (Array.isArray(s.enum) ? s.enum[0] : undefined);
  if (v !== undefined && v !== null) return String(v);
  if (t === 'integer' || t === 'number')
    return String(typeof s.minimum === 'number' ? Math.max(1, s.minimum) : 1);
  if (t === 'boolean') return 'true';
  return s.format === 'uuid' ? '00000000-0000-4000-8000-000000000001' : 'conformance';
}

function requestOf(op: Operation, o: GenericPlanOptions): PlannedRequest | { skip: string } {
  const write = MUTATING.has(op.method);
  const names = pathParamNames(op.path);
  if (o.mode === 'safe' && write && names.length === 0 && !op.requestBody)
    return {
      skip: 'safe mode: this write takes no id and no body, so an authorized call would change data; run with --mode full against a disposable target',
    };
  // Safe mode: a write names an id that does not exist (typed as the parameter) and a body that fails validation.
  const missing = o.mode === 'safe' && write;
  const byName = new Map(op.parameters.map((p) => [`${p.in}:${p.name}`, p]));
  const values = Object.fromEntries(names.map((n) => [n, valueFor(byName.get(`path:${n}`), n, o, missing)]));
  const query = op.parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(valueFor(p, p.name, o, false))}`);
  const req: PlannedRequest = {
    method: op.method,
    path: renderPath(op.path, values) + (query.length ? `?${query.join('&')}` : ''),
    headers: {},
  };
  const rb = op.requestBody;
  if (rb && op.method !== 'GET' && op.method !== 'HEAD') {
    const type = rb.contentTypes.find((c) => c.includes('json')) ?? rb.contentTypes[0] ?? 'application/json';
    req.headers = { 'content-type': type };
    const required = Array.isArray(rb.schema?.required) && rb.schema.required.length > 0;
    // `{}` against a schema with required members fails validation yet parses, whatever the parser.
    req.body = o.mode === 'full' ? JSON.stringify(rb.example ?? {}) : required ? '{}' : '{"conformance": ';
  }
  return req;
}

function scopesClaim(scopes: readonly string[], o: GenericPlanOptions): TokenSpec {
  return { scopes: o.scopeFormat === 'string' ? scopes.join(' ') : [...scopes] };
}

function withHeader(
  e: Expectation,
  check: (res: HttpResponse) => string | undefined,
  describe: string,
): Expectation {
  return {
    describe: `${e.describe}, ${describe}`,
    check: (res, ctx) => e.check(res, ctx) ?? check(res),
  };
}

function errorBodyCheck(o: GenericPlanOptions): ((res: HttpResponse) => string | undefined) | undefined {
  const eb = o.errorBody;
  if (eb.kind === 'any') return undefined;
  return (res) => {
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `the ${res.status} body is not JSON: ${res.body.slice(0, 120)}`;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return `the ${res.status} body is not a JSON object`;
    if (eb.kind === 'problem') {
      const ct = String(res.headers['content-type'] ?? '');
      if (!ct.startsWith('application/problem+json'))
        return `content-type is "${ct}", not application/problem+json`;
      const b = body as Record<string, unknown>;
      if (b.status !== res.status || typeof b.title !== 'string')
        return 'a problem body needs "status" (the HTTP status) and "title"';
      return undefined;
    }
    const lacking = eb.fields.filter((f) => !(f in (body as object)));
    return lacking.length
      ? `the ${res.status} body lacks ${lacking.map((f) => `"${f}"`).join(', ')}`
      : undefined;
  };
}

/**
 * Plans the generic profile for `spec`.
 * @example const plan = planGeneric(await loadSpec('openapi.yaml'), { alg: 'RS256', scopeFormat: 'string', ... });
 */
export function planGeneric(spec: ApiSpec, o: GenericPlanOptions): Plan {
  const notes: string[] = [
    `Generic profile: scopes read from each operation's standard "security" (alternatives OR, scopes of one requirement AND), compared exactly, sent as ${o.scopeFormat === 'string' ? `a space-separated "${o.scopesClaim}" string` : `a "${o.scopesClaim}" array`}.`,
  ];
  if (o.mode === 'safe')
    notes.push(
      'Safe mode: allowed calls on writes used ids that do not exist or bodies that fail validation; "authorized" means "not 401/403".',
    );
  const raw = spec.document;
  const paths = (raw.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const ops = spec.operations.filter((op) => op.method !== 'OPTIONS' && op.method !== 'HEAD');
  const reqOf = new Map<Operation, TokenRequirement>(
    ops.map((op) => [op, tokenRequirement(raw, paths[op.path]?.[op.method.toLowerCase()] ?? {})]),
  );
  const allScopes = [
    ...new Set(
      ops.flatMap((op) => {
        const r = reqOf.get(op)!;
        return r.kind === 'scopes' ? r.anyOf.flat() : [];
      }),
    ),
  ].sort();

  const cases: Case[] = [];
  const add = (id: string, op: Operation, steps: Step[] | string, phase = 0) => {
    const c: Case = {
      probe: info(id),
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      steps: [],
      phase,
    };
    if (typeof steps === 'string') c.skip = steps;
    else c.steps = steps;
    cases.push(c);
  };
  const bodyCheck = errorBodyCheck(o);

  for (const op of ops) {
    const r = reqOf.get(op)!;
    const base = requestOf(op, o);
    if (r.kind === 'other') {
      notes.push(
        `${opKey(op)} (${op.operationId}) accepts only ${r.schemes.map((s) => `"${s}"`).join(', ')}: no bearer token can meet it, so it was not probed.`,
      );
      continue;
    }
    if ('skip' in base) {
      add(r.kind === 'public' ? 'PUB-NO-TOKEN' : 'SCOPE-EXACT', op, base.skip);
      continue;
    }
    const send = (
      label: string,
      token: TokenSpec | undefined,
      expect: Expectation,
      oracle?: string,
    ): Step => ({
      label,
      request: { ...base, ...(token ? { token } : {}) },
      expect,
      ...(oracle ? { oracle } : {}),
    });
    if (r.kind === 'public') {
      add('PUB-NO-TOKEN', op, [send('no token', undefined, authorized(), 'allow')]);
      continue;
    }
    const first = r.anyOf[0] ?? [];
    const valid = scopesClaim(first, o);
    const denied = (scopes: string[]) => !meets(r.anyOf, scopes);
    const s401 = status([401], 'invalid_token');
    const s403 = status([403], 'insufficient_scope');

    add('TOK-MISSING', op, [send('no Authorization header', undefined, s401, '401')]);
    add('TOK-GARBAGE', op, [
      send('opaque garbage', { ...valid, attack: { kind: 'raw', token: 'not-a-jwt' } }, s401, '401'),
      send('three bad segments', { ...valid, attack: { kind: 'raw', token: 'e30.e30.@@@' } }, s401, '401'),
    ]);
    add('TOK-SIG-BROKEN', op, [
      send('signature byte flipped', { ...valid, attack: { kind: 'flip-signature' } }, s401, '401'),
    ]);
    add('TOK-ALG-NONE', op, [
      send('alg none', { ...valid, attack: { kind: 'alg-none', alg: 'none' } }, s401, '401'),
    ]);
    add('TOK-FOREIGN-KEY', op, [
      send('signed by another key', { ...valid, attack: { kind: 'foreign-key' } }, s401, '401'),
    ]);
    add('TOK-EXPIRED', op, [
      send(
        `exp ${o.leeway + 60} s ago`,
        { ...valid, claims: { exp: fromNow(-(o.leeway + 60)), iat: fromNow(-(o.leeway + 3600)) } },
        s401,
        '401',
      ),
    ]);
    add(
      'TOK-AUD',
      op,
      o.audience === undefined
        ? "no --audience given: the target's audience is unknown"
        : [send('wrong aud', { ...valid, claims: { aud: `${o.audience}-other` } }, s401, '401')],
    );
    add(
      'TOK-ISS',
      op,
      o.issuer === undefined
        ? "no --issuer given: the target's issuer is unknown"
        : [send('wrong iss', { ...valid, claims: { iss: `${o.issuer}/other` } }, s401, '401')],
    );

    add(
      'SCOPE-EXACT',
      op,
      r.anyOf.map((set, i) =>
        send(
          `requirement ${i + 1} of ${r.anyOf.length}: [${set.join(' ')}]`,
          scopesClaim(set, o),
          authorized(),
          'allow',
        ),
      ),
    );
    const halves = r.anyOf
      .flatMap((set) => (set.length < 2 ? [] : set.map((drop) => set.filter((s) => s !== drop))))
      .filter(denied);
    add(
      'SCOPE-AND',
      op,
      halves.length
        ? halves.map((h) => send(`only [${h.join(' ')}]`, scopesClaim(h, o), s403, 'deny'))
        : 'no requirement of this operation has two scopes or more',
    );
    const empty = r.anyOf.some((set) => set.length === 0);
    add(
      'SCOPE-EMPTY',
      op,
      empty
        ? 'a requirement of this operation lists no scope: any valid token is enough'
        : [send('no scope', scopesClaim([], o), s403, 'deny')],
    );
    add(
      'SCOPE-NO-CLAIM',
      op,
      empty
        ? 'a requirement of this operation lists no scope: any valid token is enough'
        : [send(`no "${o.scopesClaim}" claim`, {}, s403, 'deny')],
    );
    const upper = first.map((s) => s.toUpperCase());
    add(
      'SCOPE-CASE',
      op,
      first.length === 0 || !denied(upper)
        ? 'no scope with letters to change the case of'
        : [send(`[${upper.join(' ')}]`, scopesClaim(upper, o), s403, 'deny')],
    );
    // Each scope of the first requirement with a suffix, or cut by one character (exact match, RFC 6749 §3.3).
    const near = first
      .flatMap((scope, k) =>
        [`${scope}x`, scope.slice(0, -1)].filter(Boolean).map((v) => first.map((s, j) => (j === k ? v : s))),
      )
      .filter(denied);
    add(
      'SCOPE-PREFIX-SUFFIX',
      op,
      near.length
        ? near.map((set) => send(`[${set.join(' ')}]`, scopesClaim(set, o), s403, 'deny'))
        : 'no scope to vary',
    );
    const others = allScopes.filter((s) => !r.anyOf.flat().includes(s));
    add(
      'SCOPE-UNRELATED',
      op,
      others.length && denied(others)
        ? [send(`every other scope of the API: [${others.join(' ')}]`, scopesClaim(others, o), s403, 'deny')]
        : 'the API has no scope this operation does not name',
    );

    const challenge = (want: RegExp, what: string) => (res: HttpResponse) => {
      const h = res.headers['www-authenticate'];
      const v = Array.isArray(h) ? h.join(', ') : (h ?? '');
      return want.test(v) ? undefined : `WWW-Authenticate is ${v ? `"${v}"` : 'absent'}; want ${what}`;
    };
    add('HYG-WWW-AUTH-401', op, [
      send(
        'no token',
        undefined,
        withHeader(s401, challenge(/^Bearer\b/i, 'a Bearer challenge'), 'WWW-Authenticate: Bearer …'),
        '401',
      ),
    ]);
    add(
      'HYG-WWW-AUTH-403',
      op,
      empty
        ? 'a requirement of this operation lists no scope'
        : [
            send(
              'no scope',
              scopesClaim([], o),
              withHeader(
                s403,
                challenge(/^Bearer\b.*error="insufficient_scope"/i, 'Bearer … error="insufficient_scope"'),
                'error="insufficient_scope"',
              ),
              'deny',
            ),
          ],
    );
    add(
      'HYG-ERROR-BODY',
      op,
      bodyCheck
        ? [
            send('401 body', undefined, withHeader(s401, bodyCheck, `body as --error-body says`), '401'),
            ...(empty
              ? []
              : [
                  send(
                    '403 body',
                    scopesClaim([], o),
                    withHeader(s403, bodyCheck, 'body as --error-body says'),
                    'deny',
                  ),
                ]),
          ]
        : 'no --error-body given: the {detail} body is an AgentOS rule; pass --error-body problem|detail|fields:a,b to check yours',
    );
  }

  // Every other catalog probe, once, with why it did not run.
  const planned = new Set(cases.map((c) => c.probe.id));
  for (const p of PROBES.values()) {
    if (planned.has(p.id) || RUN[p.id]) continue;
    const why = AGENTOS_ONLY.find(([re]) => re.test(p.id))?.[1] ?? 'not adapted to the generic profile yet';
    cases.push({
      probe: p,
      operationId: '*',
      method: '*',
      path: '*',
      steps: [],
      phase: 0,
      skip: `generic profile: ${why}`,
    });
  }

  const selected = o.only.length
    ? cases.filter((c) =>
        o.only.some(
          (g) =>
            globMatch(g, c.operationId) || globMatch(g, `${c.method} ${c.path}`) || globMatch(g, c.probe.id),
        ),
      )
    : cases;
  for (const c of selected) {
    const rule = o.skips.find(
      (s) =>
        (globMatch(s.operation, c.operationId) ||
          globMatch(s.operation, `${c.method} ${c.path}`) ||
          globMatch(s.operation, c.path)) &&
        globMatch(s.probe ?? '*', c.probe.id),
    );
    if (rule && !c.skip) c.skip = `skipped by config: ${rule.reason}`;
  }
  const context = {
    spec,
    adminScope: '',
    scopesClaim: o.scopesClaim,
    userIdClaim: 'sub',
    audience: o.audience,
    issuer: o.issuer,
    alg: o.alg,
    userIsolation: false,
    mode: o.mode,
    leeway: o.leeway,
    tokenProbes: 'all',
    fixtures: o.fixtures,
    discovery: { ids: {}, lists: {} },
    users: { a: 'conformance-user-a', b: 'conformance-user-b' },
    origin: 'http://localhost:3000',
    ownerField: 'user_id',
    representative: ops,
    // The AgentOS-only families (seeding, approvals, cookies, roles, directory, surface) stay off.
    seed: false,
    approvalTrigger: undefined,
    tokenSource: 'header',
    cookieName: 'access_token',
    rolesClaim: undefined,
    roles: [],
    disabledUser: undefined,
    surface: undefined,
    publicKeyGiven: false,
  } satisfies PlanContext;
  const inPlan = new Set(selected.map((c) => c.operationId));
  return { context, cases: selected, operations: ops.filter((op) => inPlan.has(op.operationId)), notes };
}
