import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSpec } from '../src/index.js';

// A comma or `: ` inside an unquoted YAML flow value splits it into a stray key with a null value
// (`{ description: A, or B }` → `{ description: 'A', 'or B': null }`). OpenAPI 3.1 schemas accept
// unknown keywords, so neither swagger-parser nor the lint sees it: look for such nulls here.
test('the bundled document has no null values outside data positions', async () => {
  const doc = await loadSpec();
  const found: string[] = [];
  const walk = (node: unknown, pointer: string, inData: boolean) => {
    if (node === null) {
      if (!inData) found.push(pointer);
      return;
    }
    if (typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      const data = inData || ['example', 'examples', 'default', 'const', 'enum', 'value'].includes(k);
      walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, data);
    }
  };
  walk(doc, '', false);
  assert.deepEqual(found, []);
});
