/**
 * Registry, Database and the public docs routes over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildRegistry } from '../src/handlers/registry.js';
import { type Harness, startHarness } from './handlers-admin-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness({
    tools: [
      {
        name: 'send_email',
        description: 'Sends an email.',
        requiresConfirmation: true,
        parameters: { type: 'object' },
      },
      { name: 'calculator' },
    ],
  });
});
after(() => h.close());

describe('listRegistry', () => {
  it('lists agents, teams, tools, models and the database, sorted by type then name', async () => {
    const token = await h.token('dev', ['registry:read']);
    const res = await h.call('GET', '/registry?limit=100', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((i: { type: string; name: string }) => `${i.type}:${i.name}`),
      [
        'agent:Research Agent',
        'agent:Writer',
        'team:Research Team',
        'tool:calculator',
        'tool:send_email',
        'tool:web_search',
        'model:claude-sonnet',
        'model:gpt-4o',
        'db:main-db',
      ],
    );
    const agent = res.body.data[0];
    assert.deepEqual(agent, {
      name: 'Research Agent',
      type: 'agent',
      id: 'research-agent',
      description: 'Researches.',
      metadata: { id: 'research-agent', model: 'gpt-4o', provider: 'openai' },
    });
    const tool = res.body.data.find((i: { name: string }) => i.name === 'send_email');
    assert.deepEqual(tool, {
      name: 'send_email',
      type: 'tool',
      description: 'Sends an email.',
      metadata: { parameters: { type: 'object' }, requires_confirmation: true },
    });
    assert.equal(res.body.meta.total_count, 9);
    assert.equal(typeof res.body.meta.search_time_ms, 'number');
  });

  it('filters by resource_type and name (case-insensitive), paginates; 422 for an unknown type', async () => {
    const token = await h.token('dev', ['registry:read']);
    const models = await h.call('GET', '/registry?resource_type=model', { token });
    assert.deepEqual(
      models.body.data.map((i: { id: string }) => i.id),
      ['claude-sonnet', 'gpt-4o'],
    );
    assert.deepEqual(models.body.data[1].metadata, { model_id: 'gpt-4o', provider: 'openai' });
    const named = await h.call('GET', '/registry?name=RESEARCH', { token });
    assert.deepEqual(
      named.body.data.map((i: { id: string }) => i.id),
      ['research-agent', 'research-team'],
    );
    const page = await h.call('GET', '/registry?limit=4&page=3', { token });
    assert.deepEqual(page.body.meta, {
      ...page.body.meta,
      page: 3,
      limit: 4,
      total_pages: 3,
      total_count: 9,
    });
    assert.equal(page.body.data.length, 1);
    assert.equal((await h.call('GET', '/registry?resource_type=planet', { token })).status, 422);
    assert.equal(
      (await h.call('GET', '/registry', { token: await h.token('x', ['config:read']) })).status,
      403,
    );
  });

  it('without a tools option, lists the run engine built-in tools', () => {
    const names = buildRegistry(h.ctx)
      .filter((i) => i.type === 'tool')
      .map((i) => i.name);
    assert.ok(
      names.includes('echo') && names.includes('current_time') && names.includes('web_search'),
      names.join(),
    );
  });
});

describe('database migrations', () => {
  it('migrateAllDatabases and migrateDatabase run the migrations (a no-op when up to date)', async () => {
    const token = await h.token('ops', ['config:write']);
    const all = await h.call('POST', '/databases/all/migrate', { token });
    assert.deepEqual(
      [all.status, all.body],
      [200, { message: 'All databases migrated successfully to latest version' }],
    );
    const one = await h.call('POST', '/databases/main-db/migrate', { token });
    assert.deepEqual(
      [one.status, one.body],
      [200, { message: 'Database migrated successfully to latest version' }],
    );
    const pinned = await h.call('POST', '/databases/main-db/migrate?target_version=0001_initial', { token });
    assert.deepEqual(pinned.body, { message: 'Database migrated successfully to version 0001_initial' });
    const legacy = await h.call('POST', '/databases/system:read/migrate', { token });
    assert.equal(legacy.status, 404);
  });

  it('an unknown database is 404 "Database not found"; an unknown version 422; config:write is required', async () => {
    const token = await h.token('ops', ['config:write']);
    const res = await h.call('POST', '/databases/analytics/migrate', { token });
    assert.deepEqual([res.status, res.body], [404, { detail: 'Database not found' }]);
    const bad = await h.call('POST', '/databases/all/migrate?target_version=9.9.9', { token });
    assert.equal(bad.status, 422);
    assert.match(bad.body.detail, /^Unknown target_version '9\.9\.9'\. Use 'latest' or one of: 0001_initial/);
    const reader = await h.token('ops', ['config:read']);
    assert.equal((await h.call('POST', '/databases/all/migrate', { token: reader })).status, 403);
  });
});

describe('docs routes (public)', () => {
  it('GET /docs serves the Swagger UI page, loading local assets only, without a token', async () => {
    const res = await h.call('GET', '/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /<script src="\/docs\/assets\/swagger-ui-bundle\.js"><\/script>/);
    assert.match(res.text, /data-openapi-url="\/openapi\.json"/);
    assert.doesNotMatch(res.text, /https?:\/\//, 'no CDN');
    assert.doesNotMatch(res.text, /<script>/, 'no inline script');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const [file, type] of [
      ['swagger-ui-bundle.js', /javascript/],
      ['swagger-ui-standalone-preset.js', /javascript/],
      ['swagger-ui.css', /text\/css/],
      ['agentos-docs.js', /javascript/],
      ['oauth2-redirect.js', /javascript/],
      ['favicon-32x32.png', /image\/png/],
    ] as const) {
      const asset = await fetch(`${h.base}/docs/assets/${file}`);
      assert.equal(asset.status, 200, file);
      assert.match(asset.headers.get('content-type') ?? '', type, file);
      await asset.arrayBuffer();
    }
    const init = await (await fetch(`${h.base}/docs/assets/agentos-docs.js`)).text();
    assert.match(init, /SwaggerUIBundle\(/);
    // Anything else under the assets path is not served (and, unauthenticated, is a 401).
    assert.equal((await fetch(`${h.base}/docs/assets/package.json`)).status, 401);
  });

  it('GET /openapi.json answers the bundled document, servers pointing at this server', async () => {
    const res = await h.call('GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\.1/);
    assert.ok(res.body.paths['/schedules']);
    assert.deepEqual(res.body.servers, [{ url: '/', description: 'This AgentOS' }]);
    assert.ok(res.body.paths['/agents/{agent_id}/runs'].post['x-required-scopes']);
  });

  it('GET /redoc explains and links /docs; GET /docs/oauth2-redirect loads the local redirect script', async () => {
    const redoc = await h.call('GET', '/redoc');
    assert.equal(redoc.status, 200);
    assert.match(redoc.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(redoc.text, /href="\/docs"/);
    assert.match(redoc.text, /href="\/openapi\.json"/);
    const redirect = await h.call('GET', '/docs/oauth2-redirect');
    assert.equal(redirect.status, 200);
    assert.match(redirect.text, /<script src="\/docs\/assets\/oauth2-redirect\.js"><\/script>/);
  });

  it('a garbage token does not matter on public routes', async () => {
    const res = await h.call('GET', '/docs', { token: 'garbage' });
    assert.equal(res.status, 200);
  });
});
