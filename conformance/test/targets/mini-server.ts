/**
 * @module test/targets/mini-server — a tiny AgentOS-style server for the suite's self-tests, built
 * from the fixture spec's route list. Correct by default (its own small implementation of the
 * contract, written independently of src/oracle.ts); each `defects` flag breaks one rule so the
 * self-tests can check that the matching probe family catches it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, jwtVerify, type KeyObject } from 'jose';
import { type ApiSpec, pathParamNames } from '../../src/spec.js';

export interface Defects {
  /** Accepts unsigned tokens (alg none). */
  algNone?: boolean;
  /** Does not check exp. */
  ignoreExp?: boolean;
  /** A caller scope that is a prefix of the required one satisfies it. */
  prefixScopes?: boolean;
  /** res:<any id>:act satisfies res:{param}:act. */
  ignoreResourceIds?: boolean;
  /** Lists are not filtered by per-resource scopes (everything is listed). */
  unfilteredLists?: boolean;
  /** Per-user rows are visible and writable by every user. */
  noUserIsolation?: boolean;
  /** The auth matcher compares paths exactly while the router strips a trailing slash. */
  trailingSlashBypass?: boolean;
  /** 401/403 bodies carry a stack trace, and there is no WWW-Authenticate. */
  leakyErrors?: boolean;
  /** Signatures are decoded leniently: `=` padding and non-zero unused bits are accepted. */
  lenientSignature?: boolean;
  /** The router drops a trailing newline (Python's `$`) while the auth matcher does not. */
  newlineBypass?: boolean;
  /** An operation the spec lacks (`GET /extra`, listed in /openapi.json) is served to anyone. */
  unmappedFailOpen?: boolean;
  /** A run of any agent is read and cancelled through any agent's path; unknown ids are "cancelled". */
  noContainment?: boolean;
  /** `POST /eval-runs` runs the agent its body names without that agent's run scope. */
  bodyTargetUnchecked?: boolean;
  /** `GET /teams/{id}` lists every member, readable or not. */
  nestedLeak?: boolean;
  /** Deeply nested JSON bodies overflow a recursive walk: 500. */
  deepJsonCrash?: boolean;
}

const B64U = /^[A-Za-z0-9_-]*$/;
/** A base64url segment in its one canonical form: the alphabet only, no padding, unused bits zero. */
const canonical = (seg: string) =>
  B64U.test(seg) && Buffer.from(seg, 'base64url').toString('base64url') === seg;

function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depthOf));
}

export interface MiniServer {
  url: string;
  close(): Promise<void>;
  /** Requests the handlers actually served (for "the handler did not run" checks). */
  served: string[];
}

const ADMIN = 'agent_os:admin';
const RESERVED = /^(sa:|__oauth__:|__scheduler__$)/;

interface Route {
  method: string;
  path: string;
  re: RegExp;
  params: string[];
  scopes: string[];
  filter?: { resource: string; action: string };
}

function grants(required: string, params: Record<string, string>, scope: string, d: Defects): boolean {
  if (scope === ADMIN) return true;
  const [res, mid, act] = required.split(':');
  const bound = act === undefined ? required : `${res}:${params[(mid ?? '').slice(1, -1)] ?? ''}:${act}`;
  if (d.prefixScopes && scope.length >= 3 && bound.startsWith(scope)) return true;
  const s = scope.split(':');
  if (s[0] === 'system') s[0] = 'config';
  if (s.some((p) => p === '' || /\s/.test(p))) return false;
  const action = act ?? mid;
  if (s.length === 2) return s[0] === res && s[1] === action;
  if (s.length === 3) {
    if (s[0] !== res || s[2] !== action) return false;
    if (s[1] === '*') return true;
    if (act === undefined) return false;
    return d.ignoreResourceIds ? true : s[1] === params[(mid ?? '').slice(1, -1)];
  }
  return false;
}

