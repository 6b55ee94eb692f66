/**
 * @module Every operation's handler, merged from the area factories. The result is typed as the
 * generated `Handlers` interface, so an operation without a handler is a compile error.
 */
import type { ServiceAccountVerifier } from '../auth/service-accounts.js';
import type { ServerContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { type Handlers, HttpError } from '../generated/server.js';
import { createApprovalHandlers } from './approvals.js';
import { createComponentHandlers } from './components.js';
import { createCoreHandlers } from './core.js';
import { createDatabaseHandlers } from './database.js';
import { createDocsHandlers } from './docs.js';
import { createEvalHandlers } from './evals.js';
import { createKnowledgeHandlers } from './knowledge.js';
import { createLearningHandlers } from './learnings.js';
import { createMemoryHandlers } from './memories.js';
import { createMetricsHandlers } from './metrics.js';
import { createRegistryHandlers } from './registry.js';
import { createRunHandlers } from './runs.js';
import { createScheduleHandlers } from './schedules.js';
import { createServiceAccountHandlers } from './service-accounts.js';
import { createSessionHandlers } from './sessions.js';
import { createTraceHandlers } from './traces.js';

export interface HandlerOptions {
  /** The service-account verifier of the auth middleware (revocation evicts its cache). */
  readonly serviceAccounts?: ServiceAccountVerifier | undefined;
  /** Serve /docs, /redoc, /openapi.json (default true; env `DOCS_ENABLED`). */
  readonly docsEnabled?: boolean | undefined;
}

/**
 * Creates the handler of every operation.
 * @example createRouter(createHandlers(ctx), { auth })
 */
export function createHandlers(ctx: ServerContext, options: HandlerOptions = {}): Handlers {
  return withDatabaseOutages(ctx, {
    ...createCoreHandlers(ctx),
    ...createRunHandlers(ctx),
    ...createSessionHandlers(ctx),
    ...createMemoryHandlers(ctx),
    ...createLearningHandlers(ctx),
    ...createKnowledgeHandlers(ctx),
    ...createMetricsHandlers(ctx),
    ...createEvalHandlers(ctx),
    ...createTraceHandlers(ctx),
    ...createScheduleHandlers(ctx),
    ...createServiceAccountHandlers(ctx, { verifier: options.serviceAccounts }),
    ...createApprovalHandlers(ctx),
    ...createRegistryHandlers(ctx),
    ...createComponentHandlers(ctx),
    ...createDatabaseHandlers(ctx),
    ...createDocsHandlers(ctx, { enabled: options.docsEnabled !== false }),
  });
}

/**
 * A database that cannot be reached answers 503 with `Retry-After`, not 500: the request may be
 * retried, and nothing was acknowledged. The server recovers by itself when the database is back.
 */
function withDatabaseOutages(ctx: ServerContext, handlers: Handlers): Handlers {
  const out: Record<string, unknown> = {};
  for (const [operationId, handler] of Object.entries(handlers) as [string, (r: unknown) => unknown][]) {
    out[operationId] = async (request: unknown) => {
      try {
        return await handler(request);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        ctx.logger.error({ err: error, operationId }, 'database unavailable');
        throw new HttpError(503, 'Service temporarily unavailable: the database cannot be reached', {
          headers: { 'Retry-After': '5' },
          cause: error,
        });
      }
    };
  }
  return out as unknown as Handlers;
}
