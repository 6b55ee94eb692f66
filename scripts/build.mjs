#!/usr/bin/env node
/**
 * @module `npm run build`: builds every workspace package into its dist/ in dependency order, the
 * packages of one stage side by side (each is `npm run build` in that package):
 *   core → spec, runtime → server, sdk, generator, conformance
 * (spec and the runtime need only core's declarations; the server, the SDK and the generator need the
 * runtime's, the generator and the suite spec's).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const stages = [['core'], ['spec', 'runtime'], ['server', 'sdk', 'generator', 'conformance']];
const started = Date.now();

function build(pkg) {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', '-s', 'build', '-w', `@agentos/${pkg}`], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${pkg}: build failed (exit ${code})`)),
    );
  });
}

try {
  for (const stage of stages) await Promise.all(stage.map(build));
  console.error(`built ${stages.flat().length} packages in ${Date.now() - started} ms`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
