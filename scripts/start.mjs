#!/usr/bin/env node
// `npm start`: runs the reference AgentOS server on the embedded database (server/bin/agentos-server.js),
// from its compiled bundle (server/dist, rebuilt here when a source changed since the last build).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build, distEntry, SERVER_NODE_OPTIONS } from '../server/scripts/build.mjs';

if (!distEntry('cli')) {
  try {
    const r = await build();
    process.stderr.write(`npm start: built server/dist in ${r.ms} ms\n`);
  } catch (e) {
    // The CLI falls back to the TypeScript sources (tsx) without a bundle.
    process.stderr.write(`npm start: could not build server/dist (${e.message}); running the sources\n`);
  }
}
const bin = fileURLToPath(new URL('../server/bin/agentos-server.js', import.meta.url));
const child = spawn(process.execPath, [...SERVER_NODE_OPTIONS, bin, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
