/**
 * @module The AgentOS auth middleware (contract.md §1–§5): route lookup in the compiled table,
 * runtime scope overrides, excluded paths, token extraction and verification, the scope
 * decision, the caller context on `req.auth`, and one structured log line per request.
 */
import {
  type CallerContext,
  type CompiledRoute,
  compileScopeMappings,
  decide,
  type Grants,
  type Requirement,
  type RouteIndex,
  renderRequirement,
  type ScopeFilter,
} from '@agentos/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { ResolvedAuthConfig } from '../config/options.js';
import { anonymousCallerContext, buildCallerBase, buildCallerContext, type CallerBase } from './claims.js';
import './request-state.js';
import { AuthError, HttpError, insufficientScope } from './errors.js';
import { createPathExcluder } from './excluded.js';
import { createGrantResolver } from './grants.js';
import type { ManagedRoles } from './managed-roles.js';
import type { CredentialVerifier, Principal } from './principal.js';
import { securityKeyError } from './security-key.js';
import { extractToken } from './token.js';

/** Options of `createAuthMiddleware`, validated once. */
export interface AuthMiddlewareOptions {
  readonly config: ResolvedAuthConfig;
  /** The compiled route→scope table. */
  readonly index: RouteIndex;
  /** Turns a credential into a principal (`createCredentialVerifier`). */
  readonly verifier: CredentialVerifier;
  readonly logger: Logger;
  /**
   * Configured and stored roles, stored assignments and the user directory (contract.md §9.1,
   * §9.4), cached. A store that fails answers 503 (fail closed). Default: the configured roles.
   */
  readonly managed?: ManagedRoles | undefined;
  /** Called with every allow and deny on a request that presented a valid token (decision audit). */
  readonly onDecision?: ((event: AuthDecisionEvent) => void) | undefined;
}

/** One route decision, for the decision audit (contract.md §9.6). The token is never stored. */
export interface AuthDecisionEvent {
  readonly allowed: boolean;
  readonly principal: string | null;
  readonly method: string;
  readonly path: string;
  readonly operationId: string | null;
  readonly required: readonly string[];
  readonly scopes: readonly string[];
  readonly reason: string;
  readonly token: string;
  readonly jti: unknown;
}

const EMPTY_CLAIMS: JWTPayload = Object.freeze({});

/** Outcome codes of the decision log line. */
export type AuthDecisionLog =
  | 'allowed'
  | 'filtered'
  | 'denied'
  | 'unauthenticated'
  | 'public'
  | 'unavailable'
  | 'invalid_request';

/** What the request is about to reach, from the table and/or an override. */
interface Target {
  readonly operationId: string;
  readonly route: CompiledRoute | null;
  readonly params: Readonly<Record<string, string>>;
  readonly requirements: readonly Requirement[];
  readonly filter: ScopeFilter | undefined;
  /** `RouteSpec.anyOf` (generic profile): alternative exact scope sets. */
  readonly anyOf?: readonly (readonly string[])[] | undefined;
  readonly userOwned: boolean;
  readonly public: boolean;
  readonly template: string;
}

