/**
 * @module Verification keys, imported once at start: PEM public keys (SPKI, PKCS#1), PEM X.509
 * certificates, JWK / JWKS JSON, shared secrets for HS*, and a JWKS file. Each key is imported
 * for every allowed algorithm its type fits, so verification never meets a key of the wrong type.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import { IssueCollector } from '../config/errors.js';
import type { JwsAlgorithm, ResolvedAuthConfig } from '../config/options.js';
import { publicKeyLookalike } from './key-confusion.js';
import { createSignatureCheck, type SignatureCheck } from './signature.js';

/** One imported key, usable for exactly one algorithm. */
export interface LocalKey {
  /** `kid` of a JWK, null for PEM keys and secrets. */
  readonly kid: string | null;
  readonly alg: JwsAlgorithm;
  readonly key: CryptoKey | Uint8Array;
  /** The synchronous node:crypto check of `key` for `alg` (`signature.ts`); null: jose verifies. */
  readonly check: SignatureCheck | null;
  /** `keys`: from verificationKeys (any may verify); `jwks`: from the JWKS file (chosen by kid). */
  readonly pool: 'keys' | 'jwks';
  /** Where it was configured, for logs (never the key itself). */
  readonly where: string;
}

const FAMILIES: Readonly<Record<JwsAlgorithm, { kty: string; crv?: string }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
  HS256: { kty: 'oct' },
  HS384: { kty: 'oct' },
  HS512: { kty: 'oct' },
};

const KTY_NAMES: Readonly<Record<string, string>> = {
  RSA: 'an RSA',
  EC: 'an EC',
  OKP: 'an Ed25519',
  oct: 'a shared-secret',
};

/** The allowed algorithms a key of this type can verify. */
function algorithmsFor(jwk: JWK, allowed: readonly JwsAlgorithm[]): JwsAlgorithm[] {
  return allowed.filter((alg) => {
    const f = FAMILIES[alg];
    return f.kty === jwk.kty && (f.crv === undefined || f.crv === jwk.crv);
  });
}

/** What was imported, and what is worth a warning. */
export interface ImportedKeys {
  readonly keys: readonly LocalKey[];
  readonly warnings: readonly string[];
}

/**
 * Imports every configured key (verificationKeys and the JWKS file).
 * @throws {ConfigError} naming the key's location when a key cannot be used
 */
export async function importKeys(config: ResolvedAuthConfig): Promise<ImportedKeys> {
  const issues = new IssueCollector();
  const warnings: string[] = [];
  const keys: LocalKey[] = [];
  for (const { value, where } of config.verificationKeys) {
    keys.push(...(await importVerificationKey(value, where, config.algorithms, issues, warnings)));
  }
  if (config.jwksFile) {
    keys.push(...(await importJwksFile(config.jwksFile, config.algorithms, issues, warnings)));
  }
  issues.throwIfAny();
  return { keys, warnings };
}

/** Env vars and YAML often carry PEM with literal `\n`; restore the line breaks. */
function normalizePem(value: string): string {
  const v = value.trim();
  return v.includes('\\n') && !v.includes('\n') ? v.replace(/\\n/g, '\n') : v;
}

async function importVerificationKey(
  raw: string,
  where: string,
  allowed: readonly JwsAlgorithm[],
  issues: IssueCollector,
  warnings: string[],
): Promise<LocalKey[]> {
  const value = normalizePem(raw);
  if (value.startsWith('-----BEGIN')) {
    const jwk = pemToJwk(value, where, issues);
    return jwk ? importJwk(jwk, null, where, 'keys', allowed, issues) : [];
  }
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      issues.add(
        where,
        'starts with "{" but is not valid JSON; give a JWK, a JWKS ({"keys": [...]}), a PEM public key or a secret',
      );
      return [];
    }
    const list = isJwks(parsed) ? parsed.keys : [parsed];
    const out: LocalKey[] = [];
    for (const [i, jwk] of list.entries()) {
      const w = isJwks(parsed) ? `${where}.keys[${i}]` : where;
      if (!isUsableSigJwk(jwk, w, issues, warnings)) continue;
      out.push(
        ...(await importJwk(jwk, typeof jwk.kid === 'string' ? jwk.kid : null, w, 'keys', allowed, issues)),
      );
    }
    return out;
  }
  // A shared secret.
  const hs = allowed.filter((a) => a.startsWith('HS'));
  if (hs.length === 0) {
    issues.add(
      where,
      `is not a PEM public key ("-----BEGIN PUBLIC KEY-----"), certificate or JWK, and no HS* algorithm is allowed (algorithm: ${allowed.join(', ')}). ` +
        'Give the PEM public key of your token issuer, or set authorizationConfig.algorithm: HS256 to use it as a shared secret',
    );
    return [];
  }
  // RFC 8725 §3.1: a public key used as an HMAC secret lets anyone who has it mint tokens.
  const lookalike = publicKeyLookalike(value);
  if (lookalike) {
    issues.add(
      where,
      `would be used as the ${hs.join('/')} shared secret, but ${lookalike}: anyone holding the public key could sign tokens. ` +
        'Give a public key in PEM form with its "-----BEGIN PUBLIC KEY-----" lines (and remove HS* from the allowed algorithms), ' +
        'or give a random secret of at least 32 bytes for HS*',
    );
    return [];
  }
  const bytes = new TextEncoder().encode(value);
  return hs.map((alg) => ({
    kid: null,
    alg,
    key: bytes,
    check: createSignatureCheck(alg, bytes),
    pool: 'keys' as const,
    where,
  }));
}

