/**
 * @module `agentos-spec`: `lint [file]` and `bundle [--check]`. A thin layer over the library that
 * adds argv, output and exit codes (0 clean, 1 problems found, 2 input unreadable).
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { closest, EXIT_USAGE, stripAnsi, unknownOption, useColor } from '@agentos/core';
import { type CommandDef, defineCommand, renderUsage, runMain } from 'citty';
import { bundleSpec, specSourcesPath } from './bundle.js';
import { bundleInput } from './bundle-input.js';
import { SpecError } from './errors.js';
import { type LintMessage, lintSpec } from './lint.js';
import { specPath } from './load.js';
import { toSarif } from './sarif.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** A path as the user would type it: relative to the working directory when inside it. */
function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const lint = defineCommand({
  meta: {
    name: 'lint',
    description:
      'Check an OpenAPI document against the AgentOS contract (x-required-scopes, security, scope grammar), ' +
      'or with --profile generic any OpenAPI 3.0/3.1 API that states its scopes with security. ' +
      'Exit 0 when there are no errors, 1 when there are, 2 when the file cannot be read.',
  },
  args: {
    file: {
      type: 'positional',
      required: false,
      description: 'YAML or JSON document (default: the bundled AgentOS spec)',
    },
    profile: {
      type: 'enum',
      options: ['agentos', 'generic'],
      default: 'agentos',
      description:
        'agentos: the AgentOS contract (OpenAPI 3.1, x-required-scopes everywhere); generic: any OpenAPI 3.0/3.1 API stating its scopes with standard security',
    },
    format: {
      type: 'enum',
      options: ['text', 'json', 'sarif'],
      default: 'text',
      description: 'text on stderr, the LintResult as JSON on stdout, or SARIF 2.1.0 on stdout',
    },
  },
  async run({ args }) {
    const file = args.file ?? specPath;
    let result: Awaited<ReturnType<typeof lintSpec>>;
    try {
      result = await lintSpec(file, { profile: args.profile === 'generic' ? 'generic' : 'agentos' });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      console.error(`agentos-spec lint: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else if (args.format === 'sarif') {
      process.stdout.write(
        `${JSON.stringify(toSarif(result, { toolVersion: version, document: file }), null, 2)}\n`,
      );
    } else {
      const name = display(file);
      // `file:line:col` first, so terminals and editors link it; the pointer stays for the bundled view.
      const line = (m: LintMessage) =>
        `  ${m.file && m.line !== undefined ? `${display(m.file)}:${m.line}:${m.column ?? 1}` : name}  ${m.rule}  ${m.pointer || '/'}  ${m.message}`;
      if (result.errors.length) console.error(['errors:', ...result.errors.map(line)].join('\n'));
      if (result.warnings.length) console.error(['warnings:', ...result.warnings.map(line)].join('\n'));
      console.error(`${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')}`);
    }
    process.exitCode = result.errors.length ? 1 : 0;
  },
});

const bundle = defineCommand({
  meta: {
    name: 'bundle',
    description:
      `Bundle an OpenAPI document into one file. Without arguments: merge ${display(specSourcesPath)} into ` +
      `${display(specPath)}, deriving security from x-required-scopes. With INPUT: a folder laid out the same ` +
      'way (index.yaml + paths/*.yaml), or a YAML/JSON file whose external $refs are brought in; written to ' +
      'OUTPUT, or to stdout without it.',
  },
  args: {
    input: { type: 'positional', required: false, description: 'sources folder or YAML/JSON file' },
    output: { type: 'positional', required: false, description: 'file to write (default: stdout)' },
    check: {
      type: 'boolean',
      default: false,
      description: 'Write nothing; exit 1 if the output file is not up to date',
    },
  },
  async run({ args }) {
    const input = args.input === undefined ? undefined : String(args.input);
    const target =
      input === undefined ? specPath : args.output === undefined ? undefined : String(args.output);
    let yaml: string;
    try {
      yaml =
        input === undefined ? (await bundleSpec({ root: specSourcesPath })).yaml : await bundleInput(input);
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      console.error(`agentos-spec bundle: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    if (target === undefined) {
      if (args.check) {
        console.error('agentos-spec bundle: --check needs an OUTPUT file to compare with');
        process.exitCode = 2;
        return;
      }
      process.stdout.write(yaml);
      return;
    }
    const out = display(target);
    const from = input === undefined ? display(specSourcesPath) : input;
    if (args.check) {
      const current = await readFile(target, 'utf8').catch(() => undefined);
      if (current === yaml) {
        console.error(`${out} is up to date`);
        process.exitCode = 0;
      } else {
        const fix = input === undefined ? 'npm run bundle:spec' : `agentos-spec bundle ${input} ${out}`;
        console.error(
          `${out} is ${current === undefined ? 'missing' : 'stale'}: it does not match ${from}. Run ${fix} and commit the result.`,
        );
        process.exitCode = 1;
      }
      return;
    }
    await writeFile(target, yaml);
    console.error(`wrote ${out}`);
  },
});

const main = defineCommand({
  meta: { name: 'agentos-spec', version, description: 'Bundle and lint the AgentOS OpenAPI document' },
  subCommands: { lint, bundle },
});

const subCommands = { lint, bundle } as Record<string, unknown> as Record<string, CommandDef>;
const OPTIONS: Record<string, string[]> = { lint: ['profile', 'format'], bundle: ['check'] };

/** `--version`, `--help` without colour off a terminal, unknown commands and options refused (exit 2). */
async function runStrict(argv: readonly string[]): Promise<void> {
  const name = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  const sub = name === undefined ? undefined : subCommands[name];
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${version}\n`);
    return;
  }
  const fail = (message: string) => {
    process.stderr.write(
      `agentos-spec: ${message}\nRun agentos-spec${sub ? ` ${name}` : ''} --help for the options.\n`,
    );
    process.exitCode = EXIT_USAGE;
  };
  if (name !== undefined && !sub) {
    const hint = closest(name, Object.keys(subCommands));
    fail(
      `unknown command "${name}"${hint ? `; did you mean "${hint}"?` : `; commands: ${Object.keys(subCommands).join(', ')}`}`,
    );
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    const text = await renderUsage(sub ?? main, sub ? main : undefined);
    process.stdout.write(`${useColor(process.stdout, process.env) ? text : stripAnsi(text)}\n`);
    return;
  }
  const bad = unknownOption(sub ? argv.slice(1) : argv, [
    ...(name ? (OPTIONS[name] ?? []) : []),
    'help',
    'h',
    'version',
    'v',
  ]);
  if (bad) return fail(bad);
  await runMain(main, { rawArgs: [...argv] });
}

await runStrict(process.argv.slice(2));
