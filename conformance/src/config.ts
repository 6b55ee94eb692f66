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
 * objects: { approval: { agent_id: support-agent, message: "use tool issue_refund {…}" } }
 * roles:                                   # with --roles-claim (AgentOS 3.1)
 *   - { role: reader, allow: ["GET /agents/research-agent"], deny: ["GET /agents/support-agent"] }
 * directory: { disabled: conformance-disabled }   # a subject the target's user directory disabled
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { HarnessError } from './errors.js';
import type { RoleFixture, SkipRule } from './plan-context.js';

export interface ConfigFile {
  fixtures?: Record<string, string>;
  headers?: Record<string, string>;
  skip?: SkipRule[];
  users?: { a: string; b: string };
  policy?: { leeway?: number; tokenProbes?: 'representative' | 'all'; origin?: string; ownerField?: string };
  /** Object-level probes: a run that pauses on a required approval (`agent_id`/`team_id` + message). */
  objects?: { approval?: Record<string, string> };
  roles?: RoleFixture[];
  directory?: { disabled?: string };
}

const KNOWN = new Set(['fixtures', 'headers', 'skip', 'users', 'policy', 'objects', 'roles', 'directory']);

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
  if (cfg.roles !== undefined) {
    if (!Array.isArray(cfg.roles))
      throw new HarnessError('ERR_CONFIG', `${file}: "roles" must be a list of {role, allow?, deny?}`);
    cfg.roles.forEach((r: unknown, i) => {
      const f = r as RoleFixture;
      const rules = [...(f?.allow ?? []), ...(f?.deny ?? [])];
      if (
        !f ||
        (typeof f.role !== 'string' && !Array.isArray(f.role)) ||
        rules.some((x) => typeof x !== 'string')
      )
        throw new HarnessError(
          'ERR_CONFIG',
          `${file}: roles[${i}] needs "role" and "allow"/"deny" lists of "METHOD /path" strings`,
        );
    });
  }
  const approval = (cfg.objects as ConfigFile['objects'])?.approval;
  if (
    approval &&
    (typeof approval.message !== 'string' || !Object.keys(approval).some((k) => k.endsWith('_id')))
  )
    throw new HarnessError(
      'ERR_CONFIG',
      `${file}: objects.approval needs an entity id (agent_id, team_id …) and "message"`,
    );
  return cfg as ConfigFile;
}
