/**
 * @module probes/hygiene — §7F of security-anchors.md. CORS probes are planned as cases; the other
 * checks read every response the run produced and yield one result per operation.
 */

import { excerpt } from '../expect.js';
import { insufficientDetail } from '../oracle.js';
import { isSecured, type PlanContext, requestFor, safeToAuthorize, valuesFor } from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { Case, CaseResult, Expectation, StepResult } from '../types.js';
import { probe } from './catalog.js';

export function planHygieneCases(ctx: PlanContext, ops: Operation[]): Case[] {
  const op = ctx.representative.find((o) => o.method === 'GET') ?? ops.find(isSecured);
  if (!op) return [];
  const values = valuesFor(ctx, op);
  const R = (op.requiredScopes ?? []).map((r) => r.replace(/\{([^}]+)\}/g, (_, n: string) => values[n] ?? n));
  const origin = ctx.origin;
  const base = { operationId: op.operationId, method: op.method, path: op.path, phase: 1 };
  const canon = requestFor(ctx, op, undefined, values);
  const cors: Expectation = {
    describe: `401 with Access-Control-Allow-Origin when a success for ${origin} carries it`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      if (res.status !== 401) return `got ${res.status}`;
      return undefined;
    },
  };
  const cases: Case[] = [
    {
      ...base,
      probe: probe('HYG-CORS-PREFLIGHT'),
      steps: [
        {
          label: `OPTIONS preflight from ${origin}, no token`,
          request: {
            method: 'OPTIONS',
            path: canon.path,
            headers: {
              Origin: origin,
              'Access-Control-Request-Method': op.method,
              'Access-Control-Request-Headers': 'authorization',
            },
          },
          expect: {
            describe: 'not 401/403, no representation',
            check: (res) =>
              res.error
                ? `no response: ${res.error}`
                : [401, 403].includes(res.status)
                  ? `preflight answered ${res.status}: ${excerpt(res.body, 120)}`
                  : undefined,
          },
        },
      ],
    },
  ];
  if (safeToAuthorize(ctx, op)) {
    cases.push({
      ...base,
      probe: probe('HYG-CORS-ERRORS'),
      note: 'compares the Access-Control-Allow-Origin of a 2xx and a 401 for the same Origin',
      steps: [
        {
          label: `success from ${origin}`,
          request: { ...canon, headers: { ...canon.headers, Origin: origin }, token: { scopes: R } },
          expect: { describe: 'any', check: () => undefined },
          oracle: 'allow',
        },
        {
          label: `401 from ${origin}`,
          request: { ...canon, headers: { ...canon.headers, Origin: origin } },
          expect: cors,
          oracle: '401',
          hyg: { kind: 'no-token' },
        },
      ],
      // The comparison needs both answers, so it is made after the run.
      finalCheck: () => undefined,
    });
  }
  return cases;
}

