/**
 * @module The per-request auth state on Express's `Request`, typed by augmentation (the way Hono
 * types `ContextVariableMap`). Importing the auth middleware brings the augmentation along.
 * The generated router reads the same two properties (`AgentosRequestState` in
 * `@agentos/runtime/express`) without declaring them.
 */
import type { CallerContext, CompiledRoute } from '@agentos/core';

/** The route the auth middleware matched in the generated table (`req.agentos`). */
export interface AgentOSRouteMatch {
  readonly route: CompiledRoute;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
}

declare global {
  namespace Express {
    interface Request {
      /**
       * Who calls, as the auth middleware decided (contract.md §3). Set on every request that
       * passed the middleware, which the app mounts before everything except CORS: anonymous
       * (`authenticated: false`) on public operations, excluded paths and with auth off.
       */
      auth: CallerContext;
      /** The operation matched in the route table; undefined for custom routes and unknown paths. */
      agentos?: AgentOSRouteMatch | undefined;
    }
  }
}

export type { CallerContext };
