/**
 * @module Shape validation of options coming from code or a config file: every key known, every
 * value of the right type, with the location of each problem and a "did you mean" for typos.
 */
import { closest, type IssueCollector } from './errors.js';
import type { AgentOSFileOptions, AuthorizationConfig, EntityConfig } from './options.js';

type Kind =
  | 'string'
  | 'boolean'
  | 'seconds'
  | 'port'
  | 'stringList'
  | 'stringOrList'
  | 'entities'
  | 'scopeMappings'
  | 'roles'
  | 'tokenSource'
  | 'authorizationConfig'
  | 'decisionAudit';

const TOP: Readonly<Record<keyof AgentOSFileOptions, Kind>> = {
  id: 'string',
  name: 'string',
  description: 'string',
  agents: 'entities',
  teams: 'entities',
  workflows: 'entities',
  authorization: 'boolean',
  securityKey: 'string',
  authorizationConfig: 'authorizationConfig',
  tokenSource: 'tokenSource',
  cookieName: 'string',
  csrfProtection: 'boolean',
  scopesClaim: 'string',
  userIdClaim: 'string',
  sessionIdClaim: 'string',
  dependenciesClaims: 'stringList',
  sessionStateClaims: 'stringList',
  scopeMappings: 'scopeMappings',
  excludedRoutePaths: 'stringList',
  corsAllowedOrigins: 'stringList',
  port: 'port',
  host: 'string',
  logLevel: 'string',
  managedRoles: 'boolean',
  userDirectory: 'boolean',
  decisionAudit: 'decisionAudit',
};

const AUTHZ: Readonly<Record<keyof AuthorizationConfig, Kind>> = {
  verificationKeys: 'stringList',
  verificationKeyFiles: 'stringList',
  jwksFile: 'string',
  jwksUrl: 'string',
  algorithm: 'string',
  algorithms: 'stringList',
  verifyAudience: 'boolean',
  audience: 'stringOrList',
  issuer: 'string',
  adminScope: 'string',
  userIsolation: 'boolean',
  leewaySeconds: 'seconds',
  jwksCacheMaxAgeSeconds: 'seconds',
  jwksCooldownSeconds: 'seconds',
  jwksTimeoutSeconds: 'seconds',
  tokenCacheSeconds: 'seconds',
  roles: 'roles',
  rolesClaim: 'string',
  trustTokenScopes: 'boolean',
};

/** Keys `createAgentOS` accepts besides the file options (functions and test hooks). */
export const CODE_ONLY_KEYS: readonly string[] = [
  'routes',
  'handlers',
  'logger',
  'env',
  'clock',
  'routeTable',
  'specFile',
  'baseDir',
  'configFile',
  'database',
  'storage',
  'scheduler',
  'validateResponses',
  'workflowSocket',
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
};

function unknownKey(
  key: string,
  known: readonly string[],
  where: string,
  issues: IssueCollector,
  top = false,
): void {
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  // A key of AuthorizationConfig written at the top level: point to where it belongs.
  const nested = top && camel in AUTHZ ? `authorizationConfig.${camel}` : null;
  const hint = nested ?? (known.includes(camel) ? camel : closest(key, known));
  issues.add(
    where,
    `unknown option${hint ? `; did you mean "${hint}"?` : `. Known options: ${known.join(', ')}`}`,
  );
}

