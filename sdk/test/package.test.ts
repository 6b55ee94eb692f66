/**
 * @module The package as shipped: the compact route table decodes to the generated one, the runtime is
 * within its size budget, and `npm pack` gives a tarball that installs into a fresh project, whose
 * consumer file type-checks against the published .d.ts and runs against a live reference server
 * and the packaged msw mocks.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sdkDir } from '../scripts/build.mjs';
import { BUDGET, measure } from '../scripts/size.mjs';
import { _routes } from '../src/_routes.js';
import { requestMediaTypes, routes } from '../src/generated/routes.js';

const root = resolve(sdkDir, '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const serverApp = join(root, 'server', 'src', 'app.ts');

describe('build', () => {
  it('the compact route table (generated/route-table.ts) decodes to the generated one (routes.ts)', () => {
    const encodingOf = (id: string) => {
      const types: readonly string[] = requestMediaTypes[id as keyof typeof requestMediaTypes] ?? [];
      if (types.includes('application/x-www-form-urlencoded')) return 'form';
      return types.includes('multipart/form-data') ? 'multipart' : 'json';
    };
    const pick = (r: (typeof routes)[number]) => ({
      operationId: r.operationId,
      method: r.method,
      path: r.path,
      scopes: [...r.scopes],
      ...(r.filter && { filter: { ...r.filter } }),
      public: r.public,
      encoding: encodingOf(r.operationId),
    });
    const byId = (a: { operationId: string }, b: { operationId: string }) =>
      a.operationId.localeCompare(b.operationId);
    assert.equal(_routes.length, routes.length);
    assert.deepEqual(
      _routes.map((r) => ({ ...r, scopes: [...r.scopes] })).sort(byId),
      routes.map(pick).sort(byId),
    );
    // The forms the client encodes, spelled out: a change here is a change of the wire format.
    assert.deepEqual(
      _routes
        .filter((r) => r.encoding !== 'json')
        .map((r) => `${r.operationId}:${r.encoding}`)
        .sort(),
      [
        'continueAgentRun:form',
        'continueTeamRun:form',
        'continueWorkflowRun:form',
        'createAgentRun:form',
        'createKnowledgeContent:form',
        'createRemoteKnowledgeContent:form',
        'createTeamRun:form',
        'createWorkflowRun:form',
        'resumeAgentRun:form',
        'resumeTeamRun:form',
        'resumeWorkflowRun:form',
        'updateKnowledgeContent:form',
      ],
    );
  });

  it(`the runtime is at most ${BUDGET} B minified and gzipped`, async () => {
    const sizes = await measure();
    assert.ok(sizes.index.gzip <= BUDGET, `@agentos/sdk is ${sizes.index.gzip} B min+gzip`);
  });
});

describe('npm pack → fresh project → tsc → run', { timeout: 240_000 }, () => {
  let work: string;
  let tarball: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'agentos-sdk-pack-'));
    // `npm pack` runs prepack, which builds dist/.
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
      cwd: sdkDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = JSON.parse(out.slice(out.indexOf('[')))[0] as {
      filename: string;
      files: { path: string }[];
    };
    tarball = join(work, info.filename);
    writeFileSync(join(work, 'files.json'), JSON.stringify(info.files.map((f) => f.path)));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('the tarball holds dist/ only, with self-contained bundles and types', () => {
    const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
    for (const f of [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/mocks.js',
      'dist/mocks.d.ts',
      'dist/socket.js',
      'dist/socket.d.ts',
      'dist/_core/index.d.ts',
    ]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    const stray = files.filter(
      (f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    assert.deepEqual(stray, []);
    const imports = (file: string) =>
      [
        ...readFileSync(join(sdkDir, file), 'utf8').matchAll(
          /(?:^|[;}\n])\s*(?:import|export)\b[^'"`]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
        ),
      ].map((m) => m[1] ?? m[2]);
    assert.deepEqual(
      imports('dist/index.js'),
      [],
      'dist/index.js imports nothing (openapi-fetch and core are inlined)',
    );
    assert.deepEqual([...new Set(imports('dist/mocks.js'))].sort(), ['jose', 'msw']);
    assert.deepEqual(imports('dist/socket.js'), [], 'dist/socket.js imports nothing');
    for (const f of files.filter((x) => x.endsWith('.d.ts'))) {
      assert.doesNotMatch(
        readFileSync(join(sdkDir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, ''),
        /["']@agentos\//,
        `${f} names no workspace package`,
      );
    }
  });

  it('installs into a fresh project, type-checks a consumer and runs it against a live reference server', async (t) => {
    if (!existsSync(serverApp)) {
      t.skip('the reference server (server/src/app.ts) does not exist yet; the consumer was not run');
      return;
    }
    const app = join(work, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }),
    );
    const install = spawnSync(
      npm,
      [
        'install',
        tarball,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-package-lock',
      ],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    assert.equal(install.status, 0, `npm install failed:\n${install.stderr}`);
    // The optional peers of the mocks entry, and Node types for msw/node, from the workspace.
    for (const dep of ['msw', 'jose', '@types/node']) {
      const from = join(root, 'node_modules', dep);
      mkdirSync(join(app, 'node_modules', dep, '..'), { recursive: true });
      if (!existsSync(join(app, 'node_modules', dep)))
        symlinkSync(from, join(app, 'node_modules', dep), 'dir');
    }
    writeFileSync(
      join(app, 'consumer.mts'),
      readFileSync(join(sdkDir, 'test', 'fixtures', 'consumer', 'consumer.mts')),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          types: ['node'],
          outDir: 'out',
        },
        files: ['consumer.mts'],
      }),
    );
    const typecheck = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.equal(
      typecheck.status,
      0,
      `tsc over the consumer failed:\n${typecheck.stdout}${typecheck.stderr}`,
    );

    const { createAgentOS } = (await import(serverApp)) as typeof import('../../server/src/app.js');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const os = await createAgentOS({
      authorization: true,
      authorizationConfig: { verificationKeys: [await exportJWK(publicKey).then((k) => JSON.stringify(k))] },
      agents: [
        { id: 'a1', name: 'Agent one' },
        { id: 'a2', name: 'Agent two' },
      ],
      logLevel: 'silent',
      env: {},
    });
    const server = await os.listen(0, '127.0.0.1');
    try {
      const port = (server.address() as { port: number }).port;
      const mint = (scopes: string[], exp = '10m') =>
        new SignJWT({ scopes })
          .setProtectedHeader({ alg: 'RS256' })
          .setSubject('user_1')
          .setIssuedAt()
          .setExpirationTime(exp)
          .sign(privateKey);
      const e2e = {
        baseUrl: `http://127.0.0.1:${port}`,
        tokens: {
          a1Read: await mint(['agents:a1:read']),
          a1Run: await mint(['agents:a1:read', 'agents:a1:run']),
          expired: await new SignJWT({ scopes: ['agents:a1:read'] })
            .setProtectedHeader({ alg: 'RS256' })
            .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
            .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
            .sign(privateKey),
          admin: await mint(['agent_os:admin']),
        },
        publicJwk: await exportJWK(publicKey),
      };
      // Run it with plain node: no tsx, no workspace resolution, only the installed package.
      const run = await new Promise<{ code: number | null; out: string }>((done) => {
        const child = require('node:child_process').spawn(
          process.execPath,
          [join(app, 'out', 'consumer.mjs')],
          {
            cwd: app,
            env: { ...process.env, AGENTOS_E2E: JSON.stringify(e2e), NODE_OPTIONS: '' },
          },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.stderr.on('data', (d: Buffer) => (out += d));
        child.on('close', (code: number | null) => done({ code, out }));
      });
      const skipped = run.out.split('\n').filter((l) => l.startsWith('skip '));
      for (const s of skipped) t.diagnostic(s);
      assert.equal(run.code, 0, run.out);
      assert.match(run.out, /consumer: all checks passed/);
    } finally {
      await os.close();
    }
  });
});

export const _file = fileURLToPath(import.meta.url);
