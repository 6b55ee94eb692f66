/**
 * @module Test harness for the admin handlers (schedules, service accounts, approvals, registry,
 * components, database, docs) and the scheduler: an Express app on 127.0.0.1:0 with the
 * generated router (`validateResponses: true`), the real auth middleware and JWT verifier (HS256
 * test secret) wrapped with service-account and internal-token support, an in-memory PGlite
 * database, and a settable clock.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileRoutes } from '@agentos/core';
import express from 'express';
import { SignJWT } from 'jose';
import { createAuthMiddleware } from '../src/auth/middleware.js';
import {
  bindClientAddress,
  createCredentialVerifier,
  createInternalToken,
  createServiceAccountVerifier,
  type InternalToken,
  type ServiceAccountVerifier,
} from '../src/auth/service-accounts.js';
import { createTokenVerifier } from '../src/auth/verify.js';
import { createAuthority, createDatabaseAuthorityStore } from '../src/authority/index.js';
import type { AgentOSConfig, AgentOSOptions } from '../src/config/options.js';
import { resolveConfig } from '../src/config/resolve.js';
import { type Database, openDatabase } from '../src/db/index.js';
import { createServiceAccountStore } from '../src/db/repos/service-accounts.js';
import { routes } from '../src/generated/routes.js';
import { createRouter, type Handlers } from '../src/generated/server.js';
import { createApprovalHandlers } from '../src/handlers/approvals.js';
import { createComponentHandlers } from '../src/handlers/components.js';
import { createDatabaseHandlers } from '../src/handlers/database.js';
import { createDocsAssets, createDocsHandlers } from '../src/handlers/docs.js';
import { createRegistryHandlers, type RegistryTool } from '../src/handlers/registry.js';
import { createScheduleHandlers } from '../src/handlers/schedules.js';
import { createServiceAccountHandlers } from '../src/handlers/service-accounts.js';
import { silentLogger } from '../src/log.js';
import type { ServerContext } from '../src/server-context.js';

/** The frozen start of every test: 2027-01-15T08:00:00Z. */
export const NOW = 1_800_000_000;
export const SECRET = 'a-very-long-secret-key-at-least-256-bits-long';
export const OS_ID = 'test-os';
export const ADMIN = 'agent_os:admin';

/** A clock the test moves. */
export interface TestClock {
  (): Date;
  set(epochSeconds: number): void;
  advance(ms: number): void;
}

export function testClock(start = NOW): TestClock {
  let ms = start * 1000;
  const clock = (() => new Date(ms)) as TestClock;
  clock.set = (s) => {
    ms = s * 1000;
  };
  clock.advance = (d) => {
    ms += d;
  };
  return clock;
}

export interface HarnessOptions {
  readonly userIsolation?: boolean;
  /** Extra code options (agents, teams, …). */
  readonly options?: Partial<AgentOSOptions>;
  /** Replace handlers by operationId (stubs of other areas). */
  readonly handlers?: Partial<Record<string, (request: never) => unknown>>;
  readonly tools?: readonly RegistryTool[];
  /** Service-account cache TTL (default 0: strict). */
  readonly cacheTtlMs?: number;
  /** Share a database between harnesses (scheduler tests). */
  readonly database?: Database;
  readonly clock?: TestClock;
}

export interface Harness {
  readonly base: string;
  readonly ctx: ServerContext;
  readonly config: AgentOSConfig;
  readonly clock: TestClock;
  readonly serviceAccounts: ServiceAccountVerifier;
  readonly internal: InternalToken;
  /** An HS256 token for `sub` with `scopes`, valid for an hour from the clock's start (or until `extra.exp`). */
  token(sub: string | null, scopes: readonly string[], extra?: Record<string, unknown>): Promise<string>;
  /** A request; `json` is sent as JSON, `form` as a form; the answer's body is parsed when JSON. */
  call(
    method: string,
    path: string,
    init?: {
      token?: string;
      json?: unknown;
      form?: Record<string, string>;
      headers?: Record<string, string>;
    },
    // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely.
  ): Promise<{ status: number; headers: Headers; text: string; body: any }>;
  close(): Promise<void>;
}

