/**
 * @module `agentos-token`: mints a JWT for an AgentOS with jose, from a private key (PEM or JWK)
 * or, with `--alg HS256|HS384|HS512`, a shared secret file. Prints only the token on stdout;
 * diagnostics go to stderr; exit code 1 on a usage or key error.
 *
 * `npx agentos-token --key private.pem --scopes agents:read,agents:research-agent:run --sub alice --aud my-os`
 */

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineCommand } from 'citty';
import { SignJWT } from 'jose';
import { PACKAGE_VERSION, runStrict, usageFor } from './cli-strict.js';
import { SUPPORTED_ALGORITHMS } from './config/options.js';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const HS: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS.filter((a) => a.startsWith('HS')));
const ASYMMETRIC: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS.filter((a) => !a.startsWith('HS')));
/** Claims with their own flag: `--claim` may not set them. */
const FLAGGED = new Set(['sub', 'aud', 'exp', 'iat', 'iss', 'nbf']);

/** `1h`, `30m`, `7d`, `90s`, `3600` (seconds) → seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)?$/i.exec(
    value.trim(),
  );
  if (!m)
    throw new UsageError(`--exp must be a duration such as 15m, 1h, 24h or 7d (or seconds), got "${value}"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase()[0]!;
  const seconds = n * ({ s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as Record<string, number>)[unit]!;
  if (seconds <= 0)
    throw new UsageError('--exp must be positive: AgentOS refuses tokens without a future exp');
  return seconds;
}

/** The algorithm a private key signs with when `--alg` is not given. */
function defaultAlg(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
    }
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new UsageError(
        `unsupported key type "${key.asymmetricKeyType}": use an RSA, EC or Ed25519 private key`,
      );
  }
}

function loadPrivateKey(path: string, text: string): KeyObject {
  const trimmed = text.trim();
  if (/-----BEGIN (?:[A-Z]+ )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(trimmed)) {
    throw new UsageError(
      `${path} holds a public key or certificate: pass the PRIVATE key (the server keeps the public one)`,
    );
  }
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (jwk.d === undefined)
        throw new UsageError(`${path} is a public JWK: pass the private JWK (with "d")`);
      return createPrivateKey({ key: jwk as never, format: 'jwk' });
    }
    return createPrivateKey(trimmed);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(
      `${path} is not a private key (PEM or JWK): ${(e as Error).message}. For a shared secret pass --alg HS256`,
    );
  }
}

/** Every `--claim k=v` of the command line (citty keeps only the last of a repeated flag). */
function claimArgs(rawArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === '--claim') {
      const v = rawArgs[i + 1];
      if (v === undefined) throw new UsageError('--claim needs a value: --claim key=value');
      out.push(v);
      i++;
    } else if (a.startsWith('--claim=')) out.push(a.slice('--claim='.length));
  }
  return out;
}

