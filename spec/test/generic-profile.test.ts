/** @module `lint --profile generic` and `bundle INPUT OUTPUT`: any OpenAPI 3.0/3.1 API with standard security. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { lintSpec } from '../src/index.js';

const petstore = fileURLToPath(new URL('../../examples/petstore/openapi.yaml', import.meta.url));
const invalid = fileURLToPath(new URL('./fixtures/generic/invalid.yaml', import.meta.url));
const bin = fileURLToPath(new URL('../bin/agentos-spec.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'agentos-spec-generic-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('lint --profile generic', () => {
  it('accepts the OpenAPI 3.0 petstore (oauth2 scopes, either-scheme form, OR and AND)', async () => {
    const r = await lintSpec(petstore, { profile: 'generic' });
    assert.deepEqual(r, { errors: [], warnings: [] });
  });

  it('the AgentOS profile stays strict and points at --profile generic', async () => {
    const r = await lintSpec(petstore);
    assert.equal(r.errors[0]?.rule, 'openapi-version');
    assert.match(r.errors[0]!.message, /--profile generic/);
  });

  it('reports undeclared schemes, undeclared scopes, scopes on apiKey and operations without security', async () => {
    const r = await lintSpec(invalid, { profile: 'generic' });
    const got = [...r.errors, ...r.warnings].map((m) => [m.rule, m.pointer]);
    assert.deepEqual(got, [
      ['security-requirement-invalid', '/paths/~1pets/get/security/2/bearerAuth'],
      ['security-requirement-invalid', '/paths/~1other/get'],
      ['scope-undeclared', '/paths/~1pets/get/security/0/petstore_auth/1'],
      ['security-requirement-invalid', '/paths/~1pets/get/security/1/api_key'],
    ]);
    assert.equal(r.warnings.length, 1);
    // Messages name this document's schemes, never this project's.
    for (const m of r.errors) assert.doesNotMatch(m.message, /bearerAuth: \[|oauth2: \[|x-required-scopes/);
    assert.match(r.errors[0]!.message, /declared: "petstore_auth", "api_key"/);
  });

  it('the binary: --profile generic exits 0 on the petstore, 1 on the invalid one', () => {
    const ok = spawnSync(process.execPath, [bin, 'lint', '--profile', 'generic', petstore], {
      encoding: 'utf8',
    });
    assert.deepEqual([ok.status, ok.stderr], [0, '0 errors, 0 warnings\n']);
    const bad = spawnSync(process.execPath, [bin, 'lint', '--profile=generic', invalid], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /3 errors, 1 warning\n$/);
  });
});

describe('bundle INPUT [OUTPUT]', () => {
  it('writes a file to OUTPUT, to stdout without it, and --check compares', () => {
    const out = join(tmp, 'petstore.yaml');
    const w = spawnSync(process.execPath, [bin, 'bundle', petstore, out], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    assert.deepEqual(parse(readFileSync(out, 'utf8')), parse(readFileSync(petstore, 'utf8')));
    const s = spawnSync(process.execPath, [bin, 'bundle', petstore], { encoding: 'utf8' });
    assert.equal(s.status, 0);
    assert.equal(s.stdout, readFileSync(out, 'utf8'));
    const c = spawnSync(process.execPath, [bin, 'bundle', petstore, out, '--check'], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
  });

  it('bundles a sources folder (index.yaml + paths/)', () => {
    const folder = fileURLToPath(new URL('./fixtures/bundle/basic', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'bundle', folder], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      readFileSync(new URL('./fixtures/bundle/basic.expected.yaml', import.meta.url), 'utf8'),
    );
  });

  it('a missing input is a clear error, not a stack trace', () => {
    const r = spawnSync(process.execPath, [bin, 'bundle', join(tmp, 'nope.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^agentos-spec bundle: Cannot read .*nope\.yaml/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
