/**
 * @module probes/ownership — scripted isolation probes that need rows they create themselves
 * (contract §5): body-owner spoofing (`user_id: A` in B's write), bulk deletes naming A's ids,
 * existence oracles (B's answer on A's id must be the answer on an unused id: 409 vs 201, 404 vs
 * 200), and a service account reusing a revoked account's name (review findings 6 and 9).
 */

import { excerpt } from '../expect.js';
import type { PlanContext } from '../plan-context.js';
import type { Operation } from '../spec.js';
import type { Case, ScriptIO } from '../types.js';
import { probe } from './catalog.js';
import { SEED_SKIP } from './object.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (value: unknown) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

interface Kind {
  path: string;
  id: string;
  scope: string;
  body: (marker: string) => Json;
  bulk?: (id: string) => Json;
}

const KINDS: Kind[] = [
  {
    path: '/sessions',
    id: 'session_id',
    scope: 'sessions',
    body: (m) => ({ session_name: m, session_state: { conformance: m } }),
    bulk: (id) => ({ session_ids: [id], session_types: ['agent'] }),
  },
  {
    path: '/memories',
    id: 'memory_id',
    scope: 'memories',
    body: (m) => ({ memory: m, topics: ['conformance'] }),
    bulk: (id) => ({ memory_ids: [id] }),
  },
  {
    path: '/learnings',
    id: 'learning_id',
    scope: 'learnings',
    body: (m) => ({ learning_type: 'conformance', content: { note: m } }),
  },
];

