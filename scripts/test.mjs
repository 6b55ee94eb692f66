#!/usr/bin/env node
// Runs the node:test suites of the workspace (or of the folders or test files named in argv) under tsx.
// Node 20's `--test` does not expand globs, so we find the files ourselves.
// By default only failures and a summary line are printed; `--tap` prints the runner's full TAP.
// `--durations` runs each file in its own runner process (`--jobs=N` at a time, default 2) and prints
// every file's wall-clock and CPU seconds, slowest first, then the totals: where the suite's time goes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const packages = ['core', 'spec', 'runtime', 'generator', 'server', 'sdk', 'conformance'];
const args = process.argv.slice(2);
const tap = args.includes('--tap');
const durations = args.includes('--durations');
// `npm test` type-checks the whole workspace first and says so: the test files that would run tsc
// again over a subset of it (sdk/test/typecheck.test.ts) skip instead.
const typechecked = args.includes('--typechecked');
// `--typecheck`: the root type check (tsc, ~40 s of one core) runs beside the tests instead of before
// them, filling the cores the test files leave idle; the run fails if either fails.
const typecheck = args.includes('--typecheck');
const jobsArg = args.find((a) => a.startsWith('--jobs='));
const ours = (a) =>
  a === '--tap' ||
  a === '--durations' ||
  a === '--typechecked' ||
  a === '--typecheck' ||
  a.startsWith('--jobs=');
const env = {
  ...process.env,
  // Every Node process of the run, the server CLIs the tests spawn included (scripts/test-node-flags.mjs).
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(root, 'scripts/test-node-flags.mjs'))}`.trim(),
  ...((typechecked || typecheck) && { AGENTOS_TYPECHECKED: '1' }),
  // A migrated in-memory PGlite database, dumped once and loaded by every later test process (and
  // the server CLIs they start) instead of initdb + migrations each time: ~2.5 s of CPU per file.
  // Named after the migrations fingerprint (server/src/db/index.ts), so a changed migration makes a new one.
  AGENTOS_PGLITE_CACHE: process.env.AGENTOS_PGLITE_CACHE ?? join(root, 'node_modules/.cache/agentos-pglite'),
};
const flags = args.filter((a) => a.startsWith('--') && !ours(a));
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

// A test file named on the command line runs as is; a folder runs its test/ tree.
const files = dirs
  .flatMap((d) => (/\.test\.ts$/.test(d) ? [d] : walk(join(d, 'test'), [])))
  .map((f) => relative(root, f))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${dirs.map((d) => relative(root, d)).join(', ')}`);
  process.exit(1);
}
const runner = ['--conditions=@agentos/source', '--import', 'tsx', '--test'];
if (durations) process.exit(await timeEachFile(Number(jobsArg?.slice(7) ?? 2)));
if (!typecheck) {
  const result = spawnSync(
    process.execPath,
    [...runner, '--test-concurrency=2', ...reporter, ...flags, ...files],
    { cwd: root, stdio: 'inherit', env },
  );
  process.exit(result.status ?? 1);
}
// The type check's output is held until the tests end, so the two never interleave.
const tsc = new Promise((done) => {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  child.on('error', (err) => done({ code: 1, out: String(err) }));
  child.on('close', (code) => done({ code, out }));
});
const tests = new Promise((done) => {
  const child = spawn(
    process.execPath,
    [...runner, '--test-concurrency=2', ...reporter, ...flags, ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env,
    },
  );
  child.on('close', (code) => done(code ?? 1));
});
const [checked, testStatus] = await Promise.all([tsc, tests]);
if (checked.code !== 0)
  process.stdout.write(`\ntype check failed (tsc -p tsconfig.json --noEmit):\n${checked.out}`);
else process.stdout.write('type check: no errors (tsc -p tsconfig.json --noEmit)\n');
process.exit(testStatus !== 0 ? testStatus : checked.code === 0 ? 0 : 1);

/** Runs every file alone, `jobs` at a time; prints wall and CPU seconds per file and the totals. */
async function timeEachFile(jobs) {
  // GNU time reports the CPU of the runner and of the test process it waits for.
  const gnuTime = existsSync('/usr/bin/time');
  const rows = [];
  let next = 0;
  let status = 0;
  const started = Date.now();
  async function worker() {
    while (next < files.length) {
      const file = files[next++];
      const argv = [...runner, ...reporter, ...flags, file];
      const cmd = gnuTime ? '/usr/bin/time' : process.execPath;
      const cmdArgs = gnuTime ? ['-f', '@cpu %U %S', process.execPath, ...argv] : argv;
      const t0 = Date.now();
      const { code, out } = await new Promise((done) => {
        const child = spawn(cmd, cmdArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
        child.on('close', (code) => done({ code, out }));
      });
      const wall = (Date.now() - t0) / 1000;
      const cpuLine = /@cpu ([\d.]+) ([\d.]+)/.exec(out);
      const cpu = cpuLine ? Number(cpuLine[1]) + Number(cpuLine[2]) : Number.NaN;
      const counts = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(out);
      const failed = code !== 0 || (counts !== null && counts[2] !== '0');
      if (failed) {
        status = 1;
        process.stdout.write(out.replace(/@cpu .*\n?/, ''));
      }
      rows.push({ file, wall, cpu, tests: counts ? Number(counts[1]) : 0, failed });
      process.stderr.write(`${wall.toFixed(1).padStart(6)} s  ${file}\n`);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  rows.sort((a, b) => b.wall - a.wall);
  const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
  console.log('\n  wall s   cpu s  tests  file');
  for (const r of rows) {
    console.log(
      `${r.wall.toFixed(1).padStart(8)}${r.cpu.toFixed(1).padStart(8)}${String(r.tests).padStart(7)}  ${r.file}${r.failed ? '  FAILED' : ''}`,
    );
  }
  console.log(
    `${sum('wall').toFixed(1).padStart(8)}${sum('cpu').toFixed(1).padStart(8)}${String(sum('tests')).padStart(7)}  total of ${rows.length} files, ${jobs} at a time: ${((Date.now() - started) / 1000).toFixed(1)} s elapsed`,
  );
  return status;
}