function parseClaims(values: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--claim must be key=value, got "${v}"`);
    const key = v.slice(0, i);
    const raw = v.slice(i + 1);
    if (FLAGGED.has(key))
      throw new UsageError(
        `set "${key}" with --${key === 'nbf' || key === 'iat' ? 'exp' : key}, not --claim`,
      );
    let value: unknown = raw;
    try {
      // Numbers, booleans, arrays and objects as JSON; anything else is a string.
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    claims[key] = value;
  }
  return claims;
}

export const tokenCommand = defineCommand({
  meta: {
    name: 'agentos-token',
    version: PACKAGE_VERSION,
    description:
      'Mint a JWT for an AgentOS: signs the claims with a private key (or an HS secret) and prints only the token.',
  },
  args: {
    key: {
      type: 'string',
      valueHint: 'FILE',
      description: 'Private key (PEM or JWK), or the shared secret file with --alg HS256. Required.',
    },
    scopes: {
      type: 'string',
      valueHint: 'a,b',
      description: 'Scopes, comma- or space-separated (e.g. agents:read,agents:research-agent:run).',
    },
    sub: { type: 'string', valueHint: 'S', description: 'Subject: the user id (sub claim). Required.' },
    aud: {
      type: 'string',
      valueHint: 'A',
      description: 'Audience: the AgentOS id (needed when the server verifies the audience).',
    },
    alg: {
      type: 'string',
      valueHint: 'ALG',
      description: 'RS256 (default for RSA keys), PS256, ES256, EdDSA, or HS256 for a shared secret.',
    },
    kid: { type: 'string', valueHint: 'K', description: 'Key id header (for JWKS key selection).' },
    exp: {
      type: 'string',
      valueHint: 'DURATION',
      default: '1h',
      description: 'Lifetime: 15m, 1h, 24h, 7d, or seconds.',
    },
    iss: { type: 'string', valueHint: 'I', description: 'Issuer (iss claim).' },
    'scopes-claim': {
      type: 'string',
      valueHint: 'NAME',
      default: 'scopes',
      description: 'Claim holding the scopes; "scope" or "scp" writes one space-separated string (RFC 9068).',
    },
    claim: {
      type: 'string',
      valueHint: 'k=v',
      description: 'Extra claim, repeatable; the value is JSON if it parses.',
    },
  },
  async run({ args, rawArgs }) {
    try {
      // Checked here rather than by citty, which prints usage on stdout: stdout carries only the token.
      if (!args.key || !args.sub) {
        process.stderr.write(`${await usageFor(tokenCommand, process.stderr)}\n`);
        throw new UsageError(`missing ${!args.key ? '--key FILE' : '--sub S'}`);
      }
      const key = args.key;
      const sub = args.sub;
      const alg = args.alg?.trim();
      if (alg !== undefined && !HS.has(alg) && !ASYMMETRIC.has(alg)) {
        throw new UsageError(`--alg must be one of ${[...ASYMMETRIC, ...HS].join(', ')}, got "${alg}"`);
      }
      let text: string;
      try {
        text = readFileSync(key, 'utf8');
      } catch (e) {
        throw new UsageError(
          `cannot read --key ${key}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      let signingKey: KeyObject | Uint8Array;
      let signAlg: string;
      if (alg !== undefined && HS.has(alg)) {
        const secret = text.replace(/\r?\n$/, '');
        if (secret.length === 0) throw new UsageError(`${key} is empty`);
        if (/-----BEGIN /.test(secret))
          throw new UsageError(`${key} is a PEM key: HS algorithms take a shared secret`);
        if (Buffer.byteLength(secret) < 32) {
          process.stderr.write(
            `agentos-token: warning: the secret is shorter than 32 bytes (RFC 7518 §3.2)\n`,
          );
        }
        signingKey = new TextEncoder().encode(secret);
        signAlg = alg;
      } else {
        const k = loadPrivateKey(key, text);
        signingKey = k;
        signAlg = alg ?? defaultAlg(k);
      }
      const scopes = (args.scopes ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
      const scopesClaim = args['scopes-claim'] ?? 'scopes';
      const lifetime = parseDuration(args.exp ?? '1h');
      const claims = parseClaims(claimArgs(rawArgs));
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        ...claims,
        [scopesClaim]: scopesClaim === 'scope' || scopesClaim === 'scp' ? scopes.join(' ') : scopes,
      };
      let jwt = new SignJWT(payload)
        .setProtectedHeader({ alg: signAlg, typ: 'JWT', ...(args.kid ? { kid: args.kid } : {}) })
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime);
      if (args.aud)
        jwt = jwt.setAudience(args.aud.includes(',') ? args.aud.split(',').map((a) => a.trim()) : args.aud);
      if (args.iss) jwt = jwt.setIssuer(args.iss);
      let token: string;
      try {
        token = await jwt.sign(signingKey);
      } catch (e) {
        throw new UsageError(`cannot sign with ${signAlg}: ${(e as Error).message}`);
      }
      process.stdout.write(`${token}\n`);
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`agentos-token: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stderr.write(`agentos-token: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
});

await runStrict(tokenCommand, process.argv.slice(2), {
  name: 'agentos-token',
  options: ['key', 'scopes', 'sub', 'aud', 'alg', 'kid', 'exp', 'iss', 'scopes-claim', 'claim'],
});
