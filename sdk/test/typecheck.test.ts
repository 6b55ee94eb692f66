/**
 * @module Runs tsc over the SDK project (src, tests and the type tests in types.test-d.ts, whose
 * `@ts-expect-error` lines must each be an error), so `npm test -w sdk` catches type regressions too.
 * The root `npm test` type-checks the whole workspace first (tsconfig.json includes these files, with
 * the same compiler options) and sets AGENTOS_TYPECHECKED; the same check is not run twice then.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { it } from 'node:test';
import { sdkDir } from '../scripts/build.mjs';

const skip = process.env.AGENTOS_TYPECHECKED
  ? 'npm test type-checked the workspace, sdk/ included, before the tests (npm run typecheck)'
  : false;

it('tsc -p sdk/tsconfig.json: no errors, every @ts-expect-error used', { timeout: 120_000, skip }, () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(sdkDir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
