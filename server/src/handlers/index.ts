/**
 * @module Every operation's handler, merged from the area factories. The result is typed as the
 * generated `Handlers` interface, so an operation without a handler is a compile error.
 */
import type { ServiceAccountVerifier } from '../auth/service-accounts.js';
import type { ServerContext } from '../context.js';
import type { Handlers } from '../generated/server.js';
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
  return {
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
  };
}
