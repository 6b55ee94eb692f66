#!/usr/bin/env node
// The token CLI. Installed from npm: the bundle dist/token-cli.mjs. In the repository: that bundle
// while up to date with the sources, else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/token-cli.ts', import.meta.url))) {
  const { distEntry } = await import('../scripts/build.mjs');
  const dist = distEntry('token-cli');
  if (dist) {
    await import(dist);
  } else {
    await import('../../scripts/dev-source.mjs');
    await import('../src/token-cli.ts');
  }
} else {
  await import('../dist/token-cli.mjs');
}
