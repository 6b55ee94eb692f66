/**
 * @module probes/path — §7C of security-anchors.md: path and method normalization. Each variant of a
 * denied request is sent without a token and with an insufficient token; none may be served (2xx).
 * Where the contract says the variant is the same route (trailing slash), the allowed request must
 * stay allowed too.
 */

import { authorized, not2xx, status } from '../expect.js';
import { renderRequired } from '../oracle.js';
import {
  fixtureFor,
  isSecured,
  type PlanContext,
  requestFor,
  safeToAuthorize,
  targetFor,
  valuesFor,
} from '../plan-context.js';
import { type Operation, pathParamNames } from '../spec.js';
import type { Case, PlannedRequest, Step } from '../types.js';
import { probe } from './catalog.js';

type Variant = [label: string, path: string];

function splitQuery(target: string): [string, string] {
  const i = target.indexOf('?');
  return i < 0 ? [target, ''] : [target.slice(0, i), target.slice(i)];
}

/** Replaces the last `/` of the path (or appends when there is only one segment). */
function lastSlash(p: string, sep: string): string {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) + sep + p.slice(i + 1) : `${p}${sep}`;
}

export function pathVariants(p: string): Record<string, Variant[]> {
  const segs = p.split('/').slice(1);
  const first = segs[0] ?? '';
  const rest = segs.slice(1).join('/');
  const withFirst = (s: string) => `/${[s, ...segs.slice(1)].join('/')}`;
  const hex = first ? `%${first.charCodeAt(0).toString(16).padStart(2, '0')}${first.slice(1)}` : first;
  const encSlash = rest ? `/${first}%2F${rest}` : `${p}%2F`;
  const dblSlash = rest ? `/${first}%252F${rest}` : `${p}%252F`;
  return {
    'PATH-TRAILING-SLASH': [
      ['trailing /', `${p}/`],
      ['trailing /.', `${p}/.`],
    ],
    'PATH-DOUBLE-SLASH': [
      ['leading //', `/${p}`],
      ['// mid-path', rest ? `/${first}//${rest}` : `${p}//`],
    ],
    'PATH-CASE': [
      ['upper case', p.toUpperCase()],
      ['capitalised first segment', withFirst(first.charAt(0).toUpperCase() + first.slice(1))],
    ],
    'PATH-PERCENT-ENCODING': [['first character percent-encoded', withFirst(hex)]],
    'PATH-ENCODED-SLASH': [
      ['%2F', encSlash],
      ['%252F', dblSlash],
    ],
    'PATH-DOT-SEGMENTS': [
      ['/./', `/.${p}`],
      ['/x/../', `/conformance/..${p}`],
      ['/%2e%2e/', `/conformance/%2e%2e${p}`],
      ['..;/', `/conformance/..;${p}`],
    ],
    'PATH-MATRIX': [
      [';x=1 on the first segment', withFirst(`${first};x=1`)],
      ['trailing ;', `${p};`],
    ],
    'PATH-CONTROL-CHARS': ['%0a', '%0d', '%09', '%00', '%20'].map(
      (c): Variant => [`${c} appended`, `${p}${c}`],
    ),
    'PATH-BACKSLASH': [
      ['backslash', lastSlash(p, '\\')],
      ['%5c', lastSlash(p, '%5c')],
      ['overlong %C0%AF', lastSlash(p, '%C0%AF')],
      ['fullwidth solidus', lastSlash(p, '%EF%BC%8F')],
    ],
    'PATH-SUFFIX': [
      ['.json', `${p}.json`],
      ['%23 appended', `${p}%23`],
      ['bare ?', `${p}?`],
    ],
  };
}

