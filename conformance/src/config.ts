/**
 * @module config — the optional config file (YAML or JSON): fixture ids per path parameter,
 * extra headers, per-operation skips with a reason, users and policy knobs.
 *
 * @example
 * fixtures: { agent_id: research-agent, session_id: 9f1c… }
 * headers: { X-Tenant: acme }
 * skip:
 *   - { operation: "POST /databases/*", reason: "migrations are slow" }
 * users: { a: user_123, b: user_456 }
 * policy: { leeway: 10, tokenProbes: representative, origin: "http://localhost:3000", ownerField: user_id }
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SkipRule } from './context.js';
import { HarnessError } from './errors.js';

export interface ConfigFile {
  fixtures?: Record<string, string>;
  headers?: Record<string, string>;
  skip?: SkipRule[];
  users?: { a: string; b: string };
  policy?: { leeway?: number; tokenProbes?: 'representative' | 'all'; origin?: string; ownerField?: string };
}

const KNOWN = new Set(['fixtures', 'headers', 'skip', 'users', 'policy']);

export async function loadConfig(file: string): Promise<ConfigFile> {
  let raw: unknown;
  try {
    const text = await readFile(file, 'utf8');
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new HarnessError('ERR_CONFIG', `cannot read the config "${file}": ${(cause as Error).message}`, {
      cause,
    });
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new HarnessError('ERR_CONFIG', `${file}: the config must be an object`);
  const cfg = raw as Record<string, unknown>;
  for (const k of Object.keys(cfg)) {
    if (!KNOWN.has(k))
      throw new HarnessError('ERR_CONFIG', `${file}: unknown key "${k}"; allowed: ${[...KNOWN].join(', ')}`);
  }
  for (const k of ['fixtures', 'headers'] as const) {
    const v = cfg[k];
    if (
      v !== undefined &&
      (typeof v !== 'object' ||
        v === null ||
        Object.values(v).some((x) => typeof x !== 'string' && typeof x !== 'number'))
    )
      throw new HarnessError('ERR_CONFIG', `${file}: "${k}" must map names to strings`);
    if (v) cfg[k] = Object.fromEntries(Object.entries(v).map(([a, b]) => [a, String(b)]));
  }
  if (cfg.skip !== undefined) {
    if (!Array.isArray(cfg.skip))
      throw new HarnessError('ERR_CONFIG', `${file}: "skip" must be a list of {operation, probe?, reason}`);
    cfg.skip.forEach((s: unknown, i) => {
      const r = s as SkipRule;
      if (!r || typeof r.operation !== 'string' || typeof r.reason !== 'string')
        throw new HarnessError(
          'ERR_CONFIG',
          `${file}: skip[${i}] needs "operation" and "reason" (a skip without a reason is not allowed)`,
        );
    });
  }
  return cfg as ConfigFile;
}
