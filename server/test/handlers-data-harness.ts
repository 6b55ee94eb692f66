/**
 * @module Test harness of the data handlers (sessions, memories, learnings, knowledge, metrics,
 * evals, traces): an in-memory PGlite, the generated router with response validation on, the
 * data handler factories (every other operation answers 501), and a tiny auth middleware whose
 * caller is chosen by test headers (`x-test-user`, `x-test-admin`). The real auth is tested
 * elsewhere; this one only resolves the route and builds a `CallerContext`.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CallerContext, compileGrants, compileRoutes } from '@agentos/core';
import express, { type RequestHandler } from 'express';
import type { AgentOSConfig, EntityConfig } from '../src/config/options.js';
import { resolveConfig } from '../src/config/resolve.js';
import { type Database, openDatabase } from '../src/db/index.js';
import { routes } from '../src/generated/routes.js';
import { createRouter, type Handlers } from '../src/generated/server.js';
import { createEvalHandlers } from '../src/handlers/evals.js';
import { createKnowledgeHandlers } from '../src/handlers/knowledge.js';
import { createLearningHandlers } from '../src/handlers/learnings.js';
import { createMemoryHandlers } from '../src/handlers/memories.js';
import { createMetricsHandlers } from '../src/handlers/metrics.js';
import { createSessionHandlers } from '../src/handlers/sessions.js';
import { createTraceHandlers } from '../src/handlers/traces.js';
import { createLogger } from '../src/log.js';
import { createRunRuntime, type RunEngine } from '../src/runtime/index.js';
import type { RunOnceInput, RunOnceResult, RunRuntime } from '../src/runtime/types.js';
import type { ServerContext } from '../src/server-context.js';

export interface Caller {
  /** The token subject; omitted for an anonymous caller. */
  readonly user?: string;
  /** Holds the admin scope. */
  readonly admin?: boolean;
}

