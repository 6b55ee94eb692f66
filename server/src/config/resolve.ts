/**
 * @module Resolves code options, the config file and the environment into one `AgentOSConfig`.
 *
 * Precedence, per option: code options, then the config file, then the environment, then the
 * defaults. Two exceptions mirror the Python AgentOS: `JWT_VERIFICATION_KEY` (and
 * `JWT_VERIFICATION_KEY_FILE`) are appended to the configured keys, and `CORS_ORIGIN_LIST`
 * extends the default origins (an explicit `corsAllowedOrigins` replaces both).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { compileRoles, compileScopeMappings, DEFAULT_ADMIN_SCOPE } from '@agentos/core';
import { type EnvLayer, readEnv } from './env.js';
import { closest, IssueCollector } from './errors.js';
import type { ConfigFile } from './file.js';
import {
  type AgentOSConfig,
  type AgentOSFileOptions,
  type AgentOSOptions,
  type AuthMode,
  type AuthorizationConfig,
  DEFAULT_CORS_ORIGINS,
  DEFAULT_EXCLUDED_ROUTE_PATHS,
  type EntityConfig,
  type JwsAlgorithm,
  SUPPORTED_ALGORITHMS,
  type TokenSource,
} from './options.js';
import { CODE_ONLY_KEYS, validateFileOptions } from './validate.js';

export const DEFAULT_PORT = 7777;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ID = 'agentos';
export const DEFAULT_LEEWAY_SECONDS = 10;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const MIN_HS_SECRET_BYTES = 32;

/** What `resolveConfig` reads. */
export interface ResolveInput {
  readonly options: AgentOSOptions;
  readonly file?: ConfigFile | null | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For relative paths from the environment. */
  readonly cwd: string;
}

interface Layer {
  readonly values: AgentOSFileOptions;
  readonly label: (path: string) => string;
  readonly baseDir: string;
}

interface Picked<T> {
  readonly value: T;
  readonly where: string;
  readonly baseDir: string;
}

