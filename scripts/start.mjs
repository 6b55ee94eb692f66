#!/usr/bin/env node
// `npm start`: runs the reference AgentOS server on the embedded database (server/bin/agentos-server.js).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../server/bin/agentos-server.js', import.meta.url));
if (!existsSync(bin)) {
  console.log(`The reference server is not built yet. What is available now:
  npm test                 run every test
  npm run lint:spec        lint spec/agentos.openapi.yaml against the contract
  npm run generate         regenerate the route table, types, stubs and mocks`);
  process.exit(0);
}
const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
