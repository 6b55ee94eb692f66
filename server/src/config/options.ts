/**
 * @module The options of `createAgentOS`, the config file and the environment, and the one
 * resolved context object (`AgentOSConfig`) that everything downstream reads.
 *
 * The option names mirror the seeds' Python `AgentOS(...)` / `AuthorizationConfig(...)` /
 * `JWTMiddleware(...)` keywords in camelCase (`verification_keys` → `verificationKeys`).
 */
import type { CallerContext, RouteSpec } from '@agentos/core';
import type { Router } from 'express';
import type { Logger } from 'pino';

/** Where the token is read from (contract.md §1). `both` tries the header first. */
export type TokenSource = 'header' | 'cookie' | 'both';

/** JWS algorithms the verifier can be configured with (RFC 7518 §3, RFC 8037). `none` never is. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'HS256',
  'HS384',
  'HS512',
] as const;
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** `AuthorizationConfig` of the seeds, plus the knobs a real identity provider needs. */
export interface AuthorizationConfig {
  /**
   * Keys that may verify a token, any of them (rotation without downtime): PEM public keys
   * (SPKI or PKCS#1), PEM X.509 certificates, JWK or JWKS JSON, or shared secrets for HS*.
   * `JWT_VERIFICATION_KEY` is appended.
   */
  verificationKeys?: string[] | undefined;
  /** Files holding one such key each (Docker/Kubernetes secrets). `JWT_VERIFICATION_KEY_FILE` is appended. */
  verificationKeyFiles?: string[] | undefined;
  /** A JWKS file; the key is chosen by `kid`, a key without `kid` is the default. Env `JWT_JWKS_FILE`. */
  jwksFile?: string | undefined;
  /** A JWKS URL, fetched and cached (jose `createRemoteJWKSet`). Env `JWT_JWKS_URL`. */
  jwksUrl?: string | undefined;
  /** One allowed algorithm (default `RS256`). Env `JWT_ALGORITHM` (a comma list is allowed). */
  algorithm?: string | undefined;
  /** Several allowed algorithms; wins over `algorithm`. */
  algorithms?: string[] | undefined;
  /** Check `aud` against `audience`, else the OS id (default false, as in the seeds). Env `JWT_VERIFY_AUDIENCE`. */
  verifyAudience?: boolean | undefined;
  /** The accepted audience(s). Env `JWT_AUDIENCE` (comma list). */
  audience?: string | string[] | undefined;
  /**
   * The required `iss`. When no key source is configured, the JWKS is found by OpenID discovery
   * at `<issuer>/.well-known/openid-configuration`. Env `JWT_ISSUER`.
   */
  issuer?: string | undefined;
  /** The admin scope, an exact string (default `agent_os:admin`). Env `AGENTOS_ADMIN_SCOPE`. */
  adminScope?: string | undefined;
  /**
   * Roles (AgentOS 3.1): name → the scopes it allows and denies (deny beats allow); a list is all
   * allows. With roles, a caller's grants come from its roles (the `rolesClaim`) and the token's
   * scopes are ignored unless `trustTokenScopes`. An unknown role grants nothing.
   */
  roles?: Record<string, { allow?: string[]; deny?: string[] } | string[]> | undefined;
  /** The claim naming the caller's roles (a string or a list). Env `JWT_ROLES_CLAIM`. */
  rolesClaim?: string | undefined;
  /**
   * With roles: the token's scopes count as well, and override a role's deny (agno
   * `trust_token_scopes`). Default false. Env `AGENTOS_TRUST_TOKEN_SCOPES`.
   */
  trustTokenScopes?: boolean | undefined;
  /** Per-user row isolation for non-admin callers (contract.md §5). Env `AGENTOS_USER_ISOLATION`. */
  userIsolation?: boolean | undefined;
  /** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds (default 10). Env `JWT_LEEWAY_SECONDS`. */
  leewaySeconds?: number | undefined;
  /** How long a fetched JWKS is used before refetching, in seconds (default 600). */
  jwksCacheMaxAgeSeconds?: number | undefined;
  /** Minimum time between refetches caused by an unknown `kid`, in seconds (default 30). */
  jwksCooldownSeconds?: number | undefined;
  /** Timeout of a JWKS or discovery fetch, in seconds (default 5). */
  jwksTimeoutSeconds?: number | undefined;
  /**
   * How long a verified token is reused without checking its signature again, in seconds
   * (default 60; 0 turns the cache off). `exp` is still checked on every request; at most
   * `TOKEN_CACHE_ENTRIES` tokens are kept. Env `JWT_CACHE_SECONDS`.
   */
  tokenCacheSeconds?: number | undefined;
}

/** An agent, team or workflow as configured (the config-only operations serve these). */
export interface EntityConfig {
  id: string;
  name?: string | undefined;
  description?: string | undefined;
  /** `"provider:model-id"`, a model id, or `{ id, provider, name }`. */
  model?: string | { id: string; provider?: string; name?: string } | undefined;
  [key: string]: unknown;
}

