/**
 * @module Test harness for the run operations: an Express app on 127.0.0.1:0 with the generated
 * router (`validateResponses: true`), the real auth middleware and JWT verifier (HS256 test
 * secret), an in-memory PGlite database, the real run engine, and the run handlers (every other
 * operation answers 501). Helpers send forms and read SSE streams frame by frame.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileRoutes } from '@agentos/core';
import express from 'express';
import { SignJWT } from 'jose';
import { createCredentialVerifier } from '../src/auth/credentials.js';
import { createAuthMiddleware } from '../src/auth/middleware.js';
import { createTokenVerifier } from '../src/auth/verify.js';
import type { AgentOSConfig, AgentOSOptions, EntityConfig } from '../src/config/options.js';
import { resolveConfig } from '../src/config/resolve.js';
import { type Database, openDatabase } from '../src/db/index.js';
import { routes } from '../src/generated/routes.js';
import { createRouter, type Handlers } from '../src/generated/server.js';
import { createRunHandlers } from '../src/handlers/runs.js';
import { silentLogger } from '../src/log.js';
import { createRunRuntime, type ModelProviderOptions, type RunEngine } from '../src/runtime/index.js';
import type { ServerContext } from '../src/server-context.js';

export const SECRET = 'a-very-long-secret-key-at-least-256-bits-long';
export const ADMIN = 'agent_os:admin';
/** Scopes of an ordinary user allowed to run and read every agent, team and workflow. */
export const USER_SCOPES = [
  'agents:run',
  'agents:read',
  'teams:run',
  'teams:read',
  'workflows:run',
  'workflows:read',
] as const;

export const AGENTS: EntityConfig[] = [
  {
    id: 'research-agent',
    name: 'Research Agent',
    instructions: 'You research things.',
    tools: ['echo', 'add', 'lookup_order', 'remember', 'fail'],
  },
  {
    id: 'support-agent',
    name: 'Support Agent',
    tools: [
      'lookup_order',
      {
        name: 'issue_refund',
        description: 'Refunds an order.',
        requiresConfirmation: true,
        result: 'refund issued',
      },
      { name: 'send_email', handler: 'echo', requiresConfirmation: true, approval: 'none' },
    ],
  },
  { id: 'slow-agent', name: 'Slow Agent', builtinModel: { chunks: 6, delayMs: 40 } },
  { id: 'slower-agent', name: 'Slower Agent', builtinModel: { chunks: 8, delayMs: 120 } },
  {
    id: 'stateful-agent',
    name: 'Stateful Agent',
    session_state: { notes: [] },
    tools: ['remember', 'get_state'],
    builtinModel: { chunks: 4, delayMs: 50 },
  },
  { id: 'gpt-agent', name: 'GPT Agent', model: 'openai:gpt-4o-mini', tools: ['add'] },
];

export const TEAMS: EntityConfig[] = [
  { id: 'research-team', name: 'Research Team', members: ['research-agent', 'support-agent'] },
];

export const WORKFLOWS: EntityConfig[] = [
  {
    id: 'content-pipeline',
    name: 'Content Pipeline',
    steps: [
      { name: 'research', agent: 'research-agent' },
      { name: 'write', agent: 'support-agent' },
    ],
  },
  {
    id: 'review-pipeline',
    name: 'Review Pipeline',
    steps: [
      { name: 'research', agent: 'research-agent' },
      {
        name: 'publish',
        agent: 'research-agent',
        requiresConfirmation: true,
        confirmationMessage: 'Publish?',
      },
    ],
  },
  { id: 'team-pipeline', name: 'Team Pipeline', steps: [{ name: 'team', team: 'research-team' }] },
];

export interface HarnessOptions {
  readonly userIsolation?: boolean;
  /** Enforce scopes (default true). */
  readonly authorization?: boolean;
  readonly options?: Partial<AgentOSOptions>;
  readonly models?: ModelProviderOptions;
  readonly database?: Database;
  readonly instanceId?: string;
  readonly pollIntervalMs?: number;
}

export interface SseFrame {
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are read loosely in tests.
  readonly data: any;
}

export interface CallInit {
  token?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  body?: BodyInit;
  signal?: AbortSignal;
}

export interface Harness {
  readonly base: string;
  readonly ctx: ServerContext;
  readonly engine: RunEngine;
  readonly config: AgentOSConfig;
  readonly database: Database;
  /** An HS256 token for `sub` with `scopes`, valid for an hour. */
  token(sub: string | null, scopes: readonly string[]): Promise<string>;
  call(
    method: string,
    path: string,
    init?: CallInit,
    // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in tests.
  ): Promise<{ status: number; headers: Headers; text: string; body: any }>;
  /** Sends the request and reads the whole SSE stream. */
  sse(
    method: string,
    path: string,
    init?: CallInit,
  ): Promise<{ status: number; frames: SseFrame[]; text: string }>;
  /** Sends the request and answers a reader of its frames (abort to disconnect). */
  open(method: string, path: string, init?: CallInit): Promise<FrameReader>;
  close(): Promise<void>;
}

