/**
 * The generated code type-checks as its own project (tsconfig.generated.json: the golden output
 * of every fixture, strict, NodeNext, noUncheckedIndexedAccess).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { it } from 'node:test';
import { generatorRoot } from './helpers.js';

it('generated output type-checks (tsc -p generator/tsconfig.generated.json)', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(generatorRoot, 'tsconfig.generated.json')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
