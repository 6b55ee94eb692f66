#!/usr/bin/env node
// Installed from npm: the compiled CLI in dist/. In the repository (src/ beside this file): the
// TypeScript sources through tsx, so the workspace runs without a build step.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli.ts', import.meta.url))) {
  await import('../../scripts/dev-source.mjs');
  await import('../src/cli.ts');
} else {
  await import('../dist/cli.js');
}
