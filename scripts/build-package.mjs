#!/usr/bin/env node
/**
 * @module Builds one workspace package for publishing: `tsc -p <pkg>/tsconfig.build.json` emits
 * JavaScript and `.d.ts` into `<pkg>/dist` (workspace dependencies resolve to their built `dist`, so
 * build them first: `npm run build` at the root runs every package in dependency order), then copies
 * the non-TypeScript assets a package reads at run time next to the compiled files.
 *
 *   node scripts/build-package.mjs core|runtime|spec|generator|server|sdk|conformance
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const pkg = process.argv[2];
const dir = join(root, pkg ?? '');
if (!pkg || !existsSync(join(dir, 'tsconfig.build.json'))) {
  console.error('usage: node scripts/build-package.mjs <package folder with a tsconfig.build.json>');
  process.exit(2);
}

/** Files read at run time through `import.meta.url`, copied from src/ to the same place in dist/. */
const ASSETS = {
  spec: ['openapi'], // `agentos-spec bundle` with no input reads the split sources
};

const started = Date.now();
const dist = join(dir, 'dist');
// The server's esbuild bundle (cli.mjs, token-cli.mjs, manifest.json) shares dist/: keep it.
for (const name of existsSync(dist) ? readdirSync(dist) : []) {
  if (pkg === 'server' && /^(cli|token-cli)\.mjs$|^manifest\.json$/.test(name)) continue;
  rmSync(join(dist, name), { recursive: true, force: true });
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  console.error(`${pkg}: tsc failed (errors above)`);
  process.exit(1);
}
for (const asset of ASSETS[pkg] ?? []) {
  cpSync(join(dir, 'src', asset), join(dist, asset), { recursive: true });
}
console.error(`${pkg}: built dist/ in ${Date.now() - started} ms`);
