#!/usr/bin/env node
/**
 * @module The server's compiled start path: bundles `src/cli.ts` and `src/token-cli.ts` (with
 * the workspace packages and the npm dependencies they import) into `server/dist/*.mjs` with
 * esbuild, so a start parses one file instead of compiling TypeScript (tsx) and resolving
 * hundreds of modules. PGlite stays external: it loads its WebAssembly and data files next to
 * its own module.
 *
 * `dist/manifest.json` lists every source file of the bundle outside node_modules (and the
 * lockfile) with its size and mtime: `distEntry(name)` answers the bundle only while none of
 * them changed, so an edited source is never run stale (`bin/*.js` fall back to tsx).
 *
 *   node server/scripts/build.mjs            build
 *   node server/scripts/build.mjs --if-stale build only when a source changed since the last build
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = resolve(fileURLToPath(import.meta.url), '../..');
const ROOT = resolve(SERVER, '..');
const DIST = join(SERVER, 'dist');
const MANIFEST = join(DIST, 'manifest.json');
const ENTRIES = {
  cli: 'src/cli.ts',
  'token-cli': 'src/token-cli.ts',
  'template-cli': 'src/db/template-cli.ts',
};
/** Not bundled: PGlite finds its .wasm/.data files through its own module URL; pg-native is optional. */
const EXTERNAL = /^(@electric-sql\/pglite|pg-native)(\/|$)/;

/**
 * The OpenAPI document is not compiled into the bundle as an object literal: that keeps it three
 * times in memory for the life of the process (its text in the bundle's source, the literal's
 * boilerplate in the module's bytecode, the object). The bundle reads `dist/openapi.json` with
 * `JSON.parse` once instead: only the object stays (about −2 MB of heap at idle).
 */
const OPENAPI_JSON = join(SERVER, 'src/generated/openapi.json');

/**
 * express-openapi-validator requires multer (and its own copies of busboy, type-is and mime-db:
 * about 0.8 MB of heap) when it is loaded, though only the validators of the operations that take
 * a multipart body use it. The bundle requires it on first use instead: the same calls, made through
 * a getter. The build fails if the module no longer reads as expected.
 */
