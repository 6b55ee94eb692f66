/**
 * @module Canonical base64url segments of a compact JWS (RFC 7515 §2, §7.1; RFC 4648 §5, §3.5).
 *
 * jose decodes segments leniently: `=` padding and a last character whose unused low bits are not
 * zero decode to the same bytes, so one signature has several spellings (finding 12 of the review:
 * a malleable token). A segment is canonical when it is unpadded base64url and re-encoding its
 * bytes gives the same text; anything else is refused before jose sees it.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;
/** Last characters whose unused bits are zero: 4 unused bits after 2 chars, 2 after 3 (mod 4). */
const LAST_OF_2 = /[AQgw]$/;
const LAST_OF_3 = /[AEIMQUYcgkosw048]$/;

/**
 * Whether one segment is canonical unpadded base64url.
 * @example isCanonicalSegment('AQAB') // true
 * @example isCanonicalSegment('AQA=') // false (padding)
 */
export function isCanonicalSegment(segment: string): boolean {
  if (!ALPHABET.test(segment)) return false;
  switch (segment.length % 4) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return LAST_OF_2.test(segment);
    default:
      return LAST_OF_3.test(segment);
  }
}

/**
 * Whether a compact JWS has three segments, each canonical base64url. An empty segment is
 * canonical; what it means (no signature, `alg: none`) is refused later, with its own reason.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every((p) => isCanonicalSegment(p));
}