/** The serialisable part of the options: what a config file may hold. */
export interface AgentOSFileOptions {
  /** The OS id; the default audience when `verifyAudience` is on. Env `AGENTOS_ID`. */
  id?: string | undefined;
  name?: string | undefined;
  description?: string | undefined;
  agents?: EntityConfig[] | undefined;
  teams?: EntityConfig[] | undefined;
  workflows?: EntityConfig[] | undefined;
  /** Enforce scopes (RBAC). Without it, tokens are verified when a key is configured but every valid token may call everything. Env `AUTHORIZATION_ENABLED`. */
  authorization?: boolean | undefined;
  /**
   * Security-key mode (development only): with no JWT key source configured, every non-public
   * route requires `Authorization: Bearer <securityKey>`, and the key is a trusted root (admin).
   * Service-account tokens keep working with their own scopes. Ignored, with a warning, when a JWT
   * key source is configured. Env `OS_SECURITY_KEY`.
   */
  securityKey?: string | undefined;
  authorizationConfig?: AuthorizationConfig | undefined;
  /** Env `JWT_TOKEN_SOURCE`. Default `header`. */
  tokenSource?: TokenSource | undefined;
  /** Cookie holding the token for `tokenSource` cookie/both. Default `access_token`. Env `JWT_COOKIE_NAME`. */
  cookieName?: string | undefined;
  /**
   * With `tokenSource` cookie/both: refuse state-changing requests authenticated by the cookie
   * unless they come from this origin or a CORS origin (`Origin` / `Sec-Fetch-Site`). Default true.
   */
  csrfProtection?: boolean | undefined;
  /** Claim holding the scopes. Default `scopes`; `scope`/`scp` are split on spaces (RFC 9068). Env `JWT_SCOPES_CLAIM`. */
  scopesClaim?: string | undefined;
  /** Default `sub`. Env `JWT_USER_ID_CLAIM`. */
  userIdClaim?: string | undefined;
  /** Default `session_id`. Env `JWT_SESSION_ID_CLAIM`. */
  sessionIdClaim?: string | undefined;
  /** Claims copied into `req.auth.dependencies`. */
  dependenciesClaims?: string[] | undefined;
  /** Claims copied into `req.auth.sessionState`. */
  sessionStateClaims?: string[] | undefined;
  /** `"METHOD /path": [scopes]` overrides of the generated table; `[]` makes a route public. */
  scopeMappings?: Record<string, string[]> | undefined;
  /** fnmatch patterns of paths that skip authentication. Replaces the default list. */
  excludedRoutePaths?: string[] | undefined;
  /** Allowed CORS origins; replaces the defaults. `["*"]` allows any origin without credentials. Env `CORS_ORIGIN_LIST` extends the defaults. */
  corsAllowedOrigins?: string[] | undefined;
  /** Port for the CLI (default 7777). Env `PORT`. */
  port?: number | undefined;
  /** Host for the CLI (default 127.0.0.1). Env `AGENTOS_HOST` (not `HOST`, which some shells set to the machine name). */
  host?: string | undefined;
  /** pino level (default `info`). Env `LOG_LEVEL`. */
  logLevel?: string | undefined;
  /**
   * Roles stored in the database and managed through `/authz` (feature `authz`, agno's
   * `Authorization` with a role store). With it, roles are in force from the start: a caller's
   * grants come from its roles (configured and stored), and the token's scopes are ignored unless
   * `trustTokenScopes` (contract.md §9.1). Default false. Env `AGENTOS_MANAGED_ROLES`.
   */
  managedRoles?: boolean | undefined;
  /**
   * The user directory `/users` (feature `users`, agno's `AgentOS(user_directory=True)`): subjects
   * provisioned from their token on first sight, and a `disabled` switch denying a subject on every
   * request (contract.md §9.4). Default false. Env `AGENTOS_USER_DIRECTORY`.
   */
  userDirectory?: boolean | undefined;
  /**
   * Record every allow and deny of requests with a token (contract.md §9.6) in the database, read by
   * `GET /authz/decisions`: `true`, or the bounds `{ retentionDays (default 30), maxRecords (default
   * 100 000) }`. Default off (as agno's `Authorization(audit=False)`). Env `AGENTOS_DECISION_AUDIT`.
   */
  decisionAudit?: boolean | { retentionDays?: number; maxRecords?: number } | undefined;
}

/** What an operation handler receives (the generated router's `HandlerContext` plus the request parts). */
export interface OperationRequest {
  /** Decoded path parameters. */
  readonly path: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: unknown;
  readonly headers: import('node:http').IncomingHttpHeaders;
  /** `req.auth`. */
  readonly caller: CallerContext;
  readonly req: import('express').Request;
  readonly res: import('express').Response;
}

