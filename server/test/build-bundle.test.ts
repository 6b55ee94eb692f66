/**
 * The server bundle's build-time change to express-openapi-validator (server/scripts/build.mjs
 * `lazyOpenApiSchemaValidator`): the OpenAPI meta-schema validator is compiled only when the spec
 * is to be validated, and validates as before when it is.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
// @ts-expect-error: a plain ES module without types
import { lazyOpenApiSchemaValidator } from '../scripts/build.mjs';

const require = createRequire(import.meta.url);

test('the meta-schema validator compiles only when the spec is validated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentos-build-'));
  try {
    const entry = join(dir, 'entry.cjs');
    const file = require.resolve('express-openapi-validator/dist/framework/openapi.schema.validator.js');
    writeFileSync(entry, `module.exports = require(${JSON.stringify(file)});`);
    const out = join(dir, 'out.cjs');
    const result = await build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
      plugins: [lazyOpenApiSchemaValidator],
    });
    assert.deepEqual(result.warnings, [], 'the line to change was found');
    const { OpenAPISchemaValidator } = require(out) as {
      OpenAPISchemaValidator: new (o: {
        version: string;
        validateApiSpec: boolean;
      }) => { validator: unknown; validate(doc: unknown): { errors: unknown[] } };
    };
    const off = new OpenAPISchemaValidator({ version: '3.1.0', validateApiSpec: false });
    assert.throws(() => off.validate({}), /validateApiSpec is off/);
    const on = new OpenAPISchemaValidator({ version: '3.1.0', validateApiSpec: true });
    assert.equal(
      on.validate({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {} }).errors.length,
      0,
    );
    assert.ok(
      on.validate({ openapi: '3.1.0', paths: {} }).errors.length > 0,
      'a spec without info is refused',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
