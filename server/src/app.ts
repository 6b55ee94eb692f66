/**
 * @module `createAgentOS`: assembles the reference server.
 *
 * Request path: OPTIONS `Allow` → CORS (answers preflights, never authenticated) → auth
 * (table lookup + overrides + verify + decide; sets `req.auth` / `req.agentos`) → body parsers →
 * operation dispatch → custom routes → 404/405 fallback → one error handler rendering `{detail}`.
 * CORS runs first so that error answers carry the same CORS headers as successes.
 */

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { compileRoutes, compileScopeMappings, filterResponse, type RouteIndex } from '@agentos/core';
import { allowHeader, createErrorHandler, createNotFoundHandler, HttpError } from '@agentos/runtime/express';
import cors from 'cors';
import express, { type Express, type RequestHandler, Router } from 'express';
import { createCsrfGuard } from './auth/csrf.js';
import { createManagedRoles } from './auth/managed-roles.js';
import { createAuthMiddleware } from './auth/middleware.js';
import type { CredentialVerifier } from './auth/principal.js';
import { createSecurityKey, withSecurityKey } from './auth/security-key.js';
import {
  bindClientAddress,
  createCredentialVerifier,
  createInternalToken,
  createServiceAccountVerifier,
  type InternalToken,
} from './auth/service-accounts.js';
import { createTokenVerifier } from './auth/verify.js';
import { createDecisionAudit } from './authority/audit.js';
import { createBodyLimits } from './authority/body-limits.js';
import { createAuthority, createDatabaseAuthorityStore } from './authority/index.js';
import { loadConfigFile } from './config/file.js';
import type { AgentOSConfig, AgentOSOptions, OperationHandler } from './config/options.js';
import { resolveConfig } from './config/resolve.js';
import { type Database, DEFAULT_DATA_DIR, decisions, openDatabase } from './db/index.js';
import { createRoleStore } from './db/repos/authz.js';
import { createServiceAccountStore } from './db/repos/service-accounts.js';
import { createDirectory } from './db/repos/users.js';
import { generated, routes as generatedRoutes } from './generated/routes.js';
import { createRouter, type Handlers } from './generated/server.js';
import { createDocsAssets } from './handlers/docs.js';
import { createHandlers } from './handlers/index.js';
import { createLogger, type Logger } from './log.js';
import { createRunRuntime, modelProvidersFromEnv } from './runtime/index.js';
import { type Scheduler, startScheduler } from './scheduler/index.js';
import type { ServerContext } from './server-context.js';
import { checkGeneratedStamp, defaultSpecFile } from './stamp.js';
import {
  createWorkflowSocket,
  type WorkflowSocket,
  type WorkflowSocketOptions,
} from './ws/workflow-socket.js';

/** A configured server, not yet listening. */
export interface AgentOS {
  readonly app: Express;
  readonly config: AgentOSConfig;
  readonly logger: Logger;
  /** The credential verifier (warm it up with `verifier.warmUp()`). */
  readonly verifier: CredentialVerifier;
  /** The handlers' context: database, run engine, clock. */
  readonly context: ServerContext;
  /** Starts listening (default `config.port` / `config.host`); resolves once bound. */
  listen(port?: number, host?: string): Promise<Server>;
  /** Stops every server started by `listen` and releases resources. */
  close(): Promise<void>;
}

/** The `options` of `createAgentOS` plus the config file path (CLI, `AGENTOS_CONFIG`). */
export interface CreateAgentOSOptions extends AgentOSOptions {
  /** A config file (`agentos.config.yaml` / `.json`) whose options sit below the code options. */
  configFile?: string | undefined;
  /**
   * An open database to use (not closed by `close()`). Otherwise one is opened from `storage`, else
   * `DATABASE_URL` (PostgreSQL), else `AGENTOS_DATA_DIR` (PGlite; `:memory:` for memory), else an
   * in-memory PGlite. The CLI defaults to the data directory `./.agentos/data`.
   */
  database?: Database | undefined;
  storage?: { url?: string; dataDir?: string; memory?: boolean } | undefined;
  /** Run the scheduler once listening (default false; the CLI turns it on unless `AGENTOS_SCHEDULER=false`). */
  scheduler?: boolean | undefined;
  /**
   * Validate every JSON answer against the spec (a mismatch answers 500 and is logged). Default
   * `AGENTOS_VALIDATE_RESPONSES=true` in the environment, else false; the test harnesses turn it on.
   */
  validateResponses?: boolean | undefined;
  /** Limits of the workflow WebSocket `GET /workflows/ws` (frame size, message rate, auth deadline). */
  workflowSocket?: WorkflowSocketOptions | undefined;
}

