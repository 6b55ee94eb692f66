/**
 * @module probes/token — §7A of security-anchors.md (token validity, jwt_tool J1–J19) on the
 * representative operations. Every token carries exactly the operation's required scopes, so the
 * token defect is the only reason to refuse.
 */

import { authorized, status } from '../expect.js';
import { renderRequired } from '../oracle.js';
import {
  type PlanContext,
  requestFor,
  SAFE_SKIP_REASON,
  safeToAuthorize,
  valuesFor,
} from '../plan-context.js';
import type { Operation } from '../spec.js';
import { fromNow, type SigningAlg, type TokenSpec } from '../tokens.js';
import type { Case, Expectation, HttpResponse, PlannedRequest, Step } from '../types.js';
import { probe } from './catalog.js';

const U401 = status([401], 'invalid_token');

function within(ms: number, inner: Expectation): Expectation {
  return {
    describe: `${inner.describe}, within ${ms} ms`,
    check(res: HttpResponse, ctx) {
      return (
        inner.check(res, ctx) ??
        (res.elapsedMs > ms
          ? `answered after ${Math.round(res.elapsedMs)} ms (key lookup may execute the kid)`
          : undefined)
      );
    },
  };
}

export function planToken(ctx: PlanContext, op: Operation): Case[] {
  const values = valuesFor(ctx, op);
  const R = (op.requiredScopes ?? []).map((r) => renderRequired(r, values));
  const good: TokenSpec = { scopes: R };
  const canAuthorize = safeToAuthorize(ctx, op);
  const cases: Case[] = [];
  const req = (token: TokenSpec | undefined, extra?: Partial<PlannedRequest>): PlannedRequest => ({
    ...requestFor(ctx, op, token, values),
    ...extra,
  });
  const bad = (
    label: string,
    token: TokenSpec | undefined,
    extra?: Partial<PlannedRequest>,
    expect = U401,
  ): Step => ({
    label,
    request: req(token, extra),
    expect,
    oracle: '401',
    hyg: { kind: extra?.auth === 'query' || (!token && !extra?.auth) ? 'no-token' : 'bad-token' },
  });
  // RFC 6750 §3.1: an unsupported scheme or a malformed header may get no error code, or invalid_request.
  const malformed = (
    label: string,
    token: TokenSpec | undefined,
    extra?: Partial<PlannedRequest>,
    expect = U401,
  ): Step => ({
    ...bad(label, token, extra, expect),
    hyg: { kind: 'malformed' },
  });
  const ok = (label: string, token: TokenSpec, extra?: Partial<PlannedRequest>): Step => ({
    label,
    request: req(token, extra),
    expect: authorized(),
    oracle: 'allow',
  });
  const add = (
    id: string,
    steps: Step[],
    opts: { skip?: string; phase?: number; finalCheck?: Case['finalCheck'] } = {},
  ) => {
    const c: Case = {
      probe: probe(id),
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      steps,
      phase: opts.phase ?? 1,
    };
    if (opts.skip) c.skip = opts.skip;
    if (opts.finalCheck) c.finalCheck = opts.finalCheck;
    if (!c.skip && steps.some((s) => s.oracle === 'allow') && !canAuthorize) c.skip = SAFE_SKIP_REASON;
    cases.push(c);
  };
  const t = (attack: TokenSpec['attack'], extra: Partial<TokenSpec> = {}): TokenSpec => ({
    ...good,
    ...extra,
    attack,
  });

  add('TOK-MISSING', [bad('no Authorization header', undefined)]);
  add('TOK-EMPTY-BEARER', [
    malformed('"Bearer"', undefined, { auth: { template: 'Bearer' } }, status([400, 401])),
    malformed('"Bearer " + spaces', undefined, { auth: { template: 'Bearer    ' } }, status([400, 401])),
  ]);
  add('TOK-WRONG-SCHEME', [
    malformed('Basic user:pass', undefined, {
      auth: { template: `Basic ${Buffer.from('conformance:password').toString('base64')}` },
    }),
    malformed('Basic <jwt>', good, { auth: { template: 'Basic {token}' } }),
    malformed('Token <jwt>', good, { auth: { template: 'Token {token}' } }),
  ]);
  add('TOK-SCHEME-CASE', [
    ok('bearer <jwt>', good, { auth: { template: 'bearer {token}' } }),
    ok('BEARER <jwt>', good, { auth: { template: 'BEARER {token}' } }),
  ]);
  add('TOK-BARE-TOKEN', [ok('<jwt> without scheme', good, { auth: { template: '{token}' } })]);
  add('TOK-GARBAGE', [
    bad('abc.def', { attack: { kind: 'raw', token: 'abc.def' }, label: 'garbage abc.def' }),
    bad('one segment', { attack: { kind: 'raw', token: 'conformance' }, label: 'garbage one segment' }),
    bad('four segments', {
      attack: { kind: 'raw', token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln.ZXh0cmE' },
      label: 'garbage four segments',
    }),
    bad('non-base64url characters', {
      attack: { kind: 'raw', token: 'eyJ!!!.eyJ$$$.c2ln***' },
      label: 'garbage characters',
    }),
  ]);
  add('TOK-PAYLOAD-TAMPERED', [
    bad(
      'admin scope added, not re-signed',
      // The marker claim changes the payload even when the valid token already holds the admin
      // scope (operations that require it): an unchanged payload would still verify.
      t({
        kind: 'tamper-payload',
        claims: { [ctx.scopesClaim]: [ctx.adminScope], conformance_tampered: true },
      }),
    ),
  ]);
  add('TOK-SIG-BROKEN', [
    bad('one signature bit flipped', t({ kind: 'flip-signature' })),
    bad('signature truncated', t({ kind: 'truncate-signature' })),
  ]);
  add('TOK-SIG-STRIPPED', [bad('h.p. (alg kept)', t({ kind: 'strip-signature' }))]);
  add('TOK-ALG-NONE', [
    ...['none', 'None', 'NONE', 'nOnE'].map((a) => bad(`alg ${a}`, t({ kind: 'alg-none', alg: a }))),
    bad('alg none, signature kept', t({ kind: 'alg-none', alg: 'none', keepSignature: true })),
  ]);
  const hmacTarget = ctx.alg.startsWith('HS');
  add(
    'TOK-KEY-CONFUSION',
    hmacTarget
      ? []
      : (['public-pem', 'public-pem-no-newline', 'public-der', 'public-jwk'] as const).map((k) =>
          bad(`HS256 keyed with the ${k}`, t({ kind: 'hmac', alg: 'HS256', key: k })),
        ),
    hmacTarget ? { skip: 'not applicable: the target verifies HMAC tokens (no public key to confuse)' } : {},
  );
  add(
    'TOK-HMAC-WEAK',
    ['', 'secret', 'password', 'your-256-bit-secret', 'changeme'].map((s) =>
      bad(`HS256 secret "${s}"`, t({ kind: 'hmac', alg: 'HS256', key: { secret: s } })),
    ),
  );
  add('TOK-FOREIGN-KEY', [
    bad('untrusted RSA key', t({ kind: 'foreign-key' })),
    bad('untrusted key, kid "conformance"', t({ kind: 'foreign-key' }, { header: { kid: 'conformance' } })),
  ]);
  add('TOK-EMBEDDED-JWK', [bad('self-signed, key in jwk header', t({ kind: 'embedded-jwk' }))]);
  const jkuPath = `/jku/${op.operationId}`;
  const x5uPath = `/x5u/${op.operationId}`;
  add(
    'TOK-JKU-X5U',
    [
      bad(
        'jku → loopback listener',
        t({ kind: 'foreign-key' }, { header: { jku: `$LISTENER${jkuPath}`, kid: 'attacker' } }),
      ),
      bad(
        'x5u → loopback listener',
        t({ kind: 'foreign-key' }, { header: { x5u: `$LISTENER${x5uPath}`, kid: 'attacker' } }),
      ),
    ],
    {
      finalCheck: (run) => {
        const hits = (run.listenerHits.get(jkuPath) ?? 0) + (run.listenerHits.get(x5uPath) ?? 0);
        return hits > 0
          ? `the target fetched the attacker's key URL ${hits} time(s) (SSRF; RFC 8725 §3.10)`
          : undefined;
      },
    },
  );
  add(
    'TOK-KID-INJECTION',
    [
      ['kid ../../../../../../dev/null, empty key', '../../../../../../dev/null', ''],
      ['kid /dev/null, empty key', '/dev/null', ''],
      ["kid x' UNION SELECT '1';--, key 1", "x' UNION SELECT '1';--", '1'],
      ['kid |sleep 5', '|sleep 5', ''],
      ['kid $(sleep 5)', '$(sleep 5)', ''],
    ].map(([label, kid, secret]) =>
      bad(
        label as string,
        t({ kind: 'hmac', alg: 'HS256', key: { secret: secret as string } }, { header: { kid } }),
        undefined,
        within(3000, U401),
      ),
    ),
  );
  const otherAlg: SigningAlg | undefined = ctx.alg.startsWith('RS')
    ? 'PS256'
    : ctx.alg.startsWith('PS')
      ? 'RS256'
      : ctx.alg.startsWith('HS')
        ? ctx.alg === 'HS512'
          ? 'HS256'
          : 'HS512'
        : ctx.alg === 'ES256'
          ? 'ES384'
          : undefined;
  add(
    'TOK-ALG-NOT-ALLOWED',
    otherAlg
      ? [bad(`signed with ${otherAlg} by the trusted key`, t({ kind: 'other-alg', alg: otherAlg }))]
      : [],
    otherAlg ? {} : { skip: `not applicable: no second algorithm for a ${ctx.alg} key` },
  );
  add('TOK-EXPIRED', [
    bad(`exp = now - leeway(${ctx.leeway}) - 60`, {
      ...good,
      claims: { exp: fromNow(-ctx.leeway - 60), iat: fromNow(-3600) },
    }),
  ]);
  add(
    'TOK-EXP-LEEWAY',
    ctx.leeway >= 4
      ? [
          ok(`exp = now - ${Math.floor(ctx.leeway / 2)} s (inside the leeway)`, {
            ...good,
            claims: { exp: fromNow(-Math.floor(ctx.leeway / 2)), iat: fromNow(-600) },
          }),
        ]
      : [],
    ctx.leeway >= 4 ? {} : { skip: 'leeway below 4 s: no room to probe inside it' },
  );
  add('TOK-NBF-FUTURE', [
    bad(`nbf = now + leeway + 60`, { ...good, claims: { nbf: fromNow(ctx.leeway + 60) } }),
  ]);
  add('TOK-IAT-FUTURE', [bad('iat = now + 1 day', { ...good, claims: { iat: fromNow(86400) } })]);
  add('TOK-CLAIM-TYPES', [
    bad(
      'exp "9999999999" (string)',
      { ...good, claims: { exp: '9999999999' } },
      undefined,
      status([401], 'never 2xx or 5xx'),
    ),
    bad('exp null', { ...good, claims: { exp: null } }, undefined, status([401], 'never 2xx or 5xx')),
    bad('exp {}', { ...good, claims: { exp: {} } }, undefined, status([401], 'never 2xx or 5xx')),
    bad('exp -1', { ...good, claims: { exp: -1 } }, undefined, status([401], 'never 2xx or 5xx')),
    bad(
      'nbf "tomorrow"',
      { ...good, claims: { nbf: 'tomorrow' } },
      undefined,
      status([401], 'never 2xx or 5xx'),
    ),
  ]);
  add(
    'TOK-AUD',
    ctx.audience === undefined
      ? []
      : [
          bad('aud of another service', { ...good, claims: { aud: 'conformance-other-audience' } }),
          bad('no aud', { ...good, claims: { aud: undefined } }),
          bad('aud upper-cased', { ...good, claims: { aud: ctx.audience.toUpperCase() } }),
          ok('aud array containing the audience', {
            ...good,
            claims: { aud: ['conformance-other-audience', ctx.audience] },
          }),
        ].filter((s) => s.label !== 'aud upper-cased' || ctx.audience !== ctx.audience?.toUpperCase()),
    ctx.audience === undefined ? { skip: 'pass --audience when the target verifies the audience' } : {},
  );
  add(
    'TOK-ISS',
    ctx.issuer === undefined
      ? []
      : [
          bad('iss of another issuer', { ...good, claims: { iss: 'https://conformance.invalid/' } }),
          bad('no iss', { ...good, claims: { iss: undefined } }),
          bad('iss upper-cased', { ...good, claims: { iss: ctx.issuer.toUpperCase() } }),
          bad('iss with trailing slash toggled', {
            ...good,
            claims: { iss: ctx.issuer.endsWith('/') ? ctx.issuer.slice(0, -1) : `${ctx.issuer}/` },
          }),
        ].filter((s) => s.label !== 'iss upper-cased' || ctx.issuer !== ctx.issuer?.toUpperCase()),
    ctx.issuer === undefined ? { skip: 'pass --issuer when the target checks the issuer' } : {},
  );
  if (ctx.issuer !== undefined)
    add('TOK-ISS-NO-ECHO', [
      bad(
        'iss of another issuer: the body must not name the expected one',
        { ...good, claims: { iss: 'https://conformance.invalid/' } },
        undefined,
        {
          describe: '401 without the expected issuer in the body',
          check: (res) =>
            res.status !== 401
              ? `got ${res.status}`
              : res.body.includes(ctx.issuer as string)
                ? `the 401 body echoes the expected issuer: ${res.body.slice(0, 200)}`
                : undefined,
        },
      ),
    ]);
  add('TOK-SIG-NONCANONICAL', [
    bad('signature with = padding', t({ kind: 'noncanonical-signature', variant: 'padding' })),
    bad(
      'signature with an alternate last base64url character',
      t({ kind: 'noncanonical-signature', variant: 'last-char' }),
    ),
  ]);
  add(
    'TOK-KEY-CONFUSION-BARE',
    ctx.alg.startsWith('HS')
      ? []
      : [
          bad(
            'HS256 keyed with the bare base64 public key (one line)',
            t({ kind: 'hmac', alg: 'HS256', key: 'public-bare' }),
          ),
          bad(
            'HS256 keyed with the bare base64 public key (64-column lines)',
            t({ kind: 'hmac', alg: 'HS256', key: 'public-bare-wrapped' }),
          ),
          ...(ctx.publicKeyGiven
            ? [
                bad(
                  'HS256 keyed with the public key text as configured (--public-key)',
                  t({ kind: 'hmac', alg: 'HS256', key: 'public-given' }),
                ),
              ]
            : []),
        ],
    ctx.alg.startsWith('HS') ? { skip: 'the target signs with HMAC: there is no public key to confuse' } : {},
  );
  add(
    'TOK-SUB-RESERVED',
    ['sa:conformance', '__oauth__:conformance', '__scheduler__'].map((sub) =>
      bad(`sub ${sub}`, { ...good, sub }),
    ),
  );
  add('TOK-CRIT', [
    bad('crit ["conformance-ext"]', {
      ...good,
      header: { crit: ['conformance-ext'], 'conformance-ext': true },
    }),
  ]);
  add('TOK-JWE', [
    bad('five-segment JWE', {
      attack: {
        kind: 'raw',
        token: `${Buffer.from('{"alg":"dir","enc":"A256GCM"}').toString('base64url')}..${Buffer.from('0123456789ab').toString('base64url')}.${Buffer.from('ciphertext').toString('base64url')}.${Buffer.from('0123456789abcdef').toString('base64url')}`,
      },
      label: 'JWE',
    }),
  ]);
  add('TOK-OVERSIZED', [
    bad(
      '12 KB unsigned token',
      {
        attack: { kind: 'raw', token: `eyJhbGciOiJSUzI1NiJ9.${'A'.repeat(12000)}.c2ln` },
        label: '12 KB token',
      },
      undefined,
      status([400, 401, 413, 431], 'never 2xx or 5xx'),
    ),
  ]);
  add('TOK-QUERY-STRING', [bad('?access_token= only', good, { auth: 'query' })]);
  add('TOK-PERSISTENCE', [ok('the valid token after all attacks', good)], { phase: 2 });
  return cases;
}
