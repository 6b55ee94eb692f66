/**
 * @module AgentOS versions as `x-agentos-since` / `x-agentos-until` write them (docs/contract.md
 * §8.6): the grammar and the numeric order, read by the spec lint and the generator alike.
 */

/** `major.minor` or `major.minor.patch`, no leading zeros, no `v` prefix: `3.1`, `3.1.10`. */
export const AGENTOS_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?$/;

/** Whether `value` is an {@link AGENTOS_VERSION} string (a YAML number such as `3.1` is not). */
export function isAgentosVersion(value: unknown): value is string {
  return typeof value === 'string' && AGENTOS_VERSION.test(value);
}

/**
 * Compares two {@link AGENTOS_VERSION} strings numerically, a missing patch being 0: negative when
 * `a` is earlier, 0 when equal, positive when later (an `Array.prototype.sort` comparator).
 * @example compareVersions('3.9', '3.10') < 0; compareVersions('3.1', '3.1.0') === 0
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