/** Parses SSE frames from a text (comments are skipped). */
export function parseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) frames.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return frames;
}

/** Reads SSE frames one at a time from a streaming response. */
export class FrameReader {
  readonly status: number;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly controller: AbortController;
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private queue: SseFrame[] = [];
  done = false;

  constructor(res: Response, controller: AbortController) {
    this.status = res.status;
    this.reader = res.body!.getReader();
    this.controller = controller;
  }

  /** The next frame, or null at the end of the stream. */
  async next(): Promise<SseFrame | null> {
    for (;;) {
      const f = this.queue.shift();
      if (f) return f;
      if (this.done) return null;
      const { value, done } = await this.reader.read();
      if (done) {
        this.done = true;
        this.queue.push(...parseFrames(this.buffer));
        this.buffer = '';
        continue;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
      const cut = this.buffer.lastIndexOf('\n\n');
      if (cut !== -1) {
        this.queue.push(...parseFrames(this.buffer.slice(0, cut)));
        this.buffer = this.buffer.slice(cut + 2);
      }
    }
  }

  /** Reads `n` frames (fewer if the stream ends). */
  async take(n: number): Promise<SseFrame[]> {
    const out: SseFrame[] = [];
    while (out.length < n) {
      const f = await this.next();
      if (!f) break;
      out.push(f);
    }
    return out;
  }

  async rest(): Promise<SseFrame[]> {
    const out: SseFrame[] = [];
    for (let f = await this.next(); f; f = await this.next()) out.push(f);
    return out;
  }

  /** Disconnects. */
  abort(): void {
    this.controller.abort();
    this.reader.cancel().catch(() => {});
  }
}

const notImplemented = () => ({ status: 501, body: { detail: 'Not implemented yet' } });

/** Starts the harness server. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = silentLogger();
  const config = resolveConfig({
    options: {
      id: 'runs-test-os',
      authorization: options.authorization ?? true,
      authorizationConfig: {
        verificationKeys: [SECRET],
        algorithm: 'HS256',
        userIsolation: options.userIsolation ?? false,
      },
      agents: AGENTS,
      teams: TEAMS,
      workflows: WORKFLOWS,
      ...options.options,
    },
    env: {},
    cwd: process.cwd(),
  });
  const database = options.database ?? (await openDatabase({ memory: true }));
  const now = () => new Date();
  const engine = createRunRuntime({
    config,
    database,
    logger,
    now,
    instanceId: options.instanceId,
    models: options.models,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    cancelPollMs: 100,
  });
  const ctx: ServerContext = {
    config,
    database,
    logger,
    runtime: engine,
    now,
    startedAt: now(),
    instanceId: options.instanceId ?? 'test-instance',
  };
  const jwt = await createTokenVerifier(config.auth, { clock: now, logger });
  const stubs: Record<string, unknown> = {};
  for (const r of routes) stubs[r.operationId] = notImplemented;
  const handlers = { ...stubs, ...createRunHandlers(ctx) } as unknown as Handlers;
  const app = express();
  app.disable('x-powered-by');
  app.use(
    createRouter(handlers, {
      validateResponses: true,
      auth: createAuthMiddleware({
        config: config.auth,
        index: compileRoutes(routes, { adminScope: config.auth.adminScope }),
        verifier: createCredentialVerifier(jwt, { userIdClaim: config.auth.userIdClaim }),
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

  const request = (method: string, path: string, init: CallInit = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: BodyInit | undefined = init.body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    return fetch(`${base}${path}`, { method, headers, body, signal: init.signal });
  };

  return {
    base,
    ctx,
    engine,
    config,
    database,
    async token(sub, scopes) {
      const t = Math.floor(Date.now() / 1000);
      const b = new SignJWT({ scopes: [...scopes] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(t)
        .setExpirationTime(t + 3600);
      if (sub !== null) b.setSubject(sub);
      return b.sign(key);
    },
    async call(method, path, init = {}) {
      const res = await request(method, path, init);
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    async sse(method, path, init = {}) {
      const res = await request(method, path, init);
      const text = await res.text();
      return { status: res.status, frames: res.ok ? parseFrames(text) : [], text };
    },
    async open(method, path, init = {}) {
      const controller = new AbortController();
      const res = await request(method, path, { ...init, signal: controller.signal });
      return new FrameReader(res, controller);
    },
    async close() {
      await engine.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      if (!options.database) await database.close();
    },
  };
}

/** Event names with runs of the same content event collapsed (`RunContent`×3 → `RunContent`). */
export function squash(frames: readonly { event: string }[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    if (/Content$/.test(f.event) && out.at(-1) === f.event) continue;
    out.push(f.event);
  }
  return out;
}

/** Polls `fn` until it answers a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 5000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
