/**
 * @module probes/scope — §7B of security-anchors.md: scope logic on every secured operation. Each
 * variant's expected answer comes from the suite's oracle (contract.md §2–§3), so near-misses that
 * the grammar happens to accept (e.g. space-joined scopes under the RFC 9068 `scope` claim) are
 * expected to pass, and everything else to be refused with 403.
 */

import { authorized, fromDecision, oracleLabel, status } from '../expect.js';
import { decide, parseRequired, readScopesClaim, renderRequired } from '../oracle.js';
import {
  type PlanContext,
  requestFor,
  SAFE_SKIP_REASON,
  safeToAuthorize,
  valuesFor,
} from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { TokenSpec } from '../tokens.js';
import type { Case, Step } from '../types.js';
import { probe } from './catalog.js';

export interface ScopeVariant {
  label: string;
  /** Value of the configured scopes claim (undefined = claim absent). */
  scopes: unknown;
  /** Other claims (e.g. scopes placed in `scp`). */
  claims?: Record<string, unknown>;
  headers?: Record<string, string>;
  query?: string;
  /** Override the oracle-derived expectation. */
  expect?: Step['expect'];
}

const NEGATIVE_GATE = 'DIFF-UNMAPPED-ROUTE';

/** Builds a case whose steps are scope variants judged by the oracle. */
export function scopeCase(
  ctx: PlanContext,
  op: Operation,
  probeId: string,
  variants: ScopeVariant[],
  values = valuesFor(ctx, op),
): Case | undefined {
  if (variants.length === 0) return undefined;
  const steps: Step[] = [];
  let skippedUnsafe = false;
  for (const v of variants) {
    const scopes = readScopesClaim(v.scopes, ctx.scopesClaim);
    const d = decide(op, values, scopes, ctx.adminScope);
    if ((d.kind === 'allow' || d.kind === 'filter') && !safeToAuthorize(ctx, op)) {
      skippedUnsafe = true;
      continue;
    }
    const token: TokenSpec = { scopes: v.scopes };
    if (v.claims) token.claims = v.claims;
    const req = requestFor(ctx, op, token, values);
    if (v.headers) req.headers = { ...req.headers, ...v.headers };
    if (v.query) req.path += (req.path.includes('?') ? '&' : '?') + v.query;
    steps.push({
      label: v.label,
      request: req,
      expect: v.expect ?? fromDecision(d, op.scopeFilter?.id),
      oracle: oracleLabel(d),
    });
  }
  const p = probe(probeId);
  const c: Case = {
    probe: p,
    operationId: op.operationId,
    method: op.method,
    path: op.path,
    steps,
    phase: 1,
  };
  if (steps.length === 0) c.skip = skippedUnsafe ? SAFE_SKIP_REASON : 'no variant applies';
  const positive = steps.length > 0 && steps.every((s) => s.oracle !== 'deny');
  if (!positive && probeId !== NEGATIVE_GATE) c.gate = NEGATIVE_GATE;
  if (positive && ctx.mode === 'full' && op.method === 'DELETE') c.phase = 3;
  return c;
}

function swapAction(scope: string, action: string): string {
  const parts = scope.split(':');
  parts[parts.length - 1] = action;
  return parts.join(':');
}

function homoglyph(s: string): string {
  const map: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e', c: '\u0441', p: '\u0440' };
  const i = [...s].findIndex((ch) => ch in map);
  return i < 0 ? `${s}\u200b` : s.slice(0, i) + map[s[i] as string] + s.slice(i + 1);
}

/** Actions each resource uses in the spec (for read↔write swaps). */
function actionsByResource(ctx: PlanContext): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const o of ctx.spec.operations)
    for (const s of o.requiredScopes ?? []) {
      const r = parseRequired(s);
      m.set(r.resource, (m.get(r.resource) ?? new Set()).add(r.action));
    }
  return m;
}

