/**
 * @module Test harness of the `/authz` and `/users` features: a whole AgentOS on 127.0.0.1:0 as
 * shipped (generated router, answers validated against the spec), RBAC on with a real RS256 key
 * pair, its own in-memory PGlite database, and tokens minted with the private key.
 */
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { type AgentOS, type CreateAgentOSOptions, createAgentOS } from '../src/app.js';
import type { AuthorizationConfig } from '../src/config/options.js';
import { type Database, openDatabase } from '../src/db/index.js';
import { silentLogger } from '../src/log.js';
import { makeKey, type TestKey } from './auth-helpers.js';

export const ADMIN = 'agent_os:admin';

export interface AuthzServer {
  readonly os: AgentOS;
  readonly base: string;
  readonly database: Database;
  /** An RS256 token for `sub` with `scopes` and any other claims, valid for an hour. */
  token(sub: string | null, scopes?: readonly string[], extra?: Record<string, unknown>): Promise<string>;
  call(
    method: string,
    path: string,
    init?: { token?: string; json?: unknown },
    // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely.
  ): Promise<{ status: number; text: string; headers: Headers; body: any }>;
  close(): Promise<void>;
}

let key: Promise<TestKey> | undefined;

/** Starts a server; `authorizationConfig` is merged over the RS256 key and `trustTokenScopes: true`. */
export async function startAuthzServer(
  options: Partial<CreateAgentOSOptions> & { auth?: AuthorizationConfig } = {},
): Promise<AuthzServer> {
  key ??= makeKey('RS256');
  const k = await key;
  const database = await openDatabase({ memory: true });
  const { auth, ...rest } = options;
  const os = await createAgentOS({
    env: {},
    logger: silentLogger(),
    database,
    validateResponses: true,
    agents: [
      { id: 'research-agent', name: 'Research Agent' },
      { id: 'support-agent', name: 'Support Agent' },
    ],
    authorization: true,
    authorizationConfig: {
      verificationKeys: [k.publicPem],
      algorithm: 'RS256',
      trustTokenScopes: true,
      ...auth,
    },
    ...rest,
  });
  const server = await os.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    os,
    base,
    database,
    async token(sub, scopes = [], extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = { scopes, iat: now, exp: now + 3600, ...extra };
      if (sub !== null) claims.sub = sub;
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(k.privateKey);
    },
    async call(method, path, init = {}) {
      const headers: Record<string, string> = {};
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      const res = await fetch(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, text, headers: res.headers, body: parsed };
    },
    async close() {
      await os.close();
      await database.close();
    },
  };
}
