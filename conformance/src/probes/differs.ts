/**
 * @module probes/differs — one probe per point where contract.md says **(differs)** from the Python
 * AgentOS, so users of either implementation see each difference by name.
 */

import { status } from '../expect.js';
import { renderRequired } from '../oracle.js';
import { type PlanContext, requestFor, valuesFor } from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { Case, Expectation, HttpResponse } from '../types.js';
import { probe } from './catalog.js';

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function challenge(code: number): Expectation {
  return {
    describe: `${code} with WWW-Authenticate: Bearer …`,
    check(res) {
      if (res.error) return `no response: ${res.error}`;
      if (res.status !== code) return `got ${res.status}, not ${code}`;
      const h = header(res, 'www-authenticate');
      if (!h) return `${code} without a WWW-Authenticate header`;
      return /^\s*bearer\b/i.test(h) ? undefined : `WWW-Authenticate is "${h}", not a Bearer challenge`;
    },
  };
}

export function planDiffers(ctx: PlanContext, op: Operation): Case[] {
  const values = valuesFor(ctx, op);
  const R = (op.requiredScopes ?? []).map((r) => renderRequired(r, values));
  const base = { operationId: op.operationId, method: op.method, path: op.path };
  const cases: Case[] = [
    {
      ...base,
      probe: probe('DIFF-UNMAPPED-ROUTE'),
      phase: 0,
      steps: [
        {
          label: 'valid token, scopes=[conformance:probe]',
          request: requestFor(ctx, op, { scopes: ['conformance:probe'] }, values),
          expect: status([403], 'the operation must enforce its scopes'),
          oracle: 'deny',
          hyg: { kind: 'insufficient', required: R },
        },
      ],
    },
  ];
  if (ctx.representative.includes(op)) {
    cases.push({
      ...base,
      probe: probe('DIFF-EXP-REQUIRED'),
      phase: 1,
      steps: [
        {
          label: 'token without exp',
          request: requestFor(ctx, op, { scopes: R, claims: { exp: undefined } }, values),
          expect: status([401], 'RFC 8725: exp is required'),
          oracle: '401',
          hyg: { kind: 'bad-token' },
        },
      ],
    });
    if (ctx.representative[0] === op) {
      cases.push({
        ...base,
        probe: probe('DIFF-WWW-AUTHENTICATE'),
        phase: 1,
        steps: [
          {
            label: 'no token → 401 challenge',
            request: requestFor(ctx, op, undefined, values),
            expect: challenge(401),
            oracle: '401',
            hyg: { kind: 'no-token' },
          },
          {
            label: 'insufficient scope → 403 challenge',
            request: requestFor(ctx, op, { scopes: [] }, values),
            expect: challenge(403),
            oracle: 'deny',
            hyg: { kind: 'insufficient', required: R },
          },
        ],
      });
    }
  }
  return cases;
}
