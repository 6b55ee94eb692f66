/**
 * @module tokens — mints the tokens the probes send: valid tokens with any claims (jose), and attack
 * tokens crafted by hand (alg none, stripped or broken signatures, HMAC key confusion with the
 * public key derived from the private key, embedded jwk, jku/x5u to a loopback listener, kid
 * injection, crit, JWE-shaped …). See shared/research/security-anchors.md §3 (J1–J19) and §7A.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { CompactSign, exportJWK, importPKCS8 } from 'jose';
import { HarnessError } from './errors.js';

export type SigningAlg =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'EdDSA'
  | 'HS256'
  | 'HS384'
  | 'HS512';
export const SUPPORTED_ALGS: SigningAlg[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
];

export interface TokenOptions {
  alg: SigningAlg;
  /** PEM private key (PKCS#8 or PKCS#1/SEC1) for asymmetric algorithms, the secret for HS*. */
  signingKey: string;
  kid?: string | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
  scopesClaim: string;
  userIdClaim: string;
  /** The target's public key exactly as it was configured (for HS256-with-public-key probes). */
  publicKeyText?: string | undefined;
  /** `array` (default) or `string`: RFC 9068 space-separated scopes in one string. */
  scopeFormat?: 'array' | 'string';
  /** Seconds a normal token lives. Default 3600. */
  lifetime?: number;
  /** Clock for iat/exp, seconds. Default: now. */
  now?: number;
}

/** How a token is built. `attack` selects a hand-crafted variant; claims are merged over the defaults. */
export interface TokenSpec {
  sub?: string | null;
  /** Scopes; `undefined` omits the claim; a non-array value is put in the claim as is. */
  scopes?: unknown;
  /** Extra or overriding claims; a value of `undefined` deletes the claim. */
  claims?: Record<string, unknown>;
  /** Extra or overriding header parameters (`undefined` deletes). */
  header?: Record<string, unknown>;
  attack?: TokenAttack;
  /** Put `scopes` in the claim as given, whatever --scope-format says (claim-shape probes). */
  raw?: boolean;
  /** Label shown instead of the token in reports (the token itself is never written). */
  label?: string;
}

export type TokenAttack =
  | { kind: 'alg-none'; alg: string; keepSignature?: boolean }
  | { kind: 'strip-signature' }
  | { kind: 'flip-signature' }
  | { kind: 'truncate-signature' }
  | { kind: 'tamper-payload'; claims: Record<string, unknown> }
  | {
      kind: 'hmac';
      alg: 'HS256' | 'HS384' | 'HS512';
      key:
        | 'public-pem'
        | 'public-pem-no-newline'
        | 'public-der'
        | 'public-jwk'
        | 'public-bare'
        | 'public-bare-wrapped'
        | 'public-given'
        | { secret: string };
    }
  | { kind: 'foreign-key' }
  | { kind: 'embedded-jwk' }
  | { kind: 'other-alg'; alg: SigningAlg }
  /** A valid signature re-encoded: `=` padding appended, or the last character's unused bits changed. */
  | { kind: 'noncanonical-signature'; variant: 'padding' | 'last-char' }
  | { kind: 'raw'; token: string };

/** A claim value `{ $now: -30 }` becomes the mint time plus 30 s (exp/nbf/iat probes). */
export const fromNow = (seconds: number) => ({ $now: seconds });
function relativeTime(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { $now?: unknown }).$now === 'number') {
    return Math.floor(Date.now() / 1000) + (v as { $now: number }).$now;
  }
  return v;
}

const b64u = (data: string | Uint8Array | Buffer) => Buffer.from(data).toString('base64url');
const enc = (obj: unknown) => b64u(JSON.stringify(obj));

function hashFor(alg: string): string {
  return `sha${alg.slice(2)}`;
}

function signWith(alg: string, key: KeyObject | Buffer | string, input: string): Buffer {
  if (alg.startsWith('HS'))
    return createHmac(hashFor(alg), key as Buffer)
      .update(input)
      .digest();
  if (alg === 'EdDSA') return cryptoSign(null, Buffer.from(input), key as KeyObject);
  if (alg.startsWith('RS')) return cryptoSign(hashFor(alg), Buffer.from(input), key as KeyObject);
  if (alg.startsWith('PS'))
    return cryptoSign(hashFor(alg), Buffer.from(input), {
      key: key as KeyObject,
      padding: 6 /* RSA_PKCS1_PSS_PADDING */,
      saltLength: Number(alg.slice(2)) / 8,
    });
  if (alg.startsWith('ES'))
    return cryptoSign(hashFor(alg), Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  throw new HarnessError('ERR_KEY', `cannot sign with algorithm "${alg}"`);
}

/**
 * The attacker's RSA key pair (it signs `foreign-key` tokens and the JWKS served to jku/x5u fetches):
 * generated once per process, since a 2048-bit key costs ~0.1–0.5 s of CPU and any key the target
 * was never given serves. Every token factory of the process shares it.
 */
let attackerPair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
function attackerKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  attackerPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return attackerPair;
}