export interface DataServer {
  readonly url: string;
  readonly database: Database;
  readonly runtime: FakeRuntime;
  /** The real run engine (built-in deterministic model) when started with `engine: 'real'`. */
  readonly engine: RunEngine | null;
  /** Unexpected errors the router answered 500 (response validation failures included). */
  readonly errors: unknown[];
  /** Sets whether user isolation is on for the following requests. */
  setIsolation(on: boolean): void;
  request(
    method: string,
    path: string,
    options?: { as?: Caller; body?: unknown; form?: FormData },
    // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely; the router validated them.
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** A fake run engine: answers `reply(input)` and records every call. */
export interface FakeRuntime extends RunRuntime {
  readonly calls: RunOnceInput[];
  reply: (input: RunOnceInput) => Partial<RunOnceResult> & { content: unknown };
}

export const AGENTS: EntityConfig[] = [
  { id: 'research-agent', name: 'Research Agent', model: 'openai:gpt-4o' },
  { id: 'math-agent', name: 'Math Agent', model: { id: 'gpt-4o-mini', provider: 'OpenAI' } },
];
export const TEAMS: EntityConfig[] = [{ id: 'research-team', name: 'Research Team', model: 'openai:gpt-4o' }];
export const WORKFLOWS: EntityConfig[] = [{ id: 'content-pipeline', name: 'Content Pipeline' }];

export function createFakeRuntime(): FakeRuntime {
  let n = 0;
  const runtime: FakeRuntime = {
    calls: [],
    reply: () => ({ content: 'ok' }),
    async runOnce(input) {
      runtime.calls.push(input);
      const r = runtime.reply(input);
      n += 1;
      return {
        runId: r.runId ?? `fake-run-${n}`,
        sessionId: r.sessionId ?? `fake-session-${n}`,
        status: r.status ?? 'COMPLETED',
        content: r.content,
      };
    },
    async close() {},
  };
  return runtime;
}

/** Entities the real engine runs with its built-in deterministic model. */
export const REAL_AGENTS: EntityConfig[] = [
  {
    id: 'research-agent',
    name: 'Research Agent',
    instructions: 'You research things.',
    tools: ['echo', 'add'],
  },
  { id: 'math-agent', name: 'Math Agent', tools: ['add'] },
];
export const REAL_TEAMS: EntityConfig[] = [
  { id: 'research-team', name: 'Research Team', members: ['math-agent'] },
];
export const REAL_WORKFLOWS: EntityConfig[] = [
  {
    id: 'content-pipeline',
    name: 'Content Pipeline',
    steps: [{ name: 'research', agent: 'research-agent' }],
  },
];

/**
 * Starts the server.
 * @param options `isolation` (default off; `setIsolation` changes it), `engine`: `fake` (default,
 *   a scripted `runOnce`) or `real` (the run engine with its built-in deterministic model)
 */
export async function startDataServer(
  options: { isolation?: boolean; engine?: 'fake' | 'real' } = {},
): Promise<DataServer> {
  const database = await openDatabase({ memory: true });
  const runtime = createFakeRuntime();
  const logger = createLogger({ level: 'silent' });
  const real = options.engine === 'real';
  const config = real
    ? resolveConfig({
        options: { id: 'test-os', agents: REAL_AGENTS, teams: REAL_TEAMS, workflows: REAL_WORKFLOWS },
        env: {},
        cwd: process.cwd(),
      })
    : ({
        id: 'test-os',
        name: 'Test OS',
        description: null,
        agents: AGENTS,
        teams: TEAMS,
        workflows: WORKFLOWS,
      } as unknown as AgentOSConfig);
  const engine = real ? createRunRuntime({ config, database, logger }) : null;
  const ctx: ServerContext = {
    config,
    database,
    logger,
    runtime: engine ?? runtime,
    now: () => new Date(),
    startedAt: new Date(),
    instanceId: 'test-instance',
  };
  const mine = {
    ...createSessionHandlers(ctx),
    ...createMemoryHandlers(ctx),
    ...createLearningHandlers(ctx),
    ...createKnowledgeHandlers(ctx),
    ...createMetricsHandlers(ctx),
    ...createEvalHandlers(ctx),
    ...createTraceHandlers(ctx),
  } as Record<string, unknown>;
  const handlers = new Proxy(mine, {
    get(target, key) {
      if (typeof key === 'string' && key in target) return target[key];
      return () => ({ status: 501, body: { detail: 'Not implemented in this test' } });
    },
  }) as unknown as Handlers;

  let isolation = options.isolation ?? false;
  const index = compileRoutes(routes);
  const auth: RequestHandler = (req, res, next) => {
    const match = index.match(req.method, req.path);
    if (match.kind !== 'found') {
      res.status(404).json({ detail: 'Not Found' });
      return;
    }
    const user = req.header('x-test-user') ?? null;
    const admin = req.header('x-test-admin') === '1';
    const caller: CallerContext = {
      operationId: match.route.spec.operationId,
      authenticated: user !== null,
      userId: user,
      sessionId: null,
      scopes: admin ? ['agent_os:admin'] : [],
      grants: compileGrants(admin ? ['agent_os:admin'] : []),
      roles: [],
      claims: user ? { sub: user } : {},
      dependencies: {},
      sessionState: {},
      isAdmin: admin,
      accessibleIds: null,
      scopedUserId: isolation && match.route.spec.userOwned && !admin && user !== null ? user : null,
    };
    const state = req as unknown as { auth: CallerContext; agentos: unknown };
    state.auth = caller;
    state.agentos = { route: match.route, params: match.params };
    next();
  };

  const errors: unknown[] = [];
  const app = express();
  app.use(createRouter(handlers, { auth, validateResponses: true, onError: (e) => errors.push(e) }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    database,
    runtime,
    engine,
    errors,
    setIsolation(on) {
      isolation = on;
    },
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.as?.user) headers['x-test-user'] = opts.as.user;
      if (opts.as?.admin) headers['x-test-admin'] = '1';
      let body: string | FormData | undefined;
      if (opts.form) body = opts.form;
      else if (opts.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
      const res = await fetch(url + path, { method, headers, body: body ?? null });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON
      }
      if (res.status === 500) errors.push(parsed);
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine?.close();
      await database.close();
    },
  };
}

/** Two users and an admin. */
export const ALICE: Caller = { user: 'alice' };
export const BOB: Caller = { user: 'bob' };
export const ADMIN: Caller = { user: 'root', admin: true };
