/**
 * @module JSON Pointers (RFC 6901) for messages: `/paths/~1pets~1{pet_id}/get`.
 */

/** Builds a pointer from unescaped tokens. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${String(t).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Reads the value at a pointer, or `undefined`. */
export function getByPointer(document: unknown, ptr: string): unknown {
  if (ptr === '') return document;
  let current = document;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else if (current !== null && typeof current === 'object')
      current = (current as Record<string, unknown>)[key];
    else return undefined;
  }
  return current;
}