function get(values: AgentOSFileOptions, path: string): unknown {
  let cur: unknown = values;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Resolves and validates the whole configuration.
 * @throws {ConfigError} listing every problem with its location and how to fix it
 * @example resolveConfig({ options: { id: 'my-os', authorization: true }, env: process.env, cwd: process.cwd() })
 */
export function resolveConfig(input: ResolveInput): AgentOSConfig {
  const issues = new IssueCollector();
  const codeValues = validateFileOptions(input.options, (p) => p, issues, CODE_ONLY_KEYS);
  const env: EnvLayer = readEnv(input.env, issues);
  const layers: Layer[] = [
    { values: codeValues, label: (p) => p, baseDir: input.options.baseDir ?? input.cwd },
  ];
  if (input.file) {
    const file = input.file;
    const name = file.path.split(/[\\/]/).pop() ?? file.path;
    layers.push({ values: file.values, label: (p) => `${name}: ${p}`, baseDir: file.baseDir });
  }
  layers.push({ values: env.values, label: (p) => env.where[p] ?? p, baseDir: input.cwd });

  function pick<T>(path: string): Picked<T> | undefined {
    for (const layer of layers) {
      const v = get(layer.values, path);
      if (v !== undefined) return { value: v as T, where: layer.label(path), baseDir: layer.baseDir };
    }
    return undefined;
  }
  const value = <T>(path: string, fallback: T): T => pick<T>(path)?.value ?? fallback;
  const warnings: string[] = [];

  // Identity.
  const idPicked = pick<string>('id');
  const id = idPicked?.value.trim() ?? DEFAULT_ID;
  const name = pick<string>('name')?.value ?? null;
  const description = pick<string>('description')?.value ?? null;
  const entities = (key: 'agents' | 'teams' | 'workflows'): readonly EntityConfig[] =>
    Object.freeze(pick<EntityConfig[]>(key)?.value ?? []);

  // Algorithms: `algorithms` wins over `algorithm` within the layer that sets either.
  let algPicked: Picked<string[]> | undefined;
  for (const layer of layers) {
    const list = get(layer.values, 'authorizationConfig.algorithms') as string[] | undefined;
    const one = get(layer.values, 'authorizationConfig.algorithm') as string | undefined;
    if (list !== undefined) {
      algPicked = {
        value: list,
        where: layer.label('authorizationConfig.algorithms'),
        baseDir: layer.baseDir,
      };
      break;
    }
    if (one !== undefined) {
      algPicked = {
        value: [one],
        where: layer.label('authorizationConfig.algorithm'),
        baseDir: layer.baseDir,
      };
      break;
    }
  }
  const algorithms = resolveAlgorithms(algPicked, issues);

  // Key sources.
  const verificationKeys: { value: string; where: string }[] = [];
  for (const layer of layers) {
    const keys = get(layer.values, 'authorizationConfig.verificationKeys') as string[] | undefined;
    keys?.forEach((k, i) => {
      const where =
        layer.label('authorizationConfig.verificationKeys') === 'JWT_VERIFICATION_KEY'
          ? 'JWT_VERIFICATION_KEY'
          : `${layer.label('authorizationConfig.verificationKeys')}[${i}]`;
      if (k.trim().length === 0)
        issues.add(where, 'is empty; give a PEM public key, a JWK, or a shared secret');
      else if (!verificationKeys.some((v) => v.value === k)) verificationKeys.push({ value: k, where });
    });
    const files = get(layer.values, 'authorizationConfig.verificationKeyFiles') as string[] | undefined;
    files?.forEach((f, i) => {
      const label = layer.label('authorizationConfig.verificationKeyFiles');
      const where = label === 'JWT_VERIFICATION_KEY_FILE' ? label : `${label}[${i}]`;
      const path = isAbsolute(f) ? f : resolvePath(layer.baseDir, f);
      try {
        const k = readFileSync(path, 'utf8');
        if (k.trim().length === 0) issues.add(where, `the file ${path} is empty`);
        else if (!verificationKeys.some((v) => v.value === k))
          verificationKeys.push({ value: k, where: `${where} (${path})` });
      } catch (e) {
        issues.add(
          where,
          `cannot read the key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    });
  }
  const jwksFilePicked = pick<string>('authorizationConfig.jwksFile');
  const jwksFile = jwksFilePicked
    ? isAbsolute(jwksFilePicked.value)
      ? jwksFilePicked.value
      : resolvePath(jwksFilePicked.baseDir, jwksFilePicked.value)
    : null;
  const jwksUrlPicked = pick<string>('authorizationConfig.jwksUrl');
  const jwksUrl = jwksUrlPicked ? checkUrl(jwksUrlPicked, 'the JWKS URL', issues, warnings) : null;
  const issuerPicked = pick<string>('authorizationConfig.issuer');
  const issuer = issuerPicked?.value.trim() ?? null;
  const hasKeys = verificationKeys.length > 0 || jwksFile !== null || jwksUrl !== null;
  const discovery = !hasKeys && issuer !== null;
  if (discovery && issuerPicked)
    checkUrl(issuerPicked, 'the issuer (used for OpenID discovery)', issues, warnings);

  // Mode.
  const authorization = value<boolean>('authorization', false);
  const keySourceConfigured = hasKeys || discovery;
  // Security-key mode (the Python AgentOS's OS_SECURITY_KEY): only without a JWT key source.
  const securityKeyPicked = pick<string>('securityKey');
  const securityKeyValue =
    securityKeyPicked && securityKeyPicked.value.length > 0 ? securityKeyPicked.value : null;
  const keyMode = securityKeyValue !== null && !keySourceConfigured;
  if (securityKeyValue !== null && keySourceConfigured) {
    warnings.push(
      `${securityKeyPicked?.where ?? 'securityKey'} is set but a JWT key source is configured: JWT wins and the security key is ignored. ` +
        'Unset it to silence this warning.',
    );
  }
  let mode: AuthMode = authorization || keyMode ? 'rbac' : keySourceConfigured ? 'verify' : 'open';
  if (authorization && !keySourceConfigured && !keyMode) {
    issues.add(
      pick('authorization')?.where ?? 'authorization',
      'authorization is enabled but no token verification key is configured. Set one of: ' +
        'authorizationConfig.verificationKeys (env JWT_VERIFICATION_KEY: a PEM public key, or a secret with algorithm HS256), ' +
        'authorizationConfig.jwksFile (JWT_JWKS_FILE), authorizationConfig.jwksUrl (JWT_JWKS_URL), ' +
        'or authorizationConfig.issuer (JWT_ISSUER) to find the keys by OpenID discovery; or set authorization: false',
    );
    mode = 'open';
  }
  const hsAllowed = algorithms.some((a) => a.startsWith('HS'));
  if (hsAllowed && (jwksUrl !== null || discovery) && verificationKeys.length === 0 && jwksFile === null) {
    const where = algPicked?.where ?? 'authorizationConfig.algorithm';
    if (algorithms.every((a) => a.startsWith('HS'))) {
      issues.add(
        where,
        `only HMAC algorithms (${algorithms.join(', ')}) are allowed but the keys come from a JWKS URL, which cannot hold shared secrets; ` +
          'allow the algorithm your identity provider signs with (e.g. RS256), or give the secret in authorizationConfig.verificationKeys',
      );
    }
  }
  for (const k of verificationKeys) {
    if (
      hsAllowed &&
      !looksLikeStructuredKey(k.value) &&
      Buffer.byteLength(k.value, 'utf8') < MIN_HS_SECRET_BYTES
    ) {
      warnings.push(
        `${k.where}: the shared secret is shorter than ${MIN_HS_SECRET_BYTES} bytes; RFC 7518 §3.2 requires at least 256 bits for HS256`,
      );
    }
  }

  // Audience.
  const verifyAudience = value<boolean>('authorizationConfig.verifyAudience', false);
  const audPicked = pick<string | string[]>('authorizationConfig.audience');
  const audience = audPicked ? (Array.isArray(audPicked.value) ? audPicked.value : [audPicked.value]) : [id];
  if (verifyAudience && !audPicked && !idPicked) {
    issues.add(
      pick('authorizationConfig.verifyAudience')?.where ?? 'authorizationConfig.verifyAudience',
      'audience verification is on but neither authorizationConfig.audience (JWT_AUDIENCE) nor id (AGENTOS_ID) is set; ' +
        'tokens must carry aud = one of them, so set the one your tokens carry',
    );
  }
  if (keyMode) {
    warnings.push(
      'security-key mode: one shared key (OS_SECURITY_KEY) grants full admin access to every route and cannot be scoped, ' +
        'attributed to a user or revoked without a restart. Use it for development only; configure JWT verification in production.',
    );
    if (securityKeyValue.length < 32 || /\s/.test(securityKeyValue)) {
      warnings.push(
        `${securityKeyPicked?.where ?? 'securityKey'}: the security key is shorter than 32 characters or contains whitespace; ` +
          'use a long random value, e.g. `openssl rand -base64 32`.',
      );
    }
  }
  if (mode === 'rbac' && !verifyAudience && !keyMode) {
    warnings.push(
      'authorization is on but audience verification is off: tokens minted for any other service trusted by the same key are accepted. ' +
        'Set authorizationConfig.verifyAudience: true (JWT_VERIFY_AUDIENCE=true) with the audience your tokens carry.',
    );
  }
  if (mode === 'verify') {
    warnings.push(
      'tokens are verified but scopes are not enforced (authorization is off): every valid token may call every endpoint. ' +
        'Set authorization: true (AUTHORIZATION_ENABLED=true) to enforce scopes.',
    );
  }
  if (mode === 'open') {
    warnings.push(
      'authentication is off: every endpoint is open. Set authorization: true and a verification key to protect the API.',
    );
  }

  // The security key is read from the Authorization header only (never a cookie or the query).
  const tokenSourcePicked = pick<TokenSource>('tokenSource');
  if (keyMode && tokenSourcePicked && tokenSourcePicked.value !== 'header') {
    warnings.push(
      `${tokenSourcePicked.where} is "${tokenSourcePicked.value}" but security-key mode reads the key from the Authorization header only; the cookie is ignored.`,
    );
  }

  // Claims and scopes.
  const adminScope = value<string>('authorizationConfig.adminScope', DEFAULT_ADMIN_SCOPE);
  const scopeMappingsPicked = pick<Record<string, string[]>>('scopeMappings');
  const scopeMappings = scopeMappingsPicked?.value ?? {};
  if (scopeMappingsPicked) {
    try {
      compileScopeMappings(scopeMappings, { adminScope });
    } catch (e) {
      issues.add(scopeMappingsPicked.where, (e as Error).message);
    }
  }
  const rolesPicked = pick<NonNullable<AuthorizationConfig['roles']>>('authorizationConfig.roles');
  const roles = rolesPicked?.value ?? {};
  if (rolesPicked) {
    try {
      compileRoles(roles, { adminScope });
    } catch (e) {
      issues.add(rolesPicked.where, (e as Error).message);
    }
  }
  const excludedPicked = pick<string[]>('excludedRoutePaths');
  const excludedRoutePaths = excludedPicked?.value ?? DEFAULT_EXCLUDED_ROUTE_PATHS;
  excludedRoutePaths.forEach((p, i) => {
    if (!p.startsWith('/') && !p.startsWith('*')) {
      issues.add(
        `${excludedPicked?.where ?? 'excludedRoutePaths'}[${i}]`,
        `"${p}" must start with "/" (fnmatch patterns like "/public/*")`,
      );
    }
  });
  const leewaySeconds = value<number>('authorizationConfig.leewaySeconds', DEFAULT_LEEWAY_SECONDS);
  if (leewaySeconds > 300) {
    warnings.push(
      `authorizationConfig.leewaySeconds is ${leewaySeconds} s; more than a few minutes of clock skew accepts long-expired tokens`,
    );
  }

  // CORS.
  const corsPicked = pick<string[]>('corsAllowedOrigins');
  const origins = corsPicked ? corsPicked.value : [...DEFAULT_CORS_ORIGINS, ...env.extraCorsOrigins];
  origins.forEach((o, i) => {
    if (o === '*') return;
    let ok = false;
    try {
      ok = new URL(o).origin === o;
    } catch {
      ok = false;
    }
    if (!ok) {
      const where = corsPicked ? `${corsPicked.where}[${i}]` : 'CORS_ORIGIN_LIST';
      issues.add(
        where,
        `${JSON.stringify(o)} is not an origin; write scheme://host[:port] with no path or trailing slash, e.g. https://app.example.com`,
      );
    }
  });
  if (origins.includes('*')) {
    warnings.push('CORS allows any origin ("*"); credentials (cookies) are then not allowed cross-origin');
  }

  // Server.
  const logLevelPicked = pick<string>('logLevel');
  const logLevel = logLevelPicked?.value ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    issues.add(
      logLevelPicked?.where ?? 'logLevel',
      `"${logLevel}" is not a log level; use one of ${LOG_LEVELS.join(', ')}`,
    );
  }

  issues.throwIfAny();
  return Object.freeze({
    id,
    name,
    description,
    agents: entities('agents'),
    teams: entities('teams'),
    workflows: entities('workflows'),
    auth: Object.freeze({
      mode,
      method: keyMode ? 'security_key' : keySourceConfigured ? 'jwt' : 'none',
      securityKey: keyMode ? securityKeyValue : null,
      verificationKeys: Object.freeze(verificationKeys),
      jwksFile,
      jwksUrl,
      issuer,
      discovery,
      algorithms,
      verifyAudience,
      audience: Object.freeze(audience),
      adminScope,
      roles: Object.freeze(roles),
      rolesClaim: value<string | null>('authorizationConfig.rolesClaim', null),
      trustTokenScopes: value<boolean>('authorizationConfig.trustTokenScopes', false),
      userIsolation: value<boolean>('authorizationConfig.userIsolation', false),
      leewaySeconds,
      jwksCacheMaxAgeSeconds: value<number>('authorizationConfig.jwksCacheMaxAgeSeconds', 600),
      jwksCooldownSeconds: value<number>('authorizationConfig.jwksCooldownSeconds', 30),
      jwksTimeoutSeconds: value<number>('authorizationConfig.jwksTimeoutSeconds', 5),
      tokenCacheSeconds: value<number>('authorizationConfig.tokenCacheSeconds', 60),
      tokenSource: keyMode ? 'header' : value<TokenSource>('tokenSource', 'header'),
      cookieName: value<string>('cookieName', 'access_token'),
      csrfProtection: value<boolean>('csrfProtection', true),
      scopesClaim: value<string>('scopesClaim', 'scopes'),
      userIdClaim: value<string>('userIdClaim', 'sub'),
      sessionIdClaim: value<string>('sessionIdClaim', 'session_id'),
      dependenciesClaims: Object.freeze(value<string[]>('dependenciesClaims', [])),
      sessionStateClaims: Object.freeze(value<string[]>('sessionStateClaims', [])),
      scopeMappings: Object.freeze(scopeMappings),
      excludedRoutePaths: Object.freeze([...excludedRoutePaths]),
    }),
    cors: Object.freeze({ origins: Object.freeze(origins) }),
    port: value<number>('port', DEFAULT_PORT),
    host: value<string>('host', DEFAULT_HOST),
    logLevel,
    decisionAudit: resolveDecisionAudit(
      value<boolean | { retentionDays?: number; maxRecords?: number }>('decisionAudit', false),
    ),
    features: Object.freeze({
      authz: value<boolean>('managedRoles', false),
      users: value<boolean>('userDirectory', false),
    }),
    warnings: Object.freeze(warnings),
  });
}

function resolveAlgorithms(
  picked: Picked<string[]> | undefined,
  issues: IssueCollector,
): readonly JwsAlgorithm[] {
  if (!picked) return Object.freeze(['RS256'] as JwsAlgorithm[]);
  const out: JwsAlgorithm[] = [];
  const supported = SUPPORTED_ALGORITHMS as readonly string[];
  if (picked.value.length === 0) {
    issues.add(picked.where, `is empty; use one or more of ${supported.join(', ')}`);
  }
  for (const raw of picked.value) {
    const alg = raw.trim();
    if (alg.toLowerCase() === 'none') {
      issues.add(
        picked.where,
        `"${alg}" is never allowed (unsigned tokens); use one of ${supported.join(', ')}`,
      );
    } else if (!supported.includes(alg)) {
      const hint = supported.find((s) => s.toLowerCase() === alg.toLowerCase()) ?? closest(alg, supported);
      issues.add(
        picked.where,
        `"${alg}" is not supported; use one of ${supported.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    } else if (!out.includes(alg as JwsAlgorithm)) {
      out.push(alg as JwsAlgorithm);
    }
  }
  return Object.freeze(out);
}

function checkUrl(
  picked: Picked<string>,
  what: string,
  issues: IssueCollector,
  warnings: string[],
): string | null {
  let url: URL;
  try {
    url = new URL(picked.value.trim());
  } catch {
    issues.add(picked.where, `${JSON.stringify(picked.value)} is not a URL; give ${what} as https://...`);
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    issues.add(picked.where, `${what} must be an https:// URL, got ${url.protocol}`);
    return null;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    warnings.push(
      `${picked.where}: ${what} uses plain http; keys fetched without TLS can be replaced in transit. Use https.`,
    );
  }
  return url.href;
}

/** PEM or JSON: not a shared secret. */
export function looksLikeStructuredKey(value: string): boolean {
  const v = value.trim();
  return v.startsWith('-----BEGIN') || v.startsWith('{');
}

/** `decisionAudit` (contract.md §9.6): off, or on with its bounds (30 days, 100 000 records by default). */
function resolveDecisionAudit(
  v: boolean | { retentionDays?: number; maxRecords?: number },
): { readonly retentionDays: number; readonly maxRecords: number } | null {
  if (v === false) return null;
  const o = v === true ? {} : v;
  return Object.freeze({ retentionDays: o.retentionDays ?? 30, maxRecords: o.maxRecords ?? 100_000 });
}
