#!/usr/bin/env node
// The token CLI: the compiled bundle (server/dist) when up to date with the sources, else tsx.
import { distEntry } from '../scripts/build.mjs';

const dist = distEntry('token-cli');
if (dist) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/token-cli.ts');
}
