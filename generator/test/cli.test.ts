/**
 * The CLI: the binary as shipped (bin/agentos-gen.js spawned) for exit codes and output, and
 * `main` in-process for the rest.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../src/command.js';
import { fixtureOut, fixtureSpec, generatorRoot, repoRoot } from './helpers.js';

const bin = join(generatorRoot, 'bin/agentos-gen.js');
const tmp = mkdtempSync(join(tmpdir(), 'agentos-gen-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The binary, spawned. Start-up costs seconds (TypeScript loads), so most cases run `main` in-process. */
function spawn(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `main` with captured output, as the binary calls it. */
async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (l) => {
      stdout += `${l}\n`;
    },
    err: (l) => {
      stderr += `${l}\n`;
    },
    cwd: repoRoot,
    color: false,
  });
  return { code, stdout, stderr };
}

const spec = relative(repoRoot, fixtureSpec('petstore'));

describe('agentos-gen CLI', () => {
  it('--version prints the version (binary)', () => {
    assert.deepEqual(spawn('--version'), { code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('--help prints usage without colour (binary)', () => {
    const r = spawn('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /USAGE agentos-gen \[OPTIONS\]/);
    for (const flag of [
      '--spec=<file>',
      '--out=<dir>',
      '--targets=<scopes,types,server,mocks,client>',
      '--check',
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
    assert.ok(!r.stdout.includes('\u001b['), 'no ANSI escapes');
  });

  const usage: [string, string[], RegExp][] = [
    ['no --spec', ['--out', 'x'], /--spec <file> is required/],
    ['no --out', ['--spec', spec], /--out <dir> is required/],
    ['an unknown option', ['--spec', spec, '--out', 'x', '--force'], /unknown option "--force"/],
    ['an unknown target', ['--spec', spec, '--out', 'x', '--targets', 'scopes,sdk'], /unknown target "sdk"/],
    ['a stray argument', ['--spec', spec, '--out', 'x', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 on ${name}`, async () => {
      const r = await run(...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /USAGE/);
    });
  }

  it('exits 2 on a usage error (binary)', () => {
    const r = spawn('--out', 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--spec <file> is required/);
  });

  it('exits 1 on a generation error, naming the file and the JSON Pointer (binary)', () => {
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(fixtureSpec('petstore'), 'utf8').replace("      x-required-scopes: ['pets:write']\n", ''),
    );
    const r = spawn('--spec', broken, '--out', join(tmp, 'never'));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      `agentos-gen: ERR_GEN_REQUIRED_SCOPES: ${broken}#/paths/~1pets/post: operation has no "x-required-scopes"; every operation needs one ([] for a public operation), see \`agentos-spec lint\``,
    );
  });

  it('exits 1 on an unreadable spec', async () => {
    const r = await run('--spec', 'missing.yaml', '--out', join(tmp, 'never'));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'agentos-gen: ERR_GEN_SPEC_READ: missing.yaml: cannot read the document: ENOENT',
    );
  });

  it('writes the targets and prints one timed line per target', async () => {
    const out = join(tmp, 'scopes-only');
    const r = await run('--spec', spec, '--out', out, '--targets', 'scopes');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^agentos-gen 0\.1\.0: .*petstore\/openapi\.yaml → .*scopes-only \(load \d+ ms\)$/,
    );
    assert.match(lines[1]!, /^ {2}scopes +4 files +\d+ ms$/);
    assert.match(lines[2]!, /^ {2}wrote 4, unchanged 0, removed 0 \(\d+ ms\)$/);
    assert.deepEqual(
      readFileSync(join(out, 'routes.json'), 'utf8'),
      readFileSync(join(fixtureOut('petstore'), 'routes.json'), 'utf8'),
    );
  });

  it('adds the targets server and mocks import', async () => {
    const r = await run('--spec', spec, '--out', join(tmp, 'mocks'), '--targets', 'mocks');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .split('\n')
        .filter((l) => /^ {2}\w+ +\d+ files/.test(l))
        .map((l) => l.trim().split(/\s+/)[0]),
      ['scopes', 'types', 'mocks'],
    );
  });

  it('--check exits 0 on up-to-date output and 1 naming each stale, missing or leftover file', async () => {
    const out = join(tmp, 'check');
    cpSync(fixtureOut('petstore'), out, { recursive: true });
    assert.equal((await run('--spec', spec, '--out', out, '--check')).code, 0);

    writeFileSync(join(out, 'routes.ts'), `${readFileSync(join(out, 'routes.ts'), 'utf8')}// edited\n`);
    unlinkSync(join(out, 'mocks.ts'));
    writeFileSync(join(out, 'old.ts'), '// Auto-generated by agentos-gen 0.0.1 from x.yaml\n');
    writeFileSync(join(out, 'hand-written.ts'), 'export {};\n');
    const r = spawn('--spec', spec, '--out', out, '--check');
    assert.equal(r.code, 1);
    const shown = relative(repoRoot, out);
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      `stale:   ${shown}/routes.ts`,
      `missing: ${shown}/mocks.ts`,
      `extra:   ${shown}/old.ts (generated earlier, no longer produced)`,
      `agentos-gen: 3 file(s) out of date in ${shown}; regenerate them (npm run generate)`,
    ]);
    // --check wrote nothing.
    assert.match(readFileSync(join(out, 'routes.ts'), 'utf8'), /\/\/ edited\n$/);

    const w = await run('--spec', spec, '--out', out);
    assert.equal(w.code, 0);
    assert.match(w.stdout, /wrote 2, unchanged 9, removed 1/);
    assert.equal((await run('--spec', spec, '--out', out, '--check')).code, 0);
    assert.equal(readFileSync(join(out, 'hand-written.ts'), 'utf8'), 'export {};\n');
  });
});
