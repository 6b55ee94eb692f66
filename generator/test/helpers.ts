/**
 * @module Shared test helpers: fixture locations and generation.
 */
import { fileURLToPath } from 'node:url';
import { generate, type TargetName } from '../src/index.js';

export const FIXTURES = ['petstore', 'library'] as const;
export type FixtureName = (typeof FIXTURES)[number];

export const fixtureSpec = (name: FixtureName) =>
  fileURLToPath(new URL(`./fixtures/${name}/openapi.yaml`, import.meta.url));
export const fixtureOut = (name: FixtureName) =>
  fileURLToPath(new URL(`./fixtures/${name}/out`, import.meta.url));
export const generatorRoot = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export function generateFixture(name: FixtureName, targets?: TargetName[]): Promise<Map<string, string>> {
  return generate({ spec: fixtureSpec(name), targets });
}
