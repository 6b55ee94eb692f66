/**
 * The KEY and WS probes against the reference server (security-key mode; JWT with user isolation
 * in full mode) — every probe passes — and against deliberately broken targets, which they catch:
 * a socket that answers everything, and a key given wrongly to the suite. Plus the CLI's
 * `--security-key FILE` end to end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { type AgentOS, createAgentOS } from '../../server/src/app.js';
import { securityKeyProbes } from '../src/probes/security-key.js';
import { surfaceProbes } from '../src/probes/surfaces.js';
import { wsProbes } from '../src/probes/ws.js';
import { createTokenFactory } from '../src/tokens.js';
import type { CaseResult } from '../src/types.js';

const SECRET = 'a-very-long-secret-key-at-least-256-bits-long';
const KEY = 'conformance-key-0123456789-abcdefghijklmnop';
const ADMIN = 'agent_os:admin';
const BIN = fileURLToPath(new URL('../bin/agentos-conformance.js', import.meta.url));

const failing = (r: CaseResult[]) =>
  r.filter((x) => x.status === 'fail').map((x) => `${x.probeId}: ${x.message}`);
const ids = (r: CaseResult[], status: CaseResult['status']) =>
  r.filter((x) => x.status === status).map((x) => x.probeId);

async function reference(
  options: Parameters<typeof createAgentOS>[0],
): Promise<{ os: AgentOS; baseUrl: string }> {
  const os = await createAgentOS({
    env: {},
    logger: pino({ level: 'silent' }),
    agents: [{ id: 'research-agent', name: 'Research Agent' }],
    workflows: [
      { id: 'content-pipeline', name: 'Content', steps: [{ name: 'research', agent: 'research-agent' }] },
    ],
    ...options,
  });
  const server = await os.listen(0, '127.0.0.1');
  return { os, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('KEY and WS probes against the reference server', () => {
  let keyTarget: { os: AgentOS; baseUrl: string };
  let jwtTarget: { os: AgentOS; baseUrl: string };
  before(async () => {
    keyTarget = await reference({ securityKey: KEY });
    jwtTarget = await reference({
      authorization: true,
      authorizationConfig: { verificationKeys: [SECRET], algorithm: 'HS256', userIsolation: true },
    });
  });
  after(async () => {
    await keyTarget.os.close();
    await jwtTarget.os.close();
  });

  it('security-key mode: every KEY and WS probe passes; the JWT-only WS probes skip', async () => {
    const foreignTokens = await createTokenFactory({
      alg: 'HS256',
      signingKey: 'f'.repeat(48),
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
    });
    const r = await surfaceProbes({
      baseUrl: keyTarget.baseUrl,
      securityKey: KEY,
      foreignTokens,
      adminScope: ADMIN,
      userIsolation: false,
      mode: 'full',
    });
    assert.deepEqual(failing(r), []);
    assert.deepEqual(ids(r, 'pass').filter((id) => id.startsWith('KEY-')).length, 12);
    assert.deepEqual(
      ids(r, 'pass')
        .filter((id) => id.startsWith('WS-'))
        .sort(),
      ['WS-AUTH-OK', 'WS-BAD-TOKEN', 'WS-FOREIGN-TOKEN', 'WS-OVERSIZE', 'WS-UNAUTH-ACTIONS'],
    );
    // No report line carries the key.
    assert.ok(!JSON.stringify(r).includes(KEY));
  });

  it('JWT with isolation, full mode: every WS probe runs and passes', async () => {
    const tokens = await createTokenFactory({
      alg: 'HS256',
      signingKey: SECRET,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
    });
    const r = await wsProbes({
      baseUrl: jwtTarget.baseUrl,
      tokens,
      adminScope: ADMIN,
      userIsolation: true,
      mode: 'full',
    });
    assert.deepEqual(failing(r), []);
    assert.deepEqual(ids(r, 'skip'), []);
    assert.deepEqual(ids(r, 'pass').sort(), [
      'WS-AUTH-OK',
      'WS-BAD-TOKEN',
      'WS-CONTINUE-NO-SCOPE',
      'WS-EXPIRED',
      'WS-FOREIGN-TOKEN',
      'WS-OVERSIZE',
      'WS-RECONNECT-FOREIGN',
      'WS-RECONNECT-NO-SCOPE',
      'WS-RECONNECT-NO-SUB',
      'WS-START-NO-SCOPE',
      'WS-UNAUTH-ACTIONS',
    ]);
  });

  it('JWT with isolation, safe mode: the reconnect probes run with --seed (a disposable target) and skip without it', async () => {
    const tokens = await createTokenFactory({
      alg: 'HS256',
      signingKey: SECRET,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
    });
    const base = { baseUrl: jwtTarget.baseUrl, tokens, adminScope: ADMIN, userIsolation: true } as const;
    const reconnect = ['WS-RECONNECT-FOREIGN', 'WS-RECONNECT-NO-SCOPE', 'WS-RECONNECT-NO-SUB'];
    const seeded = await wsProbes({ ...base, mode: 'safe', seed: true });
    assert.deepEqual(failing(seeded), []);
    assert.deepEqual(ids(seeded, 'skip'), []);
    assert.deepEqual(
      ids(seeded, 'pass')
        .filter((id) => id.startsWith('WS-RECONNECT-'))
        .sort(),
      reconnect,
    );
    const unseeded = await wsProbes({ ...base, mode: 'safe' });
    assert.deepEqual(ids(unseeded, 'skip').sort(), reconnect);
    assert.match(
      unseeded.find((x) => x.probeId === 'WS-RECONNECT-FOREIGN')?.message ?? '',
      /--mode full or --seed/,
    );
  });

  it('a key given wrongly to the suite fails KEY-VALID and blocks the variant probes', async () => {
    const r = await securityKeyProbes({ baseUrl: keyTarget.baseUrl, key: `${KEY}-not-it` });
    assert.deepEqual(ids(r, 'fail'), ['KEY-VALID']);
    assert.ok(ids(r, 'skip').includes('KEY-QUERY'));
  });

  it('the CLI: --security-key FILE runs the KEY and WS probes, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-key-'));
    try {
      writeFileSync(join(dir, 'key'), `${KEY}\n`);
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const p = spawn(
          process.execPath,
          [BIN, '--base-url', keyTarget.baseUrl, '--security-key', join(dir, 'key'), '--report', 'json:-'],
          { env: { ...process.env, CI: 'true', NO_COLOR: '1' } },
        );
        let out = '';
        p.stdout.on('data', (d) => {
          out += d;
        });
        p.on('close', (c) => resolve({ code: c, stdout: out }));
      });
      assert.equal(code, 0, stdout.slice(-2000));
      assert.ok(!stdout.includes(KEY), 'the key is never printed');
      const report = JSON.parse(stdout) as { results: CaseResult[] };
      assert.ok(report.results.some((x) => x.probeId === 'KEY-COOKIE' && x.status === 'pass'));
      assert.ok(report.results.some((x) => x.probeId === 'WS-UNAUTH-ACTIONS' && x.status === 'pass'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WS probes catch a socket that checks nothing', () => {
  let server: http.Server;
  let baseUrl: string;
  before(async () => {
    // Greets as requiring auth, then answers every action as if allowed: pong, a run, a replay.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"id":"wf"}]');
    });
    const wss = new WebSocketServer({ server, path: '/workflows/ws' });
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ event: 'connected', requires_auth: true }));
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { action?: string };
        if (m.action === 'authenticate') ws.send(JSON.stringify({ event: 'authenticated' }));
        else if (m.action === 'ping') ws.send(JSON.stringify({ event: 'pong' }));
        else
          ws.send(
            JSON.stringify({ event: 'WorkflowStarted', run_id: 'r1', session_id: 's1', event_index: 0 }),
          );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('fails the refusal probes', async () => {
    const tokens = await createTokenFactory({
      alg: 'HS256',
      signingKey: SECRET,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
    });
    const r = await wsProbes({ baseUrl, tokens, adminScope: ADMIN, userIsolation: true, mode: 'full' });
    const f = ids(r, 'fail');
    for (const p of [
      'WS-UNAUTH-ACTIONS',
      'WS-BAD-TOKEN',
      'WS-EXPIRED',
      'WS-FOREIGN-TOKEN',
      'WS-START-NO-SCOPE',
      'WS-CONTINUE-NO-SCOPE',
      'WS-RECONNECT-FOREIGN',
      'WS-RECONNECT-NO-SCOPE',
      'WS-RECONNECT-NO-SUB',
      'WS-OVERSIZE',
    ])
      assert.ok(f.includes(p), `${p} should fail; failing: ${f.join(', ')}`);
  });

  it('a target without the socket gets no WS probe', async () => {
    const plain = http.createServer((_q, s) => s.end());
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      assert.deepEqual(
        await wsProbes({ baseUrl: url, adminScope: ADMIN, userIsolation: false, mode: 'safe' }),
        [],
      );
    } finally {
      plain.close();
    }
  });
});