/** The minting side of the suite: one per run, tokens cached by their spec. */
export interface TokenFactory {
  readonly alg: SigningAlg;
  readonly options: TokenOptions;
  /** The public key derived from the signing key (undefined for HS*). */
  readonly publicKey: KeyObject | undefined;
  mint(spec: TokenSpec): Promise<string>;
  /** `<redacted: scopes=[…] sub=…>` for reports and curl lines. */
  describe(spec: TokenSpec | undefined): string;
  /** Base claims of a normal token (without scopes). */
  baseClaims(sub?: string | null): Record<string, unknown>;
  /** JWKS with the attacker key that signs `foreign-key` tokens (served to jku/x5u fetches). */
  attackerJwks(): Promise<string>;
}

/**
 * Validates the key once and returns a factory.
 * @throws {HarnessError} `ERR_KEY` when the key does not parse or does not fit the algorithm.
 */
export async function createTokenFactory(options: TokenOptions): Promise<TokenFactory> {
  const { alg } = options;
  if (!SUPPORTED_ALGS.includes(alg)) {
    throw new HarnessError(
      'ERR_OPTIONS',
      `unsupported --alg "${alg}"; use one of ${SUPPORTED_ALGS.join(', ')}`,
    );
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const lifetime = options.lifetime ?? 3600;
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  let secret: Buffer | undefined;
  let joseKey: CryptoKey | Uint8Array;
  if (alg.startsWith('HS')) {
    secret = Buffer.from(options.signingKey.replace(/\r?\n$/, ''), 'utf8');
    if (secret.length === 0) throw new HarnessError('ERR_KEY', 'the HMAC secret is empty');
    joseKey = new Uint8Array(secret);
  } else {
    try {
      privateKey = createPrivateKey(options.signingKey);
      publicKey = createPublicKey(privateKey);
      const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      joseKey = await importPKCS8(pkcs8, alg);
    } catch (cause) {
      throw new HarnessError(
        'ERR_KEY',
        `cannot use the signing key with ${alg}: ${(cause as Error).message}. Pass a PEM private key (e.g. "openssl genpkey -algorithm RSA -out private.pem" for RS256/PS256, "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" for ES256, "-algorithm ed25519" for EdDSA).`,
        { cause },
      );
    }
  }
  const attacker = attackerKeys();
  const cache = new Map<string, Promise<string>>();

  const baseClaims = (sub: string | null = 'conformance-user'): Record<string, unknown> => {
    const c: Record<string, unknown> = { iat: now, exp: now + lifetime };
    if (sub !== null) c[options.userIdClaim] = sub;
    if (options.audience !== undefined) c.aud = options.audience;
    if (options.issuer !== undefined) c.iss = options.issuer;
    return c;
  };

  const buildParts = (spec: TokenSpec) => {
    const claims = baseClaims(spec.sub === undefined ? 'conformance-user' : spec.sub);
    if (options.now === undefined) {
      // Times are taken when the token is minted (just before it is sent), so leeway probes stay exact.
      const t = Math.floor(Date.now() / 1000);
      claims.iat = t;
      claims.exp = t + lifetime;
    }
    if (spec.scopes !== undefined)
      claims[options.scopesClaim] =
        options.scopeFormat === 'string' && Array.isArray(spec.scopes) && !spec.raw
          ? spec.scopes.join(' ')
          : spec.scopes;
    for (const [k, v] of Object.entries(spec.claims ?? {})) {
      if (v === undefined) delete claims[k];
      else claims[k] = relativeTime(v);
    }
    const header: Record<string, unknown> = { alg, typ: 'JWT' };
    if (options.kid !== undefined) header.kid = options.kid;
    for (const [k, v] of Object.entries(spec.header ?? {})) {
      if (v === undefined) delete header[k];
      else header[k] = v;
    }
    return { claims, header };
  };

  const signRaw = (
    header: Record<string, unknown>,
    claims: Record<string, unknown>,
    signAlg: string,
    key: KeyObject | Buffer,
  ) => {
    const input = `${enc(header)}.${enc(claims)}`;
    return `${input}.${b64u(signWith(signAlg, key, input))}`;
  };

  const signValid = async (
    header: Record<string, unknown>,
    claims: Record<string, unknown>,
  ): Promise<string> => {
    // `crit` and odd header values are refused by jose's signer, so those go through node:crypto.
    if (header.crit !== undefined || header.alg !== alg)
      return signRaw(header, claims, alg, (privateKey ?? secret) as KeyObject | Buffer);
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader(header as { alg: string })
      .sign(joseKey);
  };

  const build = async (spec: TokenSpec): Promise<string> => {
    const { claims, header } = buildParts(spec);
    const a = spec.attack;
    if (!a) return signValid(header, claims);
    switch (a.kind) {
      case 'raw':
        return a.token;
      case 'alg-none': {
        const input = `${enc({ ...header, alg: a.alg })}.${enc(claims)}`;
        if (!a.keepSignature) return `${input}.`;
        const valid = await signValid(header, claims);
        return `${input}.${valid.split('.')[2]}`;
      }
      case 'strip-signature': {
        const valid = await signValid(header, claims);
        return `${valid.split('.').slice(0, 2).join('.')}.`;
      }
      case 'flip-signature': {
        const [h, p, s] = (await signValid(header, claims)).split('.') as [string, string, string];
        const bytes = Buffer.from(s, 'base64url');
        const mid = Math.floor(bytes.length / 2);
        bytes[mid] = (bytes[mid] ?? 0) ^ 0x01;
        return `${h}.${p}.${b64u(bytes)}`;
      }
      case 'truncate-signature': {
        const valid = await signValid(header, claims);
        return valid.slice(0, -4);
      }
      case 'tamper-payload': {
        const [h, , s] = (await signValid(header, claims)).split('.') as [string, string, string];
        return `${h}.${enc({ ...claims, ...a.claims })}.${s}`;
      }
      case 'hmac': {
        let key: Buffer;
        if (typeof a.key === 'object') key = Buffer.from(a.key.secret, 'utf8');
        else {
          if (!publicKey)
            return build({ ...spec, attack: undefined, header: { ...spec.header, alg: a.alg } });
          if (a.key === 'public-pem')
            key = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }).toString());
          else if (a.key === 'public-pem-no-newline')
            key = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }).toString().trimEnd());
          else if (a.key === 'public-der') key = publicKey.export({ type: 'spki', format: 'der' });
          else if (a.key === 'public-bare')
            key = Buffer.from(publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
          else if (a.key === 'public-bare-wrapped')
            key = Buffer.from(
              (
                publicKey
                  .export({ type: 'spki', format: 'der' })
                  .toString('base64')
                  .match(/.{1,64}/g) ?? []
              ).join('\n'),
            );
          else if (a.key === 'public-given') key = Buffer.from(options.publicKeyText ?? '');
          else key = Buffer.from(JSON.stringify(publicKey.export({ format: 'jwk' })));
        }
        return signRaw({ ...header, alg: a.alg }, claims, a.alg, key);
      }
      case 'noncanonical-signature': {
        const [h, p, s] = (await signValid(header, claims)).split('.') as [string, string, string];
        if (a.variant === 'padding') return `${h}.${p}.${s}${'='.repeat((4 - (s.length % 4)) % 4 || 2)}`;
        // The last base64url character carries unused low bits when the length is not a multiple of 3.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const unused = [0, 0, 4, 2][Buffer.from(s, 'base64url').length % 3] ?? 0;
        const last = alphabet.indexOf(s.slice(-1));
        const alt = unused ? alphabet[last ^ 1] : undefined;
        return alt ? `${h}.${p}.${s.slice(0, -1)}${alt}` : `${h}.${p}.${s}=`;
      }
      case 'foreign-key':
        return signRaw({ ...header, alg: 'RS256' }, claims, 'RS256', attacker.privateKey);
      case 'embedded-jwk': {
        const jwk = await exportJWK(attacker.publicKey);
        return signRaw({ ...header, alg: 'RS256', jwk }, claims, 'RS256', attacker.privateKey);
      }
      case 'other-alg':
        return signRaw(
          { ...header, alg: a.alg },
          claims,
          a.alg,
          (privateKey ?? secret) as KeyObject | Buffer,
        );
    }
  };

  return {
    alg,
    options,
    publicKey,
    baseClaims,
    async attackerJwks() {
      return JSON.stringify({
        keys: [{ ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' }],
      });
    },
    mint(spec) {
      const key = JSON.stringify(spec, (_k, v: unknown) => (v === undefined ? '\u0000undefined' : v));
      // Times relative to now ($now) are taken when the token is minted: never reuse those.
      if (key.includes('"$now"')) return build(spec);
      let t = cache.get(key);
      if (!t) {
        t = build(spec);
        cache.set(key, t);
      }
      return t;
    },
    describe(spec) {
      if (!spec) return '<none>';
      if (spec.label) return `<redacted: ${spec.label}>`;
      const scopes =
        spec.scopes === undefined
          ? 'none'
          : Array.isArray(spec.scopes)
            ? `[${spec.scopes.join(' ')}]`
            : JSON.stringify(spec.scopes);
      const sub = spec.sub === undefined ? 'conformance-user' : spec.sub;
      const extra = spec.attack ? ` attack=${spec.attack.kind}` : '';
      return `<redacted: scopes=${scopes} sub=${sub}${extra}>`;
    },
  };
}