const notImplemented = () => ({ status: 501, body: { detail: 'Not implemented yet' } });

/** Starts the harness server. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? testClock();
  const logger = silentLogger();
  const config = resolveConfig({
    options: {
      id: OS_ID,
      authorization: true,
      authorizationConfig: {
        verificationKeys: [SECRET],
        algorithm: 'HS256',
        userIsolation: options.userIsolation ?? false,
      },
      agents: [
        {
          id: 'research-agent',
          name: 'Research Agent',
          description: 'Researches.',
          model: 'openai:gpt-4o',
          tools: ['web_search'],
        },
        { id: 'writer', name: 'Writer', model: { id: 'claude-sonnet', provider: 'anthropic' } },
      ],
      teams: [{ id: 'research-team', name: 'Research Team', model: 'openai:gpt-4o' }],
      workflows: [{ id: 'digest', name: 'Digest' }],
      ...options.options,
    },
    env: {},
    cwd: process.cwd(),
  });
  const database = options.database ?? (await openDatabase({ memory: true }));
  const ctx: ServerContext = {
    config,
    database,
    logger,
    runtime: {
      runOnce: async () => {
        throw new Error('no runtime in these tests');
      },
      close: async () => {},
    },
    now: clock,
    startedAt: clock(),
    instanceId: `test-${Math.random().toString(36).slice(2, 10)}`,
  };
  const serviceAccounts = createServiceAccountVerifier({
    store: createServiceAccountStore(database.db),
    now: clock,
    cacheTtlMs: options.cacheTtlMs ?? 0,
    lastUsedIntervalMs: 0,
  });
  const internal = createInternalToken();
  const jwt = await createTokenVerifier(config.auth, { clock, logger });
  const verifier = createCredentialVerifier(jwt, {
    serviceAccounts,
    internal,
    userIdClaim: config.auth.userIdClaim,
  });

  const index = compileRoutes(routes, { adminScope: config.auth.adminScope });
  // The object-level rules of the route table wrap the handlers, as in the server (contract.md §8).
  const authority = createAuthority({
    index,
    store: createDatabaseAuthorityStore(() => database.db, config),
    logger,
    rbac: config.auth.mode === 'rbac',
    userIsolation: config.auth.userIsolation,
    adminScope: config.auth.adminScope,
    now: clock,
  });
  const stubs: Record<string, unknown> = {};
  for (const r of routes) stubs[r.operationId] = notImplemented;
  const handlers = authority.wrap({
    ...stubs,
    ...createScheduleHandlers(ctx),
    ...createServiceAccountHandlers(ctx, { verifier: serviceAccounts }),
    ...createApprovalHandlers(ctx),
    ...createRegistryHandlers(ctx, { tools: options.tools }),
    ...createComponentHandlers(ctx),
    ...createDatabaseHandlers(ctx),
    ...createDocsHandlers(ctx),
    ...options.handlers,
  }) as unknown as Handlers;

  const app = express();
  app.disable('x-powered-by');
  app.use('/docs/assets', createDocsAssets());
  app.use(bindClientAddress());
  app.use(
    createRouter(handlers, {
      validateResponses: true,
      auth: createAuthMiddleware({
        config: config.auth,
        index,
        verifier,
        logger,
      }),
      onError: (e) => {
        if (process.env.HARNESS_DEBUG) console.error(e);
      },
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = new TextEncoder().encode(SECRET);

  return {
    base,
    ctx,
    config,
    clock,
    serviceAccounts,
    internal,
    async token(sub, scopes, extra = {}) {
      const { exp, ...rest } = extra;
      const jwtBuilder = new SignJWT({ scopes: [...scopes], ...rest })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(NOW)
        .setExpirationTime(typeof exp === 'number' ? exp : NOW + 3600);
      if (sub !== null) jwtBuilder.setSubject(sub);
      return jwtBuilder.sign(key);
    },
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      } else if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(init.form).toString();
      }
      const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      if (!options.database) await database.close();
    },
  };
}
