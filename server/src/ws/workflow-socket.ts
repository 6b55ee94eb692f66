/**
 * @module `GET /workflows/ws`: the workflow WebSocket, protocol-compatible with the Python
 * AgentOS (research agentos-3.1.md §6; actions `authenticate`, `ping`, `start-workflow`,
 * `reconnect`, `continue-workflow`; JSON text frames; the events of the SSE stream).
 *
 * Security, in one place per rule:
 * - Authentication: the server's own token verifier (JWT, service accounts, the security key),
 *   sent in the `authenticate` message, never in the URL. Until then (when auth is on) every
 *   other action answers `auth_required`. A token's `exp` is checked again before each action.
 * - Authorization: each action is the REST operation it mirrors (`ACTION_OPERATIONS`), looked up
 *   in the compiled route table (with the runtime `scopeMappings` overrides) and decided by core's
 *   `decide`, exactly as the HTTP middleware does.
 * - Object-level rules: each action then goes through the authority layer as its REST operation
 *   does (`authority.check`: user identity, the body's session, containment and ownership of the
 *   run, the approval gate, run permission on every member), so REST and the socket cannot
 *   disagree; a refusal answers REST's detail (a 404 reads `Run <id> not found`). Under
 *   `userIsolation` a non-admin must also give `workflow_id` and `session_id` to reconnect or
 *   continue (agno's protocol).
 * - Bounds: `maxPayloadBytes` per frame (close 1009), a token bucket of messages (close 1008),
 *   an authentication deadline and a cap on failed attempts (close 1008), a cap on concurrent run
 *   streams per socket, binary frames refused (close 1003), an `Origin` outside the CORS list
 *   refused at the upgrade (403).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type CallerContext,
  type CompiledRoute,
  compileScopeMappings,
  decide,
  type Grants,
  type RouteIndex,
} from '@agentos/core';
import type { JWTPayload } from 'jose';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { anonymousCallerContext, buildCallerContext } from '../auth/claims.js';
import { AuthError, HttpError } from '../auth/errors.js';
import { createGrantResolver } from '../auth/grants.js';
import type { ManagedRoles } from '../auth/managed-roles.js';
import type { CredentialVerifier, Principal } from '../auth/principal.js';
import type { Authority } from '../authority/index.js';
import { runs } from '../db/repos/index.js';
import { stepDecisions } from '../handlers/runs-form.js';
import { RunRuntimeError } from '../runtime/errors.js';
import { isRunEngine, type RunEngine, type RunEventStream } from '../runtime/types.js';
import type { ServerContext } from '../server-context.js';
import { ACTION_OPERATIONS, CLOSE, MESSAGES, WORKFLOW_SOCKET_PATH } from './protocol.js';

/** Limits of the workflow WebSocket (`createAgentOS({ workflowSocket })`). */
export interface WorkflowSocketOptions {
  /** Largest accepted frame, in bytes (default 64 KiB); larger ones close the socket with 1009. */
  readonly maxPayloadBytes?: number | undefined;
  /** Sustained messages per second per socket (default 10). */
  readonly messagesPerSecond?: number | undefined;
  /** Messages a socket may send at once above the sustained rate (default 30). */
  readonly burst?: number | undefined;
  /** Time to authenticate after connecting when auth is on (default 10 s), else close 1008. */
  readonly authTimeoutMs?: number | undefined;
  /** Failed `authenticate` messages before the socket is closed with 1008 (default 5). */
  readonly maxAuthFailures?: number | undefined;
  /** Run streams one socket may follow at once (default 8). */
  readonly maxActiveRuns?: number | undefined;
}

export interface WorkflowSocketDeps {
  readonly ctx: ServerContext;
  /** The compiled route table the HTTP middleware uses. */
  readonly index: RouteIndex;
  /** The HTTP middleware's verifier (JWT, service accounts, security key). */
  readonly verifier: CredentialVerifier;
  /** The HTTP middleware's roles and user directory (contract.md §9): the same grants, the same disabled users. */
  readonly managed?: ManagedRoles | undefined;
  /** The object-level authority layer REST's handlers are wrapped with. */
  readonly authority: Pick<Authority, 'check'>;
  readonly options?: WorkflowSocketOptions | undefined;
}

