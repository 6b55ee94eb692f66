/**
 * The server bundle's build-time changes to express-openapi-validator (server/scripts/build.mjs):
 * `lazyOpenApiSchemaValidator`: the OpenAPI meta-schema validator is compiled only when the spec
 * is to be validated, and validates as before when it is; `lazyMulter`: multer is required when the
 * first multipart validator is made, not when the module loads, and still parses uploads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
// @ts-expect-error: a plain ES module without types
import { lazyMulter, lazyOpenApiSchemaValidator } from '../scripts/build.mjs';

const require = createRequire(import.meta.url);

/** Bundles one dependency file (CommonJS, into `dir`) as the server build would, with `options`. */
async function bundleDependency(
  dir: string,
  file: string,
  options: Pick<BuildOptions, 'external' | 'plugins'>,
): Promise<{ out: string; warnings: unknown[] }> {
  const entry = join(dir, 'entry.cjs');
  writeFileSync(entry, `module.exports = require(${JSON.stringify(file)});`);
  const out = join(dir, 'out.cjs');
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    ...options,
  });
  return { out, warnings: result.warnings };
}

test('the meta-schema validator compiles only when the spec is validated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentos-build-'));
  try {
    const file = require.resolve('express-openapi-validator/dist/framework/openapi.schema.validator.js');
    const { out, warnings } = await bundleDependency(dir, file, { plugins: [lazyOpenApiSchemaValidator] });
    assert.deepEqual(warnings, []);
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

test('multer is required by the first multipart validator, not when the validator module loads', async () => {
  // Inside the repository: the bundle's external require('multer') resolves from there.
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.build-'));
  try {
    const file = require.resolve('express-openapi-validator/dist/middlewares/openapi.multipart.js');
    // multer left external: whether (and when) it is required shows in require.cache.
    const { out } = await bundleDependency(dir, file, { external: ['multer'], plugins: [lazyMulter] });
    const multerPath = require.resolve('multer', { paths: [dirname(file)] });
    delete require.cache[multerPath];
    const { multipart } = require(out) as {
      multipart: (apiDoc: unknown, options: { multerOpts: object; ajvOpts: object }) => unknown;
    };
    assert.equal(require.cache[multerPath], undefined, 'not required when the module loads');
    const apiDoc = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {},
      components: { schemas: {} },
    };
    const middleware = multipart(apiDoc, {
      multerOpts: { limits: { fileSize: 10 } },
      ajvOpts: { formats: {} },
    });
    assert.equal(typeof middleware, 'function');
    assert.ok(require.cache[multerPath], 'required by the first multipart validator');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
