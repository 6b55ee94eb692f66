/** The boot check of the generated table against the spec (server/src/stamp.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAgentOS } from '../src/app.js';
import { generated } from '../src/generated/routes.js';
import { checkGeneratedStamp, defaultSpecFile } from '../src/stamp.js';
import { silent } from './auth-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-stamp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('generated stamp', () => {
  test('the committed table comes from the shipped spec', () => {
    assert.doesNotThrow(() => checkGeneratedStamp(generated, defaultSpecFile()));
  });

  test('a spec changed since generation refuses to start, naming both hashes and the fix', async () => {
    const edited = join(dir, 'agentos.openapi.yaml');
    writeFileSync(edited, `${readFileSync(defaultSpecFile(), 'utf8')}\n# edited after generation\n`);
    await assert.rejects(
      createAgentOS({ env: {}, logger: silent(), specFile: edited }),
      (e: Error & { code?: string }) => {
        assert.equal(e.name, 'GeneratedStaleError');
        assert.equal(e.code, 'ERR_GENERATED_STALE');
        assert.match(e.message, new RegExp(`sha256:${generated.sha256}\\)`));
        assert.match(e.message, /does not match the spec .*agentos\.openapi\.yaml \(sha256:[0-9a-f]{16}\)/);
        assert.match(e.message, /Run `npm run generate`/);
        return true;
      },
    );
  });

  test('a route table of your own is not checked', async () => {
    const os = await createAgentOS({
      env: {},
      logger: silent(),
      routeTable: [],
      specFile: join(dir, 'missing.yaml'),
      storage: { memory: true },
    });
    await os.close();
  });
});
