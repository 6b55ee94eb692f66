/**
 * @module Runs the workspace from its TypeScript sources (this repository only; never published):
 * tsx compiles `.ts` on import, and the `@agentos/source` export condition makes `@agentos/*` resolve
 * to each package's `src/` instead of its built `dist/` (see docs/versioning.md, "Building"). The bin
 * launchers import this when they find `src/` next to them; `node --conditions=@agentos/source
 * --import tsx` does the same from the command line (the root tsconfig's `paths` cover plain
 * `node --import tsx` run from the repository root).
 */
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./source-condition.mjs', import.meta.url);
registerTsx();