export function planOwnership(ctx: PlanContext, ops: Operation[]): Case[] {
  const cases: Case[] = [];
  if (!ctx.userIsolation) return cases;
  const seeding = ctx.mode === 'full' || ctx.seed;
  const { a: A, b: B } = ctx.users;
  const f = ctx.ownerField;
  const admin = { scopes: [ctx.adminScope], sub: A };
  const has = (m: string, p: string) => ops.some((o) => o.method === m && o.path === p);
  const base = (id: string, method: string, path: string): Case => {
    const op = ops.find((o) => o.method === method && o.path === path);
    return {
      probe: probe(id),
      operationId: op?.operationId ?? `${method} ${path}`,
      method,
      path,
      phase: 3,
      steps: [],
      ...(seeding ? {} : { skip: SEED_SKIP }),
    };
  };
  const create = async (io: ScriptIO, k: Kind, sub: string, extra: Json, label: string) => {
    const marker = `conformance-${k.scope}-${Math.random().toString(36).slice(2, 10)}`;
    const r = await io.send(
      label,
      {
        method: 'POST',
        path: k.path,
        ...json({ ...k.body(marker), ...extra }),
        token: { scopes: [`${k.scope}:write`], sub },
      },
      undefined,
      'setup',
    );
    const id = isObj(r.json) ? r.json[k.id] : undefined;
    return { r, marker, id: typeof id === 'string' ? id : undefined };
  };
  const remove = (io: ScriptIO, k: Kind, id: string | undefined) =>
    id
      ? io.send('cleanup', { method: 'DELETE', path: `${k.path}/${id}`, token: admin })
      : Promise.resolve(undefined);

  for (const k of KINDS) {
    if (!has('POST', k.path) || !has('GET', k.path)) continue;
    cases.push({
      ...base('ISO-BODY-OWNER-SPOOF', 'POST', k.path),
      script: async (io) => {
        const made = await create(io, k, B, { [f]: A }, `as ${B}: create with ${f}: ${A} in the body`);
        try {
          if (made.r.status >= 200 && made.r.status < 300) {
            const owner = isObj(made.r.json) ? made.r.json[f] : undefined;
            if (owner === A) {
              await io.send(
                `as ${A}: the spoofed row is listed as ${A}'s`,
                {
                  method: 'GET',
                  path: `${k.path}?limit=100`,
                  token: { scopes: [`${k.scope}:read`], sub: A },
                },
                {
                  describe: `${B}'s write is not ${A}'s row`,
                  check: (r) =>
                    r.body.includes(made.marker) ? `${B} created a row owned by ${A}` : undefined,
                },
                'hidden',
              );
              if (!made.id) return;
            }
            await io.send(
              `as ${A}: list ${k.path}`,
              { method: 'GET', path: `${k.path}?limit=100`, token: { scopes: [`${k.scope}:read`], sub: A } },
              {
                describe: `${B}'s write does not appear among ${A}'s rows`,
                check: (r) =>
                  r.status === 200 && r.body.includes(made.marker)
                    ? `${B}'s write (${f}: ${A} in its body) is listed as ${A}'s`
                    : undefined,
              },
              'hidden',
            );
          }
        } finally {
          await remove(io, k, made.id);
        }
      },
    });
    if (k.bulk && has('DELETE', k.path) && has('GET', `${k.path}/{${k.id}}`))
      cases.push({
        ...base('ISO-BULK-DELETE', 'DELETE', k.path),
        script: async (io) => {
          const made = await create(io, k, A, { [f]: A }, `as ${A}: create a row`);
          if (!made.id) io.skip(`could not create ${A}'s row (${made.r.status})`);
          try {
            await io.send(
              `as ${B}: bulk delete naming ${A}'s id`,
              {
                method: 'DELETE',
                path: k.path,
                ...json((k.bulk as (id: string) => Json)(made.id as string)),
                token: { scopes: [`${k.scope}:delete`], sub: B },
              },
              undefined,
              'recorded',
            );
            await io.send(
              `as admin: ${A}'s row is still there`,
              { method: 'GET', path: `${k.path}/${made.id}`, token: admin },
              {
                describe: '200',
                check: (r) =>
                  r.status === 200 ? undefined : `${B}'s bulk delete removed ${A}'s row (${r.status})`,
              },
              'allow',
            );
          } finally {
            await remove(io, k, made.id);
          }
        },
      });
  }

  // ISO-EXISTS-ORACLE (finding 9): a chosen session_id, and a run into another user's session.
  const sessions = KINDS[0] as Kind;
  if (has('POST', '/sessions'))
    cases.push({
      ...base('ISO-EXISTS-ORACLE', 'POST', '/sessions'),
      script: async (io) => {
        const mine = await create(io, sessions, A, { [f]: A }, `as ${A}: create a session`);
        if (!mine.id) io.skip(`could not create ${A}'s session (${mine.r.status})`);
        const fresh = `conformance-fresh-${Math.random().toString(36).slice(2, 10)}`;
        const tok = { scopes: ['sessions:write'], sub: B };
        let freshStatus = 0;
        try {
          const u = await io.send(`as ${B}: create with an unused session_id`, {
            method: 'POST',
            path: '/sessions',
            ...json({ session_id: fresh, session_name: 'conformance' }),
            token: tok,
          });
          freshStatus = u.status;
          await io.send(
            `as ${B}: create with ${A}'s session_id`,
            {
              method: 'POST',
              path: '/sessions',
              ...json({ session_id: mine.id, session_name: 'conformance' }),
              token: tok,
            },
            {
              describe: 'the answer an unused id gets (status), with no word of an existing row',
              check: (r) =>
                r.status !== freshStatus
                  ? `got ${r.status} where an unused id got ${freshStatus}: ${B} learns that ${A}'s session exists (${excerpt(r.body, 120)})`
                  : undefined,
            },
            'hidden',
          );
          const agent = ctx.discovery.ids.agent_id?.[0];
          if (agent && has('POST', '/agents/{agent_id}/runs')) {
            const run = (sid: string) => ({
              method: 'POST',
              path: `/agents/${agent}/runs`,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                message: 'conformance',
                stream: 'false',
                session_id: sid,
              }).toString(),
              token: { scopes: [`agents:${agent}:run`], sub: B },
            });
            const other = `conformance-fresh-${Math.random().toString(36).slice(2, 10)}`;
            const u2 = await io.send(`as ${B}: run into an unused session_id`, run(other));
            await io.send(
              `as ${B}: run into ${A}'s session`,
              run(mine.id as string),
              {
                describe: 'the answer an unused session id gets (status class)',
                check: (r) =>
                  Math.floor(r.status / 100) !== Math.floor(u2.status / 100)
                    ? `got ${r.status} where an unused session got ${u2.status}: ${B} learns that ${A}'s session exists`
                    : undefined,
              },
              'hidden',
            );
            await io.send('cleanup', { method: 'DELETE', path: `/sessions/${other}`, token: admin });
          }
        } finally {
          await io.send('cleanup', { method: 'DELETE', path: `/sessions/${fresh}`, token: admin });
          await remove(io, sessions, mine.id);
        }
      },
    });

  // OBJ-SA-NAME-REUSE (finding 6).
  if (
    has('POST', '/service-accounts') &&
    has('DELETE', '/service-accounts/{service_account_id}') &&
    has('POST', '/memories')
  )
    cases.push({
      ...base('OBJ-SA-NAME-REUSE', 'POST', '/service-accounts'),
      script: async (io) => {
        const name = `conformance-sa-${Math.random().toString(36).slice(2, 8)}`;
        const mint = async (label: string) => {
          const r = await io.send(
            label,
            {
              method: 'POST',
              path: '/service-accounts',
              ...json({
                name,
                scopes: [
                  { scope: 'memories:read', effect: 'allow' },
                  { scope: 'memories:write', effect: 'allow' },
                ],
                allow_privileged_scopes: true,
                expires_in_days: 1,
              }),
              token: { scopes: [ctx.adminScope], sub: 'conformance-admin' },
            },
            undefined,
            'setup',
          );
          const b = isObj(r.json) ? r.json : {};
          if (typeof b.token !== 'string' || typeof b.id !== 'string')
            io.skip(`the target did not mint a service-account token (${r.status}): ${excerpt(r.body, 120)}`);
          return { token: b.token as string, id: b.id as string };
        };
        const first = await mint(`as admin: mint service account ${name}`);
        const raw = (t: string) => ({
          attack: { kind: 'raw' as const, token: t },
          label: `service-account token of ${name}`,
        });
        const marker = `conformance-sa-row-${Math.random().toString(36).slice(2, 8)}`;
        const made = await io.send(`as ${name}: write a memory`, {
          method: 'POST',
          path: '/memories',
          ...json({ memory: marker, topics: ['conformance'] }),
          token: raw(first.token),
        });
        await io.send(`as admin: revoke ${name}`, {
          method: 'DELETE',
          path: `/service-accounts/${first.id}`,
          token: { scopes: [ctx.adminScope], sub: 'conformance-admin' },
        });
        const second = await mint(`as admin: mint a new account with the same name ${name}`);
        try {
          await io.send(
            `as the new ${name}: list memories`,
            { method: 'GET', path: '/memories?limit=100', token: raw(second.token) },
            {
              describe: "none of the revoked account's rows",
              check: (r) =>
                r.body.includes(marker)
                  ? `the new account inherits the revoked one's memory (${marker})`
                  : undefined,
            },
            'hidden',
          );
        } finally {
          const mid = isObj(made.json) ? made.json.memory_id : undefined;
          if (typeof mid === 'string')
            await io.send('cleanup', { method: 'DELETE', path: `/memories/${mid}`, token: admin });
          await io.send('cleanup', {
            method: 'DELETE',
            path: `/service-accounts/${second.id}`,
            token: { scopes: [ctx.adminScope], sub: 'conformance-admin' },
          });
        }
      },
    });
  return cases;
}
