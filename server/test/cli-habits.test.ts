/**
 * Every bin as shipped (the file its package.json `bin` names, spawned): unknown options refused with
 * a suggestion, `--version`, `--help` without colour when piped and naming only files that exist,
 * and the expected failures (port in use, data directory locked, bad key) as one line, no stack
 * trace, promptly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'agentos-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The bin of `pkg` named `name`, resolved through its package.json. */
function binOf(pkg: string, name: string): { file: string; version: string } {
  const manifest = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8'));
  return { file: join(root, pkg, manifest.bin[name]), version: manifest.version };
}

const BINS = [
  { pkg: 'spec', name: 'agentos-spec', typo: ['lint', '--formt', 'json'], hint: '--format', usage: 2 },
  { pkg: 'generator', name: 'agentos-gen', typo: ['--spce', 'x.yaml'], hint: '--spec', usage: 2 },
  { pkg: 'server', name: 'agentos-server', typo: ['--prot', '7777'], hint: '--port', usage: 2 },
  { pkg: 'server', name: 'agentos-token', typo: ['--kee', 'k.pem'], hint: '--key', usage: 2 },
  // 3: for the suite, 2 already means "only SHOULD failures".
  {
    pkg: 'conformance',
    name: 'agentos-conformance',
    typo: ['--signing-kye', 'k'],
    hint: '--signing-key',
    usage: 3,
  },
] as const;

const env = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, CI: undefined };
function run(file: string, args: readonly string[], extra: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [file, ...args], {
    encoding: 'utf8',
    env: { ...env, ...extra },
    cwd: tmp,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}
const STACK = /\n\s+at .+:\d+:\d+/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes.
const ANSI = /\x1b\[/;

for (const b of BINS) {
  describe(b.name, () => {
    const { file, version } = binOf(b.pkg, b.name);
    it(`an unknown option exits ${b.usage} with "did you mean ${b.hint}"`, () => {
      const r = run(file, b.typo);
      assert.equal(r.code, b.usage, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`unknown option "${b.typo.find((a) => a.startsWith('-'))}"; did you mean "${b.hint}"\\?`),
      );
      assert.doesNotMatch(r.stderr, STACK);
    });
    it('--version prints the package version', () => {
      const r = run(file, ['--version']);
      assert.deepEqual([r.code, r.stdout.trim()], [0, version]);
    });
    it('--help: exit 0, no colour when piped, every repository path it names exists', () => {
      const r = run(file, ['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, ANSI);
      assert.match(r.stdout, new RegExp(b.name));
      for (const [path] of r.stdout.matchAll(
        /\b(?:spec|server|conformance|generator|sdk|core|docs|examples)\/[\w./-]+\.\w+/g,
      ))
        assert.ok(existsSync(join(root, path)), `${b.name} --help names ${path}, which does not exist`);
    });
  });
}

describe('expected failures: one line, no stack trace, promptly', () => {
  const server = binOf('server', 'agentos-server').file;
  const token = binOf('server', 'agentos-token').file;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(tmp, 'not-a-key.pem'), 'not a key\n');
  writeFileSync(join(tmp, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const quiet = { AGENTOS_DEV: '0', LOG_LEVEL: 'warn', AGENTOS_SCHEDULER: 'false' };

  it('agentos-server: port in use → exit 1 naming the port, before the database opens', async () => {
    const holder: Server = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = run(server, ['--port', String(port)], {
        ...quiet,
        AGENTOS_DATA_DIR: join(tmp, 'never-opened'),
      });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE\\)`),
      );
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(existsSync(join(tmp, 'never-opened')), false, 'the data directory was not even created');
    } finally {
      holder.close();
    }
  });

  it('agentos-server: a data directory locked by a running server → exit 1, no stack, no wait', async () => {
    const dataDir = join(tmp, 'locked');
    // A live process that holds the lock: this test's own pid on this host.
    writeFileSync(
      `${dataDir}.lock`,
      JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }),
    );
    const r = run(server, ['--port', '0'], { ...quiet, AGENTOS_DATA_DIR: dataDir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PGlite data directory .*locked is in use by process \d+/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.ok(r.ms < 15_000, `exited after ${r.ms} ms`);
  });

  it('agentos-server: a verification key file that is not a key → exit 1, the variable named', () => {
    const r = run(server, ['--port', '0'], {
      ...quiet,
      AGENTOS_DATA_DIR: ':memory:',
      AUTHORIZATION_ENABLED: 'true',
      JWT_VERIFICATION_KEY_FILE: join(tmp, 'not-a-key.pem'),
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /JWT_VERIFICATION_KEY_FILE/);
    assert.doesNotMatch(r.stderr, STACK);
  });

  it('agentos-token: a file that is not a private key → exit 1, one line', () => {
    const r = run(token, ['--key', join(tmp, 'not-a-key.pem'), '--sub', 'a']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a private key/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(r.stdout, '');
  });

  it('agentos-conformance: an unreadable signing key → exit 3, one line', () => {
    const r = run(binOf('conformance', 'agentos-conformance').file, [
      '--base-url',
      'http://127.0.0.1:9',
      '--signing-key',
      join(tmp, 'missing.pem'),
    ]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot read --signing-key/);
    assert.doesNotMatch(r.stderr, STACK);
  });

  it('agentos-token with NO_COLOR on a usage error: no ANSI on stderr', () => {
    const r = run(token, ['--sub', 'a'], { NO_COLOR: '1' });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, ANSI);
  });
});
