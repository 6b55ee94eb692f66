/**
 * @module Configuration errors: what is wrong, where (option path, env var or file), how to fix.
 */

/** One problem found in the configuration. */
export interface ConfigIssue {
  /** Where: `authorizationConfig.algorithm`, `JWT_ALGORITHM`, `agentos.config.yaml: port`. */
  readonly where: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/**
 * The configuration cannot be used; the server refuses to start.
 * `message` lists every issue, one per line, as `<where>: <message>`.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_AGENTOS_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  - ${i.where}: ${i.message}`);
    super(`Invalid AgentOS configuration:\n${lines.join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Collects issues while validating, then throws them all at once. */
export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(where: string, message: string): void {
    this.issues.push({ where, message });
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues);
  }
}

/** The closest candidate by edit distance, for "did you mean" hints (null when nothing is close). */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
