#!/usr/bin/env node
// Runs the node:test suites of the workspace (or of the folders named in argv) under tsx.
// Node 20's `--test` does not expand globs, so we find the files ourselves.
// By default only failures and a summary line are printed; `--tap` prints the runner's full TAP.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const packages = ['core', 'spec', 'runtime', 'generator', 'server', 'sdk', 'conformance'];
const args = process.argv.slice(2);
const tap = args.includes('--tap');
const flags = args.filter((a) => a.startsWith('--') && a !== '--tap');
const reporter = tap
  ? ['--test-reporter=tap']
  : [`--test-reporter=${join(root, 'scripts/test-reporter.mjs')}`];
const wanted = args.filter((a) => !a.startsWith('--'));
const dirs = (wanted.length ? wanted : packages).map((p) => resolve(root, p));

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.test\.ts$/.test(name)) out.push(full);
  }
  return out;
}

const files = dirs
  .flatMap((d) => walk(join(d, 'test'), []))
  .map((f) => relative(root, f))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${dirs.map((d) => relative(root, d)).join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--conditions=@agentos/source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    ...reporter,
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
