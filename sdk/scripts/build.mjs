#!/usr/bin/env node
// @module Builds the publishable SDK into dist/: ESM bundles with esbuild (openapi-fetch, the parts of
// @agentos/core in use and the msw runtime @agentos/runtime/msw inlined; msw and jose left to the
// consumer) and .d.ts files with tsc, with the declarations of @agentos/core and @agentos/runtime
// copied into dist/_core/ and dist/_runtime/ so the published types need no workspace package.
//
// Usage: node scripts/build.mjs        (npm run build, and prepack)
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The package entry points: `.`, `./mocks` and `./socket`. */
export const entries = { index: 'src/index.ts', mocks: 'src/mocks.ts', socket: 'src/socket.ts' };

/** Left to the consumer (peer dependencies of the mocks entry). */
export const external = ['msw', 'msw/*', 'jose'];

/**
 * esbuild options shared by the build and the size check: one self-contained ESM file per entry,
 * platform-neutral (no Node built-ins may be reached: the build fails if one is).
 */
export function esbuildOptions(entry, { minify = false } = {}) {
  return {
    absWorkingDir: sdkDir,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@agentos/source', 'import', 'default'],
    target: 'es2022',
    external,
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** Workspace packages whose declarations are copied into dist: specifier → file in dist. */
const LINKED = { '@agentos/core': ['_core', 'index.js'], '@agentos/runtime/msw': ['_runtime', 'msw.js'] };

/** Rewrites the workspace packages in declarations to their copies in dist, relative to each file. */
function relinkDeclarations(dist) {
  const problems = [];
  for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) {
    let text = readFileSync(file, 'utf8');
    for (const [spec, at] of Object.entries(LINKED)) {
      const target = relative(dirname(file), join(dist, ...at))
        .split(sep)
        .join(posix.sep);
      const quoted = new RegExp(`(["'])${spec.replace(/[/]/g, '\\/')}\\1`, 'g');
      text = text.replace(quoted, `'${target.startsWith('.') ? target : `./${target}`}'`);
    }
    writeFileSync(file, text);
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('@agentos/'))
        problems.push(`${relative(sdkDir, file)} imports workspace package "${spec}"`);
      if (spec.startsWith('.') && !existsSync(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')))) {
        problems.push(`${relative(sdkDir, file)} imports "${spec}", which is not in dist`);
      }
    }
  }
  return problems;
}

export async function build() {
  const started = Date.now();
  const esbuild = await import('esbuild');
  const dist = join(sdkDir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  for (const [name, entry] of Object.entries(entries)) {
    await esbuild.build({ ...esbuildOptions(entry), outfile: join(dist, `${name}.js`) });
  }

  // Declarations: tsconfig.build.json maps @agentos/core to core/src (a source file, not a library),
  // so tsc emits both trees under dist/.types/{sdk,core}/src; move them into place.
  const tmp = join(dist, '.types');
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(sdkDir, 'tsconfig.build.json'), '--outDir', tmp], {
      stdio: 'inherit',
    });
  } catch {
    throw new Error('build: tsc could not emit the declarations (errors above)');
  }
  cpSync(join(tmp, 'sdk', 'src'), dist, { recursive: true });
  if (existsSync(join(tmp, 'core', 'src')))
    cpSync(join(tmp, 'core', 'src'), join(dist, '_core'), { recursive: true });
  if (existsSync(join(tmp, 'runtime', 'src')))
    cpSync(join(tmp, 'runtime', 'src'), join(dist, '_runtime'), { recursive: true });
  rmSync(tmp, { recursive: true, force: true });

  const problems = relinkDeclarations(dist);
  if (problems.length)
    throw new Error(`build: the published types are not self-contained:\n  ${problems.join('\n  ')}`);

  const files = walk(dist).length;
  console.error(`sdk: built dist/ (${files} files) in ${Date.now() - started} ms`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build().catch((e) => {
    console.error(e.message ?? e);
    process.exitCode = 1;
  });
}