/** Where the database lives, from the options, then the environment (memory by default). */
export function storageFrom(
  options: CreateAgentOSOptions,
  env: Readonly<Record<string, string | undefined>>,
  fallbackDataDir?: string,
): { url?: string; dataDir?: string; memory?: boolean } {
  if (options.storage) return options.storage;
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  const dir = env.AGENTOS_DATA_DIR ?? fallbackDataDir;
  if (dir === ':memory:' || dir === undefined) return { memory: true };
  return { dataDir: dir };
}

export { DEFAULT_DATA_DIR };

/** Adds `Allow` to OPTIONS answers for known paths (RFC 9110 §9.3.7), before CORS ends them. */
function allowOnOptions(index: RouteIndex): RequestHandler {
  return function agentosOptionsAllow(req, res, next) {
    if (req.method === 'OPTIONS') {
      const m = index.match('OPTIONS', req.path);
      if (m.kind === 'method-not-allowed') res.setHeader('Allow', allowHeader(m.allowed, { options: true }));
    }
    next();
  };
}

/**
 * Dispatches a matched operation to its handler, for a route table given in the options (tests,
 * embedders): the generated router only knows the generated table. Same handler protocol.
 */
function createDispatcher(handlers: Readonly<Record<string, OperationHandler>>): RequestHandler {
  return async function agentosDispatch(req, res, next) {
    const match = req.agentos;
    if (!match || !req.auth) {
      next();
      return;
    }
    const handler = handlers[match.route.spec.operationId];
    if (!handler) throw new HttpError(501, 'Not implemented yet');
    const result = await handler({
      path: match.params,
      query: (req.query ?? {}) as Record<string, unknown>,
      body: req.body,
      headers: req.headers,
      caller: req.auth,
      req,
      res,
    });
    if (res.headersSent) return;
    if (result.headers) res.set(result.headers);
    if (result.body === undefined) res.status(result.status).end();
    else {
      const ok = result.status < 300;
      const spec = match.route.spec;
      res
        .status(result.status)
        .json(ok ? filterResponse(result.body, spec, req.auth.accessibleIds, req.auth.grants) : result.body);
    }
  };
}

/** The generated router runs after this app's own auth middleware; it only needs the decision to exist. */
const authAlreadyDecided: RequestHandler = function agentosAuthDecided(_req, _res, next) {
  next();
};

/**
 * Creates an AgentOS server from options, an optional config file and the environment.
 * @param options see `AgentOSOptions`; `env` defaults to `process.env`, `logger` to pino on stderr
 * @throws {ConfigError} when the configuration is invalid (what, where, how to fix)
 * @example
 * const os = await createAgentOS({
 *   id: 'my-agent-os',
 *   agents: [{ id: 'research-agent', name: 'Research Agent' }],
 *   authorization: true,
 *   authorizationConfig: { verificationKeys: [publicKeyPem], algorithm: 'RS256', verifyAudience: true },
 * });
 * await os.listen(7777);
 */