export function planPath(ctx: PlanContext, ops: Operation[]): Case[] {
  const cases: Case[] = [];
  const secured = ops.filter(isSecured);
  const chosen = [
    secured.find((o) => o.method === 'GET' && o.scopeFilter),
    secured.find(
      (o) =>
        o.method === 'GET' &&
        pathParamNames(o.path).length > 0 &&
        o.requiredScopes?.some((s) => s.includes('{')),
    ),
    secured.find((o) => o.method === 'GET' && o.userOwned && pathParamNames(o.path).length === 0),
    secured.find((o) => o.method === 'DELETE' && pathParamNames(o.path).length > 0),
  ].filter((o, i, a): o is Operation => o !== undefined && a.indexOf(o) === i);
  const noScopes = { scopes: [] as string[] };

  for (const op of chosen) {
    const values = valuesFor(ctx, op, op.method === 'GET' ? 'read' : 'missing');
    const R = (op.requiredScopes ?? []).map((r) => renderRequired(r, values));
    const [p, q] = splitQuery(targetFor(ctx, op, values));
    const base = { operationId: op.operationId, method: op.method, path: op.path, phase: 1 };
    const canon = requestFor(ctx, op, undefined, values);
    for (const [id, variants] of Object.entries(pathVariants(p))) {
      const steps: Step[] = variants.flatMap(([label, path]) => {
        const target = path + (path.endsWith('?') && q ? `&${q.slice(1)}` : q);
        const r: PlannedRequest = { ...canon, path: target };
        return [
          { label: `${label}, no token`, request: r, expect: not2xx('no token'), oracle: '401' },
          {
            label: `${label}, no scopes`,
            request: { ...r, token: noScopes },
            expect: not2xx('insufficient scope'),
            oracle: 'deny',
          },
        ];
      });
      if (id === 'PATH-TRAILING-SLASH' && safeToAuthorize(ctx, op) && op.method === 'GET') {
        steps.push({
          label: 'trailing /, required scopes (same route)',
          request: { ...canon, path: `${p}/${q}`, token: { scopes: R } },
          expect: authorized(),
          oracle: 'allow',
        });
        steps.push({
          label: 'trailing /, no token (same decision)',
          request: { ...canon, path: `${p}/${q}` },
          expect: status([401]),
          oracle: '401',
          hyg: { kind: 'no-token' },
        });
      }
      cases.push({ ...base, probe: probe(id), steps });
    }
    if (op.method === 'GET') {
      cases.push({
        ...base,
        probe: probe('PATH-HEAD'),
        steps: [
          {
            label: 'HEAD, no token',
            request: { ...canon, method: 'HEAD' },
            expect: not2xx('HEAD is GET without a body: same decision'),
            oracle: '401',
          },
          {
            label: 'HEAD, no scopes',
            request: { ...canon, method: 'HEAD', token: noScopes },
            expect: not2xx('insufficient scope'),
            oracle: 'deny',
          },
        ],
      });
      cases.push({
        ...base,
        probe: probe('PATH-UNLISTED-METHOD'),
        steps: ['TRACE', 'PROPFIND', 'FOO'].flatMap((m) => [
          {
            label: `${m}, no token`,
            request: { ...canon, method: m },
            expect: not2xx('unlisted method'),
            oracle: '401',
          },
          {
            label: `${m}, no scopes`,
            request: { ...canon, method: m, token: noScopes },
            expect: not2xx('unlisted method'),
            oracle: 'deny',
          },
        ]),
      });
      const publicOp = ops.find(
        (o) => !isSecured(o) && o.method === 'GET' && pathParamNames(o.path).length === 0,
      );
      cases.push({
        ...base,
        probe: probe('PATH-ROUTING-HEADERS'),
        steps: [
          {
            label: 'X-Forwarded-For/X-Real-IP 127.0.0.1, x-middleware-subrequest',
            request: {
              ...canon,
              headers: {
                ...canon.headers,
                'X-Forwarded-For': '127.0.0.1',
                'X-Real-IP': '127.0.0.1',
                'X-Forwarded-Host': 'localhost',
                'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware',
              },
            },
            expect: status([401]),
            oracle: '401',
            hyg: { kind: 'no-token' },
          },
          ...(publicOp
            ? [
                {
                  label: `X-Original-URL / X-Rewrite-URL / X-Forwarded-Prefix naming public ${publicOp.path}`,
                  request: {
                    ...canon,
                    headers: {
                      ...canon.headers,
                      'X-Original-URL': publicOp.path,
                      'X-Rewrite-URL': publicOp.path,
                      'X-Forwarded-Prefix': publicOp.path,
                    },
                  },
                  expect: status([401]),
                  oracle: '401',
                  hyg: { kind: 'no-token' as const },
                },
              ]
            : []),
        ],
      });
      cases.push({
        ...base,
        probe: probe('PATH-ABSOLUTE-FORM'),
        steps: [
          {
            label: 'absolute-form target, no token',
            request: { ...canon, absoluteForm: true },
            expect: not2xx('no token'),
            oracle: '401',
          },
          {
            label: 'absolute-form target, no scopes',
            request: { ...canon, absoluteForm: true, token: noScopes },
            expect: not2xx('insufficient scope'),
            oracle: 'deny',
          },
        ],
      });
    }
    const names = pathParamNames(op.path);
    const scoped = names.find((n) => op.requiredScopes?.some((s) => s.includes(`{${n}}`)));
    if (op.method === 'GET' && scoped) {
      const v = values[scoped] as string;
      const other = ctx.discovery.ids[scoped]?.find((x) => x !== v) ?? 'conformance-other-id';
      const mk = (id: string) => targetFor(ctx, op, { ...values, [scoped]: '\u0000' }).replace('%00', id);
      cases.push({
        ...base,
        probe: probe('PATH-ID-SMUGGLING'),
        note: `token scoped to ${scoped}=${v}; requests aim at ${other}`,
        steps: [
          `${v}/../${other}`,
          `${v}%2F..%2F${other}`,
          `${v};/../${other}`,
          `${v}%2f%2e%2e%2f${other}`,
          `${v}/%2e%2e/${other}`,
        ].map((id) => ({
          label: `${scoped} = ${id}`,
          request: { ...canon, path: mk(id), token: { scopes: R } },
          expect: not2xx(`the token only covers ${v}`),
          oracle: 'deny',
        })),
      });
    }
  }
  // Method override: POST on a path that has GET and DELETE, with the GET's (read) scopes.
  const getOp = secured.find(
    (g) =>
      g.method === 'GET' &&
      pathParamNames(g.path).length > 0 &&
      secured.some((d) => d.method === 'DELETE' && d.path === g.path),
  );
  if (getOp) {
    const values = valuesFor(ctx, getOp, 'missing');
    const R = (getOp.requiredScopes ?? []).map((r) => renderRequired(r, values));
    const target = targetFor(ctx, getOp, values);
    const steps: Step[] = ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override'].map((h) => ({
      label: `POST + ${h}: DELETE, read token`,
      request: {
        method: 'POST',
        path: target,
        headers: { [h]: 'DELETE', 'content-type': 'application/json' },
        body: '{}',
        token: { scopes: R },
      },
      expect: not2xx('a read token must not delete'),
      oracle: 'deny',
    }));
    steps.push({
      label: 'POST ?_method=DELETE, read token',
      request: {
        method: 'POST',
        path: `${target}${target.includes('?') ? '&' : '?'}_method=DELETE`,
        headers: { 'content-type': 'application/json' },
        body: '{}',
        token: { scopes: R },
      },
      expect: not2xx('a read token must not delete'),
      oracle: 'deny',
    });
    cases.push({
      probe: probe('PATH-METHOD-OVERRIDE'),
      operationId: getOp.operationId,
      method: getOp.method,
      path: getOp.path,
      phase: 1,
      steps,
      note: 'ids that do not exist, so a broken server deletes nothing',
    });
  }
  cases.push(...planEveryOp(ctx, secured));
  // Unknown routes: 401 without a token, 404 with one (contract §3).
  const unknown = '/conformance-unknown-route';
  const nested = secured[0]
    ? `/${secured[0].path.split('/')[1]}/${fixtureFor(ctx, 'x')}/conformance-unknown-route`
    : `${unknown}/x`;
  cases.push({
    probe: probe('PATH-UNKNOWN-ROUTE'),
    operationId: '(unknown route)',
    method: 'GET',
    path: unknown,
    phase: 1,
    steps: [
      {
        label: `${unknown}, no token`,
        request: { method: 'GET', path: unknown },
        expect: status([401]),
        oracle: '401',
        hyg: { kind: 'no-token' },
      },
      {
        label: `${nested}, no token`,
        request: { method: 'GET', path: nested },
        expect: status([401]),
        oracle: '401',
        hyg: { kind: 'no-token' },
      },
      {
        label: `${unknown}, admin token`,
        request: { method: 'GET', path: unknown, token: { scopes: [ctx.adminScope] } },
        expect: status([404]),
        oracle: '404',
      },
    ],
  });
  return cases;
}

