/** @module The agentos-spec binary as shipped: exit codes, stderr summary, --format json, bundle --check. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const specDir = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/agentos-spec.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The part of a SARIF result the tests read. */
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  locations: {
    physicalLocation: { artifactLocation: unknown; region: unknown };
    logicalLocations: { fullyQualifiedName: string }[];
  }[];
}

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

  it('lint prints file:line:col  rule  pointer  message lines grouped by severity, exits 1 on errors', () => {
    const r = run('lint', 'test/fixtures/lint/error-responses.yaml');
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('  ').slice(0, 4).join('|')),
      [
        'errors:',
        '|test/fixtures/lint/error-responses.yaml:11:7|error-responses|/paths/~1agents/get/responses',
        'warnings:',
        '|test/fixtures/lint/error-responses.yaml:21:9|error-responses|/paths/~1health/get/responses/401',
        '1 error, 1 warning',
      ],
    );
  });

  it('lint --format sarif prints a SARIF 2.1.0 log on stdout only', () => {
    const r = run('lint', 'test/fixtures/lint/error-responses.yaml', '--format', 'sarif');
    assert.deepEqual([r.code, r.stderr], [1, '']);
    const log = JSON.parse(r.stdout);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    assert.equal(log.runs.length, 1);
    const [run0] = log.runs;
    assert.deepEqual([run0.tool.driver.name, run0.tool.driver.version], ['agentos-spec', version]);
    const ids = run0.tool.driver.rules.map((d: { id: string }) => d.id);
    assert.equal(new Set(ids).size, ids.length, 'rule ids are unique');
    assert.ok(ids.includes('contains-invalid') && ids.includes('openapi-schema'));
    for (const d of run0.tool.driver.rules) assert.ok(d.shortDescription.text.length > 0, d.id);
    assert.deepEqual(
      run0.results.map((x: SarifResult) => [
        x.ruleId,
        ids[x.ruleIndex],
        x.level,
        x.locations[0]?.physicalLocation.artifactLocation,
        x.locations[0]?.physicalLocation.region,
        x.locations[0]?.logicalLocations[0]?.fullyQualifiedName,
      ]),
      [
        [
          'error-responses',
          'error-responses',
          'error',
          { uri: 'test/fixtures/lint/error-responses.yaml', uriBaseId: '%SRCROOT%' },
          { startLine: 11, startColumn: 7 },
          '/paths/~1agents/get/responses',
        ],
        [
          'error-responses',
          'error-responses',
          'warning',
          { uri: 'test/fixtures/lint/error-responses.yaml', uriBaseId: '%SRCROOT%' },
          { startLine: 21, startColumn: 9 },
          '/paths/~1health/get/responses/401',
        ],
      ],
    );
    assert.match(run0.results[0].message.text, /does not document the 403 answer/);
    assert.match(run0.originalUriBaseIds['%SRCROOT%'].uri, /^file:\/\/.*\/$/);
  });

  it('lint --format sarif of a clean document has no results', () => {
    const r = run('lint', 'test/fixtures/lint/clean.yaml', '--format', 'sarif');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).runs[0].results, []);
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
