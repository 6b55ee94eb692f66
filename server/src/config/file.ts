/**
 * @module The config file: `agentos.config.yaml` / `.yml` / `.json`, with `${VAR}` interpolation
 * of environment variables in string values (for secrets).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, IssueCollector } from './errors.js';
import type { AgentOSFileOptions } from './options.js';
import { validateFileOptions } from './validate.js';

/** File names looked for in the working directory when no path is given. */
export const CONFIG_FILE_NAMES: readonly string[] = [
  'agentos.config.yaml',
  'agentos.config.yml',
  'agentos.config.json',
];

/** A loaded and validated config file. */
export interface ConfigFile {
  /** Absolute path. */
  readonly path: string;
  /** Relative paths inside the file resolve against this directory. */
  readonly baseDir: string;
  readonly values: AgentOSFileOptions;
}

/**
 * Finds the config file: the given path, else `AGENTOS_CONFIG`, else `agentos.config.{yaml,yml,json}` in `cwd`.
 * @returns the absolute path, or null when there is none
 */
export function findConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | null {
  const given = explicit ?? (env.AGENTOS_CONFIG?.trim() || undefined);
  if (given !== undefined) return resolve(cwd, given);
  for (const name of CONFIG_FILE_NAMES) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Reads, parses, interpolates and validates a config file.
 * @throws {ConfigError} naming the file and the option for every problem
 */
export function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>>): ConfigFile {
  const name = basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([
      {
        where: path,
        message: `cannot read the config file (${code}); check the --config option or AGENTOS_CONFIG`,
      },
    ]);
  }
  let raw: unknown;
  const ext = extname(path).toLowerCase();
  try {
    raw = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([
      { where: path, message: `is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}` },
    ]);
  }
  const issues = new IssueCollector();
  const label = (p: string) => `${name}: ${p}`;
  const interpolated = interpolate(raw, '', env, label, issues);
  const values = validateFileOptions(interpolated, label, issues);
  issues.throwIfAny();
  return { path, baseDir: dirname(path), values };
}

function interpolate(
  value: unknown,
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  label: (p: string) => string,
  issues: IssueCollector,
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        issues.add(
          label(path || '(root)'),
          `refers to \${${name}} but the environment variable ${name} is not set`,
        );
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${path}[${i}]`, env, label, issues));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = interpolate(v, path ? `${path}.${k}` : k, env, label, issues);
    return out;
  }
  return value;
}
