/**
 * Multipart bodies through the generated router: a single file part of a property declared as an
 * array (`files`) is validated as an array of one, as two parts are; a property declared as one
 * file is left alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, type Harness, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let alice: string;
let admin: string;

before(async () => {
  h = await startHarness();
  alice = await h.token('alice', USER_SCOPES);
  admin = await h.token('root', [ADMIN]);
});
after(() => h.close());

describe('multipart file arrays', () => {
  test('createAgentRun with `message` and one file reaches the handler', async () => {
    const form = new FormData();
    form.set('message', 'read this');
    form.set('stream', 'false');
    form.append('files', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    const r = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: form });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.input.files, [
      { filename: 'notes.txt', mime_type: 'text/plain', size: 5, type: 'document' },
    ]);
  });

  test('one file the handler refuses answers the handler-level 400, not 422 "must be array"', async () => {
    const form = new FormData();
    form.set('message', 'read this');
    form.append('files', new Blob(['MZ'], { type: 'application/x-msdownload' }), 'x.exe');
    const r = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: form });
    assert.deepEqual([r.status, r.body], [400, { detail: 'Unsupported file type' }]);
  });

  test('two files still validate, and a missing `message` is still a 422', async () => {
    const two = new FormData();
    two.set('message', 'read these');
    two.set('stream', 'false');
    two.append('files', new Blob(['a'], { type: 'text/plain' }), 'a.txt');
    two.append('files', new Blob(['b'], { type: 'text/plain' }), 'b.txt');
    const ok = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: two });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.input.files.length, 2);

    const noMessage = new FormData();
    noMessage.append('files', new Blob(['a'], { type: 'text/plain' }), 'a.txt');
    const bad = await h.call('POST', '/agents/research-agent/runs', { token: alice, body: noMessage });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(
      bad.body.detail.map((d: { loc: unknown }) => d.loc),
      [['body', 'message']],
    );
  });

  test('a property declared as one file (knowledge `file`) is not made an array', async () => {
    // The knowledge handlers are not mounted in this harness (501): reaching one means the body
    // passed validation with `file` as the single binary the document declares.
    const form = new FormData();
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    const r = await h.call('POST', '/knowledge/content', { token: admin, body: form });
    assert.equal(r.status, 501, r.text);
  });
});
