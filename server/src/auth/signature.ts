/**
 * @module JWS signature checks with node:crypto (RFC 7518 §3), for keys imported at start. jose 6
 * verifies through WebCrypto (`crypto.subtle.verify`): algorithm normalisation, WebIDL
 * conversions, CryptoKey checks and a chain of promises around one thread-pool job per token.
 * node:crypto's one-shot `verify` with a `KeyObject` runs the same OpenSSL operation on the same
 * thread pool (its callback form) with none of those layers; HMACs are computed in place. jose
 * still parses the token, judges `crit`, imports the keys and validates the claims (`verify.ts`);
 * only the signature operation is done here, by Node's own crypto.
 *
 * Why not the synchronous form: measured in the reference server under the benchmark's load
 * (issue 18), a synchronous RSA-2048 verify cost the event loop 66 µs per token (19 µs in a
 * micro-benchmark, 25 µs in a bare node:http server, cause not found) and lowered the uncached
 * throughput below jose's; posted to the pool it costs the event loop about 7 µs.
 *
 * Each check is bound to one algorithm and one key of the type that algorithm needs (checked
 * here once more), so a check cannot be reached with another algorithm's key (RFC 8725 §3.1). */
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
export type SignatureCheck = (signingInput: Buffer, signature: Buffer) => Promise<boolean>;

/**
 * One public-key verification with node:crypto's one-shot `verify` in its callback form: OpenSSL
 * runs on the libuv thread pool (the event loop pays only for posting the job), as WebCrypto's
 * does, without WebCrypto's layers (algorithm normalisation, WebIDL conversions, CryptoKey checks,
 * promise chains). Measured in the reference server under the benchmark's load, the synchronous
 * form costs the event loop far more per token than this (see bench/RESULTS notes of issue 18).
 */
function verifyOnPool(
  hash: string | null,
  data: Buffer,
  key: VerifyKeyObjectInput | KeyObject,
  signature: Buffer,
): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(hash, data, key, signature, (err, ok) => resolve(err === null && ok === true));
    } catch {
      // OpenSSL refuses some malformed signatures by throwing: a failed check, like WebCrypto's `false`.
      resolve(false);
    }
  });
}

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
    // An HMAC is cheaper than a thread-pool round trip: computed here.
    return async (input, signature) => {
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
    return (data, signature) => verifyOnPool(hash, data, input, signature);
  }
  const ec = EC[alg];
  if (ec) {
    if (type !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== ec.curve) return null;
    const hash = HASHES[bits];
    // JWS carries r ‖ s (IEEE P1363), never DER; any other length is not a signature of this curve.
    const input: VerifyKeyObjectInput = { key: object, dsaEncoding: 'ieee-p1363' };
    return async (data, signature) =>
      signature.length === ec.length && verifyOnPool(hash, data, input, signature);
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') {
    if (type !== 'ed25519') return null;
    return async (data, signature) => signature.length === 64 && verifyOnPool(null, data, object, signature);
  }
  return null;
}
