/**
 * @module Which database errors mean "the database cannot be reached" (answer 503 and retry) or
 * "this text cannot be stored" (U+0000: answer 422),
 * as opposed to a bad query or a constraint (a bug or a 4xx).
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * True for connection-level failures: network errors, PostgreSQL class 08 (connection exception),
 * 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now), and pg's terminated client.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|connection timeout|Client has encountered a connection error|pool is ending/i.test(
      message,
    )
  ) {
    return true;
  }
  // AggregateError (several addresses refused) and wrapped causes.
  if (Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable)) return true;
  return e.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause);
}

/**
 * PostgreSQL refusing U+0000: 22021 in text (`invalid byte sequence for encoding "UTF8": 0x00`),
 * 22P05 in jsonb (`unsupported Unicode escape sequence`, detail `\u0000 cannot be converted to text.`).
 */
export function isNulRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; detail?: unknown };
  return (e.code === '22021' || e.code === '22P05') && /0x00|\\u0000/.test(`${e.message} ${e.detail}`);
}
