/**
 * The generated router validates the operation dispatch chose, whatever spelling of the path the
 * client used: the validator sees the operation's template filled with the decoded parameters,
 * not the raw path (percent-encoded literal segments, encoded slashes), and HEAD is validated as
 * the GET that answers it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ADMIN, type DataServer, startDataServer } from './handlers-data-harness.js';

let s: DataServer;

before(async () => {
  s = await startDataServer();
});
after(() => s.close());
afterEach(() => {
  // No request of this file may reach the handler unvalidated (an undefined body answers 500).
  const errors = [...s.errors];
  (s.errors as unknown[]).length = 0;
  assert.deepEqual(errors, []);
});

describe('validation follows dispatch, not the raw path', () => {
  test('DELETE /%73essions without a body answers as DELETE /sessions (4xx, never 500)', async () => {
    const plain = await s.request('DELETE', '/sessions', { as: ADMIN });
    assert.ok(plain.status >= 400 && plain.status < 500, `DELETE /sessions answered ${plain.status}`);
    const encoded = await s.request('DELETE', '/%73essions', { as: ADMIN });
    assert.deepEqual([encoded.status, encoded.body], [plain.status, plain.body]);

    const plainEmpty = await s.request('DELETE', '/sessions', { as: ADMIN, body: {} });
    assert.equal(plainEmpty.status, 422);
    assert.deepEqual(plainEmpty.body.detail[0].loc, ['body', 'session_ids']);
    const encodedEmpty = await s.request('DELETE', '/%73ession%73', { as: ADMIN, body: {} });
    assert.deepEqual([encodedEmpty.status, encodedEmpty.body], [plainEmpty.status, plainEmpty.body]);
  });

  test('GET /%73essions?limit=abc answers 422 like GET /sessions; a valid limit is coerced', async () => {
    const plain = await s.request('GET', '/sessions?limit=abc', { as: ADMIN });
    assert.equal(plain.status, 422);
    assert.deepEqual(plain.body.detail[0].loc, ['query', 'limit']);
    const encoded = await s.request('GET', '/%73essions?limit=abc', { as: ADMIN });
    assert.deepEqual([encoded.status, encoded.body], [plain.status, plain.body]);

    const ok = await s.request('GET', '/%73essions?limit=3', { as: ADMIN });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.meta.limit, 3);
  });

  test('an encoded slash in a path parameter reaches the handler decoded once', async () => {
    for (const path of ['/sessions/a%2Fb', '/%73essions/a%2Fb']) {
      const r = await s.request('GET', path, { as: ADMIN });
      assert.equal(r.status, 404, path);
      assert.match(r.body.detail, /'a\/b'/, path);
    }
    // Characters encodeURIComponent leaves alone, and a percent sign, survive the round trip.
    const r = await s.request('GET', "/sessions/it's%20(100%25)", { as: ADMIN });
    assert.equal(r.status, 404);
    assert.match(r.body.detail, /'it's \(100%\)'/);
  });

  test('an operation with path parameters is validated whatever their spelling', async () => {
    // `?type=` is an enum on getSession: its validator runs for the encoded path too.
    const plain = await s.request('GET', '/sessions/s1?type=nope', { as: ADMIN });
    assert.equal(plain.status, 422);
    const encoded = await s.request('GET', '/%73essions/%731?type=nope', { as: ADMIN });
    assert.deepEqual([encoded.status, encoded.body], [plain.status, plain.body]);
  });

  test('an integer path parameter must be written as one (the validator alone reads " " as 0)', async () => {
    for (const version of ['%20', 'x', '1.5', '0x10', '1e3', '99999999999999999999']) {
      const r = await s.request('GET', `/components/c1/configs/${version}`, { as: ADMIN });
      assert.equal(r.status, 422, version);
      assert.deepEqual(r.body.detail[0].loc, ['path', 'version'], version);
    }
    // Surrounding spaces are ignored, as FastAPI does; the handler then runs (501 in this harness).
    for (const version of ['7', '%207%20', '+7']) {
      const r = await s.request('GET', `/components/c1/configs/${version}`, { as: ADMIN });
      assert.equal(r.status, 501, version);
    }
  });

  test('HEAD is validated as the GET operation that answers it', async () => {
    const bad = await s.request('HEAD', '/sessions?limit=abc', { as: ADMIN });
    assert.equal(bad.status, 422);
    const ok = await s.request('HEAD', '/%73essions?limit=3', { as: ADMIN });
    assert.equal(ok.status, 200);
  });
});
