/**
 * @module Environment variables → options. The only module that interprets the environment; it
 * receives the environment as an argument (the entry point passes `process.env`).
 */
import type { IssueCollector } from './errors.js';
import type { AgentOSFileOptions, AuthorizationConfig, TokenSource } from './options.js';

/** The environment variables AgentOS reads, with the option each one sets. */
export const ENV_VARS = {
  AGENTOS_ID: 'id',
  AGENTOS_NAME: 'name',
  AGENTOS_DESCRIPTION: 'description',
  AUTHORIZATION_ENABLED: 'authorization',
  OS_SECURITY_KEY: 'securityKey',
  JWT_VERIFICATION_KEY: 'authorizationConfig.verificationKeys (appended)',
  JWT_VERIFICATION_KEY_FILE: 'authorizationConfig.verificationKeyFiles (appended)',
  JWT_JWKS_FILE: 'authorizationConfig.jwksFile',
  JWT_JWKS_URL: 'authorizationConfig.jwksUrl',
  JWT_ISSUER: 'authorizationConfig.issuer',
  JWT_AUDIENCE: 'authorizationConfig.audience (comma list)',
  JWT_ALGORITHM: 'authorizationConfig.algorithms (comma list)',
  JWT_VERIFY_AUDIENCE: 'authorizationConfig.verifyAudience',
  JWT_LEEWAY_SECONDS: 'authorizationConfig.leewaySeconds',
  JWT_CACHE_SECONDS: 'authorizationConfig.tokenCacheSeconds',
  AGENTOS_ADMIN_SCOPE: 'authorizationConfig.adminScope',
  AGENTOS_USER_ISOLATION: 'authorizationConfig.userIsolation',
  JWT_ROLES_CLAIM: 'authorizationConfig.rolesClaim',
  AGENTOS_TRUST_TOKEN_SCOPES: 'authorizationConfig.trustTokenScopes',
  JWT_TOKEN_SOURCE: 'tokenSource',
  JWT_COOKIE_NAME: 'cookieName',
  JWT_SCOPES_CLAIM: 'scopesClaim',
  JWT_USER_ID_CLAIM: 'userIdClaim',
  JWT_SESSION_ID_CLAIM: 'sessionIdClaim',
  CORS_ORIGIN_LIST: 'corsAllowedOrigins (comma list or JSON array; extends the defaults)',
  PORT: 'port',
  AGENTOS_HOST: 'host',
  LOG_LEVEL: 'logLevel',
  AGENTOS_CONFIG: 'the config file (CLI)',
  AGENTOS_MANAGED_ROLES: 'managedRoles',
  AGENTOS_USER_DIRECTORY: 'userDirectory',
  AGENTOS_DECISION_AUDIT: 'decisionAudit (true: on with the default bounds)',
} as const;

export type EnvVar = keyof typeof ENV_VARS;

