/** AgentOS version strings (`x-agentos-since` / `x-agentos-until`, contract.md §8.6): grammar and order. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AGENTOS_VERSION, compareVersions, isAgentosVersion } from '../src/index.js';

describe('isAgentosVersion', () => {
  test('major.minor and major.minor.patch are versions', () => {
    for (const v of ['3.1', '3.1.10', '0.0', '2.9.0', '10.20.30']) assert.ok(isAgentosVersion(v), v);
  });
  test('leading zeros, a v prefix, one or four parts, spaces and non-strings are not', () => {
    for (const v of ['03.1', '3.01', '3.1.01', 'v3.1', '3', '3.1.1.1', ' 3.1', '3.1 ', '3.x', '', '3..1']) {
      assert.ok(!isAgentosVersion(v), v);
      assert.ok(!AGENTOS_VERSION.test(v), v);
    }
    // An unquoted YAML 3.10 arrives as the number 3.1.
    for (const v of [3.1, 3, null, undefined, ['3.1']]) assert.ok(!isAgentosVersion(v), String(v));
  });
});

describe('compareVersions', () => {
  test('compares numerically, part by part, not as text', () => {
    assert.ok(compareVersions('3.10', '3.9') > 0);
    assert.ok(compareVersions('3.9', '3.10') < 0);
    assert.ok(compareVersions('2.9.0', '3.0') < 0);
    assert.ok(compareVersions('3.1', '3.1.10') < 0);
    assert.ok(compareVersions('10.0', '9.99.99') > 0);
  });
  test('a missing patch is 0', () => {
    assert.equal(compareVersions('3.0', '3.0.0'), 0);
    assert.equal(compareVersions('3.1.0', '3.1'), 0);
  });
  test('sorts a list in release order', () => {
    assert.deepEqual(['3.1.10', '2.9.0', '3.1', '3.1.2', '3.0'].sort(compareVersions), [
      '2.9.0',
      '3.0',
      '3.1',
      '3.1.2',
      '3.1.10',
    ]);
  });
});