const EOV_MULTIPART = /[\\/]express-openapi-validator[\\/]dist[\\/]middlewares[\\/]openapi\.multipart\.js$/;
const EAGER_MULTER = "const multer = require('multer');";
export const lazyMulter = {
  name: 'agentos-lazy-multer',
  setup(b) {
    b.onLoad({ filter: EOV_MULTIPART }, (a) => {
      const source = readFileSync(a.path, 'utf8');
      const rest = source.replace(EAGER_MULTER, '').replace(/\/\/.*$/gm, '');
      // Every other use must be a call `multer(` or `multer.MulterError`: else the module changed.
      if (!source.includes(EAGER_MULTER) || /\bmulter\b(?!\(|\.MulterError\b)/.test(rest))
        throw new Error(`${a.path} changed: the lazy multer transform does not apply`);
      return {
        contents: source
          .replace(
            EAGER_MULTER,
            "let multerModule; const multerLazy = () => (multerModule ??= require('multer'));",
          )
          .replace(/\bmulter\(/g, 'multerLazy()(')
          .replace(/\bmulter\.MulterError\b/g, 'multerLazy().MulterError'),
        loader: 'js',
        resolveDir: dirname(a.path),
      };
    });
  },
};
const OPENAPI_MODULE = `import { readFileSync } from 'node:fs';
export default JSON.parse(readFileSync(new URL('./openapi.json', import.meta.url), 'utf8'));
`;

/**
 * Node options the server runs with (`npm start`, the benchmark): V8 otherwise lets the heap of a
 * busy server grow to hundreds of MB of garbage before collecting it (its limits follow the
 * machine's memory, not the live heap, about 35 MB here). Capped, a full collection comes sooner:
 * peak RSS under the benchmark's load 220-260 → 175 MB. Buffers (uploads) are outside these limits.
 *
 * Two V8 worker threads instead of four: each worker keeps its own C heap arena (compile and GC
 * scratch memory), −2 to −3 MB idle, with no measurable cost in GC time or CPU per request under
 * the benchmark's load. The young generation may grow to 8 MB semi-spaces: a scavenge here costs
 * about 2 ms whatever its size, so fewer of them is less GC time per request (`GET /agents`, 3
 * interleaved rounds: 4 MB 4,867-5,185 req/s, 8 MB 4,796-5,424, 16 MB 5,214-5,561; 1 or 2 MB: GC
 * time per request ×2 and ×4). Idle RSS is the same (122-123 MB: start-up does not fill 4 MB); the
 * peak under load grows with it (`GET /agents`: 137, 145, 161 MB; the full benchmark's workloads at
 * 16 MB: 213.6 MB, over the 200 MB goal, hence 8).
 */
export const SERVER_NODE_OPTIONS = [
  '--max-old-space-size=128',
  '--max-semi-space-size=8',
  '--v8-pool-size=2',
];

/** Node options of a process that only runs PGlite (as bin/agentos-server.js runs it: baseline WebAssembly). */
const PGLITE_NODE_OPTIONS = ['--liftoff-only'];

function stamp(file) {
  const s = statSync(file);
  return [s.size, Math.round(s.mtimeMs)];
}

/** The bundle of `name` (`cli` or `token-cli`) when it is up to date with its sources, else null. */
export function distEntry(name) {
  const file = join(DIST, `${name}.mjs`);
  try {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    if (!manifest.entries?.includes(name) || !existsSync(file)) return null;
    for (const [path, [size, mtime]] of Object.entries(manifest.inputs)) {
      const [s, m] = stamp(join(ROOT, path));
      if (s !== size || m !== mtime) return null;
    }
    return file;
  } catch {
    return null;
  }
}

/**
 * Makes `dist/pgdata-template/` with the bundle just built (a child process: initdb's memory stays
 * there), unless the one there matches. A new PGlite database is a copy of it (src/db/template.ts).
 * @returns `made`, `up to date`, or the reason it failed (the server then creates databases with initdb)
 */
function makeTemplate() {
  const r = spawnSync(process.execPath, [...PGLITE_NODE_OPTIONS, join(DIST, 'template-cli.mjs'), DIST], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status === 0) return r.stdout.trim();
  const why = `PGlite data directory template not made (${r.error?.message ?? r.status}): ${r.stderr.slice(-500)}`;
  process.stderr.write(`${why}\n`);
  return why;
}

/**
 * express-openapi-validator compiles a validator of the whole OpenAPI 3.1 meta-schema at every
 * start (`OpenAPISchemaValidator`'s constructor), even with `validateApiSpec: false`, which is how
 * the server runs it (the spec is linted at build time; its validator is never called): about
 * 0.15 s of start and 5 MB of idle RSS for nothing. In the bundle the compile happens only when the
 * spec is to be validated. The file is matched by its path and its one line; the build fails if
 * the module no longer reads as expected (as lazyMulter's does).
 */
const SCHEMA_VALIDATOR_FILE =
  /express-openapi-validator[\\/]dist[\\/]framework[\\/]openapi\.schema\.validator\.js$/;
const SCHEMA_VALIDATOR_COMPILE = 'this.validator = ajvInstance.compile(schema);';
export const lazyOpenApiSchemaValidator = {
  name: 'agentos-lazy-openapi-schema-validator',
  setup(b) {
    b.onLoad({ filter: SCHEMA_VALIDATOR_FILE }, (a) => {
      const source = readFileSync(a.path, 'utf8');
      if (!source.includes(SCHEMA_VALIDATOR_COMPILE))
        throw new Error(`${a.path} changed: the lazy meta-schema validator transform does not apply`);
      return {
        contents: source.replace(
          SCHEMA_VALIDATOR_COMPILE,
          'this.validator = opts.validateApiSpec ? ajvInstance.compile(schema) : () => { throw new Error("OpenAPISchemaValidator: validateApiSpec is off"); };',
        ),
        loader: 'js',
      };
    });
  },
};

/** Bundles every entry into dist/ (written to temporary names, then renamed: concurrent builds are safe). */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const started = performance.now();
  mkdirSync(DIST, { recursive: true });
  const tag = `${process.pid}-${Date.now()}`;
  const result = await esbuild({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(SERVER, v)])),
    absWorkingDir: ROOT, // metafile paths are relative to it (the manifest below)
    outdir: DIST,
    entryNames: `[name].${tag}`,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Workspace packages from their sources (their package.json `@agentos/source` export condition).
    conditions: ['@agentos/source'],
    metafile: true,
    legalComments: 'none',
    // Smaller source to parse and keep in memory; identifiers stay readable in stack traces.
    // AGENTOS_BUILD_READABLE=1 keeps one statement per line (CPU profiles name a line, not a module).
    minifyWhitespace: process.env.AGENTOS_BUILD_READABLE !== '1',
    minifySyntax: true,
    keepNames: true,
    logLevel: 'warning',
    // CommonJS dependencies call require(): give the ES module one.
    banner: {
      js: "import { createRequire as __agentosCreateRequire } from 'node:module'; const require = __agentosCreateRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'agentos-external',
        setup(b) {
          b.onResolve({ filter: EXTERNAL }, (a) => ({ path: a.path, external: true }));
          b.onLoad({ filter: /[\\/]generated[\\/]openapi\.json$/ }, (a) =>
            resolve(a.path) === OPENAPI_JSON ? { contents: OPENAPI_MODULE, loader: 'js' } : undefined,
          );
        },
      },
      lazyOpenApiSchemaValidator,
      lazyMulter,
    ],
  });
  const inputs = {};
  for (const path of [...Object.keys(result.metafile.inputs), 'package-lock.json']) {
    const abs = resolve(ROOT, path);
    if (abs.includes(`${'/'}node_modules${'/'}`) && !abs.startsWith(join(ROOT, 'node_modules/@agentos')))
      continue;
    if (!existsSync(abs)) continue;
    inputs[relative(ROOT, abs)] = stamp(abs);
  }
  const openapiTmp = join(DIST, `openapi.json.${tag}`);
  writeFileSync(openapiTmp, JSON.stringify(JSON.parse(readFileSync(OPENAPI_JSON, 'utf8'))));
  renameSync(openapiTmp, join(DIST, 'openapi.json'));
  for (const name of Object.keys(ENTRIES))
    renameSync(join(DIST, `${name}.${tag}.mjs`), join(DIST, `${name}.mjs`));
  const manifestTmp = `${MANIFEST}.${tag}`;
  writeFileSync(
    manifestTmp,
    `${JSON.stringify({ built: new Date().toISOString(), entries: Object.keys(ENTRIES), inputs }, null, 1)}\n`,
  );
  renameSync(manifestTmp, MANIFEST);
  const template = makeTemplate();
  return { ms: Math.round(performance.now() - started), inputs: Object.keys(inputs).length, template };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && Object.keys(ENTRIES).every((n) => distEntry(n))) {
    process.stderr.write('server/dist is up to date\n');
  } else {
    const r = await build();
    process.stderr.write(
      `built server/dist (${r.inputs} source files) in ${r.ms} ms; PGlite data directory template: ${r.template}\n`,
    );
  }
}
