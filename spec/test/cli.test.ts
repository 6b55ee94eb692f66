/** @module The agentos-spec binary as shipped: exit codes, stderr summary, --format json, bundle --check. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const specDir = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/agentos-spec.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: specDir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    lastLine: r.stderr.trimEnd().split('\n').at(-1),
  };
}

describe('agentos-spec', () => {
  it('--version prints the package version', () => {
    const r = run('--version');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${version}\n`);
  });

  it('--help lists the commands', () => {
    const r = run('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /lint/);
    assert.match(r.stdout, /bundle/);
  });

  it('lint of a clean document exits 0 with the summary on stderr only', () => {
    const r = run('lint', 'test/fixtures/lint/clean.yaml');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '0 errors, 0 warnings\n']);
  });

  it('lint prints file:pointer  rule  message lines grouped by severity, exits 1 on errors', () => {
    const r = run('lint', 'test/fixtures/lint/error-responses.yaml');
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('  ').slice(0, 3).join('|')),
      [
        'errors:',
        '|test/fixtures/lint/error-responses.yaml:/paths/~1agents/get/responses|error-responses',
        'warnings:',
        '|test/fixtures/lint/error-responses.yaml:/paths/~1health/get/responses/401|error-responses',
        '1 error, 1 warning',
      ],
    );
  });

  it('lint --format json prints only the LintResult on stdout', () => {
    const r = run('lint', 'test/fixtures/lint/operation-id.yaml', '--format', 'json');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '');
    const result = JSON.parse(r.stdout);
    assert.deepEqual(
      result.errors.map((m: { rule: string; pointer: string }) => [m.rule, m.pointer]),
      [
        ['operation-id', '/paths/~1b/get/operationId'],
        ['operation-id', '/paths/~1c/get'],
      ],
    );
    assert.deepEqual(result.warnings, []);
  });

  it('lint of a missing file exits 2 and says why', () => {
    const r = run('lint', 'test/fixtures/lint/nope.yaml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^agentos-spec lint: Cannot read test\/fixtures\/lint\/nope\.yaml: ENOENT/);
  });

  it('lint without a file lints the bundled spec', () => {
    const r = run('lint');
    assert.equal(r.lastLine?.match(/^\d+ errors?, \d+ warnings?$/) !== null, true, r.stderr);
  });

  it('bundle --check exits 0 when spec/agentos.openapi.yaml matches the sources', () => {
    const r = run('bundle', '--check');
    assert.deepEqual([r.code, r.stderr], [0, 'agentos.openapi.yaml is up to date\n']);
  });
});
