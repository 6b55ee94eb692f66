/** The README's probe table is the catalog (a fact the docs state, checked in CI). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PROBES } from '../src/probes/catalog.js';

test('every probe id is documented in README.md with its severity', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const p of PROBES.values())
    assert.match(readme, new RegExp(`\\| \`${p.id}\` \\| ${p.severity} \\|`), p.id);
});