export async function startMiniServer(
  spec: ApiSpec,
  key: KeyObject,
  options: { audience: string; defects?: Defects },
): Promise<MiniServer> {
  const d = options.defects ?? {};
  const routes: Route[] = spec.operations.map((o) => {
    const params = pathParamNames(o.path);
    const re = new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    const r: Route = { method: o.method, path: o.path, re, params, scopes: o.requiredScopes ?? [] };
    if (o.scopeFilter) r.filter = o.scopeFilter;
    return r;
  });
  const agents = ['research-agent', 'support-agent'];
  const sessions = new Map([
    ['s1', { session_id: 's1', user_id: 'user_123', session_name: 'one' }],
    ['s2', { session_id: 's2', user_id: 'user_456', session_name: 'two' }],
  ]);
  const served: string[] = [];
  const runs = new Map<string, { agent_id: string; status: string }>();
  let runSeq = 0;
  const teams: Record<string, string[]> = { 'research-team': ['research-agent', 'support-agent'] };

  const server = http.createServer(async (req, res) => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    };
    if (origin) headers['access-control-allow-origin'] = origin;
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, ...extra });
      res.end(status === 204 || req.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    const fail = (status: 401 | 403, detail: string, challenge: string) => {
      if (d.leakyErrors)
        return send(status, {
          detail: `${detail}\n    at verify (/srv/app/node_modules/jose/dist/verify.js:12:7)`,
        });
      send(status, { detail }, { 'www-authenticate': challenge });
    };
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return send(400, { detail: 'Bad path' });
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...headers,
        'access-control-allow-methods': 'GET,POST,PATCH,DELETE',
        'access-control-allow-headers': 'authorization,content-type',
      });
      return res.end();
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (path === '/openapi.json' && method === 'GET') {
      const doc = JSON.parse(JSON.stringify(spec.document)) as { paths: Record<string, unknown> };
      doc.paths['/extra'] = { get: { operationId: 'getExtra', responses: { '200': { description: 'ok' } } } };
      return send(200, doc);
    }
    const noSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
    let routed = noSlash(path);
    if (d.newlineBypass && routed.endsWith('\n')) routed = routed.slice(0, -1);
    if (path === '/extra' && method === 'GET') {
      if (d.unmappedFailOpen) return send(200, { extra: true });
      const h = req.headers.authorization;
      if (!h) return fail(401, 'Authorization header missing', 'Bearer realm="agentos"');
      return fail(401, 'Invalid token', 'Bearer realm="agentos", error="invalid_token"');
    }
    // The auth matcher: exact on the raw path when the trailing-slash defect is on.
    const authPath = d.trailingSlashBypass ? path : d.newlineBypass ? noSlash(path) : routed;
    const match = (p: string) => {
      for (const r of routes) {
        const m = r.re.exec(p);
        if (m && r.method === method)
          return { r, params: Object.fromEntries(r.params.map((n, i) => [n, m[i + 1] as string])) };
      }
      return undefined;
    };
    const pathExists = (p: string) => routes.some((r) => r.re.test(p));
    const authMatch = match(authPath);
    const hit = match(routed);
    const isPublic = authMatch
      ? authMatch.r.scopes.length === 0
      : d.trailingSlashBypass || d.newlineBypass
        ? !!hit
        : false;

    let caller: { sub: string; scopes: string[] } | undefined;
    if (!isPublic) {
      const h = req.headers.authorization;
      if (!h) return fail(401, 'Authorization header missing', 'Bearer realm="agentos"');
      const m = /^bearer\s+(.*)$/i.exec(h);
      const token = (m ? m[1] : h.includes(' ') ? '' : h)?.trim() ?? '';
      if (!token) return fail(401, 'Invalid token: empty', 'Bearer realm="agentos", error="invalid_token"');
      let payload: Record<string, unknown>;
      try {
        const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
          alg?: string;
        };
        if (!d.lenientSignature && !token.split('.').every(canonical))
          throw new Error('the token is not in canonical base64url');
        if (d.algNone && header.alg?.toLowerCase() === 'none') {
          payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
        } else {
          const opts = {
            algorithms: ['RS256'],
            audience: options.audience,
            clockTolerance: 10,
            ...(d.ignoreExp ? {} : { requiredClaims: ['exp'] }),
          };
          // The ignoreExp defect verifies at 1970, so no token is ever expired.
          payload = (await jwtVerify(token, key, d.ignoreExp ? { ...opts, currentDate: new Date(0) } : opts))
            .payload as Record<string, unknown>;
          if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 10 && !d.ignoreExp)
            throw new Error('iat is in the future');
        }
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired)
          return fail(401, 'Token has expired', 'Bearer realm="agentos", error="invalid_token"');
        return fail(
          401,
          `Invalid token: ${(e as Error).message}`.slice(0, 120),
          'Bearer realm="agentos", error="invalid_token"',
        );
      }
      const sub = typeof payload.sub === 'string' ? payload.sub : '';
      if (RESERVED.test(sub))
        return fail(401, 'Invalid token subject', 'Bearer realm="agentos", error="invalid_token"');
      const raw = payload.scopes;
      const scopes = Array.isArray(raw)
        ? raw.filter((s): s is string => typeof s === 'string')
        : typeof raw === 'string'
          ? [raw]
          : [];
      caller = { sub, scopes };
      if (!authMatch) {
        if (!hit) return send(pathExists(routed) ? 405 : 404, { detail: 'Not Found' });
      } else {
        const { r, params } = authMatch;
        const ok = r.scopes.every((req) => scopes.some((s) => grants(req, params, s, d)));
        if (!ok) {
          const f = r.filter;
          const perId = f
            ? scopes.filter(
                (s) =>
                  s.split(':').length === 3 &&
                  s.startsWith(`${f.resource}:`) &&
                  s.endsWith(`:${f.action}`) &&
                  s.split(':')[1] !== '*',
              )
            : [];
          if (!perId.length) {
            const list = r.scopes.map((x) => x.replace(/\{([^}]+)\}/g, (_, n: string) => params[n] ?? n));
            return fail(
              403,
              `Insufficient permissions. Required scope(s): ${list.join(', ')}`,
              `Bearer realm="agentos", error="insufficient_scope", scope="${list.join(' ').replace(/[^\x20-\x7e]|["\\]/g, '?')}"`,
            );
          }
        }
      }
    }
    if (!hit) return send(404, { detail: 'Not Found' });
    const { r, params } = hit;
    served.push(`${req.method} ${rawPath}`);
    const admin = caller?.scopes.includes(ADMIN) ?? false;
    const owns = (u: string) => d.noUserIsolation || admin || u === caller?.sub;
    const body = await new Promise<string>((ok) => {
      let b = '';
      req.on('data', (c) => {
        b += c;
      });
      req.on('end', () => ok(b));
    });
    switch (`${r.method} ${r.path}`) {
      case 'GET /health':
        return send(200, { status: 'ok' });
      case 'GET /config':
        return send(200, { os_id: 'mini' });
      case 'POST /metrics/refresh':
        return send(200, []);
      case 'GET /agents': {
        const scopes = caller?.scopes ?? [];
        const all =
          admin || scopes.some((s) => s === 'agents:read' || s === 'agents:*:read') || d.unfilteredLists;
        const ids = all ? agents : agents.filter((a) => scopes.includes(`agents:${a}:read`));
        return send(
          200,
          ids.map((id) => ({ id, name: id })),
        );
      }
      case 'GET /agents/{agent_id}':
        return agents.includes(params.agent_id ?? '')
          ? send(200, { id: params.agent_id })
          : send(404, { detail: 'Agent not found' });
      case 'POST /agents/{agent_id}/runs': {
        if (!agents.includes(params.agent_id ?? '')) return send(404, { detail: 'Agent not found' });
        const form = new URLSearchParams(body);
        if (!form.get('message')) return send(422, { detail: 'message is required' });
        const run_id = `r${++runSeq}`;
        runs.set(run_id, { agent_id: params.agent_id as string, status: 'COMPLETED' });
        return send(200, { run_id, session_id: `s-${run_id}`, status: 'COMPLETED', content: 'ok' });
      }
      case 'GET /agents/{agent_id}/runs/{run_id}':
      case 'POST /agents/{agent_id}/runs/{run_id}/cancel': {
        let run = runs.get(params.run_id ?? '');
        if (!run && d.noContainment && r.method === 'POST') {
          run = { agent_id: params.agent_id as string, status: 'CANCELLED' };
          runs.set(params.run_id as string, run);
          return send(200, { run_id: params.run_id, status: 'CANCELLED' });
        }
        if (!run || (!d.noContainment && run.agent_id !== params.agent_id))
          return send(404, { detail: 'Run not found' });
        if (r.method === 'POST') run.status = 'CANCELLED';
        return send(200, { run_id: params.run_id, ...run });
      }
      case 'GET /teams/{team_id}': {
        const members = teams[params.team_id ?? ''];
        if (!members) return send(404, { detail: 'Team not found' });
        const scopes = caller?.scopes ?? [];
        const readable = (a: string) =>
          admin ||
          d.nestedLeak ||
          scopes.some((s) => s === 'agents:read' || s === 'agents:*:read' || s === `agents:${a}:read`);
        return send(200, {
          id: params.team_id,
          members: members.filter(readable).map((id) => ({ id, instructions: 'secret' })),
        });
      }
      case 'POST /eval-runs': {
        let b: { agent_id?: unknown; input?: unknown };
        try {
          b = JSON.parse(body || 'null');
        } catch {
          return send(422, { detail: 'invalid JSON' });
        }
        if (!b || typeof b !== 'object' || typeof b.input !== 'string')
          return send(422, { detail: 'input is required' });
        if (d.deepJsonCrash && depthOf(b) > 1000) return send(500, { detail: 'Internal server error' });
        const agent = typeof b.agent_id === 'string' ? b.agent_id : undefined;
        if (
          agent &&
          !d.bodyTargetUnchecked &&
          !(caller?.scopes ?? []).some((s) => grants('agents:{a}:run', { a: agent }, s, d))
        )
          return fail(
            403,
            `Insufficient permissions. Required scope(s): agents:${agent}:run`,
            `Bearer realm="agentos", error="insufficient_scope", scope="agents:${agent}:run"`,
          );
        return send(200, { id: `e${++runSeq}`, agent_id: agent ?? null, output: 'ok' });
      }
      case 'GET /sessions': {
        const want = admin || d.noUserIsolation ? query.get('user_id') : caller?.sub;
        return send(200, {
          data: [...sessions.values()].filter((s) => !want || s.user_id === want),
          meta: {},
        });
      }
      case 'GET /sessions/{session_id}': {
        const s = sessions.get(params.session_id ?? '');
        return s && owns(s.user_id) ? send(200, s) : send(404, { detail: 'Session not found' });
      }
      case 'PATCH /sessions/{session_id}': {
        let patch: { session_name?: string };
        try {
          patch = JSON.parse(body || '{}');
        } catch {
          return send(422, { detail: 'invalid JSON' });
        }
        if (d.deepJsonCrash && depthOf(patch) > 1000) return send(500, { detail: 'Internal server error' });
        const s = sessions.get(params.session_id ?? '');
        if (!s || !owns(s.user_id)) return send(404, { detail: 'Session not found' });
        if (patch.session_name) s.session_name = patch.session_name;
        return send(200, s);
      }
      case 'DELETE /sessions/{session_id}': {
        const s = sessions.get(params.session_id ?? '');
        if (!s || !owns(s.user_id)) return send(404, { detail: 'Session not found' });
        sessions.delete(s.session_id);
        return send(204, null);
      }
      default:
        return send(405, { detail: 'Method Not Allowed' });
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
