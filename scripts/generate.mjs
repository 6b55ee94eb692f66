#!/usr/bin/env node
// Regenerates the artefacts of spec/agentos.openapi.yaml inside the packages that commit them:
//   server/src/generated  ← targets scopes, types, server
//   sdk/src/generated     ← targets scopes, types, mocks, client
// `--check` writes nothing and exits 1 naming each stale, missing or leftover file (CI runs it).
// The document is read and modelled once; each target runs once and its files go to every
// package that wants them.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

await import('./dev-source.mjs');
const { checkOutput, generateDetailed, writeOutput, GenerationError, GENERATOR_VERSION } = await import(
  '../generator/src/index.ts'
);

const root = resolve(fileURLToPath(import.meta.url), '../..');
const spec = 'spec/agentos.openapi.yaml';
const outputs = [
  { dir: 'server/src/generated', targets: ['scopes', 'types', 'server'] },
  { dir: 'sdk/src/generated', targets: ['scopes', 'types', 'mocks', 'client'] },
];
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  console.error(`usage: node scripts/generate.mjs [--check]\nunknown argument: ${unknown.join(' ')}`);
  process.exit(2);
}
const check = args.includes('--check');

const started = performance.now();
let result;
try {
  result = await generateDetailed({
    spec: resolve(root, spec),
    targets: [...new Set(outputs.flatMap((o) => o.targets))],
  });
} catch (error) {
  if (error instanceof GenerationError) {
    console.error(`agentos-gen: ${error.code}: ${error.message.replace(resolve(root, spec), spec)}`);
    process.exit(1);
  }
  throw error;
}

console.log(`agentos-gen ${GENERATOR_VERSION}: ${spec} (load ${Math.round(result.loadMs)} ms)`);
for (const t of result.targets) {
  console.log(
    `  ${t.target.padEnd(7)} ${String(t.files.length).padStart(2)} files ${String(Math.round(t.ms)).padStart(5)} ms`,
  );
}

let stale = 0;
for (const output of outputs) {
  const wanted = new Set(
    result.targets.filter((t) => output.targets.includes(t.target)).flatMap((t) => t.files),
  );
  const files = new Map([...result.files].filter(([path]) => wanted.has(path)));
  const dir = resolve(root, output.dir);
  const shown = relative(process.cwd(), dir) || '.';
  if (check) {
    const r = await checkOutput(dir, files);
    for (const p of r.stale) console.error(`stale:   ${shown}/${p}`);
    for (const p of r.missing) console.error(`missing: ${shown}/${p}`);
    for (const p of r.extra) console.error(`extra:   ${shown}/${p} (generated earlier, no longer produced)`);
    stale += r.stale.length + r.missing.length + r.extra.length;
    if (r.ok) console.log(`  ${output.dir}: up to date (${files.size} files)`);
  } else {
    const w = await writeOutput(dir, files);
    console.log(
      `  ${output.dir}: wrote ${w.written.length}, unchanged ${w.unchanged.length}, removed ${w.removed.length}`,
    );
  }
}
const total = Math.round(performance.now() - started);
if (stale > 0) {
  console.error(
    `agentos-gen: ${stale} generated file(s) out of date; run \`npm run generate\` (${total} ms)`,
  );
  process.exit(1);
}
console.log(`  done in ${total} ms`);