/**
 * Creates the auth middleware.
 * @throws {TypeError} when `config.scopeMappings` is malformed (the config resolver reports it first)
 * @example app.use(createAuthMiddleware({ config: config.auth, index: compileRoutes(routes), verifier, logger }))
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions): RequestHandler {
  const { config, index, verifier, logger, onDecision } = options;
  const scopeOptions = { adminScope: config.adminScope };
  const overrides = compileScopeMappings(config.scopeMappings, scopeOptions);
  // Roles are compiled once; every request resolves its grants against them (core/src/roles.ts).
  const grantsOf = createGrantResolver(config, options.managed);
  const managed = options.managed;
  const isExcluded = createPathExcluder(config.excludedRoutePaths);
  const tokenOptions = { tokenSource: config.tokenSource, cookieName: config.cookieName };
  const rbac = config.mode === 'rbac';
  const varyOn = config.tokenSource === 'header' ? 'Authorization' : 'Authorization, Cookie';

  function resolveTarget(
    method: string,
    path: string,
  ): { target: Target | null; match: ReturnType<RouteIndex['match']> } {
    const match = index.match(method, path);
    const override = overrides.size > 0 ? overrides.find(method, path) : undefined;
    if (override) {
      const route = match.kind === 'found' ? match.route : null;
      return {
        match,
        target: {
          operationId: route?.spec.operationId ?? override.key,
          route,
          params: { ...(match.kind === 'found' ? match.params : {}), ...override.params },
          requirements: override.requirements,
          filter: route?.spec.filter,
          userOwned: route?.spec.userOwned ?? false,
          public: override.public,
          template: route?.spec.path ?? override.key.replace(/^\S+\s+/, ''),
        },
      };
    }
    if (match.kind !== 'found') return { match, target: null };
    const { route, params } = match;
    return {
      match,
      target: {
        operationId: route.spec.operationId,
        route,
        params,
        requirements: route.requirements,
        filter: route.spec.filter,
        anyOf: route.anyOf,
        userOwned: route.spec.userOwned,
        public: route.spec.public,
        template: route.spec.path,
      },
    };
  }

  function log(
    level: 'debug' | 'info' | 'warn' | 'error',
    req: Request,
    target: Target | null,
    decision: AuthDecisionLog,
    reason: string,
    sub: string | null,
    required?: readonly string[],
  ): void {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        auth: {
          decision,
          reason,
          sub,
          operationId: target?.operationId ?? null,
          method: req.method,
          route: target?.template ?? null,
          required: required ?? target?.requirements.map((r) => r.template) ?? [],
        },
      },
      `auth ${decision}`,
    );
  }

  /** Refuses the request with a credential error (logged as its kind). */
  function refuse(caught: unknown, req: Request, target: Target | null, next: NextFunction): void {
    const e = config.method === 'security_key' ? securityKeyError(caught) : caught;
    if (e instanceof AuthError) {
      const decision: AuthDecisionLog =
        e.code === 'ERR_KEYS_UNAVAILABLE'
          ? 'unavailable'
          : e.code === 'ERR_AUTH_INVALID_REQUEST'
            ? 'invalid_request'
            : 'unauthenticated';
      log(decision === 'unavailable' ? 'error' : 'info', req, target, decision, e.reason, null);
    }
    next(e);
  }

  // The credential's part of the caller context, once per shared (frozen) grants object: a cached
  // token's grants are computed once (`grantsOf.now`), so is this.
  const bases = new WeakMap<Grants, CallerBase>();
  function baseOf(principal: Principal, claims: JWTPayload, grants: Grants): CallerBase {
    const shared = Object.isFrozen(grants);
    let base = shared ? bases.get(grants) : undefined;
    if (base === undefined) {
      base = buildCallerBase({
        claims,
        grants,
        userId: principal.subject,
        sessionIdClaim: config.sessionIdClaim,
        dependenciesClaims: config.dependenciesClaims,
        sessionStateClaims: config.sessionStateClaims,
      });
      if (shared) bases.set(grants, base);
    }
    return base;
  }

  /** The user directory (contract.md §9.4) applies to this principal: a JWT with a subject. */
  const directoryApplies = (principal: Principal): boolean =>
    managed?.hasDirectory === true &&
    principal.kind === 'jwt' &&
    principal.subject !== null &&
    principal.subject !== '';

  /**
   * The route decision for an authenticated principal with its grants, synchronous: sets
   * `req.auth` and calls `next` (with the error on a deny).
   */
  function authorize(
    req: Request,
    res: Response,
    next: NextFunction,
    target: Target | null,
    match: ReturnType<RouteIndex['match']>,
    principal: Principal,
    grants: Grants,
    token: string,
  ): void {
    const sub = principal.subject;
    const claims: JWTPayload = principal.kind === 'jwt' ? principal.claims : EMPTY_CLAIMS;
    // Authenticated answers vary by credential; keep them out of shared caches.
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', varyOn);
    else res.vary(varyOn);
    res.setHeader('Cache-Control', 'private, no-store');

    const base = baseOf(principal, claims, grants);
    const caller = (accessibleIds: CallerContext['accessibleIds']) =>
      buildCallerContext(
        {
          operationId: target?.operationId ?? '',
          claims,
          grants,
          userId: sub,
          sessionIdClaim: config.sessionIdClaim,
          dependenciesClaims: config.dependenciesClaims,
          sessionStateClaims: config.sessionStateClaims,
          accessibleIds,
          isolate: config.userIsolation && (target?.userOwned ?? false),
        },
        base,
      );

    if (!target) {
      // Unknown path or method: the caller is authenticated, so a custom route or the 404/405
      // fallback answers. Without a valid token the request never got here (401).
      req.auth = caller(null);
      const reason = match.kind === 'method-not-allowed' ? 'method_not_allowed' : 'unmatched';
      log('info', req, null, 'allowed', reason, sub);
      next();
      return;
    }
    const filterAll = target.filter ? ('*' as const) : null;
    if (!rbac) {
      req.auth = caller(filterAll);
      log('info', req, target, 'allowed', 'rbac_off', sub);
      next();
      return;
    }
    const decision = decide(
      { requirements: target.requirements, filter: target.filter, anyOf: target.anyOf },
      target.params,
      grants,
    );
    const audit = (allowed: boolean, reason: string, required: () => readonly string[]) =>
      onDecision?.({
        allowed,
        principal: sub,
        method: req.method,
        path: req.path,
        operationId: target.operationId,
        required: required(),
        scopes: grants.scopes,
        reason,
        token,
        jti: claims.jti,
      });
    if (decision.effect === 'deny') {
      log('info', req, target, 'denied', 'insufficient_scope', sub, decision.required);
      audit(false, 'insufficient_scope', () => decision.required);
      next(insufficientScope(decision.required));
      return;
    }
    req.auth = caller(decision.accessibleIds);
    const filtered = decision.effect === 'filter';
    audit(true, filtered ? 'per_resource_scopes' : 'scopes_satisfied', () =>
      target.requirements.map((r) => renderRequirement(r, target.params)),
    );
    log(
      'info',
      req,
      target,
      filtered ? 'filtered' : 'allowed',
      filtered ? 'per_resource_scopes' : 'scopes_satisfied',
      sub,
    );
    next();
  }

  /** The path that waits: verification, the user directory, stored roles. */
  async function authenticateAndAuthorize(
    req: Request,
    res: Response,
    next: NextFunction,
    target: Target | null,
    match: ReturnType<RouteIndex['match']>,
    token: string,
    known: Principal | undefined,
  ): Promise<void> {
    let principal: Principal;
    try {
      principal = known ?? (await verifier.authenticate(token));
    } catch (caught) {
      refuse(caught, req, target, next);
      return;
    }
    const sub = principal.subject;
    // The user directory (contract.md §9.4): a JWT subject is provisioned on first sight, and a
    // disabled one is refused on every operation, whatever it holds (the admin scope included).
    if (managed && directoryApplies(principal) && sub !== null) {
      const claims: JWTPayload = principal.kind === 'jwt' ? principal.claims : EMPTY_CLAIMS;
      let disabled: boolean | null;
      try {
        disabled = await managed.disabled(sub, {
          email: typeof claims.email === 'string' ? claims.email : null,
          name: typeof claims.name === 'string' ? claims.name : null,
        });
      } catch (e) {
        log('error', req, target, 'unavailable', 'user_directory_unavailable', sub);
        next(new HttpError(503, 'User directory unavailable', { headers: { 'Retry-After': '5' }, cause: e }));
        return;
      }
      if (disabled) {
        log('info', req, target, 'denied', 'user_disabled', sub);
        onDecision?.({
          allowed: false,
          principal: sub,
          method: req.method,
          path: req.path,
          operationId: target?.operationId ?? null,
          required: target?.requirements.map((r) => renderRequirement(r, target.params)) ?? [],
          scopes: [],
          reason: 'user_disabled',
          token,
          jti: claims.jti,
        });
        next(new HttpError(403, 'User is disabled'));
        return;
      }
    }
    let grants: Grants;
    try {
      grants = grantsOf.now(principal) ?? (await grantsOf(principal));
    } catch (e) {
      log('error', req, target, 'unavailable', 'role_assignments_unavailable', sub);
      next(
        new HttpError(503, 'Authorization unavailable', {
          headers: { 'Retry-After': '5' },
          cause: e,
        }),
      );
      return;
    }
    authorize(req, res, next, target, match, principal, grants, token);
  }

  /**
   * A cached token with fixed roles and no user directory is decided synchronously (no promise
   * on the way: `verifier.cached`, `grantsOf.now`); everything else waits in
   * `authenticateAndAuthorize`. Both run the same checks in the same order.
   */
  return function agentosAuth(req: Request, res: Response, next: NextFunction): Promise<void> | undefined {
    const { target, match } = resolveTarget(req.method, req.path);
    if (match.kind === 'found' && target?.route) req.agentos = { route: target.route, params: target.params };

    // Public operations and excluded paths ignore any credential, even a garbage one.
    if (config.mode === 'open' || isExcluded(req.path) || target?.public) {
      req.auth = anonymousCallerContext(target?.operationId ?? '', target?.filter ? '*' : null);
      // Health checks and docs are frequent and carry no decision: debug level.
      log(
        'debug',
        req,
        target,
        'public',
        config.mode === 'open' ? 'auth_off' : target?.public ? 'public_operation' : 'excluded_path',
        null,
      );
      next();
      return undefined;
    }

    let token: string;
    let principal: Principal | undefined;
    try {
      token = extractToken(req, tokenOptions);
      principal = verifier.cached?.(token);
    } catch (caught) {
      refuse(caught, req, target, next);
      return undefined;
    }
    if (principal !== undefined && !directoryApplies(principal)) {
      const grants = grantsOf.now(principal);
      if (grants !== undefined) {
        authorize(req, res, next, target, match, principal, grants, token);
        return undefined;
      }
    }
    return authenticateAndAuthorize(req, res, next, target, match, token, principal);
  };
}
