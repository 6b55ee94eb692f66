/**
 * @module Synchronous JWS signature checks with node:crypto (RFC 7518 §3), for keys imported at
 * start. jose 6 verifies through WebCrypto (`crypto.subtle.verify`): one thread-pool round trip
 * and several promise hops per token, which under load costs the event loop far more than the
 * signature itself. node:crypto's `verify` / `createHmac` with a `KeyObject` run the same OpenSSL
 * operations synchronously. jose still parses the token, imports the keys and validates the
 * claims (`verify.ts`); only the signature operation is done here, by Node's own crypto.
 *
 * Each check is bound to one algorithm and one key of the type that algorithm needs (checked
 * here once more), so a check cannot be reached with another algorithm's key (RFC 8725 §3.1).
 */
import {
  constants,
  createHmac,
  KeyObject,
  timingSafeEqual,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';
import type { JwsAlgorithm } from '../config/options.js';

/** Whether `signature` is the signature of `signingInput` (`base64url(header).base64url(payload)`). */
export type SignatureCheck = (signingInput: Buffer, signature: Buffer) => boolean;

const HASHES = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;

/** The curve and the IEEE P1363 signature length (r ‖ s) of each ES algorithm (RFC 7518 §3.4). */
const EC: Readonly<Record<string, { curve: string; length: number }>> = {
  ES256: { curve: 'prime256v1', length: 64 },
  ES384: { curve: 'secp384r1', length: 96 },
  ES512: { curve: 'secp521r1', length: 132 },
};

/**
 * The synchronous check of one imported key for one algorithm, or null when this key or algorithm
 * has none (jose verifies it then, as before).
 * @param key the key as jose imported it for `alg` (a CryptoKey, or the secret bytes for HS*)
 * @example createSignatureCheck('RS256', cryptoKey)?.(Buffer.from(input), signature)
 */
export function createSignatureCheck(alg: JwsAlgorithm, key: CryptoKey | Uint8Array): SignatureCheck | null {
  const bits = alg.slice(-3) as keyof typeof HASHES;
  if (alg.startsWith('HS')) {
    if (!(key instanceof Uint8Array) || key.byteLength === 0) return null;
    const hash = HASHES[bits];
    const secret = Buffer.from(key);
    return (input, signature) => {
      const mac = createHmac(hash, secret).update(input).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    };
  }
  if (key instanceof Uint8Array) return null;
  let object: KeyObject;
  try {
    object = KeyObject.from(key);
  } catch {
    return null;
  }
  if (object.type !== 'public') return null;
  const type = object.asymmetricKeyType;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    if (type !== 'rsa' && !(type === 'rsa-pss' && alg.startsWith('PS'))) return null;
    const hash = HASHES[bits];
    const input: VerifyKeyObjectInput = alg.startsWith('RS')
      ? { key: object, padding: constants.RSA_PKCS1_PADDING }
      : // RFC 7518 §3.5: the salt is as long as the hash output.
        {
          key: object,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        };
    return (data, signature) => safely(() => verify(hash, data, input, signature));
  }
  const ec = EC[alg];
  if (ec) {
    if (type !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== ec.curve) return null;
    const hash = HASHES[bits];
    // JWS carries r ‖ s (IEEE P1363), never DER; any other length is not a signature of this curve.
    const input: VerifyKeyObjectInput = { key: object, dsaEncoding: 'ieee-p1363' };
    return (data, signature) =>
      signature.length === ec.length && safely(() => verify(hash, data, input, signature));
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') {
    if (type !== 'ed25519') return null;
    return (data, signature) =>
      signature.length === 64 && safely(() => verify(null, data, object, signature));
  }
  return null;
}

/** OpenSSL refuses some malformed signatures by throwing: that is a failed check, like WebCrypto's `false`. */
function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