/** A disabled directory user authenticating on the socket (contract.md §9.4). */
class DisabledUser extends Error {}

/** The mounted socket endpoint. */
export interface WorkflowSocket {
  /** Takes an HTTP upgrade; false when the path is not `/workflows/ws` (the caller answers 404). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every socket with 1001 and stops their streams. */
  close(): void;
}

type Message = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * Creates the endpoint; mount with `server.on('upgrade', ...)` (`createAgentOS` does).
 * @example
 * const sockets = createWorkflowSocket({ ctx, index, verifier, authority });
 * server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head) || socket.destroy());
 */
export function createWorkflowSocket(deps: WorkflowSocketDeps): WorkflowSocket {
  const { ctx, index, verifier, authority } = deps;
  const grantsOf = createGrantResolver(ctx.config.auth, deps.managed);
  const o = deps.options ?? {};
  const maxPayload = o.maxPayloadBytes ?? 64 * 1024;
  const rate = o.messagesPerSecond ?? 10;
  const burst = o.burst ?? 30;
  const authTimeoutMs = o.authTimeoutMs ?? 10_000;
  const maxAuthFailures = o.maxAuthFailures ?? 5;
  const maxActiveRuns = o.maxActiveRuns ?? 8;
  const auth = ctx.config.auth;
  const logger = ctx.logger.child({ component: 'workflow-socket' });
  const scopeOptions = { adminScope: auth.adminScope };
  const overrides = compileScopeMappings(auth.scopeMappings, scopeOptions);
  const requiresAuth = auth.mode !== 'open';
  const authKind = auth.method === 'security_key' ? 'bearer token' : 'JWT';
  const origins = ctx.config.cors.origins;
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });

  const routeOf = (action: keyof typeof ACTION_OPERATIONS): CompiledRoute => {
    const route = index.byOperationId(ACTION_OPERATIONS[action]);
    if (!route) throw new Error(`the route table has no ${ACTION_OPERATIONS[action]} operation`);
    return route;
  };

  /** The HTTP middleware's decision for the REST operation an action mirrors. */
  function allowed(route: CompiledRoute, params: Record<string, string>, caller: CallerContext): boolean {
    if (auth.mode !== 'rbac') return true;
    const path = route.spec.path.replace(/\{([^}]+)\}/g, (_, n: string) =>
      encodeURIComponent(params[n] ?? ''),
    );
    const override = overrides.size > 0 ? overrides.find(route.spec.method, path) : undefined;
    if (override?.public) return true;
    const requirements = override ? override.requirements : route.requirements;
    return decide({ requirements }, { ...override?.params, ...params }, caller.grants).effect !== 'deny';
  }

  function engine(): RunEngine {
    if (!isRunEngine(ctx.runtime)) throw new Error('The run engine is not available in this server');
    return ctx.runtime;
  }

  function onConnection(ws: WebSocket): void {
    let principal: Principal | null = null;
    let grants: Grants | null = null;
    let authenticated = !requiresAuth;
    let authFailures = 0;
    let tokens = burst;
    let refilled = Date.now();
    const streams = new Set<RunEventStream>();
    const send = (frame: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const error = (message: string, extra: Record<string, unknown> = {}) =>
      send({ event: 'error', error: message, ...extra });
    const closeWith = (code: number, reason: string) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    };
    const authTimer = requiresAuth
      ? setTimeout(() => {
          if (!authenticated) closeWith(CLOSE.policyViolation, 'Authentication timeout');
        }, authTimeoutMs)
      : undefined;
    authTimer?.unref();

    send({
      event: 'connected',
      message: requiresAuth ? MESSAGES.connectedAuth : MESSAGES.connectedOpen,
      requires_auth: requiresAuth,
    });

    function callerFor(route: CompiledRoute): CallerContext {
      const operationId = route.spec.operationId;
      if (!principal || !grants) return anonymousCallerContext(operationId, null);
      const claims: JWTPayload = principal.kind === 'jwt' ? principal.claims : {};
      return buildCallerContext({
        operationId,
        claims,
        grants,
        userId: principal.subject,
        sessionIdClaim: auth.sessionIdClaim,
        dependenciesClaims: auth.dependenciesClaims,
        sessionStateClaims: auth.sessionStateClaims,
        accessibleIds: null,
        isolate: auth.userIsolation && route.spec.userOwned,
      });
    }

    /** User isolation applies: on, an `x-user-owned` operation, an authenticated non-admin. */
    const isolatedCaller = (route: CompiledRoute, caller: CallerContext): boolean =>
      auth.userIsolation && route.spec.userOwned && principal !== null && !caller.isAdmin;

    /** A token that expired while the socket was open must be renewed (agno does not re-check). */
    function expired(): boolean {
      const exp = principal?.kind === 'jwt' ? principal.claims.exp : undefined;
      if (typeof exp !== 'number') return false;
      if (ctx.now().getTime() / 1000 <= exp + auth.leewaySeconds) return false;
      principal = null;
      grants = null;
      authenticated = false;
      send({ event: 'auth_error', error: 'Token has expired', error_type: 'expired' });
      return true;
    }

    async function authenticate(msg: Message): Promise<void> {
      const token = msg.token;
      if (typeof token !== 'string' || token === '') {
        send({ event: 'auth_error', error: MESSAGES.tokenRequired });
        return;
      }
      if (!requiresAuth) {
        send({ event: 'authenticated', message: MESSAGES.authOk });
        return;
      }
      try {
        const verified = await verifier.authenticate(token);
        if (deps.managed && verified.kind === 'jwt' && verified.subject) {
          const c = verified.claims;
          const disabled = await deps.managed.disabled(verified.subject, {
            email: typeof c.email === 'string' ? c.email : null,
            name: typeof c.name === 'string' ? c.name : null,
          });
          if (disabled) throw new DisabledUser('User is disabled');
        }
        // The same grants as on REST (roles and deny included), resolved once per authentication.
        grants = await grantsOf(verified);
        principal = verified;
        authenticated = true;
        authFailures = 0;
        clearTimeout(authTimer);
        const userId = verified.subject;
        const message =
          verified.kind === 'service_account'
            ? MESSAGES.serviceAccountOk
            : verified.kind === 'security_key'
              ? MESSAGES.authOk
              : MESSAGES.jwtOk;
        send({ event: 'authenticated', message, ...(userId !== null ? { user_id: userId } : {}) });
      } catch (e) {
        // A failed attempt drops any earlier identity: the socket is then unauthenticated.
        principal = null;
        grants = null;
        authenticated = false;
        authFailures++;
        if (e instanceof DisabledUser) {
          send({ event: 'auth_error', error: e.message, error_type: 'forbidden' });
        } else if (e instanceof AuthError) {
          const type =
            e.code === 'ERR_JWT_EXPIRED'
              ? 'expired'
              : e.code === 'ERR_KEYS_UNAVAILABLE'
                ? 'server_error'
                : 'invalid_token';
          send({ event: 'auth_error', error: e.detail, error_type: type });
        } else {
          logger.error({ err: e }, 'websocket authentication failed');
          send({
            event: 'auth_error',
            error: 'Authentication is temporarily unavailable',
            error_type: 'server_error',
          });
        }
        if (authFailures >= maxAuthFailures)
          closeWith(CLOSE.policyViolation, 'Too many failed authentications');
      }
    }

    function follow(stream: RunEventStream): void {
      streams.add(stream);
      void (async () => {
        try {
          for await (const frame of stream) send(frame.data);
        } catch (e) {
          logger.error({ err: e }, 'websocket run stream failed');
          error('stream failed');
        } finally {
          streams.delete(stream);
        }
      })();
    }

    function runError(e: unknown, workflowId: string, runId?: string): void {
      if (e instanceof RunRuntimeError) {
        if (e.code === 'ERR_RUN_ENTITY_NOT_FOUND') error(MESSAGES.workflowNotFound(workflowId));
        else if (e.code === 'ERR_RUN_SESSION_NOT_FOUND') error('Session not found');
        else if (e.code === 'ERR_RUN_NOT_FOUND') error(runId ? MESSAGES.runNotFound(runId) : e.message);
        else error(e.message);
        return;
      }
      logger.error({ err: e }, 'websocket action failed');
      error('Internal server error');
    }

    /**
     * The authority layer's decision for the REST operation an action mirrors; on a refusal, sends
     * REST's detail (a 404 as the run's not found) and answers false.
     */
    async function permitted(
      route: CompiledRoute,
      path: Record<string, string>,
      body: Record<string, unknown>,
      caller: CallerContext,
      notFound: string,
    ): Promise<boolean> {
      try {
        await authority.check(route.spec.operationId, { path, body, caller });
        return true;
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        error(e.status === 404 ? notFound : e.message);
        return false;
      }
    }

    async function start(msg: Message): Promise<void> {
      const workflowId = str(msg.workflow_id);
      if (!workflowId) return error(MESSAGES.workflowIdRequired);
      const route = routeOf('start-workflow');
      const caller = callerFor(route);
      if (!allowed(route, { workflow_id: workflowId }, caller)) return error(MESSAGES.forbiddenStart);
      const sessionId = caller.sessionId ?? str(msg.session_id);
      const body = sessionId === undefined ? {} : { session_id: sessionId };
      if (!(await permitted(route, { workflow_id: workflowId }, body, caller, 'Session not found'))) return;
      if (streams.size >= maxActiveRuns) return error(MESSAGES.tooManyRuns);
      const message =
        typeof msg.message === 'string'
          ? msg.message
          : msg.message === undefined
            ? ''
            : JSON.stringify(msg.message);
      const claimsState =
        Object.keys(caller.sessionState).length > 0 ? { ...caller.sessionState } : undefined;
      const claimsDeps = Object.keys(caller.dependencies).length > 0 ? { ...caller.dependencies } : undefined;
      try {
        const handle = await engine().start({
          kind: 'workflow',
          id: workflowId,
          message,
          // As REST: isolated callers run as themselves; a token subject replaces the message's value.
          userId: caller.scopedUserId ?? caller.userId ?? str(msg.user_id) ?? null,
          sessionId,
          sessionOwner: caller.scopedUserId ?? undefined,
          sessionState: claimsState ?? obj(msg.session_state),
          dependencies: claimsDeps ?? obj(msg.dependencies),
          metadata: obj(msg.metadata),
          background: true,
        });
        follow(handle.events({ withIndex: true, cancelOnClose: false }));
      } catch (e) {
        runError(e, workflowId);
      }
    }

    async function reconnect(msg: Message): Promise<void> {
      const runId = str(msg.run_id);
      const givenWorkflow = str(msg.workflow_id);
      const route = routeOf('reconnect');
      const caller = callerFor(route);
      const isolated = isolatedCaller(route, caller);
      if (isolated && !givenWorkflow) return error(MESSAGES.workflowIdRequiredReconnect);
      if (!runId) return error(MESSAGES.runIdRequiredSubscription);
      const last = msg.last_event_index;
      if (last !== undefined && last !== null && !(Number.isInteger(last) && (last as number) >= -1))
        return error('last_event_index must be an integer >= -1');
      // Without workflow_id the run's own workflow is the one whose scope is needed.
      const row = await runs.get(ctx.database.db, runId);
      const workflowId = givenWorkflow ?? (row?.entity_type === 'workflow' ? row.entity_id : undefined);
      if (!workflowId) return error(MESSAGES.runNotFoundAnywhere(runId));
      const path = { workflow_id: workflowId, run_id: runId };
      if (!allowed(route, path, caller)) return error(MESSAGES.forbiddenReconnect);
      const sessionId = str(msg.session_id);
      if (isolated && !sessionId) return error(MESSAGES.sessionIdRequiredReconnect);
      if (!(await permitted(route, path, {}, caller, MESSAGES.runNotFound(runId)))) return;
      // The run named with its session must be in it (REST's resume takes no session).
      if (sessionId && row?.session_id !== sessionId) return error(MESSAGES.runNotFound(runId));
      if (streams.size >= maxActiveRuns) return error(MESSAGES.tooManyRuns);
      follow(
        engine().resume({
          runId,
          kind: 'workflow',
          lastEventIndex: typeof last === 'number' ? last : undefined,
        }),
      );
    }

    async function continueWorkflow(msg: Message): Promise<void> {
      const workflowId = str(msg.workflow_id);
      if (!workflowId) return error(MESSAGES.workflowIdRequired);
      const route = routeOf('continue-workflow');
      const caller = callerFor(route);
      const runId = str(msg.run_id);
      if (!allowed(route, { workflow_id: workflowId, run_id: runId ?? '' }, caller))
        return error(MESSAGES.forbiddenContinue);
      if (!runId) return error(MESSAGES.runIdRequired);
      const isolated = isolatedCaller(route, caller);
      const givenSession = caller.sessionId ?? str(msg.session_id);
      if (isolated && !givenSession) return error(MESSAGES.sessionIdRequired);
      const path = { workflow_id: workflowId, run_id: runId };
      const body = givenSession === undefined ? {} : { session_id: givenSession };
      if (!(await permitted(route, path, body, caller, MESSAGES.runNotFound(runId)))) return;
      // As REST's continue: without session_id, the run's own session; the engine refuses a run
      // that is not a top-level run of this workflow in that session (not found).
      const sessionId = givenSession ?? (await runs.get(ctx.database.db, runId))?.session_id;
      if (sessionId === undefined) return error(MESSAGES.runNotFound(runId));
      if (msg.step_requirements !== undefined && !Array.isArray(msg.step_requirements))
        return error('Invalid step_requirements: expected a list');
      const decisions = stepDecisions(
        ((msg.step_requirements as unknown[] | undefined) ?? []).filter(
          (x): x is Record<string, unknown> => obj(x) !== undefined,
        ),
      );
      if (streams.size >= maxActiveRuns) return error(MESSAGES.tooManyRuns);
      try {
        const handle = await engine().continue({
          kind: 'workflow',
          id: workflowId,
          runId,
          sessionId,
          stepDecisions: decisions,
          background: true,
        });
        follow(handle.events({ withIndex: true, cancelOnClose: false }));
      } catch (e) {
        runError(e, workflowId, runId);
      }
    }

    async function dispatch(msg: Message): Promise<void> {
      const action = msg.action;
      if (action === 'authenticate') return authenticate(msg);
      if (!authenticated) {
        send({ event: 'auth_required', error: MESSAGES.authRequired(authKind) });
        return;
      }
      if (action === 'ping') return send({ event: 'pong' });
      if (action !== 'start-workflow' && action !== 'reconnect' && action !== 'continue-workflow')
        return error(MESSAGES.unknownAction(action));
      if (requiresAuth && expired()) return;
      if (action === 'start-workflow') return start(msg);
      if (action === 'reconnect') return reconnect(msg);
      return continueWorkflow(msg);
    }

    // Messages are handled one at a time, in order: an authenticate completes before the next action.
    let queue = Promise.resolve();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - refilled) / 1000) * rate);
      refilled = now;
      if (tokens < 1) {
        closeWith(CLOSE.policyViolation, 'Rate limit exceeded');
        return;
      }
      tokens -= 1;
      if (isBinary) {
        closeWith(CLOSE.unsupportedData, 'Only JSON text frames are accepted');
        return;
      }
      let msg: Message | undefined;
      try {
        msg = obj(JSON.parse(data.toString()));
      } catch {
        msg = undefined;
      }
      if (!msg) {
        error(MESSAGES.invalidMessage);
        return;
      }
      const m = msg;
      queue = queue
        .then(() => dispatch(m))
        .catch((e: unknown) => {
          logger.error({ err: e }, 'websocket message failed');
          error('Internal server error');
        });
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      for (const s of streams) s.close();
      streams.clear();
    });
    ws.on('error', (e) => logger.debug({ err: e }, 'websocket error'));
  }

  wss.on('connection', onConnection);

  return {
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WORKFLOW_SOCKET_PATH) return false;
      const origin = req.headers.origin;
      if (origin !== undefined && !origins.includes('*') && !origins.includes(origin)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      return true;
    },
    close() {
      for (const ws of wss.clients) {
        ws.close(CLOSE.goingAway, 'Server shutting down');
        setTimeout(() => ws.terminate(), 1000).unref();
      }
      wss.close();
    },
  };
}
