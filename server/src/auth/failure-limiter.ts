/**
 * @module Rate limiting of failed credential lookups per client address: after `maxFailures` in
 * `windowMs` the failure answer becomes 429. It shapes only failures, so a flood of bad tokens from
 * an address shared with a legitimate client never locks that client out.
 */

/** A bounded insertion-ordered map: the oldest entry goes first. */
export function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

export interface FailureLimiter {
  /** Whether `key` has reached the limit within the window ending at `t` (ms). */
  isLimited(key: string, t: number): boolean;
  /** Counts one failure of `key` at `t`. */
  record(key: string, t: number): void;
}

/**
 * Creates a limiter.
 * @param options `maxFailures` (default 20), `windowMs` (default 60 000), `maxEntries` addresses remembered (default 2048)
 * @example const limiter = createFailureLimiter(); if (limiter.isLimited(ip, now)) throw tooMany();
 */
export function createFailureLimiter(
  options: {
    maxFailures?: number | undefined;
    windowMs?: number | undefined;
    maxEntries?: number | undefined;
  } = {},
): FailureLimiter & { readonly windowMs: number } {
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 2048;
  const failures = new Map<string, number[]>();
  return {
    windowMs,
    isLimited(key, t) {
      const fresh = (failures.get(key) ?? []).filter((at) => at > t - windowMs);
      if (fresh.length === 0) failures.delete(key);
      else failures.set(key, fresh);
      return fresh.length >= maxFailures;
    },
    record(key, t) {
      const list = failures.get(key) ?? [];
      list.push(t);
      boundedSet(failures, key, list, maxEntries);
    },
  };
}
