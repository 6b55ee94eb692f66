/**
 * The shipped binary: `node server/bin/agentos-server.js [--config FILE] [--port N] [--host H]`,
 * spawned as users run it, from an empty working directory and a clean environment.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SUPPORTED_ALGORITHMS } from '../src/config/options.js';
import { bearer, claims, makeKey, request, sign, type TestKey } from './auth-helpers.js';

const BIN = fileURLToPath(new URL('../bin/agentos-server.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'agentos-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

/** A clean environment: only what node needs, plus the test's variables. */
const envWith = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...extra,
});

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: envWith(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('agentos-server CLI', () => {
  test('--help lists the options', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /agentos-server/);
    assert.match(r.stdout, /--config/);
    assert.match(r.stdout, /--port/);
    assert.match(r.stdout, /--host/);
  });

  test('--version prints the package version', () => {
    const r = run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), '0.1.0');
  });

  test('a bad --port: usage and the error, exit 1', () => {
    const r = run(['--port', 'abc']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--config/);
    assert.match(r.stderr, /error: --port must be a port number between 0 and 65535, got "abc"/);
  });

  test('an invalid config file: the file, the option, how to fix; exit 1, no stack', () => {
    const file = join(cwd, 'bad.yaml');
    writeFileSync(
      file,
      'authorization: true\nauthorizationConfig:\n  algorithm: HS257\n  verificationKeys: ["x"]\n',
    );
    const r = run(['--config', file]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'agentos-server: Invalid AgentOS configuration:\n' +
        `  - bad.yaml: authorizationConfig.algorithm: "HS257" is not supported; use one of ${SUPPORTED_ALGORITHMS.join(', ')} (did you mean "HS256"?)`,
    );
  });

  test('AGENTOS_CONFIG names the file', () => {
    const file = join(cwd, 'env-named.yaml');
    writeFileSync(file, 'port: "seven"\n');
    const r = run([], { AGENTOS_CONFIG: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /env-named\.yaml: port: must be a port number between 0 and 65535, got "seven"/);
  });

  test('authorization without a key refuses to start and says what to set', () => {
    const r = run([], { AUTHORIZATION_ENABLED: 'true' });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /AUTHORIZATION_ENABLED: authorization is enabled but no token verification key is configured/,
    );
    assert.match(r.stderr, /JWT_VERIFICATION_KEY/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('agentos-server serving', () => {
  let key: TestKey;
  let child: ChildProcess | null = null;
  let port = 0;
  let stderr = '';
  before(async () => {
    key = await makeKey('RS256');
    const file = join(cwd, 'agentos.config.yaml');
    writeFileSync(
      file,
      [
        'id: cli-os',
        'agents: [{ id: research-agent, name: Research Agent }]',
        'authorization: true',
        'authorizationConfig:',
        `  verificationKeys: ["\${PUBLIC_KEY}"]`,
        '  verifyAudience: true',
      ].join('\n'),
    );
    child = spawn(process.execPath, [BIN, '--port', '0'], {
      cwd,
      env: envWith({ PUBLIC_KEY: key.publicPem.trim().replace(/\n/g, '\\n'), LOG_LEVEL: 'info' }),
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${stderr}`)), 30_000);
      child!.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child!.on('exit', (code) => reject(new Error(`exited with ${code}:\n${stderr}`)));
    });
  });
  after(async () => {
    if (!child) return;
    const exited = new Promise((r) => child!.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  });

  test('discovers agentos.config.yaml in the working directory and serves', async () => {
    assert.equal((await request(port, 'GET', '/health')).status, 200);
    assert.equal((await request(port, 'GET', '/agents')).status, 401);
    const token = await sign(
      claims({
        aud: 'cli-os',
        scopes: ['agents:read'],
        exp: Math.floor(Date.now() / 1000) + 60,
        iat: Math.floor(Date.now() / 1000),
      }),
      key.privateKey,
      { alg: 'RS256' },
    );
    const res = await request(port, 'GET', '/agents', bearer(token));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.map((a: { id: string }) => a.id),
      ['research-agent'],
    );
    assert.doesNotMatch(stderr, new RegExp(token.split('.')[1]!), 'no token in the logs');
  });
});
