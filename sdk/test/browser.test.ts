/**
 * @module The SDK in a real browser: a page bundled with esbuild, served on one port, calls the
 * reference server on another (CORS, preflights) with a token, in headless Chromium driven by
 * playwright-core. Checks that 401/403 bodies and WWW-Authenticate challenges are readable by the
 * page, and that the 401 refresh works there too.
 *
 * Needs Debian's `chromium` (scripts/ci-chromium.sh installs it). Without it the test is skipped
 * locally and fails under CI (`CI` set).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { esbuildOptions, sdkDir } from '../scripts/build.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const serverApp = resolve(sdkDir, '..', 'server', 'src', 'app.ts');

async function bundlePage(): Promise<string> {
  const r = await esbuild.build({
    ...esbuildOptions(join(sdkDir, 'test', 'browser', 'page.ts')),
    platform: 'browser',
    write: false,
  });
  return r.outputFiles![0]!.text;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)),
  );
}

describe('browser', { timeout: 120_000 }, () => {
  it('calls a cross-origin AgentOS; 401/403 bodies and challenges are readable by the page', async (t) => {
    if (!existsSync(CHROMIUM)) {
      const msg = `no Chromium at ${CHROMIUM}: run scripts/ci-chromium.sh (or set CHROMIUM_PATH)`;
      if (process.env.CI) assert.fail(msg);
      t.skip(msg);
      return;
    }
    if (!existsSync(serverApp)) {
      t.skip('the reference server (server/src/app.ts) does not exist yet');
      return;
    }

    const script = await bundlePage();
    const page = http.createServer((req, res) => {
      if (req.url === '/page.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
      } else {
        res
          .writeHead(200, { 'Content-Type': 'text/html' })
          .end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
      }
    });
    const pagePort = await listen(page);
    const pageOrigin = `http://127.0.0.1:${pagePort}`;

    const { createAgentOS } = (await import(serverApp)) as typeof import('../../server/src/app.js');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const os = await createAgentOS({
      authorization: true,
      authorizationConfig: { verificationKeys: [JSON.stringify(await exportJWK(publicKey))] },
      agents: [{ id: 'a1', name: 'Agent one' }, { id: 'a2' }],
      corsAllowedOrigins: [pageOrigin],
      logLevel: 'silent',
      env: {},
    });
    // `localhost` for the API, 127.0.0.1 for the page: different origins (and hosts), so every call is CORS.
    const api = await os.listen(0, '127.0.0.1');
    const apiPort = (api.address() as AddressInfo).port;

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const now = Math.floor(Date.now() / 1000);
      const config = {
        baseUrl: `http://localhost:${apiPort}`,
        tokens: {
          a1Read: await new SignJWT({ scopes: ['agents:a1:read'] })
            .setProtectedHeader({ alg: 'RS256' })
            .setSubject('user_1')
            .setIssuedAt()
            .setExpirationTime('10m')
            .sign(privateKey),
          expired: await new SignJWT({ scopes: ['agents:a1:read'] })
            .setProtectedHeader({ alg: 'RS256' })
            .setSubject('user_1')
            .setIssuedAt(now - 7200)
            .setExpirationTime(now - 3600)
            .sign(privateKey),
        },
      };
      const tab = await browser.newPage();
      const pageErrors: string[] = [];
      tab.on('pageerror', (e) => pageErrors.push(String(e)));
      const origins = new Set<string>();
      tab.on('request', (r) => origins.add(new URL(r.url()).origin));
      await tab.goto(`${pageOrigin}/#${encodeURIComponent(JSON.stringify(config))}`);
      await tab.waitForFunction(() => window.__done === true, undefined, { timeout: 60_000 });
      const results = (await tab.evaluate(() => window.__results)) ?? [];
      assert.deepEqual(pageErrors, []);
      assert.ok(
        origins.has(`http://localhost:${apiPort}`) && origins.has(pageOrigin),
        'page and API on different origins',
      );
      assert.ok(results.length >= 10, JSON.stringify(results));
      for (const r of results) assert.ok(r.ok, `${r.name}: ${JSON.stringify(r.detail)}`);
    } finally {
      await browser.close();
      await os.close();
      page.close();
    }
  });
});
