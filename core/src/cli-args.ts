/**
 * @module Argument hygiene shared by every bin (`agentos-spec`, `agentos-gen`, `agentos-server`,
 * `agentos-token`, `agentos-conformance`): unknown options refused with a suggestion, and colour only
 * on a terminal that wants it. Dependency-free; the bins keep their own parsers (citty).
 */

/** Exit code of a usage error (unknown option, bad value), as POSIX utilities and citty use it. */
export const EXIT_USAGE = 2;

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/**
 * The candidate closest to `name`, when close enough to be a typo (or a prefix of it).
 * @example closest('--scop', ['--scopes', '--sub']) // '--scopes'
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let score = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.startsWith(name) && name.length >= 3 ? 0.5 : distance(name, c);
    if (d < score) {
      score = d;
      best = c;
    }
  }
  return score <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Finds the first option of `argv` that is not known: `--name`, `--name=value`, `-x`; `--no-name`
 * counts as `--name`. Everything after `--` is an operand.
 * @param known long option names without dashes (`base-url`), and single-letter aliases (`h`)
 * @returns the message for the user (`unknown option "--scop"; did you mean "--scopes"?`), or undefined
 * @example unknownOption(['--scop', 'x'], ['scopes', 'sub']) // 'unknown option "--scop"; did you mean "--scopes"?'
 */
export function unknownOption(argv: readonly string[], known: readonly string[]): string | undefined {
  const names = new Set(known);
  for (const arg of argv) {
    if (arg === '--') return undefined;
    const m = /^(--?)([^=]+)/.exec(arg);
    if (!m || arg === '-') continue;
    const [, dashes, raw] = m as unknown as [string, string, string];
    // `-5` is a value (a negative number), not an option.
    if (dashes === '-' && /^\d/.test(raw)) continue;
    const name = raw.startsWith('no-') && !names.has(raw) ? raw.slice(3) : raw;
    if (names.has(name)) continue;
    const long = known.filter((k) => k.length > 1).map((k) => `--${k}`);
    const hint = closest(`--${name}`, long);
    return `unknown option "${dashes}${raw}"${hint ? `; did you mean "${hint}"?` : `; known options: ${long.join(', ')}`}`;
  }
  return undefined;
}

/**
 * Whether to write ANSI colour to `stream`: only on a terminal, and never with `NO_COLOR` set
 * (https://no-color.org) or in CI.
 */
export function useColor(
  stream: { isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>> = {},
): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && !env.CI;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

/** Removes ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
