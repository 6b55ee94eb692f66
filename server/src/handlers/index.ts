/**
 * @module Every operation's handler, merged from the area factories. The result is typed as the
 * generated `Handlers` interface, so an operation without a handler is a compile error.
 */
import type { ManagedRoles } from '../auth/managed-roles.js';
import type { ServiceAccountVerifier } from '../auth/service-accounts.js';
import { isDatabaseUnavailable, isNulRejection } from '../db/errors.js';
import { type Handlers, HttpError } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { createApprovalHandlers } from './approvals.js';
import { createAuthzHandlers } from './authz.js';
import { createComponentHandlers } from './components.js';
import { createConfigurationHandlers } from './configuration.js';
import { createDatabaseHandlers } from './database.js';
import { createDocsHandlers } from './docs.js';
import { createEvalHandlers } from './evals.js';
import { createFilesystemHandlers } from './filesystem.js';
import { createKnowledgeHandlers } from './knowledge.js';
import { createLearningHandlers } from './learnings.js';
import { createMemoryHandlers } from './memories.js';
import { createMetricsHandlers } from './metrics.js';
import { createQueueHandlers } from './queue.js';
import { createRegistryHandlers } from './registry.js';
import { createRunHandlers } from './runs.js';
import { createScheduleHandlers } from './schedules.js';
import { createServiceAccountHandlers } from './service-accounts.js';
import { createSessionHandlers } from './sessions.js';
import { createTraceHandlers } from './traces.js';
import { createUserHandlers } from './users.js';

export interface HandlerOptions {
  /** The service-account verifier of the auth middleware (revocation evicts its cache). */
  readonly serviceAccounts?: ServiceAccountVerifier | undefined;
  /** Serve /docs, /redoc, /openapi.json (default true; env `DOCS_ENABLED`). */
  readonly docsEnabled?: boolean | undefined;
  /** Whether the server serves an operation (its `/openapi.json` lists only those). Default: all. */
  readonly served?: ((operationId: string) => boolean) | undefined;
  /**
   * The auth layer's roles and directory cache. With it, the features the configuration turns on
   * are mounted (`authz`, `users`, contract.md §9); without it, neither is.
   */
  readonly managed?: ManagedRoles | undefined;
  /** Decisions are recorded (`decisionAudit`): `GET /authz/decisions` serves them. */
  readonly decisionAudit?: boolean | undefined;
}

/**
 * Creates the handler of every operation.
 * @example createRouter(createHandlers(ctx), { auth })
 */
export function createHandlers(ctx: ServerContext, options: HandlerOptions = {}): Handlers {
  return guardHandlers(ctx, {
    ...createConfigurationHandlers(ctx),
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
    ...createFilesystemHandlers(ctx),
    ...createQueueHandlers(),
    ...createDocsHandlers(ctx, { enabled: options.docsEnabled !== false, served: options.served }),
    ...(options.managed && ctx.config.features.authz
      ? createAuthzHandlers(ctx, { managed: options.managed, decisionAudit: options.decisionAudit === true })
      : {}),
    ...(options.managed && ctx.config.features.users
      ? createUserHandlers(ctx, { managed: options.managed, withRoles: ctx.config.features.authz })
      : {}),
  });
}

/** Where a NUL character was found: FastAPI's `loc` (`['path', 'session_id']`, `['body', 'items', 0]`). */
type Loc = (string | number)[];

/**
 * The first string (value or object key) holding U+0000 in a request part, depth-first. Buffers
 * (uploaded files) are bytes, not text, and are not searched.
 */
function findNul(value: unknown, loc: Loc, depth = 0): Loc | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? loc : undefined;
  if (typeof value !== 'object' || value === null || depth > 64 || ArrayBuffer.isView(value))
    return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = findNul(value[i], [...loc, i], depth + 1);
      if (at) return at;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...loc, key];
    const at = findNul(v, [...loc, key], depth + 1);
    if (at) return at;
  }
  return undefined;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (`invalid byte sequence for encoding "UTF8": 0x00`,
 * `unsupported Unicode escape sequence`): a request carrying one in a path parameter, query value
 * or body string is answered 422 in FastAPI's shape before the handler runs, not 500 from the
 * database. Errors of those two codes that still reach here (a value built by a handler) are 422 too.
 */
function nulCharacterError(request: unknown): HttpError | undefined {
  const r = (request ?? {}) as { path?: unknown; query?: unknown; body?: unknown };
  const loc = findNul(r.path, ['path']) ?? findNul(r.query, ['query']) ?? findNul(r.body, ['body']);
  return loc ? nulError(loc) : undefined;
}

const NUL_MESSAGE = 'String must not contain the NUL character (U+0000)';

function nulError(loc: Loc): HttpError {
  return new HttpError(422, [{ type: 'string_nul_character', loc, msg: NUL_MESSAGE }]);
}

/**
 * Every handler, guarded: U+0000 in a request answers 422 (see `nulCharacterError`), and a database
 * that cannot be reached answers 503 with `Retry-After`, not 500: the request may be retried, and
 * nothing was acknowledged. The server recovers by itself when the database is back.
 */
function guardHandlers(ctx: ServerContext, handlers: Handlers): Handlers {
  const out: Record<string, unknown> = {};
  for (const [operationId, handler] of Object.entries(handlers) as [string, (r: unknown) => unknown][]) {
    out[operationId] = async (request: unknown) => {
      const refused = nulCharacterError(request);
      if (refused) throw refused;
      try {
        return await handler(request);
      } catch (error) {
        if (isNulRejection(error)) throw nulError(['body']);
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
