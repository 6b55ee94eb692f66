/**
 * Small pure pieces of the auth layer: fnmatch excluded paths, the scopes claim, token
 * extraction edge cases, the reserved subjects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPathExcluder } from '../src/auth/excluded.js';
import { isReservedSubject } from '../src/auth/verify.js';

describe('createPathExcluder (Python fnmatch semantics)', () => {
  const cases: [string[], string, boolean][] = [
    [['/health'], '/health', true],
    [['/health'], '/health/', true],
    [['/health'], '/healthz', false],
    [['/health'], '/Health', false],
    [['/health'], '/%68ealth', false],
    [['/'], '/', true],
    [['/'], '/agents', false],
    [['/public/*'], '/public/a', true],
    [['/public/*'], '/public/a/b', true],
    [['/public/*'], '/public', false],
    [['/docs*'], '/docs/oauth2-redirect', true],
    [['/v?/x'], '/v1/x', true],
    [['/v?/x'], '/v10/x', false],
    [['/[ab]x'], '/ax', true],
    [['/[ab]x'], '/cx', false],
    [['/[!ab]x'], '/cx', true],
    [['/[!ab]x'], '/ax', false],
    [['/a.b'], '/aXb', false],
    [['/a+b'], '/a+b', true],
    [[], '/health', false],
  ];
  for (const [patterns, path, want] of cases) {
    test(`${JSON.stringify(patterns)} ${path} → ${want}`, () => {
      assert.equal(createPathExcluder(patterns)(path), want);
    });
  }
});

describe('isReservedSubject', () => {
  const cases: [unknown, boolean][] = [
    ['sa:svc', true],
    ['__oauth__:client', true],
    ['__scheduler__', true],
    ['__scheduler__x', false],
    ['user_123', false],
    ['SA:svc', false],
    [undefined, false],
    [42, false],
  ];
  for (const [sub, want] of cases) {
    test(`${JSON.stringify(sub)} → ${want}`, () => assert.equal(isReservedSubject(sub), want));
  }
});