/** What an operation handler returns: a status and an optional JSON body. */
export interface OperationResult {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A handler of one operation, in the generated router's form (request in, result out). */
export type OperationHandler = (request: OperationRequest) => OperationResult | Promise<OperationResult>;

/** `createAgentOS(options)`. */
export interface AgentOSOptions extends AgentOSFileOptions {
  /** Add custom routes; they run after authentication and before the 404 fallback. */
  routes?: ((router: Router) => void) | undefined;
  /** Handlers that replace or add to the built-in ones, by operationId. */
  handlers?: Record<string, OperationHandler> | undefined;
  /** The logger; default a pino logger on stderr at `logLevel`. */
  logger?: Logger | undefined;
  /** The environment to read (default `process.env`; pass `{}` for none). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The clock (tests freeze it). Default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /** The route→scope table; default the one generated from the spec. */
  routeTable?: readonly RouteSpec[] | undefined;
  /**
   * The spec the generated table must come from (checked at start; default `@agentos/spec`'s
   * `agentos.openapi.yaml`). Not used with a `routeTable` of your own.
   */
  specFile?: string | undefined;
  /** Base directory for relative paths (`jwksFile`, `verificationKeyFiles`). Default the cwd. */
  baseDir?: string | undefined;
}

/** The default `excludedRoutePaths` (the seeds' public routes). */
export const DEFAULT_EXCLUDED_ROUTE_PATHS: readonly string[] = Object.freeze([
  '/',
  '/health',
  '/info',
  '/docs',
  '/redoc',
  '/openapi.json',
  '/docs/oauth2-redirect',
]);

/** The Python AgentOS's default CORS origins (`settings.py`). */
export const DEFAULT_CORS_ORIGINS: readonly string[] = Object.freeze([
  'http://localhost:3000',
  'http://localhost:8000',
  'http://127.0.0.1:8000',
  'https://agno.com',
  'https://www.agno.com',
  'https://app.agno.com',
  'https://os-stg.agno.com',
  'https://os.agno.com',
]);

/** Authentication mode, derived from `authorization` and the key sources. */
export type AuthMode =
  /** No key source and authorization off: every endpoint is open. */
  | 'open'
  /** A key source but authorization off: a valid token is needed, scopes are not checked. */
  | 'verify'
  /** Authorization on: tokens verified and scopes enforced. */
  | 'rbac';

/** How the REST and WebSocket planes authenticate, as `GET /info` reports it (`auth_mode`). */
export type AuthMethod = 'none' | 'security_key' | 'jwt';

/** The resolved authentication settings. */
export interface ResolvedAuthConfig {
  /** In security-key mode `rbac`: the key is an admin root, service-account scopes are enforced. */
  readonly mode: AuthMode;
  readonly method: AuthMethod;
  /** The shared key of security-key mode (null otherwise, also when JWT wins over a configured key). */
  readonly securityKey: string | null;
  readonly verificationKeys: readonly { readonly value: string; readonly where: string }[];
  readonly jwksFile: string | null;
  readonly jwksUrl: string | null;
  readonly issuer: string | null;
  /** Use OpenID discovery to find the JWKS (only the issuer is configured). */
  readonly discovery: boolean;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly verifyAudience: boolean;
  /** Accepted audiences when `verifyAudience` (configured, else the OS id). */
  readonly audience: readonly string[];
  readonly adminScope: string;
  /** The configured roles, as given (compile them with core's `compileRoles`). */
  readonly roles: Readonly<
    Record<
      string,
      { readonly allow?: readonly string[]; readonly deny?: readonly string[] } | readonly string[]
    >
  >;
  readonly rolesClaim: string | null;
  readonly trustTokenScopes: boolean;
  readonly userIsolation: boolean;
  readonly leewaySeconds: number;
  readonly jwksCacheMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutSeconds: number;
  readonly tokenCacheSeconds: number;
  readonly tokenSource: TokenSource;
  readonly cookieName: string;
  /** Refuse cross-site state-changing requests authenticated by the cookie (default true). */
  readonly csrfProtection: boolean;
  readonly scopesClaim: string;
  readonly userIdClaim: string;
  readonly sessionIdClaim: string;
  readonly dependenciesClaims: readonly string[];
  readonly sessionStateClaims: readonly string[];
  readonly scopeMappings: Readonly<Record<string, readonly string[]>>;
  readonly excludedRoutePaths: readonly string[];
}

/** Everything `createAgentOS` runs with, resolved once at the entry point. */
export interface AgentOSConfig {
  readonly id: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly agents: readonly EntityConfig[];
  readonly teams: readonly EntityConfig[];
  readonly workflows: readonly EntityConfig[];
  readonly auth: ResolvedAuthConfig;
  readonly cors: { readonly origins: readonly string[] };
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** The 3.1 feature families this server mounts (`x-agentos-feature`): `authz`, `users`. */
  readonly features: { readonly authz: boolean; readonly users: boolean };
  /** The decision audit's bounds, or null when it is off (contract.md §9.6). */
  readonly decisionAudit: { readonly retentionDays: number; readonly maxRecords: number } | null;
  /** Things worth saying at start (audience verification off, weak secret, …). */
  readonly warnings: readonly string[];
}
