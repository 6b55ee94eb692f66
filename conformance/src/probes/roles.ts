/**
 * @module probes/roles — the AgentOS 3.1 authorization model: roles read from a claim
 * (`--roles-claim`) and role fixtures from the config (what each role must allow and deny, deny
 * beating allow, an unknown role granting nothing), and a subject the user directory disabled.
 */

import { excerpt } from '../expect.js';
import type { PlanContext } from '../plan-context.js';
import { isSecured } from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { Case, Step } from '../types.js';
import { probe } from './catalog.js';

const split = (rule: string): [string, string] => {
  const m = /^([A-Z]+)\s+(\S+)$/.exec(rule.trim());
  return m ? [m[1] as string, m[2] as string] : ['GET', rule.trim()];
};

export function planRoles(ctx: PlanContext, ops: Operation[]): Case[] {
  const cases: Case[] = [];
  const claim = ctx.rolesClaim;
  for (const f of ctx.roles) {
    const label = Array.isArray(f.role) ? f.role.join('+') : f.role;
    const token = (role: unknown) => ({
      claims: claim ? { [claim]: role } : {},
      label: `${claim}=${JSON.stringify(role)}`,
    });
    const mk = (id: string, rules: string[], role: unknown, allow: boolean): Case => {
      const steps: Step[] = rules.map((r) => {
        const [method, path] = split(r);
        return {
          label: `${claim ?? '(no --roles-claim)'}=${JSON.stringify(role)}: ${method} ${path}`,
          request: { method, path, token: token(role) },
          expect: allow
            ? {
                describe: '2xx (the role allows it)',
                check: (res) =>
                  res.error
                    ? `no response: ${res.error}`
                    : res.status >= 200 && res.status < 300
                      ? undefined
                      : `got ${res.status}: ${excerpt(res.body, 160)}`,
              }
            : {
                describe: '403 (denied), or 2xx without the denied rows on a list',
                check: (res) =>
                  res.error
                    ? `no response: ${res.error}`
                    : res.status === 403
                      ? undefined
                      : `got ${res.status}: ${excerpt(res.body, 160)}`,
              },
          oracle: allow ? 'allow' : 'deny',
        };
      });
      return {
        probe: probe(id),
        operationId: `role ${label}`,
        method: 'ROLE',
        path: label,
        phase: 1,
        steps,
        ...(claim ? {} : { skip: 'role fixtures need --roles-claim' }),
      };
    };
    if (f.allow?.length) cases.push(mk('ROLE-ALLOW', f.allow, f.role, true));
    const deny = [...(f.deny ?? [])];
    if (deny.length) cases.push(mk('ROLE-DENY', deny, f.role, false));
    if (f.allow?.length) {
      const c = mk('ROLE-DENY', f.allow, 'conformance-unknown-role', false);
      c.operationId = 'role (unknown)';
      c.path = 'conformance-unknown-role';
      cases.push(c);
    }
  }
  const user = ctx.disabledUser;
  const secured = ops.filter((o) => isSecured(o) && o.method === 'GET' && !o.path.includes('{'));
  if (user) {
    cases.push({
      probe: probe('USER-DISABLED'),
      operationId: `user ${user}`,
      method: 'USER',
      path: user,
      phase: 1,
      ...(ctx.surface &&
      !ctx.surface.extra.some((e) => e.path.startsWith('/users')) &&
      !ops.some((o) => o.path.startsWith('/users'))
        ? { skip: 'the target serves no user directory (/users)' }
        : {}),
      steps: secured.slice(0, 4).map((op) => ({
        label: `admin scope, sub=${user} (disabled): ${op.method} ${op.path}`,
        request: { method: op.method, path: op.path, token: { scopes: [ctx.adminScope], sub: user } },
        expect: {
          describe: '403 (disabled)',
          check: (res) => (res.status === 403 ? undefined : `got ${res.status}: ${excerpt(res.body, 160)}`),
        },
        oracle: 'deny',
      })),
    });
  }
  return cases;
}
