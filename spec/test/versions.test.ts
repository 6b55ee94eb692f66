/**
 * The spec against the operations released agno AgentOS versions serve (issue 12): for each
 * fixture `fixtures/versions/agno-<version>.operations.tsv` (written by spec/scripts/agno-openapi.py
 * from the app agno builds: its own /openapi.json plus the routes it hides from it, docs routes left
 * out), the operations of spec/agentos.openapi.yaml that exist in that version (`x-agentos-since` ≤
 * version < `x-agentos-until`) are exactly the fixture's, each with the fixture's feature
 * (`x-agentos-feature`, `-` for the base app). A drift either way fails with the list of differences.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareVersions } from '@agentos/core';
import YAML from 'yaml';
import { specPath } from '../src/index.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** agno hides these from its schema and the fixtures leave them out; the spec documents them. */
const DOCS = new Set(['/docs', '/redoc', '/openapi.json', '/docs/oauth2-redirect']);
const FIXTURES = fileURLToPath(new URL('./fixtures/versions/', import.meta.url));

interface SpecOperation {
  readonly key: string;
  readonly feature: string;
  readonly since: string | undefined;
  readonly until: string | undefined;
}

function specOperations(): SpecOperation[] {
  const doc = YAML.parse(readFileSync(specPath, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined && !DOCS.has(path)).map((m) => {
      const op = item[m] as Record<string, unknown>;
      const text = (v: unknown) => (v === undefined ? undefined : String(v));
      return {
        key: `${m.toUpperCase()} ${path}`,
        feature: text(op['x-agentos-feature']) ?? '-',
        since: text(op['x-agentos-since']),
        until: text(op['x-agentos-until']),
      };
    }),
  );
}

function fixture(file: string): Map<string, string> {
  const rows = readFileSync(FIXTURES + file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  return new Map(rows.map(([method, path, feature]) => [`${method} ${path}`, feature!]));
}

const inVersion = (op: SpecOperation, version: string) =>
  (op.since === undefined || compareVersions(op.since, version) <= 0) &&
  (op.until === undefined || compareVersions(version, op.until) < 0);

const versions = readdirSync(FIXTURES)
  .map((f) => /^agno-(.+)\.operations\.tsv$/.exec(f)?.[1])
  .filter((v): v is string => v !== undefined);

describe('the spec per agno version', () => {
  it('has fixtures for agno 2.9.0 and 3.1.10', () => {
    assert.deepEqual(versions.sort(compareVersions), ['2.9.0', '3.1.10']);
  });

  for (const version of versions) {
    it(`serves exactly agno ${version}'s operations, each with its feature`, () => {
      const agno = fixture(`agno-${version}.operations.tsv`);
      const spec = new Map(
        specOperations()
          .filter((op) => inVersion(op, version))
          .map((op) => [op.key, op.feature]),
      );
      const drift = {
        [`in agno ${version}, missing from the spec (or outside its since/until)`]: [...agno.keys()]
          .filter((k) => !spec.has(k))
          .sort(),
        [`in the spec for ${version}, not served by agno ${version} (set x-agentos-since/until?)`]: [
          ...spec.keys(),
        ]
          .filter((k) => !agno.has(k))
          .sort(),
        'x-agentos-feature differs (spec ≠ agno)': [...spec]
          .filter(([k, f]) => agno.has(k) && agno.get(k) !== f)
          .map(([k, f]) => `${k}: ${f} ≠ ${agno.get(k)}`)
          .sort(),
      };
      assert.deepEqual(
        drift,
        Object.fromEntries(Object.keys(drift).map((k) => [k, []])),
        `the spec drifted from agno ${version}; regenerate the fixture with spec/scripts/agno-openapi.py if agno changed`,
      );
    });
  }

  it('compares versions numerically, a missing part being 0', () => {
    assert.ok(compareVersions('3.1', '3.1.10') < 0);
    assert.ok(compareVersions('3.10', '3.9') > 0);
    assert.equal(compareVersions('3.0', '3.0.0'), 0);
    assert.ok(compareVersions('2.9.0', '3.0') < 0);
  });
});
