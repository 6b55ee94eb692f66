/** `/redoc`: the ReDoc standalone bundle of the installed `redoc` package, served by this server (no CDN). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { redocBundlePath } from '../src/handlers/docs.js';
import { type Harness, startHarness } from './handlers-admin-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('GET /redoc', () => {
  it('loads ReDoc from /docs/assets, starts it from a served script, and names no other origin', async () => {
    const page = await h.call('GET', '/redoc');
    assert.equal(page.status, 200);
    assert.match(page.text, /<script src="\/docs\/assets\/redoc\.standalone\.js"><\/script>/);
    assert.match(page.text, /<script src="\/docs\/assets\/agentos-redoc\.js"><\/script>/);
    assert.match(page.text, /data-openapi-url="\/openapi\.json"/);
    assert.doesNotMatch(page.text, /https?:\/\//, 'no CDN or other origin');
    assert.doesNotMatch(page.text, /<script>/, 'no inline script: the CSP keeps script-src self');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  it('serves the bundle byte for byte and the start-up script', async () => {
    const bundle = await h.call('GET', '/docs/assets/redoc.standalone.js');
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(bundle.text, readFileSync(redocBundlePath(), 'utf8'));
    const init = await h.call('GET', '/docs/assets/agentos-redoc.js');
    assert.equal(init.status, 200);
    assert.match(init.text, /Redoc\.init\(/);
  });
});
