/**
 * @module `agentos-spec`: `lint [file]` and `bundle [--check]`. A thin layer over the library that
 * adds argv, output and exit codes (0 clean, 1 problems found, 2 input unreadable).
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { defineCommand, runMain } from 'citty';
import { bundleSpec, specSourcesPath } from './bundle.js';
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
      'Check an OpenAPI 3.1 document against the AgentOS contract (x-required-scopes, security, scope grammar). ' +
      'Exit 0 when there are no errors, 1 when there are, 2 when the file cannot be read.',
  },
  args: {
    file: {
      type: 'positional',
      required: false,
      description: 'YAML or JSON document (default: the bundled AgentOS spec)',
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
      result = await lintSpec(file);
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
    description: `Merge ${display(specSourcesPath)} into ${display(specPath)}, deriving security from x-required-scopes.`,
  },
  args: {
    check: {
      type: 'boolean',
      default: false,
      description: `Write nothing; exit 1 if ${display(specPath)} is not up to date`,
    },
  },
  async run({ args }) {
    let yaml: string;
    try {
      ({ yaml } = await bundleSpec({ root: specSourcesPath }));
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      console.error(`agentos-spec bundle: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    const out = display(specPath);
    if (args.check) {
      const current = await readFile(specPath, 'utf8').catch(() => undefined);
      if (current === yaml) {
        console.error(`${out} is up to date`);
        process.exitCode = 0;
      } else {
        console.error(
          `${out} is ${current === undefined ? 'missing' : 'stale'}: it does not match ${display(specSourcesPath)}. Run npm run bundle:spec and commit the result.`,
        );
        process.exitCode = 1;
      }
      return;
    }
    await writeFile(specPath, yaml);
    console.error(`wrote ${out}`);
  },
});

const main = defineCommand({
  meta: { name: 'agentos-spec', version, description: 'Bundle and lint the AgentOS OpenAPI document' },
  subCommands: { lint, bundle },
});

await runMain(main);
