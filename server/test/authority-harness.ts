/**
 * @module Test harness for the object-level authority layer: a whole AgentOS as shipped
 * (`createAgentOS`: real handlers, auth middleware, run engine, in-memory PGlite), HS256 tokens,
 * and JSON/form calls over real HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { RouteSpec } from '@agentos/core';
import { SignJWT } from 'jose';
import { type AgentOS, type CreateAgentOSOptions, createAgentOS } from '../src/app.js';
import { openDatabase } from '../src/db/index.js';
import { silentLogger } from '../src/log.js';
import { AGENTS, TEAMS, WORKFLOWS } from './runs-harness.js';

export const SECRET = 'a-very-long-secret-key-at-least-256-bits-long';
export const ADMIN = 'agent_os:admin';

export interface CallInit {
  token?: string;
  form?: Record<string, string>;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in tests.
  readonly body: any;
}

export interface AuthorityServer {
  readonly os: AgentOS;
  readonly base: string;
  token(sub: string | null, scopes: readonly string[]): Promise<string>;
  call(method: string, path: string, init?: CallInit): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * Starts a whole AgentOS on 127.0.0.1:0 with RBAC on (HS256) and the test entities.
 * @param options `userIsolation` (default true), `routeTable` (default: the generated table)
 */
export async function startAuthorityServer(
  options: {
    userIsolation?: boolean;
    routeTable?: readonly RouteSpec[];
  } & Partial<CreateAgentOSOptions> = {},
): Promise<AuthorityServer> {
  const { userIsolation = true, routeTable, ...rest } = options;
  const database = await openDatabase({ memory: true });
  // The generated table (with its object-level vocabulary) goes through the generated router,
  // body validation included; another table goes through the dispatcher.
  const table = routeTable;
  const os = await createAgentOS({
    env: {},
    logger: silentLogger(),
    database,
    agents: AGENTS,
    teams: TEAMS,
    workflows: WORKFLOWS,
    authorization: true,
    authorizationConfig: { verificationKeys: [SECRET], algorithm: 'HS256', userIsolation },
    ...(table ? { routeTable: table } : {}),
    ...rest,
  });
  const server = await os.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = new TextEncoder().encode(SECRET);
  return {
    os,
    base,
    async token(sub, scopes) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = { scopes, iat: now, exp: now + 3600 };
      if (sub !== null) claims.sub = sub;
      return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    },
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(init.form).toString();
      } else if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      } else if (init.raw !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = init.raw;
      }
      const res = await fetch(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, text, body: parsed };
    },
    async close() {
      await os.close();
      await database.close();
    },
  };
}
