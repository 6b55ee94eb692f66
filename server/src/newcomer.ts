/**
 * @module First start without any key: an ephemeral RS256 key pair becomes the verification key,
 * and the CLI prints (once, on stderr) an admin token and a limited token for it, the docs URL
 * and a curl example, so a newcomer can call the protected API within a minute. The key lives in
 * memory only: the tokens stop working when the server stops.
 *
 * CLI wiring (server/src/cli.ts):
 * ```ts
 * const plan = newcomerPlan({ env, config }); // null when a key source is configured or AGENTOS_DEV=0
 * const keys = plan ? await createEphemeralKeys() : null;
 * const os = await createAgentOS({ configFile, env, ...(keys ? ephemeralAuthOptions(keys) : {}) });
 * const server = await os.listen(...);
 * if (keys) process.stderr.write(formatBanner({ baseUrl, ...(await mintNewcomerTokens({ keys, audience: os.config.id, agentId })) }));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { AgentOSConfig, AgentOSFileOptions } from './config/options.js';

/** An in-memory signing key pair. */
export interface EphemeralKeys {
  readonly alg: 'RS256';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** SPKI PEM: what the verifier is configured with. */
  readonly publicKeyPem: string;
}

/** The two tokens of the banner. */
export interface NewcomerTokens {
  readonly adminToken: string;
  readonly limitedToken: string;
  /** Scopes of the limited token. */
  readonly limitedScopes: readonly string[];
  /** The agent the limited token may read and run. */
  readonly agentId: string;
  /** Expiry of both tokens. */
  readonly expiresAt: Date;
}

const DEFAULT_TTL_SECONDS = 24 * 3600;
const OFF = new Set(['0', 'false', 'no', 'off']);

/**
 * Whether the CLI should start in newcomer mode: no key source at all (no verification key or
 * key file, no JWKS file or URL, no issuer) and `AGENTOS_DEV` not turned off.
 * @returns null when not, else why (for the log line)
 */
export function newcomerPlan(input: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: Pick<AgentOSConfig, 'auth'>;
}): { readonly reason: string } | null {
  const dev = input.env.AGENTOS_DEV?.trim().toLowerCase();
  if (dev !== undefined && OFF.has(dev)) return null;
  const a = input.config.auth;
  if (a.verificationKeys.length > 0 || a.jwksFile || a.jwksUrl || a.issuer || a.discovery) return null;
  return { reason: 'no verification key, JWKS or issuer is configured' };
}

/**
 * Creates an RS256 key pair for this process.
 * @example const keys = await createEphemeralKeys(); // { alg: 'RS256', kid: 'ephemeral-…', privateKey, publicKeyPem }
 */
export async function createEphemeralKeys(): Promise<EphemeralKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  return Object.freeze({
    alg: 'RS256' as const,
    kid: `ephemeral-${randomBytes(6).toString('hex')}`,
    privateKey,
    publicKeyPem: await exportSPKI(publicKey),
  });
}

/** The options that make the server verify tokens of the ephemeral key, with RBAC and audience checks on. */
export function ephemeralAuthOptions(
  keys: EphemeralKeys,
): Pick<AgentOSFileOptions, 'authorization' | 'authorizationConfig'> {
  return {
    authorization: true,
    authorizationConfig: { verificationKeys: [keys.publicKeyPem], algorithm: keys.alg, verifyAudience: true },
  };
}

/** `agents:<id>:read agents:<id>:run sessions:read`. */
export function limitedScopes(agentId: string): string[] {
  return [`agents:${agentId}:read`, `agents:${agentId}:run`, 'sessions:read'];
}

/**
 * Mints the admin and the limited token with the ephemeral key.
 * @param input `audience`: the OS id; `agentId` (default `research-agent`); `ttlSeconds` (default 24 h);
 *   `adminScope` (default `agent_os:admin`); `now` (default the current time)
 */
export async function mintNewcomerTokens(input: {
  readonly keys: EphemeralKeys;
  readonly audience: string;
  readonly agentId?: string | undefined;
  readonly adminScope?: string | undefined;
  readonly ttlSeconds?: number | undefined;
  readonly now?: Date | undefined;
}): Promise<NewcomerTokens> {
  const { keys, audience } = input;
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const exp = iat + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  const agentId = input.agentId ?? 'research-agent';
  const scopes = limitedScopes(agentId);
  const mint = (sub: string, s: readonly string[]) =>
    new SignJWT({ scopes: [...s] })
      .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: 'JWT' })
      .setSubject(sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(keys.privateKey);
  return {
    adminToken: await mint('newcomer-admin', [input.adminScope ?? 'agent_os:admin']),
    limitedToken: await mint('newcomer-user', scopes),
    limitedScopes: scopes,
    agentId,
    expiresAt: new Date(exp * 1000),
  };
}

/**
 * The stderr banner of newcomer mode.
 * @param input `baseUrl` (e.g. `http://127.0.0.1:7777`), the two tokens; optional `agentId`,
 *   `limitedScopes`, `expiresAt` as `mintNewcomerTokens` answers them
 */
export function formatBanner(input: {
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly limitedToken: string;
  readonly agentId?: string | undefined;
  readonly limitedScopes?: readonly string[] | undefined;
  readonly expiresAt?: Date | undefined;
}): string {
  const base = input.baseUrl.replace(/\/+$/, '');
  const agentId = input.agentId ?? 'research-agent';
  const scopes = input.limitedScopes ?? limitedScopes(agentId);
  const expires = input.expiresAt
    ? ` (valid until ${input.expiresAt.toISOString()})`
    : ' (valid for 24 hours)';
  const rule = '─'.repeat(78);
  return [
    '',
    rule,
    ' AgentOS is running with a TEMPORARY signing key: no JWT key was configured.',
    ' Tokens below work until this process stops. Not for production: set',
    ' JWT_VERIFICATION_KEY (or jwksUrl / issuer) to use your identity provider, or',
    ' AGENTOS_DEV=0 to turn this off.',
    rule,
    '',
    ` Admin token${expires}, scope agent_os:admin:`,
    '',
    `   ${input.adminToken}`,
    '',
    ` Limited token, scopes ${scopes.join(' ')}:`,
    '',
    `   ${input.limitedToken}`,
    '',
    ` API docs:  ${base}/docs`,
    '',
    ' Try it:',
    `   export AGENTOS_TOKEN=${input.adminToken}`,
    `   curl -H "Authorization: Bearer $AGENTOS_TOKEN" ${base}/agents`,
    `   curl -X POST -H "Authorization: Bearer $AGENTOS_TOKEN" -d message=hello -d stream=false ${base}/agents/${agentId}/runs`,
    '',
    ` With the limited token, GET ${base}/agents/${agentId} answers 200 and GET ${base}/sessions`,
    ` works, while POST ${base}/schedules answers 403 (missing schedules:write).`,
    ' Mint your own: npx agentos-token --key private.pem --scopes agents:read --sub me --aud <os id>',
    rule,
    '',
  ].join('\n');
}