const LEAK_PATTERNS: [RegExp, string][] = [
  [/Traceback \(most recent call last\)/, 'Python traceback'],
  [/File "[^"]+", line \d+/, 'Python stack frame'],
  [/\n\s+at [\w.<>$]+ \(?[^)\s]+:\d+:\d+\)?/, 'JavaScript stack frame'],
  [/(?:site-packages|node_modules|dist-packages)\//, 'library path'],
  [/(?:\/home\/|\/usr\/(?:local\/)?lib\/|[A-Z]:\\\\)/, 'file system path'],
  [/-----BEGIN [A-Z ]*(?:KEY|CERTIFICATE)-----/, 'key material'],
  [/\b(?:SELECT|INSERT|UPDATE)\b[^"]{0,80}\bFROM\b/i, 'SQL'],
  [
    /\b(?:JWSSignatureVerificationFailed|JWTClaimValidationFailed|InvalidSignatureError|DecodeError|ValueError|TypeError|KeyError|AttributeError)\b/,
    'exception class name',
  ],
];

function headerOf(s: StepResult, name: string): string | undefined {
  return s.responseHeaders[name];
}

/** Per-operation hygiene results from every step result of the run. */
export function evaluateHygiene(
  results: CaseResult[],
  tokensSent: Map<StepResult, string | undefined>,
  fiveXxDocumented: ReadonlySet<string> = new Set(),
): CaseResult[] {
  const byOp = new Map<string, { method: string; path: string; steps: StepResult[] }>();
  for (const r of results) {
    if (r.status === 'skip') continue;
    const e = byOp.get(r.operationId) ?? { method: r.method, path: r.path, steps: [] };
    e.steps.push(...r.steps);
    byOp.set(r.operationId, e);
  }
  const out: CaseResult[] = [];
  const mk = (
    id: string,
    opId: string,
    e: { method: string; path: string },
    failures: { step: StepResult; msg: string }[],
    checked: number,
  ): CaseResult | undefined => {
    if (checked === 0) return undefined;
    const p = probe(id);
    const res: CaseResult = {
      probeId: p.id,
      family: p.family,
      severity: p.severity,
      title: p.title,
      reference: p.reference,
      operationId: opId,
      method: e.method,
      path: e.path,
      status: failures.length ? 'fail' : 'pass',
      steps: failures.slice(0, 5).map((f) => ({ ...f.step, pass: false, message: f.msg })),
    };
    if (p.differs) res.differs = p.differs;
    if (failures.length) res.message = `${failures.length} of ${checked} responses: ${failures[0]?.msg}`;
    return res;
  };
  for (const [opId, e] of byOp) {
    const w401: { step: StepResult; msg: string }[] = [];
    const w403: { step: StepResult; msg: string }[] = [];
    const body: { step: StepResult; msg: string }[] = [];
    const leak: { step: StepResult; msg: string }[] = [];
    const five: { step: StepResult; msg: string }[] = [];
    const cache: { step: StepResult; msg: string }[] = [];
    let n401 = 0;
    let n403 = 0;
    let nErr = 0;
    let nAll = 0;
    let n2xx = 0;
    for (const s of e.steps) {
      if (s.status === 0) continue;
      nAll++;
      if (s.status >= 500 && !fiveXxDocumented.has(opId))
        five.push({ step: s, msg: `${s.status} on "${s.label}"` });
      if (s.status >= 200 && s.status < 300 && s.requestHeaders.authorization) {
        n2xx++;
        const cc = headerOf(s, 'cache-control') ?? '';
        if (/\bpublic\b/i.test(cc))
          cache.push({ step: s, msg: `Cache-Control: ${cc} on an authenticated answer` });
      }
      if (s.status !== 401 && s.status !== 403) continue;
      nErr++;
      const www = headerOf(s, 'www-authenticate');
      if (s.status === 401 && s.hyg) {
        n401++;
        if (!www) w401.push({ step: s, msg: 'no WWW-Authenticate header' });
        else if (!/^\s*bearer\b/i.test(www)) w401.push({ step: s, msg: `challenge "${www}" is not Bearer` });
        else if (s.hyg.kind === 'no-token' && /\berror=/.test(www))
          w401.push({ step: s, msg: `no-token challenge carries an error code: ${www}` });
        else if (
          s.hyg.kind === 'malformed' &&
          /\berror=/.test(www) &&
          !/error="(invalid_token|invalid_request)"/.test(www)
        )
          w401.push({ step: s, msg: `malformed-header challenge with an unexpected error code: ${www}` });
        else if (s.hyg.kind === 'bad-token' && !/error="invalid_token"/.test(www))
          w401.push({ step: s, msg: `bad-token challenge lacks error="invalid_token": ${www}` });
        else {
          const dup = ['realm', 'error', 'scope', 'error_description'].find(
            (k) => (www.match(new RegExp(`\\b${k}=`, 'g')) ?? []).length > 1,
          );
          if (dup) w401.push({ step: s, msg: `attribute ${dup} repeated: ${www}` });
        }
      }
      if (s.status === 403 && s.hyg?.kind === 'insufficient') {
        n403++;
        const req = s.hyg.required ?? [];
        if (!www) w403.push({ step: s, msg: 'no WWW-Authenticate header' });
        else if (!/error="insufficient_scope"/.test(www))
          w403.push({ step: s, msg: `lacks error="insufficient_scope": ${www}` });
        else {
          const m = /scope="([^"]*)"/.exec(www);
          const got = (m?.[1] ?? '').split(' ').filter(Boolean).sort();
          if (req.length && got.join(' ') !== [...req].sort().join(' '))
            w403.push({ step: s, msg: `scope="${m?.[1] ?? ''}" but the spec requires "${req.join(' ')}"` });
        }
      }
      // Body shape and wording (contract §3).
      let detail: unknown;
      try {
        detail = (JSON.parse(s.bodyExcerpt) as { detail?: unknown }).detail;
      } catch {
        detail = undefined;
      }
      if (s.method === 'HEAD') continue;
      if (typeof detail !== 'string')
        body.push({ step: s, msg: `body is not {"detail": string}: ${excerpt(s.bodyExcerpt, 100)}` });
      else if (s.status === 401 && s.hyg?.kind === 'no-token' && !/missing/i.test(detail))
        body.push({ step: s, msg: `no-token detail "${detail}" (contract: "Authorization header missing")` });
      else if (
        s.status === 403 &&
        s.hyg?.kind === 'insufficient' &&
        s.hyg.required?.length &&
        !detail.startsWith('Insufficient permissions')
      )
        body.push({
          step: s,
          msg: `403 detail "${detail}" (contract: "${insufficientDetail(s.hyg.required)}")`,
        });
      for (const [re, what] of LEAK_PATTERNS)
        if (re.test(s.bodyExcerpt))
          leak.push({ step: s, msg: `${what} in the ${s.status} body: ${excerpt(s.bodyExcerpt, 120)}` });
      const token = tokensSent.get(s);
      const sig = token?.split('.')[2];
      if (token && ((sig && sig.length > 16 && s.bodyExcerpt.includes(sig)) || s.bodyExcerpt.includes(token)))
        leak.push({ step: s, msg: `the submitted token is echoed in the ${s.status} body` });
    }
    for (const r of [
      mk('HYG-WWW-AUTH-401', opId, e, w401, n401),
      mk('HYG-WWW-AUTH-403', opId, e, w403, n403),
      mk('HYG-ERROR-BODY', opId, e, body, nErr),
      mk('HYG-NO-LEAK', opId, e, leak, nErr),
      mk('HYG-NO-5XX', opId, e, five, nAll),
      mk('HYG-CACHE', opId, e, cache, n2xx),
    ])
      if (r) out.push(r);
  }
  return out;
}

/** HYG-CORS-ERRORS needs both answers: a 401 must carry the ACAO that the 2xx carried. */
export function finishCors(r: CaseResult): void {
  if (r.probeId !== 'HYG-CORS-ERRORS' || r.status === 'skip') return;
  const [ok, err] = r.steps;
  if (!ok || !err) return;
  const acao = ok.responseHeaders['access-control-allow-origin'];
  if (err.pass && acao && err.responseHeaders['access-control-allow-origin'] !== acao) {
    err.pass = false;
    err.message = `the 2xx carried Access-Control-Allow-Origin: ${acao}, the 401 ${err.responseHeaders['access-control-allow-origin'] ? `carried ${err.responseHeaders['access-control-allow-origin']}` : 'none'}`;
    r.status = 'fail';
    r.message = err.message;
  }
  if (!acao && r.status === 'pass')
    r.note = `the 2xx for this Origin carried no Access-Control-Allow-Origin, so there is nothing to compare`;
}