/** Options read from the environment, with the variable behind each option path. */
export interface EnvLayer {
  readonly values: AgentOSFileOptions;
  /** Option path → environment variable, for messages. */
  readonly where: Readonly<Record<string, EnvVar>>;
  /** `CORS_ORIGIN_LIST`, which extends the default origins rather than replacing them. */
  readonly extraCorsOrigins: readonly string[];
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function list(value: string): string[] {
  const v = value.trim();
  if (v.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed))
        return parsed.filter((s): s is string => typeof s === 'string' && s.length > 0);
    } catch {
      // fall through to the comma form
    }
  }
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Reads the AgentOS environment variables. Empty values count as unset.
 * @param env the environment (the entry point passes `process.env`)
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>, issues: IssueCollector): EnvLayer {
  const values: AgentOSFileOptions = {};
  const authz: AuthorizationConfig = {};
  const where: Record<string, EnvVar> = {};
  const get = (name: EnvVar): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const bool = (name: EnvVar): boolean | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const lower = v.trim().toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    issues.add(name, `must be true or false (also 1/0, yes/no, on/off), got ${JSON.stringify(v)}`);
    return undefined;
  };
  const num = (name: EnvVar, integer: boolean): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v.trim());
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      issues.add(name, `must be a ${integer ? 'whole ' : ''}number >= 0, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  };
  const set = <K extends keyof AgentOSFileOptions>(
    key: K,
    value: AgentOSFileOptions[K] | undefined,
    name: EnvVar,
  ) => {
    if (value === undefined) return;
    values[key] = value;
    where[key] = name;
  };
  const setAuthz = <K extends keyof AuthorizationConfig>(
    key: K,
    value: AuthorizationConfig[K] | undefined,
    name: EnvVar,
  ) => {
    if (value === undefined) return;
    authz[key] = value;
    where[`authorizationConfig.${key}`] = name;
  };

  set('id', get('AGENTOS_ID')?.trim(), 'AGENTOS_ID');
  set('name', get('AGENTOS_NAME'), 'AGENTOS_NAME');
  set('description', get('AGENTOS_DESCRIPTION'), 'AGENTOS_DESCRIPTION');
  set('authorization', bool('AUTHORIZATION_ENABLED'), 'AUTHORIZATION_ENABLED');
  set('managedRoles', bool('AGENTOS_MANAGED_ROLES'), 'AGENTOS_MANAGED_ROLES');
  set('userDirectory', bool('AGENTOS_USER_DIRECTORY'), 'AGENTOS_USER_DIRECTORY');
  set('decisionAudit', bool('AGENTOS_DECISION_AUDIT'), 'AGENTOS_DECISION_AUDIT');
  // An empty OS_SECURITY_KEY is unset, as in the Python AgentOS (a falsy key turns the mode off).
  const securityKey = get('OS_SECURITY_KEY');
  set('securityKey', securityKey === '' ? undefined : securityKey, 'OS_SECURITY_KEY');
  const key = get('JWT_VERIFICATION_KEY');
  setAuthz('verificationKeys', key === undefined ? undefined : [key], 'JWT_VERIFICATION_KEY');
  const keyFile = get('JWT_VERIFICATION_KEY_FILE');
  setAuthz(
    'verificationKeyFiles',
    keyFile === undefined ? undefined : [keyFile.trim()],
    'JWT_VERIFICATION_KEY_FILE',
  );
  setAuthz('jwksFile', get('JWT_JWKS_FILE')?.trim(), 'JWT_JWKS_FILE');
  setAuthz('jwksUrl', get('JWT_JWKS_URL')?.trim(), 'JWT_JWKS_URL');
  setAuthz('issuer', get('JWT_ISSUER')?.trim(), 'JWT_ISSUER');
  const aud = get('JWT_AUDIENCE');
  setAuthz('audience', aud === undefined ? undefined : list(aud), 'JWT_AUDIENCE');
  const alg = get('JWT_ALGORITHM');
  setAuthz('algorithms', alg === undefined ? undefined : list(alg), 'JWT_ALGORITHM');
  setAuthz('verifyAudience', bool('JWT_VERIFY_AUDIENCE'), 'JWT_VERIFY_AUDIENCE');
  setAuthz('leewaySeconds', num('JWT_LEEWAY_SECONDS', false), 'JWT_LEEWAY_SECONDS');
  setAuthz('tokenCacheSeconds', num('JWT_CACHE_SECONDS', false), 'JWT_CACHE_SECONDS');
  setAuthz('adminScope', get('AGENTOS_ADMIN_SCOPE'), 'AGENTOS_ADMIN_SCOPE');
  setAuthz('userIsolation', bool('AGENTOS_USER_ISOLATION'), 'AGENTOS_USER_ISOLATION');
  setAuthz('rolesClaim', get('JWT_ROLES_CLAIM')?.trim(), 'JWT_ROLES_CLAIM');
  setAuthz('trustTokenScopes', bool('AGENTOS_TRUST_TOKEN_SCOPES'), 'AGENTOS_TRUST_TOKEN_SCOPES');
  const source = get('JWT_TOKEN_SOURCE')?.trim().toLowerCase();
  if (source !== undefined && source !== 'header' && source !== 'cookie' && source !== 'both') {
    issues.add('JWT_TOKEN_SOURCE', `must be "header", "cookie" or "both", got ${JSON.stringify(source)}`);
  } else {
    set('tokenSource', source as TokenSource | undefined, 'JWT_TOKEN_SOURCE');
  }
  set('cookieName', get('JWT_COOKIE_NAME')?.trim(), 'JWT_COOKIE_NAME');
  set('scopesClaim', get('JWT_SCOPES_CLAIM')?.trim(), 'JWT_SCOPES_CLAIM');
  set('userIdClaim', get('JWT_USER_ID_CLAIM')?.trim(), 'JWT_USER_ID_CLAIM');
  set('sessionIdClaim', get('JWT_SESSION_ID_CLAIM')?.trim(), 'JWT_SESSION_ID_CLAIM');
  const port = num('PORT', true);
  if (port !== undefined && port > 65535)
    issues.add('PORT', `must be a port number between 0 and 65535, got ${port}`);
  else set('port', port, 'PORT');
  set('host', get('AGENTOS_HOST')?.trim(), 'AGENTOS_HOST');
  set('logLevel', get('LOG_LEVEL')?.trim(), 'LOG_LEVEL');
  if (Object.keys(authz).length > 0) values.authorizationConfig = authz;
  const cors = get('CORS_ORIGIN_LIST');
  return { values, where, extraCorsOrigins: cors === undefined ? [] : list(cors) };
}
