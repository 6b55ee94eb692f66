/**
 * @module The argv habits of the server package's bins (`agentos-server`, `agentos-token`), before
 * citty parses: `--version`, `--help` without colour off a terminal, unknown options refused with a
 * suggestion (exit 2).
 */
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, stripAnsi, unknownOption, useColor } from '@agentos/core';
import { type ArgsDef, type CommandDef, renderUsage, runMain } from 'citty';

export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Usage text, coloured only when `stream` is a terminal that wants colour. */
export async function usageFor<T extends ArgsDef>(
  command: CommandDef<T>,
  stream: NodeJS.WriteStream,
): Promise<string> {
  const text = await renderUsage(command as CommandDef);
  return useColor(stream, process.env) ? text : stripAnsi(text);
}

/**
 * Runs `command` with `argv` after the checks citty does not make.
 * @param options `name` for messages; `options` the long option names the command takes
 */
export async function runStrict<T extends ArgsDef>(
  command: CommandDef<T>,
  argv: readonly string[],
  { name, options }: { name: string; options: readonly string[] },
): Promise<void> {
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${await usageFor(command, process.stdout)}\n`);
    return;
  }
  const bad = unknownOption(argv, [...options, 'help', 'h', 'version', 'v']);
  if (bad) {
    process.stderr.write(`${name}: ${bad}\nRun ${name} --help for the options.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  await runMain(command, { rawArgs: [...argv] });
}
