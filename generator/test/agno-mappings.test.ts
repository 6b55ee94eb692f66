/**
 * agno-scope-mappings.json read the way the Python AgentOS reads it (agno `os/scopes.py`
 * `get_required_scopes_for_route`): exact key first, then every pattern in dict order with
 * `fnmatch` after `{param}` → `*`, first match wins, unmapped → `[]`. For a sample path of every
 * operation, that lookup must give the operation's own key and scopes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileRoutes } from '@agentos/core';
import { generate } from '../src/index.js';
import { agnoScopeMappings, toAgnoPattern, toAgnoScope } from '../src/lib/agno.js';
import { FIXTURES, generateFixture, repoRoot } from './helpers.js';

/**
 * Python's `fnmatch.translate` (3.12) as a JS RegExp: `*` → any run of characters (newlines and
 * `/` included: DOTALL), `?` → one character, `[...]` a set (`[!...]` negated, `]` first is
 * literal, an unclosed `[` is literal), everything else literal; anchored at both ends.
 * The lookahead/backreference dance CPython uses for `*` only avoids backtracking; `.*` has the
 * same meaning.
 */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = '';
  let i = 0;
  const n = pattern.length;
  let lastStar = false;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') {
      if (!lastStar) out += '[\\s\\S]*';
      lastStar = true;
      continue;
    }
    lastStar = false;
    if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i;
      if (j < n && pattern[j] === '!') j++;
      if (j < n && pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) out += '\\[';
      else {
        let stuff = pattern.slice(i, j).replaceAll('\\', '\\\\');
        i = j + 1;
        if (stuff === '') out += '(?!)';
        else if (stuff === '!') out += '[\\s\\S]';
        else {
          if (stuff[0] === '!') stuff = `^${stuff.slice(1)}`;
          else if (stuff[0] === '^' || stuff[0] === '[') stuff = `\\${stuff}`;
          out += `[${stuff.replace(/[\]]/g, '\\]')}]`;
        }
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const fnmatch = (name: string, pattern: string) => fnmatchToRegExp(pattern).test(name);

/** `get_required_scopes_for_route`, plus which key answered (null: unmapped). */
export function pythonLookup(
  mappings: Readonly<Record<string, readonly string[]>>,
  method: string,
  path: string,
): { key: string | null; scopes: readonly string[] } {
  const exact = `${method} ${path}`;
  if (Object.hasOwn(mappings, exact)) return { key: exact, scopes: mappings[exact]! };
  for (const [key, scopes] of Object.entries(mappings)) {
    const space = key.indexOf(' ');
    const [m, p] = [key.slice(0, space), key.slice(space + 1)];
    if (m !== method) continue;
    const normalized = p.includes('{') ? p.replace(/\{[^}]+\}/g, '*') : p;
    if (fnmatch(path, normalized)) return { key, scopes };
  }
  return { key: null, scopes: [] };
}

/** A concrete path for a template: each `{name}` becomes `x-name`. */
const samplePath = (template: string) =>
  template.replace(/\{([^{}]+)\}/g, (_, n: string) => `x-${n.replace(/[^\w-]/g, '')}`);

async function assertEveryOperation(files: Map<string, string>) {
  const mappings = JSON.parse(files.get('agno-scope-mappings.json')!) as Record<string, string[]>;
  const { routes } = JSON.parse(files.get('routes.json')!) as {
    routes: { operationId: string; method: string; path: string; scopes: string[] }[];
  };
  const index = compileRoutes(routes as never);
  assert.equal(Object.keys(mappings).length, routes.length, 'one key per operation');
  for (const r of routes) {
    const path = samplePath(r.path);
    const found = index.match(r.method, path);
    assert.ok(
      found.kind === 'found' && found.route.spec.operationId === r.operationId,
      `core resolves ${path} to ${r.operationId}`,
    );
    const got = pythonLookup(mappings, r.method, path);
    assert.equal(
      got.key,
      `${r.method} ${toAgnoPattern(r.path)}`,
      `${r.method} ${path} (${r.operationId}) is answered by its own key`,
    );
    assert.deepEqual(got.scopes, [...new Set(r.scopes.map(toAgnoScope))], `${r.operationId} scopes`);
  }
}

