#!/usr/bin/env node
// The server's CLI. Installed from npm: the esbuild bundle dist/cli.mjs. In the repository (src/
// beside this file): that bundle while it is up to date with the sources (`npm run build`, `npm
// start`), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// PGlite's WebAssembly runs on V8's baseline compiler only: optimising it (TurboFan tier-up) costs
// ~40 MB of code memory and most of PGlite's start time, for no measurable gain on this server's
// queries (bench/run.ts measures both). AGENTOS_WASM_TIER_UP=1 restores V8's default.
if (process.env.AGENTOS_WASM_TIER_UP !== '1') setFlagsFromString('--liftoff-only');

if (existsSync(new URL('../src/cli.ts', import.meta.url))) {
  const { distEntry } = await import('../scripts/build.mjs');
  const dist = distEntry('cli');
  if (dist) {
    await import(dist);
  } else if (process.env.AGENTOS_REQUIRE_DIST === '1') {
    // The benchmark measures the bundle: a source changed since `npm run build` must not turn its
    // figures into those of the TypeScript sources compiled at start.
    process.stderr.write(
      'agentos-server: server/dist is older than the sources (AGENTOS_REQUIRE_DIST=1): run npm run build\n',
    );
    process.exit(78);
  } else {
    await import('../../scripts/dev-source.mjs');
    await import('../src/cli.ts');
  }
} else {
  await import('../dist/cli.mjs');
}