function checkValue(kind: Kind, value: unknown, where: string, issues: IssueCollector): boolean {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' || value.trim().length === 0) {
        issues.add(where, `must be a non-empty string, got ${show(value)}`);
        return false;
      }
      return true;
    case 'boolean':
      if (typeof value !== 'boolean') {
        issues.add(where, `must be true or false, got ${show(value)}`);
        return false;
      }
      return true;
    case 'seconds':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        issues.add(where, `must be a number of seconds >= 0, got ${show(value)}`);
        return false;
      }
      return true;
    case 'port':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
        issues.add(where, `must be a port number between 0 and 65535, got ${show(value)}`);
        return false;
      }
      return true;
    case 'stringList':
      if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
        issues.add(where, `must be a list of strings, got ${show(value)}`);
        return false;
      }
      return true;
    case 'stringOrList':
      if (typeof value === 'string' && value.length > 0) return true;
      if (
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((s) => typeof s === 'string' && s.length > 0)
      ) {
        return true;
      }
      issues.add(where, `must be a string or a non-empty list of strings, got ${show(value)}`);
      return false;
    case 'tokenSource':
      if (value !== 'header' && value !== 'cookie' && value !== 'both') {
        issues.add(where, `must be "header", "cookie" or "both", got ${show(value)}`);
        return false;
      }
      return true;
    case 'scopeMappings':
      if (!isObject(value)) {
        issues.add(where, `must be an object like { "GET /agents": ["agents:read"] }, got ${show(value)}`);
        return false;
      }
      for (const [k, v] of Object.entries(value)) {
        if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
          issues.add(
            `${where}["${k}"]`,
            `must be a list of scope strings ([] makes the route public), got ${show(v)}`,
          );
          return false;
        }
      }
      return true;
    case 'roles':
      if (!isObject(value)) {
        issues.add(
          where,
          `must be an object like { "reader": { "allow": ["agents:*:read"], "deny": [] } }, got ${show(value)}`,
        );
        return false;
      }
      for (const [k, v] of Object.entries(value)) {
        const lists = Array.isArray(v) ? { allow: v } : isObject(v) ? v : null;
        const bad =
          lists === null ||
          Object.keys(lists).some((key) => key !== 'allow' && key !== 'deny') ||
          Object.values(lists).some((l) => !Array.isArray(l) || l.some((s) => typeof s !== 'string'));
        if (bad) {
          issues.add(
            `${where}["${k}"]`,
            `must be { "allow": [scopes], "deny": [scopes] } or a list of scopes, got ${show(v)}`,
          );
          return false;
        }
      }
      return true;
    case 'entities': {
      if (!Array.isArray(value)) {
        issues.add(where, `must be a list of objects with an "id", got ${show(value)}`);
        return false;
      }
      const seen = new Set<string>();
      let ok = true;
      value.forEach((e: unknown, i) => {
        if (!isObject(e) || typeof e.id !== 'string' || e.id.length === 0) {
          issues.add(`${where}[${i}]`, `must be an object with a non-empty string "id", got ${show(e)}`);
          ok = false;
          return;
        }
        if (seen.has(e.id)) {
          issues.add(`${where}[${i}].id`, `"${e.id}" is used twice; ids must be unique`);
          ok = false;
        }
        seen.add(e.id);
      });
      return ok;
    }
    case 'authorizationConfig':
      if (!isObject(value)) {
        issues.add(where, `must be an object, got ${show(value)}`);
        return false;
      }
      return true;
    case 'decisionAudit': {
      if (typeof value === 'boolean') return true;
      if (!isObject(value)) {
        issues.add(where, `must be true, false or { retentionDays, maxRecords }, got ${show(value)}`);
        return false;
      }
      let ok = true;
      for (const key of Object.keys(value)) {
        if (key !== 'retentionDays' && key !== 'maxRecords') {
          issues.add(`${where}.${key}`, 'unknown option; known: retentionDays, maxRecords');
          ok = false;
        }
      }
      const days = value.retentionDays;
      if (days !== undefined && !(typeof days === 'number' && Number.isFinite(days) && days > 0)) {
        issues.add(`${where}.retentionDays`, `must be a number of days > 0, got ${show(days)}`);
        ok = false;
      }
      const max = value.maxRecords;
      if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 1)) {
        issues.add(`${where}.maxRecords`, `must be an integer >= 1, got ${show(max)}`);
        ok = false;
      }
      return ok;
    }
  }
}

/**
 * Validates the serialisable options (from code or a config file).
 * @param input the raw object
 * @param label turns an option path (`authorizationConfig.algorithm`) into a location for messages
 * @param allowed extra top-level keys to accept without checking (functions given in code)
 * @returns the valid options; invalid entries are left out and reported in `issues`
 */
export function validateFileOptions(
  input: unknown,
  label: (path: string) => string,
  issues: IssueCollector,
  allowed: readonly string[] = [],
): AgentOSFileOptions {
  const out: Record<string, unknown> = {};
  if (input === undefined || input === null) return out;
  if (!isObject(input)) {
    issues.add(label('(root)'), `must be an object of options, got ${show(input)}`);
    return out;
  }
  const known = Object.keys(TOP);
  for (const [key, value] of Object.entries(input)) {
    if (allowed.includes(key)) continue;
    if (!(key in TOP)) {
      unknownKey(key, [...known, ...allowed], label(key), issues, true);
      continue;
    }
    if (value === undefined || value === null) continue;
    const kind = TOP[key as keyof AgentOSFileOptions];
    if (!checkValue(kind, value, label(key), issues)) continue;
    if (kind === 'authorizationConfig') {
      out[key] = validateAuthorizationConfig(value as Record<string, unknown>, label, issues);
    } else if (kind === 'entities') {
      out[key] = (value as EntityConfig[]).map((e) => ({ ...e }));
    } else {
      out[key] = value;
    }
  }
  return out as AgentOSFileOptions;
}

function validateAuthorizationConfig(
  input: Record<string, unknown>,
  label: (path: string) => string,
  issues: IssueCollector,
): AuthorizationConfig {
  const out: Record<string, unknown> = {};
  const known = Object.keys(AUTHZ);
  for (const [key, value] of Object.entries(input)) {
    const path = `authorizationConfig.${key}`;
    if (!(key in AUTHZ)) {
      unknownKey(key, known, label(path), issues);
      continue;
    }
    if (value === undefined || value === null) continue;
    if (checkValue(AUTHZ[key as keyof AuthorizationConfig], value, label(path), issues)) out[key] = value;
  }
  return out as AuthorizationConfig;
}
