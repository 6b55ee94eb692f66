import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readRolesClaim, readScopesClaim } from '../src/index.js';

describe('readScopesClaim (contract.md §1 claim names, RFC 9068 §2.2.3)', () => {
  // [claim configured, value, want]
  const cases: [string | undefined, Record<string, unknown>, string[]][] = [
    ['scopes', { scopes: ['a:b', 'c:d'] }, ['a:b', 'c:d']],
    ['scopes', { scopes: 'a:b c:d' }, ['a:b c:d']],
    ['scopes', { scopes: ['a:b', 1, null, 'c:d'] }, ['a:b', 'c:d']],
    ['scopes', { scopes: 42 }, []],
    ['scopes', { scopes: { 'a:b': true } }, []],
    ['scopes', {}, []],
    ['scope', { scope: 'a:b c:d' }, ['a:b', 'c:d']],
    ['scope', { scope: '  a:b   c:d ' }, ['a:b', 'c:d']],
    ['scope', { scope: 'a:b\tc:d' }, ['a:b\tc:d']],
    ['scope', { scope: '' }, []],
    ['scope', { scope: ['a:b'] }, ['a:b']],
    ['scp', { scp: 'a:b c:d' }, ['a:b', 'c:d']],
    ['permissions', { permissions: 'a:b c:d' }, ['a:b c:d']],
    ['scopes', { scope: 'a:b' }, []],
    // No claim configured (the SDK's default): `scopes`, then `scope`, then `scp`.
    [undefined, { scopes: ['a:b'], scope: 'c:d' }, ['a:b']],
    [undefined, { scope: 'a:b c:d' }, ['a:b', 'c:d']],
    [undefined, { scp: ['a:b'] }, ['a:b']],
    [undefined, {}, []],
  ];
  for (const [claim, claims, want] of cases) {
    test(`${claim ?? '(default)'}: ${JSON.stringify(claims)}`, () =>
      assert.deepEqual(readScopesClaim(claims, claim), want));
  }
  test('no claims', () => assert.deepEqual(readScopesClaim(null, 'scopes'), []));
});

describe('readRolesClaim (ROLE-CLAIM)', () => {
  const cases: [string | undefined, Record<string, unknown>, string[]][] = [
    ['role', { role: 'reader' }, ['reader']],
    ['roles', { roles: ['reader', 'writer', 3] }, ['reader', 'writer']],
    ['roles', { roles: 'reader writer' }, ['reader writer']],
    ['roles', {}, []],
    [undefined, { roles: ['reader'] }, []],
  ];
  for (const [claim, claims, want] of cases) {
    test(`${claim ?? '(none)'}: ${JSON.stringify(claims)}`, () =>
      assert.deepEqual(readRolesClaim(claims, claim), want));
  }
});