function pemToJwk(pem: string, where: string, issues: IssueCollector): JWK | null {
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label.includes('PRIVATE KEY')) {
    issues.add(
      where,
      'is a private key. Configure the public key instead (the server only verifies; the signing key must stay with the token issuer). ' +
        'Derive it with: openssl pkey -in private.pem -pubout',
    );
    return null;
  }
  let keyObject: KeyObject;
  try {
    keyObject =
      label === 'CERTIFICATE'
        ? new X509Certificate(pem).publicKey
        : createPublicKey({ key: pem, format: 'pem' });
  } catch {
    issues.add(
      where,
      `could not be parsed as a PEM ${label === 'CERTIFICATE' ? 'certificate' : 'public key'}; check that the whole block, with its BEGIN/END lines, was copied`,
    );
    return null;
  }
  try {
    return keyObject.export({ format: 'jwk' }) as JWK;
  } catch {
    issues.add(
      where,
      `holds a ${keyObject.asymmetricKeyType ?? 'unknown'} key, which JWS cannot use; use an RSA, EC (P-256/384/521) or Ed25519 key`,
    );
    return null;
  }
}

function isJwks(v: unknown): v is { keys: Record<string, unknown>[] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { keys?: unknown }).keys);
}

function isUsableSigJwk(jwk: unknown, where: string, issues: IssueCollector, warnings: string[]): jwk is JWK {
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JWK).kty !== 'string') {
    issues.add(where, 'is not a JWK (an object with "kty")');
    return false;
  }
  const k = jwk as JWK;
  if (k.kty !== 'oct' && (k.d !== undefined || k.p !== undefined || k.priv !== undefined)) {
    issues.add(
      where,
      'is a private JWK. Configure the public key only (drop "d", "p", "q", "dp", "dq", "qi"); the signing key must stay with the token issuer',
    );
    return false;
  }
  if (k.use !== undefined && k.use !== 'sig') {
    warnings.push(`${where}: skipped, its "use" is "${k.use}", not "sig"`);
    return false;
  }
  return true;
}

async function importJwk(
  jwk: JWK,
  kid: string | null,
  where: string,
  pool: 'keys' | 'jwks',
  allowed: readonly JwsAlgorithm[],
  issues: IssueCollector,
): Promise<LocalKey[]> {
  let algs = algorithmsFor(jwk, allowed);
  if (typeof jwk.alg === 'string') {
    if (!algs.includes(jwk.alg as JwsAlgorithm)) {
      issues.add(
        where,
        `declares "alg": "${jwk.alg}", which is not an allowed algorithm for this key (allowed: ${allowed.join(', ')}); add it to authorizationConfig.algorithm(s) or drop the key`,
      );
      return [];
    }
    algs = [jwk.alg as JwsAlgorithm];
  }
  if (algs.length === 0) {
    const kind = KTY_NAMES[jwk.kty ?? ''] ?? `a "${jwk.kty}"`;
    issues.add(
      where,
      `is ${kind} key${jwk.crv ? ` (${jwk.crv})` : ''} but no allowed algorithm uses it (allowed: ${allowed.join(', ')}); ` +
        'set authorizationConfig.algorithm to the algorithm your tokens are signed with',
    );
    return [];
  }
  const out: LocalKey[] = [];
  for (const alg of algs) {
    const { alg: _a, use: _u, key_ops: _o, ext: _e, ...material } = jwk;
    try {
      const key = await importJWK({ ...material, ext: true }, alg);
      if (!(key instanceof Uint8Array)) {
        const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
        if (typeof bits === 'number' && bits < 2048) {
          issues.add(where, `is a ${bits}-bit RSA key; ${alg} needs at least 2048 bits (RFC 7518 §3.3)`);
          return [];
        }
      }
      out.push({ kid, alg, key, check: createSignatureCheck(alg, key), pool, where });
    } catch {
      issues.add(where, `could not be imported as a ${alg} verification key`);
      return [];
    }
  }
  return out;
}

async function importJwksFile(
  path: string,
  allowed: readonly JwsAlgorithm[],
  issues: IssueCollector,
  warnings: string[],
): Promise<LocalKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.add(
      'authorizationConfig.jwksFile',
      code
        ? `cannot read the JWKS file ${path} (${code}); check JWT_JWKS_FILE / authorizationConfig.jwksFile`
        : `the JWKS file ${path} is not valid JSON`,
    );
    return [];
  }
  if (!isJwks(parsed)) {
    issues.add('authorizationConfig.jwksFile', `the JWKS file ${path} must be a JSON object {"keys": [...]}`);
    return [];
  }
  const out: LocalKey[] = [];
  for (const [i, jwk] of parsed.keys.entries()) {
    const where = `JWKS file ${path} keys[${i}]`;
    // A key that cannot be used is skipped with a warning (as the Python AgentOS does), so one
    // foreign key in a shared JWKS does not stop the server; an empty result does.
    const local = new IssueCollector();
    if (!isUsableSigJwk(jwk, where, local, warnings)) {
      if (local.issues.some((x) => x.message.includes('private'))) issues.issues.push(...local.issues);
      continue;
    }
    const keys = await importJwk(
      jwk,
      typeof jwk.kid === 'string' ? jwk.kid : null,
      where,
      'jwks',
      allowed,
      local,
    );
    if (local.issues.length > 0)
      warnings.push(...local.issues.map((x) => `${x.where}: skipped, ${x.message}`));
    out.push(...keys);
  }
  if (out.length === 0 && issues.issues.length === 0) {
    issues.add(
      'authorizationConfig.jwksFile',
      `the JWKS file ${path} has no key usable with the allowed algorithms (${allowed.join(', ')})`,
    );
  }
  return out;
}