export function planScope(ctx: PlanContext, op: Operation): Case[] {
  const values = valuesFor(ctx, op);
  const required = op.requiredScopes ?? [];
  const R = required.map((r) => renderRequired(r, values));
  const reqs = required.map(parseRequired);
  const first = reqs[0];
  const R0 = R[0];
  if (!first || R0 === undefined) return [];
  const perId = reqs.some((r) => r.param !== undefined);
  const admin = ctx.adminScope;
  const withFirst = (s: string) => [s, ...R.slice(1)];
  const resources = [...actionsByResource(ctx).keys()];
  const other = resources.find((r) => r !== first.resource && r !== 'config') ?? 'conformance';
  const actions = [...(actionsByResource(ctx).get(first.resource) ?? new Set<string>())].filter(
    (a) => a !== first.action,
  );
  if (actions.length === 0) actions.push(first.action === 'read' ? 'write' : 'read');

  const cases: (Case | undefined)[] = [
    scopeCase(ctx, op, 'SCOPE-EXACT', [{ label: `scopes=[${R.join(' ')}]`, scopes: R }], values),
    scopeCase(ctx, op, 'SCOPE-ADMIN', [{ label: `scopes=[${admin}]`, scopes: [admin] }], values),
    perId
      ? scopeCase(
          ctx,
          op,
          'SCOPE-GLOBAL',
          [{ label: 'global res:act', scopes: reqs.map((r) => `${r.resource}:${r.action}`) }],
          values,
        )
      : undefined,
    // The admin scope is one scope, not a resource:action family: it has no wildcard form.
    required.includes(admin)
      ? undefined
      : scopeCase(
          ctx,
          op,
          'SCOPE-WILDCARD',
          [{ label: 'res:*:act', scopes: reqs.map((r) => `${r.resource}:*:${r.action}`) }],
          values,
        ),
    R.length === 1
      ? scopeCase(ctx, op, 'SCOPE-STRING-CLAIM', [{ label: `scopes="${R0}" (string)`, scopes: R0 }], values)
      : undefined,
    reqs.some((r) => r.resource === 'config')
      ? scopeCase(
          ctx,
          op,
          'SCOPE-LEGACY-SYSTEM',
          [{ label: 'system: for config:', scopes: R.map((s) => s.replace(/^config:/, 'system:')) }],
          values,
        )
      : undefined,
    scopeCase(ctx, op, 'SCOPE-DUPLICATE', [{ label: 'each scope twice', scopes: [...R, ...R] }], values),
    scopeCase(
      ctx,
      op,
      'SCOPE-MANY',
      [
        {
          label: '300 scopes incl. required',
          scopes: [...Array.from({ length: 300 }, (_, i) => `filler${i}:read`), ...R],
        },
      ],
      values,
    ),
    scopeCase(ctx, op, 'SCOPE-NO-CLAIM', [{ label: 'no scopes claim', scopes: undefined }], values),
    scopeCase(
      ctx,
      op,
      'SCOPE-EMPTY',
      [
        { label: 'scopes=[]', scopes: [] },
        { label: 'scopes=[""]', scopes: [''] },
        { label: 'scopes=""', scopes: '' },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-UNRELATED',
      [
        {
          label: `scopes=[${other}:${first.action} ${other}:read]`,
          scopes: [`${other}:${first.action}`, `${other}:read`],
        },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-ACTION-SWAP',
      actions.flatMap((a) => [
        { label: `${first.action}→${a}`, scopes: R.map((s) => swapAction(s, a)) },
        { label: `${first.action}→${a} (global)`, scopes: reqs.map((r) => `${r.resource}:${a}`) },
      ]),
      values,
    ),
    perId
      ? scopeCase(
          ctx,
          op,
          'SCOPE-OTHER-ID',
          [
            {
              label: 'res:<other id>:act',
              scopes: required.map((r) =>
                renderRequired(
                  r,
                  Object.fromEntries(Object.keys(values).map((k) => [k, 'conformance-other-id'])),
                ),
              ),
            },
            {
              label: 'res:<id with suffix>:act',
              scopes: required.map((r) =>
                renderRequired(r, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, `${v}x`]))),
              ),
            },
          ],
          values,
        )
      : undefined,
    scopeCase(
      ctx,
      op,
      'SCOPE-CASE',
      [
        { label: 'upper case', scopes: withFirst(R0.toUpperCase()) },
        { label: 'capitalised', scopes: withFirst(R0.charAt(0).toUpperCase() + R0.slice(1)) },
      ].filter((v) => v.scopes[0] !== R0),
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-PREFIX-SUFFIX',
      [
        { label: 'prefix', scopes: withFirst(R0.slice(0, -1)) },
        { label: 'suffix', scopes: withFirst(`${R0}2`) },
        { label: 'superstring', scopes: withFirst(`x${R0}`) },
        { label: 'parent', scopes: withFirst(first.resource) },
        { label: 'extra segment', scopes: withFirst(`${R0}:x`) },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-WHITESPACE',
      [
        { label: 'leading space', scopes: withFirst(` ${R0}`) },
        { label: 'trailing space', scopes: withFirst(`${R0} `) },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-DELIMITER',
      [
        { label: 'comma-joined', scopes: withFirst(`${other}:read,${R0}`) },
        { label: 'semicolon-joined', scopes: withFirst(`${other}:read;${R0}`) },
        { label: 'space-joined in one entry', scopes: withFirst(`${other}:read ${R0}`) },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-WILDCARD-FORMS',
      [
        { label: '*', scopes: ['*'] },
        { label: 'res:*', scopes: reqs.map((r) => `${r.resource}:*`) },
        { label: '*:act', scopes: reqs.map((r) => `*:${r.action}`) },
        { label: '*:*:act', scopes: reqs.map((r) => `*:*:${r.action}`) },
        { label: 'res:*:*', scopes: reqs.map((r) => `${r.resource}:*:*`) },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-BARE-ADMIN',
      [
        { label: 'admin', scopes: ['admin'] },
        { label: 'Admin', scopes: ['Admin'] },
        { label: 'admin scope upper case', scopes: [admin.toUpperCase()] },
        { label: 'admin scope + trailing space', scopes: [`${admin} `] },
        { label: 'admin scope namespace wildcard', scopes: [`${admin.split(':')[0]}:*`] },
      ].filter((v) => v.scopes[0] !== admin),
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-FOUR-PART',
      [{ label: 'agent-os:my-os:<scope>', scopes: R.map((s) => `agent-os:my-os:${s}`) }],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-CONTROL-CHARS',
      [
        { label: 'tab-joined admin', scopes: [`${other}:read\t${admin}`] },
        { label: 'newline-joined admin', scopes: [`${other}:read\n${admin}`] },
      ],
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-HOMOGLYPH',
      [{ label: 'Cyrillic homoglyph', scopes: withFirst(homoglyph(R0)) }],
      values,
    ),
    R.length > 1
      ? scopeCase(
          ctx,
          op,
          'SCOPE-AND',
          R.map((s) => ({ label: `only ${s}`, scopes: [s] })),
          values,
        )
      : undefined,
    scopeCase(
      ctx,
      op,
      'SCOPE-WRONG-CLAIM',
      ['scp', 'scope', 'roles', 'permissions']
        .filter((c) => c !== ctx.scopesClaim)
        .map((c) => ({
          label: `scopes in "${c}"`,
          scopes: undefined,
          claims: { [c]: c === 'scope' ? R.join(' ') : R },
        })),
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-CLAIM-TYPE',
      [
        { label: 'number', scopes: 42 },
        { label: 'object', scopes: { [R0]: true } },
        { label: 'null', scopes: null },
      ].map((v) => ({ ...v, expect: status([401, 403], 'never 2xx or 5xx') })),
      values,
    ),
    scopeCase(
      ctx,
      op,
      'SCOPE-OUTSIDE-TOKEN',
      [
        {
          label: 'privilege headers',
          scopes: [`${other}:read`],
          headers: {
            'X-Scopes': admin,
            'X-User-Role': 'admin',
            'X-Roles': 'admin',
            'X-Agent-OS-Scopes': R.join(' '),
          },
        },
        {
          label: 'privilege query',
          scopes: [`${other}:read`],
          query: `scope=${encodeURIComponent(admin)}&scopes=${encodeURIComponent(admin)}`,
        },
      ],
      values,
    ),
  ];
  return cases.filter((c): c is Case => c !== undefined);
}

/** Public operations: served with no token, a valid token and a garbage token (contract §3). */
export function planPublic(ctx: PlanContext, op: Operation): Case[] {
  const mk = (id: string, token: TokenSpec | undefined): Case => {
    const req = requestFor(ctx, op, token);
    const c: Case = {
      probe: probe(id),
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      phase: 1,
      steps: [{ label: id, request: req, expect: authorized(), oracle: 'public' }],
    };
    if (!safeToAuthorize(ctx, op)) c.skip = SAFE_SKIP_REASON;
    return c;
  };
  return [
    mk('PUB-NO-TOKEN', undefined),
    mk('PUB-VALID-TOKEN', { scopes: [ctx.adminScope] }),
    mk('PUB-GARBAGE-TOKEN', {
      attack: { kind: 'raw', token: 'conformance.garbage.token' },
      label: 'garbage token',
    }),
  ];
}