export async function createAgentOS(options: CreateAgentOSOptions = {}): Promise<AgentOS> {
  // The one place that reads the process environment and working directory.
  const env = options.env ?? process.env;
  const cwd = process.cwd();
  const file = options.configFile ? loadConfigFile(resolve(cwd, options.configFile), env) : null;
  const config = resolveConfig({ options, file, env, cwd });
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? (() => new Date());

  // A route table given in the options (tests, embedders) is dispatched by operationId; the
  // generated table goes through the generated router (validation, typed handlers, SSE).
  const custom = options.routeTable !== undefined;
  // The generated table must come from the spec this server ships with: refuse to start otherwise.
  if (!custom) checkGeneratedStamp(generated, options.specFile ?? defaultSpecFile());
  const routeTable = options.routeTable ?? generatedRoutes;
  const index = compileRoutes(routeTable, { adminScope: config.auth.adminScope });
  // Everything that can refuse the configuration comes before the database is opened.
  const jwtVerifier = await createTokenVerifier(config.auth, { clock, logger });
  const ownDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase({ ...storageFrom(options, env), logger }));
  const instanceId = randomUUID();
  const runtime = createRunRuntime({
    config,
    database,
    logger,
    now: clock,
    instanceId,
    models: modelProvidersFromEnv(env),
  });
  const context: ServerContext = {
    config,
    database,
    logger,
    runtime,
    now: clock,
    startedAt: clock(),
    instanceId,
  };

  const serviceAccounts = createServiceAccountVerifier({
    // The auth layer reaches storage only through this port.
    store: createServiceAccountStore(database.db),
    now: clock,
    cacheTtlMs: Number(env.SERVICE_ACCOUNT_CACHE_TTL_SECONDS ?? 30) * 1000,
  });
  // Several instances behind one load balancer share AGENTOS_INTERNAL_TOKEN; alone, it is random.
  const internal: InternalToken = createInternalToken({ token: env.AGENTOS_INTERNAL_TOKEN });
  const withAccounts = createCredentialVerifier(jwtVerifier, {
    serviceAccounts,
    internal,
    userIdClaim: config.auth.userIdClaim,
  });
  const verifier =
    config.auth.securityKey === null
      ? withAccounts
      : withSecurityKey(withAccounts, {
          key: createSecurityKey(config.auth.securityKey),
          adminScope: config.auth.adminScope,
          isInternalToken: (t) => internal.matches(t),
        });
  for (const w of [...config.warnings, ...verifier.warnings]) logger.warn(w);

  // Configured and managed roles, stored assignments and the user directory (contract.md §9), read
  // by the auth layer through its storage ports and cached; the /authz and /users handlers
  // invalidate the cache on every change.
  const managed = createManagedRoles({
    configured: config.auth.roles as Parameters<typeof createManagedRoles>[0]['configured'],
    adminScope: config.auth.adminScope,
    store: config.features.authz ? createRoleStore(() => database.db) : undefined,
    directory: config.features.users
      ? createDirectory(() => database.db, {
          roleNames: Object.keys(config.auth.roles),
          now: clock,
          withRoles: config.features.authz,
        })
      : undefined,
    logger,
  });
  // Decision audit (contract.md §9.6), when configured: records through the database port.
  const audit = config.decisionAudit
    ? createDecisionAudit({
        store: {
          insertMany: (rows) => decisions.insertMany(database.db, rows),
          prune: (o) => decisions.prune(database.db, o),
        },
        logger,
        now: clock,
        retentionDays: config.decisionAudit.retentionDays,
        maxRecords: config.decisionAudit.maxRecords,
      })
    : undefined;
  // Object-level rules of the route table (containment, approval gate, body scopes, targets,
  // member runs, nested filters) wrap every handler, custom ones included (contract.md §8).
  const authority = createAuthority({
    index,
    store: createDatabaseAuthorityStore(() => database.db, config),
    logger,
    rbac: config.auth.mode === 'rbac',
    userIsolation: config.auth.userIsolation,
    adminScope: config.auth.adminScope,
    now: clock,
    audit,
  });
  const handlers: Record<string, OperationHandler> = {
    ...authority.wrap(
      createHandlers(context, {
        serviceAccounts,
        docsEnabled: env.DOCS_ENABLED !== 'false',
        // Read per request, once every handler (the options' included) is known.
        served: (id: string) => typeof handlers[id] === 'function',
        managed,
        decisionAudit: audit !== undefined,
      }) as unknown as Record<string, OperationHandler>,
    ),
    // Handlers given in the options keep their objects elsewhere: the rules that read this
    // server's store do not apply to them; the others do.
    ...authority.wrap(options.handlers ?? {}, { storage: false }),
  };

  const app = express();
  app.disable('x-powered-by');
  // No ETag (a SHA-1 of every answer body, about 2% of the CPU of a small answer): the Python
  // AgentOS sends none, the API's clients make no conditional requests, and answers under user
  // isolation differ per caller for the same URL.
  app.set('etag', false);
  // Paths are case-sensitive everywhere (contract.md §3), custom routes included: a
  // case-insensitive router would reach a route whose scope mapping did not match.
  app.set('case sensitive routing', true);
  app.use(allowOnOptions(index));
  const anyOrigin = config.cors.origins.includes('*');
  app.use(
    cors({
      origin: anyOrigin ? '*' : [...config.cors.origins],
      credentials: !anyOrigin,
      exposedHeaders: ['WWW-Authenticate'],
      maxAge: 600,
    }),
  );
  // Swagger UI's static files are public, like /docs itself; they are not operations of the spec.
  app.use('/docs/assets', createDocsAssets());
  // The client address, for the service-account failure limiter.
  app.use(bindClientAddress());
  // Before the token is even read: a cross-site request carrying the cookie never reaches a handler.
  app.use(
    createCsrfGuard({
      tokenSource: config.auth.tokenSource,
      cookieName: config.auth.cookieName,
      enabled: config.auth.csrfProtection,
      trustedOrigins: config.cors.origins,
    }),
  );
  app.use(
    createAuthMiddleware({
      config: config.auth,
      index,
      verifier,
      logger,
      managed,
      onDecision: audit ? (event) => audit.record(event) : undefined,
    }),
  );
  // Every JSON and form body is parsed here, bounded in size (413) and depth (422), before any
  // validator or handler; the parsers downstream find it parsed.
  app.use(createBodyLimits({ limit: '1mb', unmatched: options.routes ? 'parse' : 'skip' }));
  if (options.routes) {
    // Custom routes come before the operation router, which answers 404/405 for everything else.
    const router = Router({ caseSensitive: true });
    // Bodies of table operations are parsed (and validated) by the operation router.
    const json = express.json({ limit: '1mb' });
    const form = express.urlencoded({ extended: false, limit: '1mb' });
    router.use(function agentosCustomBody(req, res, next) {
      if (req.agentos) next();
      else json(req, res, (err?: unknown) => (err ? next(err) : form(req, res, next)));
    });
    options.routes(router);
    warnUnmappedCustomRoutes(router, config, logger);
    app.use(router);
  }
  const onError = (error: unknown) => logger.error({ err: error }, 'unhandled error');
  if (!custom) {
    app.use(
      createRouter(handlers as unknown as Handlers, {
        auth: authAlreadyDecided,
        // The index the auth middleware matched with: one per server (compiled with the admin scope).
        index,
        allowOptions: true,
        onError,
        validateResponses: options.validateResponses ?? env.AGENTOS_VALIDATE_RESPONSES === 'true',
      }),
    );
  } else {
    app.use(express.json({ limit: '1mb' }), express.urlencoded({ extended: false, limit: '1mb' }));
    app.use(createDispatcher(handlers));
  }
  // The one 404/405 and the one error handler, the router's own (`@agentos/runtime/express`).
  app.use(createNotFoundHandler(index, { allowOptions: true }));
  app.use(createErrorHandler({ onError }));

  const servers = new Set<Server>();
  let scheduler: Scheduler | undefined;
  let sockets: WorkflowSocket | undefined;
  return {
    app,
    config,
    logger,
    verifier,
    context,
    listen(port = config.port, host = config.host) {
      return new Promise((resolveListen, reject) => {
        const server = app.listen(port, host, (err?: Error) => {
          if (err) {
            reject(err);
            return;
          }
          if (options.scheduler && !scheduler) {
            // The scheduler calls this very instance over loopback with the internal token.
            const address = server.address();
            const boundPort = typeof address === 'object' && address ? address.port : port;
            scheduler = startScheduler({
              ctx: context,
              baseUrl: `http://127.0.0.1:${boundPort}`,
              internalToken: internal,
              // Each firing re-checks the schedule's owner with the route decision (contract.md §8.5).
              authorize: (schedule) => authority.authorizeDeferred(schedule),
            });
          }
          resolveListen(server);
        });
        servers.add(server);
        server.on('close', () => servers.delete(server));
        // The workflow WebSocket (GET /workflows/ws); any other upgrade is answered 404.
        sockets ??= createWorkflowSocket({
          ctx: context,
          index,
          verifier,
          managed,
          authority,
          options: options.workflowSocket,
        });
        const ws = sockets;
        server.on('upgrade', (req, socket, head) => {
          if (!ws.handleUpgrade(req, socket, head)) {
            socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          }
        });
      });
    },
    async close() {
      await scheduler?.stop();
      scheduler = undefined;
      sockets?.close();
      sockets = undefined;
      await Promise.all(
        [...servers].map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
      await audit?.close();
      await runtime.close();
      if (ownDatabase) await database.close();
    },
  };
}

/** Custom routes without a `scopeMappings` entry are open to any authenticated caller: say so at start. */
function warnUnmappedCustomRoutes(router: Router, config: AgentOSConfig, logger: Logger): void {
  const overrides = compileScopeMappings(config.auth.scopeMappings, { adminScope: config.auth.adminScope });
  for (const layer of router.stack as { route?: { path: unknown; methods?: Record<string, boolean> } }[]) {
    const route = layer.route;
    if (!route || typeof route.path !== 'string') continue;
    const template = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const sample = route.path.replace(/:[A-Za-z0-9_]+/g, 'x');
    for (const method of Object.keys(route.methods ?? {})) {
      const m = method.toUpperCase();
      if (m === '_ALL') continue;
      const mapped = overrides.find(m, sample) !== undefined;
      if (!mapped && config.auth.mode !== 'open') {
        logger.warn(
          `custom route ${m} ${route.path} has no scopeMappings entry: any authenticated caller may call it. ` +
            `Add "${m} ${template}": [<scopes>] to scopeMappings to require scopes, or [] to make it public.`,
        );
      }
    }
  }
}
