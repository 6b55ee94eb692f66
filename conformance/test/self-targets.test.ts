/**
 * Self-tests: deliberately broken mini targets, each caught by its probe family, and a correct
 * one that passes everything.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { failing, runAgainst } from './helpers.js';
import type { Defects } from './targets/mini-server.js';

describe('self-test targets', () => {
  test('the correct mini implementation passes every probe', async () => {
    const r = await runAgainst({});
    assert.deepEqual(failing(r), []);
    assert.equal(r.summary.exitCode, 0);
    assert.ok(r.summary.requests > 500);
  });
  test('with --seed the object-level probes run (none skipped) and the correct implementation passes', async () => {
    const r = await runAgainst({}, { seed: true });
    assert.deepEqual(failing(r), []);
    const obj = r.results.filter((x) => x.family === 'OBJ');
    for (const id of [
      'OBJ-CONTAIN-RUN',
      'OBJ-CANCEL-UNKNOWN',
      'OBJ-BODY-TARGET',
      'OBJ-NESTED-FILTER',
      'OBJ-DEEP-JSON',
    ])
      assert.ok(
        obj.some((x) => x.probeId === id && x.status === 'pass'),
        `${id} ran and passed: ${JSON.stringify(obj.filter((x) => x.probeId === id).map((x) => [x.status, x.message]))}`,
      );
    assert.ok(r.results.some((x) => x.probeId === 'SURFACE-UNMAPPED' && x.status === 'pass'));
  });
  test('full mode (real ids, example bodies) passes on the correct implementation too', async () => {
    const r = await runAgainst({}, { mode: 'full' });
    assert.deepEqual(failing(r), []);
  });
  const table: [keyof Defects, string[]][] = [
    ['algNone', ['TOK-ALG-NONE']],
    ['ignoreExp', ['DIFF-EXP-REQUIRED', 'TOK-EXPIRED']],
    ['prefixScopes', ['SCOPE-PREFIX-SUFFIX']],
    ['ignoreResourceIds', ['SCOPE-OTHER-ID']],
    ['unfilteredLists', ['FILTER-PER-ID', 'FILTER-UNKNOWN-ID']],
    [
      'noUserIsolation',
      ['ISO-LIST-OWN', 'ISO-LIST-QUERY-OVERRIDE', 'ISO-READ-OTHER-USER', 'ISO-WRITE-OTHER-USER'],
    ],
    ['trailingSlashBypass', ['PATH-TRAILING-SLASH']],
    ['leakyErrors', ['HYG-NO-LEAK', 'HYG-WWW-AUTH-401', 'HYG-WWW-AUTH-403', 'DIFF-WWW-AUTHENTICATE']],
    // v2 families: review findings 12, path variants on every operation, the target's own surface,
    // and the object-level probes (which create what they attack: --seed).
    ['lenientSignature', ['TOK-SIG-NONCANONICAL']],
    ['newlineBypass', ['PATH-EVERY-OP', 'PATH-CONTROL-CHARS']],
    ['unmappedFailOpen', ['SURFACE-UNMAPPED']],
    ['noContainment', ['OBJ-CONTAIN-RUN', 'OBJ-CANCEL-UNKNOWN']],
    ['bodyTargetUnchecked', ['OBJ-BODY-TARGET']],
    ['nestedLeak', ['OBJ-NESTED-FILTER']],
    ['deepJsonCrash', ['OBJ-DEEP-JSON', 'HYG-NO-5XX']],
  ];
  for (const [defect, probes] of table) {
    test(`${defect} is caught by ${probes.join(', ')}`, async () => {
      const r = await runAgainst({ [defect]: true }, probes[0]?.startsWith('OBJ-') ? { seed: true } : {});
      const f = failing(r);
      for (const p of probes) assert.ok(f.includes(p), `${p} should fail; failing: ${f.join(', ')}`);
      // Only the family of the defect fails (plus the challenge/exp checks the defect implies).
      const family = probes[0]?.split('-')[0];
      assert.ok(
        f.every(
          (id) =>
            probes.includes(id) ||
            id.startsWith(family ?? '') ||
            id.startsWith('TOK-') ||
            id.startsWith('PATH-'),
        ),
        f.join(', '),
      );
      assert.notEqual(r.summary.exitCode, 0);
    });
  }
  test('an expected-failures list turns explained failures into xfail', async () => {
    const r = await runAgainst({ algNone: true }, {});
    assert.equal(r.summary.exitCode, 1);
    const { applyExpectations } = await import('../src/run.js');
    const unused = applyExpectations(r.results, [
      { probe: 'TOK-ALG-NONE', reason: 'known' },
      { probe: 'TOK-NEVER', reason: 'stale' },
    ]);
    assert.ok(r.results.some((x) => x.status === 'xfail' && x.message?.startsWith('expected: known')));
    assert.deepEqual(
      unused.map((u) => u.probe),
      ['TOK-NEVER'],
    );
  });
});
