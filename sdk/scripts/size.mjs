#!/usr/bin/env node
// @module Prints the runtime size of each entry point (bytes raw / minified / minified+gzipped, types
// excluded, msw and jose excluded) and exits 1 when the main entry is over its budget.
//
// Usage: node scripts/size.mjs [--json]      (npm run size)
import { gzipSync } from 'node:zlib';
import { entries, esbuildOptions } from './build.mjs';

/**
 * Budget of the `.` entry, minified + gzipped. It was 8 KB for AgentOS 2.9's 123 operations. The
 * route table `can()` and the client read holds AgentOS 3.1's 206 operations; the generator's
 * `client` target writes it as compact text the SDK decodes at load (sdk/src/_routes.ts), about
 * 1.9 KB of the entry's 8.75 KB with its decoder. The rest of the entry (openapi-fetch, the client,
 * the decision of @agentos/core for `can()`) is 6.7 KB, so 8 KB would need about 0.55 KB less of
 * either: the budget stays 9 KB.
 */
export const BUDGET = 9 * 1024;

export async function measure() {
  const esbuild = await import('esbuild');
  const out = {};
  for (const [name, entry] of Object.entries(entries)) {
    const [raw, min] = await Promise.all(
      [false, true].map(async (minify) => {
        const r = await esbuild.build({ ...esbuildOptions(entry, { minify }), write: false });
        return r.outputFiles[0].contents;
      }),
    );
    out[name] = { raw: raw.length, min: min.length, gzip: gzipSync(min, { level: 9 }).length };
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const sizes = await measure();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ budget: BUDGET, ...sizes }));
  } else {
    for (const [name, s] of Object.entries(sizes)) {
      const budget =
        name === 'index' ? ` (budget ${BUDGET})` : name === 'mocks' ? ' (msw, jose excluded)' : '';
      console.log(
        `${name === 'index' ? '@agentos/sdk' : `@agentos/sdk/${name}`}: raw ${s.raw} B, min ${s.min} B, min+gzip ${s.gzip} B${budget}`,
      );
    }
  }
  if (sizes.index.gzip > BUDGET) {
    console.error(`size: @agentos/sdk is ${sizes.index.gzip} B min+gzip, over the ${BUDGET} B budget`);
    process.exitCode = 1;
  }
}