describe('fnmatch emulation', () => {
  const table: [string, string, boolean][] = [
    ['/agents/a1', '/agents/*', true],
    ['/agents/a1/runs/r1', '/agents/*', true], // `*` crosses `/`, as in Python
    ['/agents', '/agents/*', false],
    ['/agents/', '/agents/*', true],
    ['/agents/a1/runs', '/agents/*/runs', true],
    ['/agents/a/b/runs', '/agents/*/runs', true],
    ['/a.b', '/a?b', true],
    ['/a[b', '/a[[]b', true],
    ['/a*b', '/a[*]b', true],
    ['/axb', '/a[*]b', false],
    ['/ab', '/a[!x]', true],
    ['/ax', '/a[!x]', false],
    ['/a[', '/a[', true],
    ['/a.c', '/a.c', true],
    ['/abc', '/a.c', false],
  ];
  for (const [name, pattern, want] of table) {
    it(`fnmatch(${JSON.stringify(name)}, ${JSON.stringify(pattern)}) is ${want}`, () => {
      assert.equal(fnmatch(name, pattern), want);
    });
  }
});

describe('agno scope mappings', () => {
  it('turns per-resource templates into global scopes and {param} into *', () => {
    assert.equal(toAgnoScope('agents:{agent_id}:run'), 'agents:run');
    assert.equal(toAgnoScope('agents:*:run'), 'agents:run');
    assert.equal(toAgnoScope('agents:read'), 'agents:read');
    assert.equal(toAgnoScope('agent_os:admin'), 'agent_os:admin');
    assert.equal(toAgnoPattern('/agents/{agent_id}/runs/{run_id}'), '/agents/*/runs/*');
    assert.equal(toAgnoPattern('/files/{name}.{ext}'), '/files/*.*');
    assert.equal(toAgnoPattern('/odd[path]?/{id}'), '/odd[[]path][?]/*');
  });

  it('orders keys so that first-match-wins reaches each operation', () => {
    const routes = [
      { method: 'GET', path: '/a/{x}', scopes: ['a:read'] },
      { method: 'GET', path: '/a/{x}/b/{y}', scopes: ['b:read'] },
      { method: 'GET', path: '/a/{x}/b', scopes: ['c:read'] },
      { method: 'GET', path: '/a/fixed/b', scopes: ['d:read'] },
      { method: 'GET', path: '/a/{x}/{y}', scopes: ['e:read'] },
      { method: 'GET', path: '/a', scopes: [] },
      { method: 'POST', path: '/a/{x}', scopes: ['a:{x}:write'] },
    ];
    const mappings = agnoScopeMappings(routes);
    assert.deepEqual(Object.keys(mappings), [
      'GET /a/*/b/*',
      'GET /a/fixed/b',
      'GET /a/*/b',
      'GET /a/*/*',
      'GET /a/*',
      'POST /a/*',
      'GET /a',
    ]);
    assert.deepEqual(mappings['POST /a/*'], ['a:write']);
    assert.deepEqual(pythonLookup(mappings, 'GET', '/a/q/b').scopes, ['c:read']);
    assert.deepEqual(pythonLookup(mappings, 'GET', '/a/q/r').scopes, ['e:read']);
    assert.deepEqual(pythonLookup(mappings, 'GET', '/a/fixed/b').scopes, ['d:read']);
  });

  for (const name of FIXTURES) {
    it(`${name}: every operation's sample path gets its own scopes`, async () => {
      await assertEveryOperation(await generateFixture(name, ['scopes']));
    });
  }

  const real = join(repoRoot, 'spec/agentos.openapi.yaml');
  it('spec/agentos.openapi.yaml: every operation gets its own scopes', {
    skip: !existsSync(real) && 'no spec yet',
  }, async () => {
    await assertEveryOperation(await generate({ spec: real, targets: ['scopes'] }));
  });
});
