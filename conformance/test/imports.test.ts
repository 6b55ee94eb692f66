/**
 * The suite's modules import each other without a cycle (a plan.ts ↔ probes cycle once spanned
 * eight files): `plan.ts` imports the probe modules, the probes import `plan-context.ts`, never
 * `plan.ts`. Reads every relative import of `conformance/src` (type-only ones included) and fails
 * naming the files of each cycle found.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports and re-exports (`from './x.js'`, `import('./x.js')`, `import './x.js'`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\bfrom\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
    ...text.matchAll(/^import\s+'(\.[^']+)'/gm),
  ].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (n: string) => {
    index.set(n, next);
    low.set(n, next);
    next++;
    stack.push(n);
    onStack.add(n);
    for (const w of graph.get(n) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(n, Math.min(low.get(n)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(n, Math.min(low.get(n)!, index.get(w)!));
    }
    if (low.get(n) === index.get(n)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== n);
      if (component.length > 1 || (graph.get(n) ?? []).includes(n)) out.push(component);
    }
  };
  for (const n of graph.keys()) if (!index.has(n)) visit(n);
  return out;
}

describe('conformance/src imports', () => {
  const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)] as const));

  it('reads the probe modules and their imports', () => {
    const probes = [...graph.keys()].filter((f) => relative(SRC, f).startsWith('probes/'));
    assert.ok(probes.length >= 10, `probe modules found: ${probes.length}`);
    const plan = graph.get(join(SRC, 'plan.ts')) ?? [];
    assert.ok(plan.includes(join(SRC, 'probes/scope.ts')), 'plan.ts imports the probes');
  });

  it('form no cycle', () => {
    const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).sort());
    assert.deepEqual(found, [], `import cycles: ${found.map((c) => c.join(' → ')).join('; ')}`);
  });

  it('would see one (the check is not blind)', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    assert.equal(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ).length,
      1,
    );
  });
});
