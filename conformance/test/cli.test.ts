/** The binary as shipped: argv, reports, exit codes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIENCE, keys, MINI_SPEC, miniSpec, privatePem } from './helpers.js';
import { type MiniServer, startMiniServer } from './targets/mini-server.js';

const BIN = fileURLToPath(new URL('../bin/agentos-conformance.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentos-conformance-'));
const keyFile = join(dir, 'private.pem');
writeFileSync(keyFile, privatePem);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

describe('agentos-conformance CLI', () => {
  let good: MiniServer;
  let broken: MiniServer;
  before(async () => {
    good = await startMiniServer(await miniSpec(), keys.publicKey, { audience: AUDIENCE });
    broken = await startMiniServer(await miniSpec(), keys.publicKey, {
      audience: AUDIENCE,
      defects: { algNone: true },
    });
  });
  after(async () => {
    await good.close();
    await broken.close();
  });
  const common = () => [
    '--spec',
    MINI_SPEC,
    '--signing-key',
    keyFile,
    '--audience',
    AUDIENCE,
    '--user-isolation',
  ];

  test('--help prints usage and the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--base-url/);
    assert.match(r.stdout, /--signing-key/);
    assert.match(r.stdout, /Exit codes: 0 pass · 1 MUST failures · 2 only SHOULD failures · 3 harness error/);
  });
  test('a conforming target: exit 0, summary on stdout, three reports', async () => {
    const json = join(dir, 'r.json');
    const junit = join(dir, 'r.xml');
    const html = join(dir, 'r.html');
    const r = await cli([
      '--base-url',
      good.url,
      ...common(),
      '--report',
      `json:${json}`,
      '--report',
      `junit:${junit}`,
      '--report',
      `html:${html}`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS .* req\/s\)$/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      summary: { exitCode: number };
      probes: unknown[];
    };
    assert.equal(report.summary.exitCode, 0);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<property name="probe" value="SCOPE-OTHER-ID"\/>/);
    assert.match(xml, /<property name="severity" value="MUST"\/>/);
    assert.match(readFileSync(html, 'utf8'), /<table class="m">/);
    assert.doesNotMatch(readFileSync(html, 'utf8'), /<script|<link|https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
  });
  test('MUST failures: exit 1; the token never appears in any report', async () => {
    const json = join(dir, 'b.json');
    const html = join(dir, 'b.html');
    const junit = join(dir, 'b.xml');
    const r = await cli([
      '--base-url',
      broken.url,
      ...common(),
      '--report',
      `json:${json},html:${html},junit:${junit}`,
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /MUST {3}TOK-ALG-NONE/);
    for (const f of [json, html, junit])
      assert.doesNotMatch(readFileSync(f, 'utf8'), /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{20,}/, f);
    assert.match(readFileSync(html, 'utf8'), /Authorization: Bearer &lt;redacted: scopes=\[/);
  });
  test('--expect explains known failures: exit 0', async () => {
    const expect = join(dir, 'expect.json');
    writeFileSync(
      expect,
      JSON.stringify({
        expectedFailures: [{ probe: 'TOK-ALG-NONE', operation: '*', reason: 'known defect' }],
      }),
    );
    const r = await cli(['--base-url', broken.url, ...common(), '--expect', expect]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /expected/);
  });
  test('harness errors exit 3 with a message', async () => {
    const unreachable = await cli(['--base-url', 'http://127.0.0.1:9', ...common()]);
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, /cannot reach .*ERR_TARGET_UNREACHABLE/);
    const badKey = join(dir, 'bad.pem');
    writeFileSync(badKey, 'nope');
    const key = await cli(['--base-url', good.url, '--spec', MINI_SPEC, '--signing-key', badKey]);
    assert.equal(key.code, 3);
    assert.match(key.stderr, /ERR_KEY/);
    const wrongAud = await cli([
      '--base-url',
      good.url,
      '--spec',
      MINI_SPEC,
      '--signing-key',
      keyFile,
      '--audience',
      'other',
    ]);
    assert.equal(wrongAud.code, 3);
    assert.match(wrongAud.stderr, /does not accept the suite's tokens/);
    const usage = await cli(['--signing-key', keyFile]);
    assert.equal(usage.code, 3);
    assert.match(usage.stderr, /base-url/);
  });
});
