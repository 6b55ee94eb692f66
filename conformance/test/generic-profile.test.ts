/**
 * `--profile generic` against a third-party style API: examples/petstore (OpenAPI 3.0, oauth2 scopes
 * in a space-separated `scope` claim, integer ids, an either-scheme operation) served by its own
 * node:http server with its own JWT and scope check. The binary as shipped: 0 false failures on the
 * sound server, the broken scope check caught, every skipped probe with its reason.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseGenericOptions } from '../src/generic/options.js';
import { meets, tokenRequirement } from '../src/generic/security.js';
import type { SuiteResult } from '../src/run.js';

const BIN = fileURLToPath(new URL('../bin/agentos-conformance.js', import.meta.url));
const SERVER = fileURLToPath(new URL('../../examples/petstore/server.mjs', import.meta.url));
const SPEC = fileURLToPath(new URL('../../examples/petstore/openapi.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentos-generic-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));

/** Starts examples/petstore/server.mjs on a free loopback port; resolves with its base URL. */
function startPetstore(...flags: string[]): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [
    SERVER,
    '--public-key',
    join(dir, 'pub.pem'),
    '--audience',
    'petstore',
    '--port',
    '0',
    ...flags,
  ]);
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) ok({ url: m[1]!, proc });
    });
    proc.on('exit', (code) => fail(new Error(`petstore exited ${code}`)));
  });
}

function suite(url: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    BIN,
    '--profile',
    'generic',
    '--base-url',
    url,
    '--spec',
    SPEC,
    '--signing-key',
    join(dir, 'key.pem'),
    '--audience',
    'petstore',
    '--scopes-claim',
    'scope',
    '--scope-format',
    'string',
    '--error-body',
    'fields:code,message',
    '--fixture',
    'petId=1,orderId=1',
    ...extra,
  ];
  return new Promise((ok) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

describe('agentos-conformance --profile generic on examples/petstore', () => {
  let sound: { url: string; proc: ChildProcess };
  let broken: { url: string; proc: ChildProcess };
  before(async () => {
    [sound, broken] = await Promise.all([startPetstore(), startPetstore('--broken-scope-check')]);
  });
  after(() => {
    sound?.proc.kill();
    broken?.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the sound server: exit 0, no failure, every skip says why, reports written', async () => {
    const json = join(dir, 'sound.json');
    const r = await suite(
      sound.url,
      '--report',
      `json:${json}`,
      '--report',
      `junit:${join(dir, 'sound.xml')}`,
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as SuiteResult;
    const failures = result.results
      .filter((c) => c.status === 'fail')
      .map((c) => `${c.probeId} ${c.operationId}: ${c.message}`);
    assert.deepEqual(failures, []);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(result.summary.pass >= 100, `only ${result.summary.pass} checks passed`);
    for (const s of result.results.filter((c) => c.status === 'skip'))
      assert.ok(s.message, `${s.probeId} skipped without a reason`);
    const reason = (id: string) => result.results.find((c) => c.probeId === id)?.message ?? '';
    assert.match(reason('SCOPE-WILDCARD'), /generic profile: .*opaque strings/);
    assert.match(reason('SCOPE-ADMIN'), /admin scope/);
    assert.match(reason('TOK-SUB-RESERVED'), /reserved subjects/);
    assert.match(reason('PATH-UNKNOWN-ROUTE'), /404/);
    assert.match(reason('TOK-BARE-TOKEN'), /Bearer scheme/);
    assert.ok(
      result.notes.some((n) => /getInventory.*api_key/.test(n)),
      'the API-key-only operation is named',
    );
    // The OR of the DELETE operation: each requirement object was sent and accepted.
    const exact = result.results.find((c) => c.probeId === 'SCOPE-EXACT' && c.operationId === 'deletePet');
    assert.deepEqual(
      exact?.steps.map((s) => s.label),
      ['requirement 1 of 2: [write:pets]', 'requirement 2 of 2: [admin:store]'],
    );
    assert.match(readFileSync(join(dir, 'sound.xml'), 'utf8'), /<testsuites/);
  });

  test('the broken scope check (any scope instead of all): exit 1, SCOPE-AND fails on the AND operations', async () => {
    const json = join(dir, 'broken.json');
    const r = await suite(broken.url, '--report', `json:${json}`);
    assert.equal(r.code, 1);
    const result = JSON.parse(readFileSync(json, 'utf8')) as SuiteResult;
    const and = result.results
      .filter((c) => c.probeId === 'SCOPE-AND' && c.status === 'fail')
      .map((c) => c.operationId);
    assert.deepEqual(and.sort(), ['createPet', 'placeOrder', 'updatePet']);
  });

  test('scopes sent in the wrong format are refused by the server (the option matters)', async () => {
    const r = await suite(sound.url, '--scope-format', 'array', '--only', 'SCOPE-EXACT');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /SCOPE-EXACT/);
  });

  test('usage errors exit 3 with the allowed values', async () => {
    for (const [flag, value, want] of [
      ['--scope-format', 'csv', /--scope-format must be "array" or "string"/],
      ['--error-body', 'xml', /--error-body must be any, problem, detail or fields:NAME/],
      ['--fixture', 'petId', /write NAME=VALUE/],
      ['--profile', 'other', /--profile must be "agentos" or "generic"/],
    ] as const) {
      const r = await suite(sound.url, flag, value);
      assert.equal(r.code, 3, `${flag} ${value}`);
      assert.match(r.stderr, want);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});

describe("generic security reading (the suite's own oracle)", () => {
  const doc = {
    security: [{ auth: ['r'] }],
    components: {
      securitySchemes: {
        auth: { type: 'oauth2', flows: {} },
        key: { type: 'apiKey', name: 'k', in: 'header' },
        jwt: { type: 'http', scheme: 'bearer' },
      },
    },
  };
  const cases: [string, unknown, ReturnType<typeof tokenRequirement>][] = [
    ['root inherited', {}, { kind: 'scopes', anyOf: [['r']] }],
    ['[] removes it', { security: [] }, { kind: 'public' }],
    ['{} alternative is public', { security: [{}, { auth: ['w'] }] }, { kind: 'public' }],
    [
      'either-scheme',
      { security: [{ key: [] }, { auth: ['w', 'r'] }] },
      { kind: 'scopes', anyOf: [['r', 'w']] },
    ],
    ['api key only', { security: [{ key: [] }] }, { kind: 'other', schemes: ['key'] }],
    ['http bearer without scopes', { security: [{ jwt: [] }] }, { kind: 'scopes', anyOf: [[]] }],
  ];
  for (const [name, op, want] of cases)
    test(name, () => assert.deepEqual(tokenRequirement(doc, op as Record<string, unknown>), want));
  test('meets: OR of ANDs, exact', () => {
    assert.equal(meets([['a', 'b'], ['c']], ['b', 'a']), true);
    assert.equal(meets([['a', 'b'], ['c']], ['a']), false);
    assert.equal(meets([['a', 'b'], ['c']], ['C']), false);
  });
  test('options: defaults and forms', () => {
    assert.deepEqual(parseGenericOptions({}), {
      scopeFormat: 'array',
      errorBody: { kind: 'any' },
      fixtures: {},
    });
    assert.deepEqual(parseGenericOptions({ errorBody: 'detail', fixture: 'a=1,b=x=y' }).fixtures, {
      a: '1',
      b: 'x=y',
    });
    assert.deepEqual(parseGenericOptions({ errorBody: 'detail' }).errorBody, {
      kind: 'fields',
      fields: ['detail'],
    });
  });
});
