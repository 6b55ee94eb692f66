/**
 * @module What every handler factory of the reference server is built from.
 *
 * Handler factories live in `handlers/<area>.ts`, each `createXHandlers(ctx: ServerContext)`
 * returning a `Pick<Handlers, ...>` of the generated interface; `handlers/index.ts` merges them
 * into the full `Handlers`, so a missing operation is a compile error.
 */
import type { AgentOSConfig } from './config/options.js';
import type { Database } from './db/index.js';
import type { Logger } from './log.js';
import type { RunRuntime } from './runtime/types.js';

export interface ServerContext {
  readonly config: AgentOSConfig;
  /** The open database (PGlite or PostgreSQL), migrated. */
  readonly database: Database;
  readonly logger: Logger;
  /** The run engine: runs agents, teams and workflows, streams and persists their events. */
  readonly runtime: RunRuntime;
  /** The clock (tests freeze it). */
  now(): Date;
  /** When this server instance started. */
  readonly startedAt: Date;
  /** A random id of this server instance (schedule claims, logs). */
  readonly instanceId: string;
}
