/** Units of the v2 additions: target surface, path variants of every operation, canonical signatures, mint commands. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSuite } from '../src/plan.js';
import { everyOpVariants } from '../src/probes/path.js';
import { compareSurface, templateKey } from '../src/probes/surface.js';
import { mintCommand } from '../src/run.js';
import { createTokenFactory } from '../src/tokens.js';
import { AUDIENCE, miniSpec, privatePem } from './helpers.js';

test('the target surface: served, extra and missing operations, parameter names ignored', async () => {
  const spec = await miniSpec();
  const doc = {
    paths: {
      '/agents': { get: {} },
      '/agents/{id}': { get: { operationId: 'x' } },
      '/queue': { post: { operationId: 'enqueue' } },
    },
  };
  const s = compareSurface(doc, spec.operations, 'test');
  assert.ok(s.served.includes('GET /agents/{}'), 'a renamed path parameter is the same operation');
  assert.deepEqual(s.extra, [{ method: 'POST', path: '/queue', operationId: 'enqueue' }]);
  assert.ok(s.missing.includes('GET /sessions'));
  assert.equal(templateKey('get', '/a/{x}/'), 'GET /a/{}');
  const plan = planSuite(spec, { alg: 'RS256', surface: s });
  assert.deepEqual(plan.operations.map((o) => `${o.method} ${o.path}`).sort(), [
    'GET /agents',
    'GET /agents/{agent_id}',
  ]);
  assert.ok(
    plan.cases.some((c) => c.probe.id === 'SURFACE-UNMAPPED' && c.path === '/queue' && c.steps.length === 3),
  );
  assert.ok(!plan.cases.some((c) => c.path === '/sessions'), 'operations the target lacks are not planned');
});

test('PATH-EVERY-OP variants: every kind the issue names, no duplicate targets', () => {
  const v = everyOpVariants('/agents/research-agent/runs');
  const paths = v.map(([, p]) => p);
  assert.equal(new Set(paths).size, paths.length);
  for (const want of [
    '/agents/research-agent/runs%0a',
    '/agents%0d/research-agent/runs',
    '/agents/research-agent/runs%09',
    '/agents%00/research-agent/runs',
    '/agents%2Fresearch-agent/runs',
    '/agents%252Fresearch-agent/runs',
    '/agents%C0%AFresearch-agent/runs',
    '/agents%EF%BC%8Fresearch-agent/runs',
    '/agents/research-agent/runs/',
    '/agents/research-agent/runs.',
    '/agents/research-agent/runs/.',
    '/agents/research-agent/runs-',
    '/AGENTS/research-agent/runs',
    '/%EF%BD%81gents/research-agent/runs',
  ])
    assert.ok(paths.includes(want), want);
});

test('non-canonical signatures carry the same bytes in another spelling', async () => {
  const tokens = await createTokenFactory({
    alg: 'RS256',
    signingKey: privatePem,
    audience: AUDIENCE,
    scopesClaim: 'scopes',
    userIdClaim: 'sub',
    now: 1_800_000_000,
  });
  const good = await tokens.mint({ scopes: ['agents:read'] });
  for (const variant of ['padding', 'last-char'] as const) {
    const bad = await tokens.mint({
      scopes: ['agents:read'],
      attack: { kind: 'noncanonical-signature', variant },
    });
    const [g, b] = [good.split('.')[2] as string, bad.split('.')[2] as string];
    assert.notEqual(b, g, variant);
    assert.deepEqual(Buffer.from(b.replace(/=+$/, ''), 'base64url'), Buffer.from(g, 'base64url'), variant);
  }
});

test('the agentos-token command of a step reproduces its claims', async () => {
  const tokens = await createTokenFactory({
    alg: 'RS256',
    signingKey: privatePem,
    audience: AUDIENCE,
    issuer: 'https://issuer.example',
    scopesClaim: 'scopes',
    userIdClaim: 'sub',
  });
  assert.equal(
    mintCommand({ scopes: ['agents:a:run', 'sessions:read'], sub: 'bob' }, tokens),
    "npx agentos-token --key <signing-key> --sub 'bob' --scopes 'agents:a:run,sessions:read' --aud 'mini-os' --iss 'https://issuer.example'",
  );
  assert.match(mintCommand({ attack: { kind: 'alg-none', alg: 'none' } }, tokens), /not mintable/);
});

test('curl lines never carry the token, in a cookie either', async () => {
  const { curlFor } = await import('../src/run.js');
  const line = curlFor(
    'http://h/x',
    {
      method: 'POST',
      path: '/x',
      headers: { cookie: 'access_token=eyJsecret; theme=dark', authorization: 'Bearer eyJsecret' },
    },
    '<redacted: scopes=[a:b]>',
    undefined,
  );
  assert.doesNotMatch(line, /eyJsecret/);
  assert.match(line, /Cookie: access_token=<redacted: scopes=\[a:b\]>/);
});
