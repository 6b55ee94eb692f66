/**
 * @module probes/object — object-level authority (contract §2 x-body-scopes / x-scope-target, §3
 * x-nested-filters, §5 x-contains, §7 x-approval-gate): what a request *names* (a run through
 * another entity's path, an approval, a body's agent, a schedule's endpoint, a team's members).
 * Each probe is a scripted case: it creates what it attacks through the API (so it needs
 * `--mode full` or `--seed`, a disposable target), then checks the answer *and* the stored state.
 *
 * The extensions are read from the spec document itself; where the document predates them, the
 * AgentOS path conventions stand in (`/{family}/{id}/runs/{run_id}…` contains a run of that entity,
 * `POST /eval-runs` names `agent_id`/`team_id`, `POST /schedules` targets `endpoint`). The suite's own
 * oracle decides, never the code under test.
 */

import { excerpt } from '../expect.js';
import { isSecured, type PlanContext } from '../plan-context.js';
import { type Operation, pathParamNames } from '../spec.js';
import type { Case, Expectation, HttpResponse, PlannedRequest, ScriptIO, ScriptResponse } from '../types.js';
import { probe } from './catalog.js';

const FAMILIES = [
  { family: 'agents', param: 'agent_id', kind: 'agent' },
  { family: 'teams', param: 'team_id', kind: 'team' },
  { family: 'workflows', param: 'workflow_id', kind: 'workflow' },
] as const;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const SEED_SKIP =
  'creates the rows it attacks: run with --mode full, or --seed against a disposable target';

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const json = (value: unknown) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

const transport = (r: HttpResponse) => (r.error ? `no response: ${r.error}` : undefined);

/** Refused: 401/403/404/409/400/422 are all refusals; 2xx (served) and 5xx (crashed) are not. */
export function refused(why: string): Expectation {
  return {
    describe: `refused, never 2xx (${why})`,
    check: (r) =>
      transport(r) ??
      (r.status >= 200 && r.status < 300
        ? `got ${r.status}: the request was served: ${excerpt(r.body, 200)}`
        : r.status >= 500
          ? `got ${r.status}: ${excerpt(r.body, 160)}`
          : undefined),
  };
}

const ok2xx: Expectation = {
  describe: '2xx (setup)',
  check: (r) => transport(r) ?? (r.status >= 200 && r.status < 300 ? undefined : `got ${r.status}`),
};

/** Entity ids of a family: the config's, then discovery's. */
function entities(ctx: PlanContext, param: string): string[] {
  const fixed = ctx.fixtures[param];
  const found = ctx.discovery.ids[param] ?? [];
  return [...new Set([...(fixed ? [fixed] : []), ...found])];
}

const find = (ops: Operation[], method: string, path: string) =>
  ops.find((o) => o.method === method && o.path === path);

function runOpsOf(ops: Operation[], family: string, param: string): Operation[] {
  // x-contains when the document has it, else the path convention.
  const prefix = `/${family}/{${param}}/runs/{run_id}`;
  return ops.filter((o) => {
    const contains = (o.extensions['x-contains'] as unknown[] | undefined) ?? [];
    const declared = contains.some(
      (c) => isObj(c) && c.param === 'run_id' && isObj(c.parent) && c.parent.param === param,
    );
    return declared || o.path === prefix || o.path.startsWith(`${prefix}/`);
  });
}

/** Starts a run as `sub` with `scopes`; skips the case when the target does not complete one. */
async function startRun(
  io: ScriptIO,
  family: string,
  id: string,
  sub: string,
  scopes: string[],
  message = 'conformance probe',
): Promise<{ run_id: string; session_id: string; body: Json }> {
  const r = await io.send(
    `as ${sub}: start a run on ${family}/${id}`,
    {
      method: 'POST',
      path: `/${family}/${id}/runs`,
      ...form({ message, stream: 'false' }),
      token: { scopes, sub },
    },
    ok2xx,
    'setup',
  );
  const b = r.json;
  if (!isObj(b) || typeof b.run_id !== 'string')
    io.skip(`the target did not start a run on ${family}/${id} (${r.status}): ${excerpt(r.body, 120)}`);
  return { run_id: b.run_id as string, session_id: String(b.session_id ?? ''), body: b };
}

function bodyOf(op: Operation, over: Json): Json {
  const ex = op.requestBody?.example;
  return { ...(isObj(ex) ? ex : {}), ...over };
}