/** Variants of a concrete path for PATH-EVERY-OP, deduplicated by the resulting request target. */
export function everyOpVariants(p: string): Variant[] {
  const segs = p.split('/').slice(1);
  const first = segs[0] ?? '';
  const rest = segs.slice(1).join('/');
  const out: Variant[] = [];
  for (const c of ['%0a', '%0d', '%09', '%00']) {
    out.push([`${c} appended`, `${p}${c}`]);
    if (rest) out.push([`${c} inside the first segment`, `/${first}${c}/${rest}`]);
    else if (first.length > 1)
      out.push([`${c} inside the segment`, `/${first.slice(0, 1)}${c}${first.slice(1)}`]);
  }
  if (rest) {
    out.push(
      ['%2F for the second /', `/${first}%2F${rest}`],
      ['%252F for the second /', `/${first}%252F${rest}`],
    );
    out.push(['overlong %C0%AF for the second /', `/${first}%C0%AF${rest}`]);
    out.push(['fullwidth solidus for the second /', `/${first}%EF%BC%8F${rest}`]);
  }
  out.push(
    ['trailing /', `${p}/`],
    ['trailing .', `${p}.`],
    ['trailing /.', `${p}/.`],
    ['trailing -', `${p}-`],
    ['/./ prefix', `/.${p}`],
    ['/conformance/../ prefix', `/conformance/..${p}`],
    ['upper-cased first segment', `/${first.toUpperCase()}${rest ? `/${rest}` : ''}`],
  );
  const ch = first.charCodeAt(0);
  if (ch >= 0x61 && ch <= 0x7a) {
    const fw = Buffer.from(String.fromCharCode(0xff41 + (ch - 0x61)), 'utf8');
    const enc = [...fw].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    out.push([`fullwidth first letter`, `/${enc}${first.slice(1)}${rest ? `/${rest}` : ''}`]);
  }
  const seen = new Set<string>([p]);
  return out.filter(([, v]) => {
    if (seen.has(v)) return false;
    seen.add(v);
    return true;
  });
}

/**
 * PATH-EVERY-OP: the normalisation variants of every secured operation's canonical request, sent
 * with a valid token holding no scope; none may be served (2xx). One case per operation.
 */
function planEveryOp(ctx: PlanContext, secured: Operation[]): Case[] {
  return secured.map((op) => {
    const values = valuesFor(ctx, op, op.method === 'GET' ? 'read' : 'missing');
    const [p, q] = splitQuery(targetFor(ctx, op, values));
    const canon = requestFor(ctx, op, undefined, values);
    return {
      probe: probe('PATH-EVERY-OP'),
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      phase: 1,
      steps: everyOpVariants(p).map(([label, path]) => ({
        label: `${label}, no scopes`,
        request: { ...canon, path: path + q, token: { scopes: [] as string[] } },
        expect: not2xx('insufficient scope'),
        oracle: 'deny',
      })),
    };
  });
}
