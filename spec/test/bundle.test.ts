/** @module bundleSpec: merging, derived security, determinism, conflicts, and the real sources. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BUNDLE_HEADER, bundleSpec, lintSpec, specPath, specSourcesPath } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/bundle/${name}`, import.meta.url));

describe('bundleSpec', () => {
  it('matches the golden bundle (paths in file order, security derived, responses sorted)', async () => {
    const { yaml } = await bundleSpec({ root: fixture('basic') });
    assert.equal(yaml, await readFile(fixture('basic.expected.yaml'), 'utf8'));
  });

  it('is deterministic and its output lints clean', async () => {
    const first = await bundleSpec({ root: fixture('basic') });
    const second = await bundleSpec({ root: fixture('basic') });
    assert.equal(first.yaml, second.yaml);
    assert.ok(first.yaml.startsWith(BUNDLE_HEADER));
    assert.deepEqual(await lintSpec(first.document), { errors: [], warnings: [] });
  });

  it('bundles index.yaml alone when there is no paths/ folder', async () => {
    const { document } = await bundleSpec({ root: fixture('index-only') });
    assert.deepEqual((document as any).paths['/health'].get.security, []);
  });

  const conflicts: [string, { given: string; want: { code: string; message: RegExp } }][] = [
    [
      'a path defined in two fragments',
      {
        given: 'duplicate-path',
        want: {
          code: 'ERR_SPEC_DUPLICATE_KEY',
          message: /^paths "\/agents" is defined in both paths\/01-first\.yaml and paths\/02-second\.yaml;/,
        },
      },
    ],
    [
      'a component defined in index.yaml and a fragment',
      {
        given: 'duplicate-component',
        want: {
          code: 'ERR_SPEC_DUPLICATE_KEY',
          message:
            /^components\.schemas "ErrorDetail" is defined in both index\.yaml and paths\/01-errors\.yaml;/,
        },
      },
    ],
    [
      'a fragment with a key other than paths and components',
      {
        given: 'invalid-fragment',
        want: {
          code: 'ERR_SPEC_FRAGMENT_INVALID',
          message: /^paths\/01-tags\.yaml has the top-level key\(s\) "tags";/,
        },
      },
    ],
  ];
  for (const [name, { given, want }] of conflicts) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(bundleSpec({ root: fixture(given) }), { name: 'SpecError', ...want });
    });
  }
});

describe('the real AgentOS sources', () => {
  it('bundle to the committed spec/agentos.openapi.yaml (run npm run bundle:spec if not)', async () => {
    const { yaml } = await bundleSpec({ root: specSourcesPath });
    const committed = await readFile(specPath, 'utf8').catch(() => '(missing)');
    assert.ok(committed === yaml, 'spec/agentos.openapi.yaml is stale: run npm run bundle:spec');
  });

  it('bundle to a document without lint errors', async () => {
    const { document } = await bundleSpec({ root: specSourcesPath });
    const { errors } = await lintSpec(document);
    assert.deepEqual(errors, []);
  });
});
