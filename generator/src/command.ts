/**
 * @module The `agentos-gen` command: argv in, files and a summary out, an exit code back.
 * Exit codes: 0 ok; 1 stale output (`--check`) or a generation error; 2 usage.
 */
import { relative, resolve } from 'node:path';
import { unknownOption } from '@agentos/core';
import { defineCommand, parseArgs, renderUsage } from 'citty';
import { GENERATOR_VERSION, TARGETS, type TargetName } from './context.js';
import { GenerationError } from './errors.js';

const args = {
  spec: { type: 'string', description: 'OpenAPI document (YAML or JSON)', valueHint: 'file' },
  out: { type: 'string', description: 'Output directory', valueHint: 'dir' },
  targets: {
    type: 'string',
    description: `Comma-separated targets (default: all): ${TARGETS.join(', ')}`,
    valueHint: TARGETS.join(','),
  },
  check: {
    type: 'boolean',
    description: 'Write nothing; exit 1 naming each stale or missing file',
    default: false,
  },
} as const;

export const command = defineCommand({
  meta: {
    name: 'agentos-gen',
    version: GENERATOR_VERSION,
    description:
      'Route→scope table, types, Express stubs and msw mocks from an AgentOS-style OpenAPI document',
  },
  args,
});

/** Where the command writes: injectable so tests need not capture process streams. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  readonly cwd: string;
  /** Colour in usage text. */
  readonly color: boolean;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  cwd: process.cwd(),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !process.env.CI,
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

const KNOWN = new Set(['spec', 'out', 'targets', 'check', 'no-check', 'help', 'h', 'version', 'v']);

function ms(n: number): string {
  return `${Math.round(n)} ms`.padStart(7);
}

/**
 * Runs `agentos-gen` with `argv` (without the node and script paths).
 * @returns the exit code
 */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const usage = async () => {
    const text = await renderUsage(command);
    return io.color ? text : text.replace(ANSI, '');
  };
  const usageError = async (message: string) => {
    io.err(await usage());
    io.err(`agentos-gen: ${message}`);
    return 2;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(await usage());
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    io.out(GENERATOR_VERSION);
    return 0;
  }
  const bad = unknownOption(argv, [...KNOWN]);
  if (bad) return usageError(bad);
  const parsed = parseArgs<typeof args>([...argv], args);
  if (parsed._.length > 0) return usageError(`unexpected argument "${parsed._[0]}"`);
  if (!parsed.spec || typeof parsed.spec !== 'string') return usageError('--spec <file> is required');
  if (!parsed.out || typeof parsed.out !== 'string') return usageError('--out <dir> is required');
  let targets: TargetName[] | undefined;
  if (parsed.targets !== undefined) {
    const list = String(parsed.targets)
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = list.filter((t) => !(TARGETS as readonly string[]).includes(t));
    if (list.length === 0 || unknown.length > 0) {
      return usageError(
        `--targets: unknown target ${unknown.map((t) => `"${t}"`).join(', ') || '(none given)'}; expected ${TARGETS.join(', ')}`,
      );
    }
    targets = list as TargetName[];
  }

  // Loaded only now: TypeScript and openapi-typescript take most of the start-up time.
  const { checkOutput, generateDetailed, writeOutput } = await import('./index.js');
  const outDir = resolve(io.cwd, parsed.out);
  const shown = relative(io.cwd, outDir) || '.';
  const started = performance.now();
  let result: import('./index.js').GenerateResult;
  try {
    result = await generateDetailed({ spec: resolve(io.cwd, parsed.spec), specName: undefined, targets });
  } catch (e) {
    if (e instanceof GenerationError) {
      // The library names the absolute path; show it as the user typed it.
      io.err(`agentos-gen: ${e.code}: ${e.message.replace(resolve(io.cwd, parsed.spec), parsed.spec)}`);
      return 1;
    }
    throw e;
  }

  io.out(
    `agentos-gen ${GENERATOR_VERSION}: ${parsed.spec} → ${shown} (load ${Math.round(result.loadMs)} ms)`,
  );
  for (const t of result.targets) {
    io.out(`  ${t.target.padEnd(7)} ${String(t.files.length).padStart(2)} files ${ms(t.ms)}`);
  }

  if (parsed.check) {
    const check = await checkOutput(outDir, result.files);
    for (const p of check.stale) io.err(`stale:   ${shown}/${p}`);
    for (const p of check.missing) io.err(`missing: ${shown}/${p}`);
    for (const p of check.extra) io.err(`extra:   ${shown}/${p} (generated earlier, no longer produced)`);
    const bad = check.stale.length + check.missing.length + check.extra.length;
    if (bad > 0) {
      io.err(`agentos-gen: ${bad} file(s) out of date in ${shown}; regenerate them (npm run generate)`);
      return 1;
    }
    io.out(`  up to date: ${result.files.size} files (${Math.round(performance.now() - started)} ms)`);
    return 0;
  }
  const written = await writeOutput(outDir, result.files);
  io.out(
    `  wrote ${written.written.length}, unchanged ${written.unchanged.length}, removed ${written.removed.length} (${Math.round(performance.now() - started)} ms)`,
  );
  return 0;
}
