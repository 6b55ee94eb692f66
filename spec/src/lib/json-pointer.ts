/** @module JSON Pointer building (RFC 6901 §3: `~` is written `~0`, `/` is written `~1`). */

/** Escapes one reference token. */
export function escapeToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Joins reference tokens into a JSON pointer: `pointer('paths', '/agents', 'get')` → `/paths/~1agents/get`. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}
