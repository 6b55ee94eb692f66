#!/usr/bin/env node
// The server's CLI: the compiled bundle (server/dist, `npm run build`) when it is up to date with
// the sources, else the TypeScript sources through tsx.
import { setFlagsFromString } from 'node:v8';
import { distEntry } from '../scripts/build.mjs';

// PGlite's WebAssembly runs on V8's baseline compiler only: optimising it (TurboFan tier-up) costs
// ~40 MB of code memory and most of PGlite's start time, for no measurable gain on this server's
// queries (bench/run.ts measures both). AGENTOS_WASM_TIER_UP=1 restores V8's default.
if (process.env.AGENTOS_WASM_TIER_UP !== '1') setFlagsFromString('--liftoff-only');

const dist = distEntry('cli');
if (dist) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
