/**
 * @module Refuses a shared secret that is really a public key (RFC 8725 §3.1, §2.1: algorithm
 * confusion; finding 11 of the review).
 *
 * With an HS* algorithm allowed, a configured key that is not PEM-armoured becomes an HMAC secret.
 * A public key pasted without its `-----BEGIN PUBLIC KEY-----` lines (base64 DER, an OpenSSH
 * public key, a PEM body with its armour broken) would then be a secret everyone knows: anyone
 * could mint HS256 tokens with it. Such a value is refused at start with the reason.
 */
import { createPublicKey } from 'node:crypto';

/** DER prefixes of SubjectPublicKeyInfo and PKCS#1 public keys, as base64 (`MII…` RSA, `MFkw` P-256, `MHYw` P-384, `MIGb` P-521, `MCow` Ed25519). */
const DER_PREFIXES = ['MII', 'MFkw', 'MHYw', 'MIGb', 'MCow', 'MEMw', 'MEYw'];
const SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+)\s+[A-Za-z0-9+/=]+/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Why a would-be shared secret looks like a public key, or null when it does not.
 * @param secret the configured value, trimmed
 * @example publicKeyLookalike('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA…') // 'it parses as an RSA public key (base64 DER)'
 */
export function publicKeyLookalike(secret: string): string | null {
  const value = secret.trim();
  if (/-----(BEGIN|END) /.test(value) || /PUBLIC KEY/i.test(value)) {
    return 'it holds PEM armour ("-----BEGIN …") that could not be read as a whole PEM block';
  }
  if (SSH_KEY.test(value)) return 'it is an OpenSSH public key';
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return null;
  const der = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      return `it parses as ${key.asymmetricKeyType === 'rsa' ? 'an RSA' : `an ${key.asymmetricKeyType ?? 'asymmetric'}`} public key (base64 DER)`;
    } catch {
      // not this encoding
    }
  }
  if (compact.length >= 64 && DER_PREFIXES.some((p) => compact.startsWith(p))) {
    return 'it looks like a base64 DER public key (it starts like one)';
  }
  return null;
}