/** `x-body-scopes` templates of an operation: `agents:{body.agent_id}:run` → field agent_id. */
function bodyScopes(op: Operation): { field: string; template: string }[] {
  const declared = op.extensions?.['x-body-scopes'];
  if (Array.isArray(declared))
    return declared.flatMap((t) => {
      const m = /\{body\.([A-Za-z0-9_]+)\}/.exec(String(t));
      return m ? [{ field: m[1] as string, template: String(t) }] : [];
    });
  if (op.method === 'POST' && op.path === '/eval-runs')
    return [
      { field: 'agent_id', template: 'agents:{body.agent_id}:run' },
      { field: 'team_id', template: 'teams:{body.team_id}:run' },
    ];
  return [];
}

/** A value nested `depth` levels: `{"a":{"a":…}}`. */
export function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function planObject(ctx: PlanContext, ops: Operation[]): Case[] {
  const cases: Case[] = [];
  const seeding = ctx.mode === 'full' || ctx.seed;
  const A = ctx.users.a;
  const B = ctx.users.b;
  const admin = (sub = 'conformance-admin') => ({ scopes: [ctx.adminScope], sub });
  const mk = (
    id: string,
    op: Operation | undefined,
    path: string,
    method: string,
    rest: Partial<Case>,
  ): Case => ({
    probe: probe(id),
    operationId: op?.operationId ?? `${method} ${path}`,
    method,
    path,
    phase: 3,
    steps: [],
    ...(seeding ? {} : { skip: SEED_SKIP }),
    ...rest,
  });

  // OBJ-CONTAIN-RUN / OBJ-CANCEL-UNKNOWN (finding 1).
  for (const f of FAMILIES) {
    const runOps = runOpsOf(ops, f.family, f.param);
    const create = find(ops, 'POST', `/${f.family}/{${f.param}}/runs`);
    if (!create || runOps.length === 0) continue;
    const [X, Y] = entities(ctx, f.param);
    const cancel = runOps.find((o) => o.method === 'POST' && o.path.endsWith('/cancel'));
    if (cancel)
      cases.push(
        mk('OBJ-CANCEL-UNKNOWN', cancel, cancel.path, 'POST', {
          ...(X ? {} : { skip: `no ${f.param} on the target` }),
          script: async (io) => {
            const unknown = `conformance-unknown-run-${f.kind}`;
            const mine = { scopes: [`${f.family}:${X}:run`, `${f.family}:${X}:read`], sub: A };
            await io.send(
              `as ${A}: cancel an unknown run of ${X}`,
              {
                method: 'POST',
                path: `/${f.family}/${X}/runs/${unknown}/cancel?session_id=conformance-unknown-session`,
                token: mine,
              },
              refused('the run does not exist'),
              'deny',
            );
            await io.send(
              'as admin: no run row was stored',
              {
                method: 'GET',
                path: `/${f.family}/${X}/runs/${unknown}?session_id=conformance-unknown-session`,
                token: admin(A),
              },
              refused('nothing may be stored for an unknown id'),
              '404',
            );
          },
        }),
      );
    cases.push(
      mk('OBJ-CONTAIN-RUN', create, `/${f.family}/{${f.param}}/runs/{run_id}/*`, 'POST', {
        ...(Y ? {} : { skip: `needs two ${f.family} on the target (found ${X ?? 'none'})` }),
        note: `a run of ${Y} attacked through ${X}'s path with ${X}'s scopes`,
        script: async (io) => {
          const run = await startRun(io, f.family, Y as string, A, [`${f.family}:${Y}:run`]);
          const mine = { scopes: [`${f.family}:${X}:run`, `${f.family}:${X}:read`], sub: A };
          for (const op of runOps) {
            const suffix = op.path.slice(`/${f.family}/{${f.param}}/runs/{run_id}`.length);
            if (suffix.includes('{')) continue;
            const path = `/${f.family}/${X}/runs/${run.run_id}${suffix}`;
            const req: PlannedRequest =
              op.method === 'GET' || suffix === '/cancel'
                ? {
                    method: op.method,
                    path: `${path}?session_id=${encodeURIComponent(run.session_id)}`,
                    token: mine,
                  }
                : {
                    method: op.method,
                    path,
                    ...form({ session_id: run.session_id, stream: 'false', message: 'conformance' }),
                    token: mine,
                  };
            await io.send(
              `${op.method} ${Y}'s run through ${X}${suffix || ''}`,
              req,
              refused(`the run belongs to ${Y}`),
              'deny',
            );
          }
          await io.send(
            `as admin: ${Y}'s run is unchanged (${String(run.body.status)})`,
            {
              method: 'GET',
              path: `/${f.family}/${Y}/runs/${run.run_id}?session_id=${encodeURIComponent(run.session_id)}`,
              token: admin(A),
            },
            {
              describe: `200 with status ${String(run.body.status)}`,
              check: (r) => {
                if (r.status !== 200) return `got ${r.status}: ${excerpt(r.body, 120)}`;
                const s = (JSON.parse(r.body) as Json).status;
                return s === run.body.status ? undefined : `status changed to ${String(s)}`;
              },
            },
            'allow',
          );
        },
      }),
    );
  }

  // OBJ-APPROVAL-PENDING / OBJ-APPROVAL-DELETED (findings 2, 3).
  const trigger = ctx.approvalTrigger;
  const gateFam = FAMILIES.find((f) => f.param === (trigger?.param ?? 'agent_id')) ?? FAMILIES[0];
  const contOp = ops.find(
    (o) =>
      o.method === 'POST' &&
      (o.extensions['x-approval-gate'] !== undefined ||
        o.path === `/${gateFam.family}/{${gateFam.param}}/runs/{run_id}/continue`),
  );
  const delApproval = find(ops, 'DELETE', '/approvals/{approval_id}');
  if (contOp) {
    const noTrigger = trigger
      ? undefined
      : 'no approval trigger configured (config `objects.approval: { agent_id, message }` naming a run that pauses on a tool needing a required approval)';
    const paused = async (io: ScriptIO, scopes: string[]) => {
      const t = trigger as { id: string; message: string };
      const run = await startRun(
        io,
        gateFam.family,
        t.id,
        A,
        [`${gateFam.family}:${t.id}:run`, ...scopes],
        t.message,
      );
      const tools = Array.isArray(run.body.tools) ? (run.body.tools as Json[]) : [];
      const tool = tools.find((x) => typeof x.approval_id === 'string') ?? tools[0];
      if (run.body.status !== 'PAUSED' || !tool)
        io.skip(`the trigger did not pause the run on an approval (status ${String(run.body.status)})`);
      return { ...run, tool: tool as Json };
    };
    const cont = (
      io: ScriptIO,
      run: { run_id: string; session_id: string; tool: Json },
      scopes: string[],
      label: string,
    ) =>
      io.send(
        label,
        {
          method: 'POST',
          path: `/${gateFam.family}/${(trigger as { id: string }).id}/runs/${run.run_id}/continue`,
          ...form({
            session_id: run.session_id,
            stream: 'false',
            tools: JSON.stringify([{ tool_call_id: run.tool.tool_call_id, confirmed: true }]),
          }),
          token: { scopes, sub: A },
        },
        refused('the required approval is pending and the caller cannot resolve it'),
        'deny',
      );
    cases.push(
      mk('OBJ-APPROVAL-PENDING', contOp, contOp.path, 'POST', {
        ...(noTrigger && seeding ? { skip: noTrigger } : {}),
        script: async (io) => {
          const t = trigger as { id: string };
          const run = await paused(io, []);
          const runScope = [`${gateFam.family}:${t.id}:run`];
          await cont(io, run, runScope, `as ${A} with the run scope only: continue, tool confirmed`);
          // Under isolation a non-admin cannot resolve another's approval; with approvals:write
          // the caller still is not the resolver of a pending required approval.
          await cont(
            io,
            run,
            [...runScope, 'approvals:write', 'approvals:read'],
            `as ${A} (non-admin) with approvals:write: continue while pending, tool confirmed`,
          );
          if (typeof run.tool.approval_id === 'string')
            await io.send(
              'as admin: the approval is still pending',
              { method: 'GET', path: `/approvals/${run.tool.approval_id}`, token: admin() },
              {
                describe: '200 with status pending',
                check: (r) =>
                  r.status !== 200
                    ? `got ${r.status}: ${excerpt(r.body, 120)}`
                    : (JSON.parse(r.body) as Json).status === 'pending'
                      ? undefined
                      : `the approval is now ${String((JSON.parse(r.body) as Json).status)} without a resolver`,
              },
              'allow',
            );
        },
      }),
    );
    if (delApproval)
      cases.push(
        mk('OBJ-APPROVAL-DELETED', contOp, contOp.path, 'POST', {
          ...(noTrigger && seeding ? { skip: noTrigger } : {}),
          script: async (io) => {
            const t = trigger as { id: string };
            const run = await paused(io, []);
            if (typeof run.tool.approval_id !== 'string') io.skip('the paused tool names no approval_id');
            const scopes = [`${gateFam.family}:${t.id}:run`, 'approvals:delete'];
            // Whoever holds approvals:delete (here the admin, who can see it under isolation) removes it.
            await io.send(
              'as admin: delete the pending approval',
              { method: 'DELETE', path: `/approvals/${run.tool.approval_id}`, token: admin() },
              undefined,
              'recorded',
            );
            await cont(io, run, scopes.slice(0, 1), `as ${A}: continue after the delete, tool confirmed`);
          },
        }),
      );
  }

  // OBJ-BODY-TARGET (finding 7): x-body-scopes.
  for (const op of ops.filter(isSecured)) {
    for (const { field, template } of bodyScopes(op)) {
      const fam = FAMILIES.find((f) => template.startsWith(`${f.family}:`));
      const id = fam ? entities(ctx, fam.param)[0] : undefined;
      cases.push(
        mk('OBJ-BODY-TARGET', op, op.path, op.method, {
          ...(id ? {} : { skip: `no id for body field ${field}` }),
          note: `x-body-scopes ${template}`,
          script: async (io) => {
            const required = (op.requiredScopes ?? []).filter((s) => !s.includes('{'));
            const body = bodyOf(op, { [field]: id });
            for (const other of ['agent_id', 'team_id', 'workflow_id'])
              if (other !== field) delete body[other];
            await io.send(
              `with ${required.join(' ') || 'the operation scopes'} only, body ${field}=${id}`,
              { method: op.method, path: op.path, ...json(body), token: { scopes: required, sub: A } },
              {
                describe: `403 (${template.replace(`{body.${field}}`, String(id))} missing)`,
                check: (r) =>
                  transport(r) ?? (r.status === 403 ? undefined : `got ${r.status}: ${excerpt(r.body, 200)}`),
              },
              'deny',
            );
          },
        }),
      );
    }
  }

  // OBJ-SCHEDULE-TARGET (finding 4): x-scope-target.
  const schedCreate = ops.find(
    (o) =>
      o.method === 'POST' &&
      ((isObj(o.extensions['x-scope-target']) &&
        (o.extensions['x-scope-target'] as Json).source === 'body') ||
        o.path === '/schedules'),
  );
  const [agentX, agentY] = entities(ctx, 'agent_id');
  if (schedCreate) {
    const base = `/${schedCreate.path.split('/')[1]}`;
    cases.push(
      mk('OBJ-SCHEDULE-TARGET', schedCreate, `${base}/*`, 'POST', {
        ...(agentX ? {} : { skip: 'no agent_id on the target' }),
        script: async (io) => {
          const write = (schedCreate.requiredScopes ?? []).filter((s) => !s.includes('{'));
          const runX = `agents:${agentX}:run`;
          const body = (name: string, agent: string) =>
            bodyOf(schedCreate, {
              name,
              cron_expr: '0 9 1 1 *',
              endpoint: `/agents/${agent}/runs`,
              method: 'POST',
              payload: { message: 'conformance' },
            });
          await io.send(
            `as ${B} with ${write.join(' ')} only: create a schedule running ${agentX}`,
            {
              method: 'POST',
              path: base,
              ...json(body(`conformance-b-${Date.now()}`, agentX as string)),
              token: { scopes: write, sub: B },
            },
            refused(`${runX} missing`),
            'deny',
          );
          const made = await io.send(
            `as ${A} with ${runX}: create a schedule running ${agentX}`,
            {
              method: 'POST',
              path: base,
              ...json(body(`conformance-a-${Date.now()}`, agentX as string)),
              token: { scopes: [...write, runX, 'schedules:read', 'schedules:delete'], sub: A },
            },
            ok2xx,
            'setup',
          );
          const sid = isObj(made.json) ? (made.json.id ?? made.json.schedule_id) : undefined;
          if (typeof sid !== 'string') io.skip(`the target did not create a schedule (${made.status})`);
          const asB = { scopes: write, sub: B };
          const edits: [string, Json][] = [
            ['payload', { payload: { message: 'conformance: changed payload' } }],
            ['cron_expr', { cron_expr: '* * * * *' }],
            ...(agentY ? ([['endpoint', { endpoint: `/agents/${agentY}/runs` }]] as [string, Json][]) : []),
          ];
          try {
            for (const [what, patch] of edits)
              await io.send(
                `as ${B} with ${write.join(' ')} only: PATCH ${what} of ${A}'s schedule`,
                { method: 'PATCH', path: `${base}/${sid}`, ...json(patch), token: asB },
                refused(`${runX} missing`),
                'deny',
              );
            for (const action of ['enable', 'trigger'])
              if (find(ops, 'POST', `${base}/{schedule_id}/${action}`))
                await io.send(
                  `as ${B} with ${write.join(' ')} only: ${action}`,
                  { method: 'POST', path: `${base}/${sid}/${action}`, token: asB },
                  refused(`${runX} missing`),
                  'deny',
                );
          } finally {
            await io.send('cleanup: delete the schedule', {
              method: 'DELETE',
              path: `${base}/${sid}`,
              token: admin(),
            });
          }
        },
      }),
    );
  }

  // OBJ-NESTED-FILTER (finding 8): team/workflow detail and GET /config.
  // x-nested-filters when the document has them (pointer → the array to filter), else the conventions.
  const nested: { op: Operation; fam: (typeof FAMILIES)[number]; pointers: string[] }[] = [];
  const declared = ops.filter((o) => o.method === 'GET' && Array.isArray(o.extensions['x-nested-filters']));
  for (const op of declared) {
    const fam = FAMILIES.find((f) => op.path === `/${f.family}/{${f.param}}`);
    const pointers = (op.extensions['x-nested-filters'] as unknown[]).flatMap((f) =>
      isObj(f) && typeof f.at === 'string' ? [f.at.replace(/^\//, '').split('/')[0] as string] : [],
    );
    if (fam && pointers.length) nested.push({ op, fam, pointers });
  }
  if (!declared.length)
    for (const f of FAMILIES.slice(1)) {
      const op = find(ops, 'GET', `/${f.family}/{${f.param}}`);
      if (op) nested.push({ op, fam: f, pointers: f.family === 'teams' ? ['members'] : ['steps'] });
    }
  for (const { op, fam, pointers } of nested) {
    const id = entities(ctx, fam.param)[0];
    cases.push(
      mk('OBJ-NESTED-FILTER', op, op.path, 'GET', {
        skip: id ? undefined : `no ${fam.param} on the target`,
        script: async (io) => {
          const r = await io.send(
            `with ${fam.family}:${id}:read only`,
            {
              method: 'GET',
              path: `/${fam.family}/${id}`,
              token: { scopes: [`${fam.family}:${id}:read`], sub: A },
            },
            {
              describe: `200 without members the token cannot read (${pointers.join(', ')})`,
              check: (res) => {
                if (res.status !== 200) return `got ${res.status}: ${excerpt(res.body, 120)}`;
                const leaks = memberLeaks(JSON.parse(res.body), pointers);
                return leaks.length
                  ? `exposes ${leaks.join(', ')} (no agents:<id>:read in the token)`
                  : undefined;
              },
            },
            'filter:[]',
          );
          void r;
        },
      }),
    );
  }
  const config = find(ops, 'GET', '/config');
  if (config && agentX)
    cases.push(
      mk('OBJ-NESTED-FILTER', config, config.path, 'GET', {
        skip: undefined,
        script: async (io) => {
          await io.send(
            `with config:read and agents:${agentX}:read only`,
            {
              method: 'GET',
              path: '/config',
              token: { scopes: [...(config.requiredScopes ?? []), `agents:${agentX}:read`], sub: A },
            },
            {
              describe: `200 listing only ${agentX} among agents, no teams or workflows`,
              check: (res) => {
                if (res.status !== 200) return `got ${res.status}: ${excerpt(res.body, 120)}`;
                const b = JSON.parse(res.body) as Json;
                const ids = (k: string) =>
                  Array.isArray(b[k])
                    ? (b[k] as unknown[]).map((x) =>
                        isObj(x) ? String(x.id ?? x[`${k.slice(0, -1)}_id`] ?? '?') : String(x),
                      )
                    : [];
                const bad = [
                  ...ids('agents')
                    .filter((x) => x !== agentX)
                    .map((x) => `agent ${x}`),
                  ...ids('teams').map((x) => `team ${x}`),
                  ...ids('workflows').map((x) => `workflow ${x}`),
                ];
                return bad.length ? `exposes ${bad.slice(0, 6).join(', ')}` : undefined;
              },
            },
            `filter:[${agentX}]`,
          );
        },
      }),
    );

  // OBJ-MEMBER-RUN (finding 8): a team run with the team's run scope only.
  const teamRun = find(ops, 'POST', '/teams/{team_id}/runs');
  const teamId = entities(ctx, 'team_id')[0];
  if (teamRun)
    cases.push(
      mk('OBJ-MEMBER-RUN', teamRun, teamRun.path, 'POST', {
        ...(teamId ? {} : { skip: 'no team_id on the target' }),
        script: async (io) => {
          await io.send(
            `as ${A} with teams:${teamId}:run only`,
            {
              method: 'POST',
              path: `/teams/${teamId}/runs`,
              ...form({ message: 'conformance', stream: 'false' }),
              token: { scopes: [`teams:${teamId}:run`], sub: A },
            },
            {
              describe: 'refused, or a run in which no member ran',
              check: (r) => {
                if (r.error) return `no response: ${r.error}`;
                if (r.status < 200 || r.status >= 300) return r.status >= 500 ? `got ${r.status}` : undefined;
                const b = JSON.parse(r.body) as Json;
                const members = Array.isArray(b.member_responses) ? b.member_responses.length : 0;
                return members ? `${members} member run(s) executed without their run scope` : undefined;
              },
            },
            'deny',
          );
        },
      }),
    );

  // OBJ-OWNERLESS-WRITE (finding 5): learnings (and any user-owned create) without an owner.
  const learn = find(ops, 'POST', '/learnings');
  const learnList = find(ops, 'GET', '/learnings');
  if (learn && learnList && ctx.userIsolation)
    cases.push(
      mk('OBJ-OWNERLESS-WRITE', learn, learn.path, 'POST', {
        script: async (io) => {
          const marker = `conformance-ownerless-${Date.now()}`;
          const made = await io.send(
            `as ${A}: create a learning without user_id`,
            {
              method: 'POST',
              path: '/learnings',
              ...json(
                Object.fromEntries(
                  Object.entries(
                    bodyOf(learn, { learning_type: 'conformance', content: { note: marker } }),
                  ).filter(([k]) => k !== ctx.ownerField),
                ),
              ),
              token: { scopes: ['learnings:write'], sub: A },
            },
            undefined,
            'setup',
          );
          const id = isObj(made.json) ? made.json.learning_id : undefined;
          if (made.status >= 300 || typeof id !== 'string') io.skip(`no learning created (${made.status})`);
          try {
            await io.send(
              `as ${B}: list learnings`,
              { method: 'GET', path: '/learnings?limit=100', token: { scopes: ['learnings:read'], sub: B } },
              {
                describe: `${A}'s learning is not listed`,
                check: (r) => (r.body.includes(marker) ? `${B} sees ${A}'s ownerless learning` : undefined),
              },
              'hidden',
            );
            await io.send(
              `as ${B}: read it`,
              { method: 'GET', path: `/learnings/${id}`, token: { scopes: ['learnings:read'], sub: B } },
              refused(`the learning is ${A}'s`),
              'hidden',
            );
          } finally {
            await io.send('cleanup', { method: 'DELETE', path: `/learnings/${id}`, token: admin(A) });
          }
        },
      }),
    );

  // OBJ-DEEP-JSON (finding 10): every JSON-body operation, as admin.
  const depth = 2500;
  const jsonOps = ops.filter(
    (o) => isSecured(o) && o.requestBody?.contentTypes.some((c) => c.includes('json')) && o.method !== 'GET',
  );
  for (const op of jsonOps) {
    const params = pathParamNames(op.path);
    const safe = params.length > 0;
    const schemaProps = (op.requestBody?.schema?.properties as Record<string, Json> | undefined) ?? {};
    const deepFields = Object.entries(schemaProps)
      .filter(
        ([, s]) =>
          isObj(s) && (s.type === 'object' || s.type === undefined || s.additionalProperties !== undefined),
      )
      .map(([k]) => k);
    const fields = deepFields.length ? deepFields : ['conformance'];
    const field = fields.join(', ');
    const path = op.path.replace(
      /\{([^}]+)\}/g,
      (_, n: string) => `conformance-missing-${n.replace(/_/g, '-')}`,
    );
    const skeleton: Json = isObj(op.requestBody?.example) ? { ...(op.requestBody?.example as Json) } : {};
    for (const f of fields) skeleton[f] = '\u0000deep';
    const body = JSON.stringify(skeleton).replaceAll('"\\u0000deep"', deepJson(depth));
    cases.push({
      probe: probe('OBJ-DEEP-JSON'),
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      phase: 3,
      ...(safe || seeding ? {} : { skip: `${SEED_SKIP} (a create stores the deep value)` }),
      steps: [
        {
          label: `${field} nested ${depth} levels, admin`,
          request: {
            method: op.method,
            path,
            headers: { 'content-type': 'application/json' },
            body,
            token: admin(),
          },
          expect: {
            describe: 'any answer but 5xx or a dropped connection',
            check: (r) =>
              r.error
                ? `no response: ${r.error}`
                : r.status >= 500
                  ? `got ${r.status}: ${excerpt(r.body, 160)}`
                  : undefined,
          },
          oracle: 'no-5xx',
        },
      ],
    });
  }

  // Run metadata and session state sent as form fields (finding 10 names run metadata).
  for (const f of FAMILIES) {
    const create = find(ops, 'POST', `/${f.family}/{${f.param}}/runs`);
    const id = entities(ctx, f.param)[0];
    if (!create || !id) continue;
    cases.push({
      probe: probe('OBJ-DEEP-JSON'),
      operationId: create.operationId,
      method: 'POST',
      path: create.path,
      phase: 3,
      ...(seeding ? {} : { skip: `${SEED_SKIP} (a run stores the deep value)` }),
      steps: [
        {
          label: `metadata, session_state and dependencies nested ${depth} levels (form fields), admin`,
          request: {
            method: 'POST',
            path: `/${f.family}/${id}/runs`,
            ...form({
              message: 'conformance',
              stream: 'false',
              metadata: deepJson(depth),
              session_state: deepJson(depth),
              dependencies: deepJson(depth),
            }),
            token: admin(),
          },
          expect: {
            describe: 'any answer but 5xx or a dropped connection',
            check: (r) =>
              r.error
                ? `no response: ${r.error}`
                : r.status >= 500
                  ? `got ${r.status}: ${excerpt(r.body, 160)}`
                  : undefined,
          },
          oracle: 'no-5xx',
        },
      ],
    });
  }

  // OBJ-CSRF-COOKIE (finding 13).
  if (ctx.tokenSource === 'cookie') {
    const [X] = entities(ctx, 'agent_id');
    const target = runOpsOf(ops, 'agents', 'agent_id').find((o) => o.path.endsWith('/cancel'));
    if (target && X)
      cases.push({
        probe: probe('OBJ-CSRF-COOKIE'),
        operationId: target.operationId,
        method: 'POST',
        path: target.path,
        phase: 3,
        steps: [
          {
            label: `cross-site form POST (Origin https://evil.example) with the ${ctx.cookieName} cookie`,
            request: {
              method: 'POST',
              path: `/agents/${X}/runs/conformance-missing-run/cancel?session_id=conformance-missing-session`,
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                origin: 'https://evil.example',
                referer: 'https://evil.example/attack.html',
                'sec-fetch-site': 'cross-site',
              },
              body: 'x=1',
              token: { scopes: [`agents:${X}:run`], sub: A },
              auth: { cookie: ctx.cookieName },
            },
            expect: {
              describe: '401/403 (a cross-site request with a cookie token is refused before the handler)',
              check: (r) =>
                transport(r) ??
                ([401, 403].includes(r.status) ? undefined : `got ${r.status}: ${excerpt(r.body, 160)}`),
            },
            oracle: 'deny',
          },
        ],
      });
  }
  return cases;
}

/** Items under `pointers` of a detail response that name entities (agents) with config details. */
function memberLeaks(body: unknown, pointers: string[]): string[] {
  if (!isObj(body)) return [];
  const out: string[] = [];
  for (const p of pointers) {
    const arr = body[p];
    if (!Array.isArray(arr)) continue;
    for (const m of arr) {
      if (!isObj(m)) continue;
      const inner = isObj(m.agent) ? m.agent : m;
      const id = inner.id ?? inner.agent_id ?? m.agent;
      if (id !== undefined && id !== null) out.push(`${p}: ${String(id)}`);
    }
  }
  return out;
}

export type { ScriptResponse };
