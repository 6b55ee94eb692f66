/**
 * Components over HTTP: create (derived ids, first config version, team members), list (code-
 * defined ids left out), get, update, delete, and the versioned configs (next version, labels,
 * drafts vs published, current version, set-current, the 400/404 rules of the spec).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { componentIdFromName } from '../src/handlers/components.js';
import { type Harness, NOW, startHarness } from './handlers-admin-harness.js';

let h: Harness;
let rw: string;
let reader: string;

before(async () => {
  h = await startHarness();
  rw = await h.token('dev', ['components:read', 'components:write', 'components:delete']);
  reader = await h.token('viewer', ['components:read']);
});
after(() => h.close());

describe('components', () => {
  it('derives ids from names', () => {
    assert.equal(componentIdFromName('Support Triage Agent'), 'support-triage-agent');
    assert.equal(componentIdFromName('  Ünïcode — Team!! '), 'unicode-team');
  });

  it('createComponent: 201 with the first config version; the id is derived from the name', async () => {
    const res = await h.call('POST', '/components', {
      token: rw,
      json: {
        name: 'Support Triage Agent',
        component_type: 'agent',
        description: 'Sorts tickets.',
        metadata: { owner: 'support' },
        config: { instructions: 'Classify the ticket.' },
        stage: 'published',
        label: 'v1',
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, {
      component_id: 'support-triage-agent',
      component_type: 'agent',
      name: 'Support Triage Agent',
      description: 'Sorts tickets.',
      current_version: 1,
      metadata: { owner: 'support' },
      // The creator (agno 3.1 records the subject of an unscoped caller too).
      user_id: 'dev',
      created_at: NOW,
      updated_at: NOW,
    });
    const v1 = await h.call('GET', '/components/support-triage-agent/configs/1', { token: reader });
    assert.deepEqual(v1.body, {
      component_id: 'support-triage-agent',
      version: 1,
      label: 'v1',
      stage: 'published',
      config: { instructions: 'Classify the ticket.' },
      created_at: NOW,
      updated_at: NOW,
    });
  });

  it('createComponent: 400 for an existing id, a configured entity id, unresolved team members; 422 for a bad type', async () => {
    const dup = await h.call('POST', '/components', {
      token: rw,
      json: { name: 'x', component_id: 'support-triage-agent', component_type: 'agent' },
    });
    assert.equal(dup.status, 400);
    assert.deepEqual(dup.body, { detail: "Component with id 'support-triage-agent' already exists" });
    const code = await h.call('POST', '/components', {
      token: rw,
      json: { name: 'Writer', component_type: 'agent' },
    });
    assert.equal(code.status, 400);
    assert.match(code.body.detail, /used by a configured agent/);
    const team = await h.call('POST', '/components', {
      token: rw,
      json: {
        name: 'Team A',
        component_type: 'team',
        config: { members: [{ type: 'agent', agent_id: 'ghost' }, 'research-agent'] },
      },
    });
    assert.equal(team.status, 400);
    assert.match(team.body.detail, /^Unresolved team member\(s\): ghost\./);
    const goodTeam = await h.call('POST', '/components', {
      token: rw,
      json: {
        name: 'Team B',
        component_type: 'team',
        config: {
          members: [
            { type: 'agent', agent_id: 'support-triage-agent' },
            { team_id: 'research-team' },
            'research-agent',
          ],
        },
      },
    });
    assert.equal(goodTeam.status, 201, goodTeam.text);
    assert.equal(
      (await h.call('POST', '/components', { token: rw, json: { name: 'y', component_type: 'robot' } }))
        .status,
      422,
    );
    assert.equal(
      (await h.call('POST', '/components', { token: rw, json: { name: '!!!', component_type: 'agent' } }))
        .status,
      400,
    );
    assert.equal(
      (await h.call('POST', '/components', { token: reader, json: { name: 'z', component_type: 'agent' } }))
        .status,
      403,
    );
  });

  it('listComponents: paginated, filtered by type, code-defined ids left out', async () => {
    // A row with a configured agent's id (e.g. left over from an earlier configuration).
    await h.ctx.database.db
      .insertInto('components')
      .values({
        component_id: 'writer',
        component_type: 'agent',
        name: 'Writer',
        created_at: new Date(NOW * 1000),
      })
      .execute();
    const all = await h.call('GET', '/components', { token: reader });
    assert.equal(all.status, 200, all.text);
    const ids = all.body.data.map((c: { component_id: string }) => c.component_id);
    assert.ok(ids.includes('support-triage-agent') && ids.includes('team-b'));
    assert.ok(!ids.includes('writer'));
    assert.equal(all.body.meta.total_count, 2);
    assert.equal(typeof all.body.meta.search_time_ms, 'number');
    const teams = await h.call('GET', '/components?component_type=team', { token: reader });
    assert.deepEqual(
      teams.body.data.map((c: { component_id: string }) => c.component_id),
      ['team-b'],
    );
    const page = await h.call('GET', '/components?limit=1&page=2', { token: reader });
    assert.deepEqual(page.body.meta.total_pages, 2);
    assert.equal(page.body.data.length, 1);
  });

  it('getComponent / updateComponent / deleteComponent', async () => {
    assert.equal((await h.call('GET', '/components/support-triage-agent', { token: reader })).status, 200);
    const missing = await h.call('GET', '/components/nope', { token: reader });
    assert.deepEqual([missing.status, missing.body], [404, { detail: 'Component not found' }]);
    h.clock.advance(10_000);
    try {
      const upd = await h.call('PATCH', '/components/support-triage-agent', {
        token: rw,
        json: { description: 'Sorts and prioritises.', name: null, metadata: { owner: 'ops' } },
      });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.body.description, 'Sorts and prioritises.');
      assert.equal(upd.body.name, 'Support Triage Agent', 'null fields are left unchanged');
      assert.deepEqual(upd.body.metadata, { owner: 'ops' });
      assert.equal(upd.body.updated_at, NOW + 10);
      const badVersion = await h.call('PATCH', '/components/support-triage-agent', {
        token: rw,
        json: { current_version: 9 },
      });
      assert.equal(badVersion.status, 400);
      assert.equal((await h.call('PATCH', '/components/nope', { token: rw, json: {} })).status, 404);
    } finally {
      h.clock.set(NOW);
    }
    const tmp = await h.call('POST', '/components', {
      token: rw,
      json: { name: 'Temp', component_type: 'workflow' },
    });
    assert.equal(tmp.status, 201);
    assert.equal((await h.call('DELETE', '/components/temp', { token: rw })).status, 204);
    assert.equal((await h.call('DELETE', '/components/temp', { token: rw })).status, 404);
    assert.equal(
      (await h.call('GET', '/components/temp/configs', { token: reader })).body.length,
      0,
      'configs went with it',
    );
  });
});

describe('component configs', () => {
  const base = '/components/support-triage-agent/configs';

  it('createComponentConfig assigns the next version (body version ignored); labels are unique', async () => {
    const v2 = await h.call('POST', base, {
      token: rw,
      json: {
        config: { instructions: 'Classify and prioritise.' },
        label: 'candidate',
        notes: 'Adds priority.',
        version: 7,
      },
    });
    assert.equal(v2.status, 201, v2.text);
    assert.deepEqual(v2.body, {
      component_id: 'support-triage-agent',
      version: 2,
      label: 'candidate',
      stage: 'draft',
      config: { instructions: 'Classify and prioritise.' },
      notes: 'Adds priority.',
      created_at: NOW,
      updated_at: NOW,
    });
    const dup = await h.call('POST', base, { token: rw, json: { config: {}, label: 'candidate' } });
    assert.equal(dup.status, 400);
    assert.deepEqual(dup.body, {
      detail: "Label 'candidate' is already used by version 2 of component 'support-triage-agent'",
    });
    const unknown = await h.call('POST', '/components/nope/configs', { token: rw, json: { config: {} } });
    assert.deepEqual([unknown.status, unknown.body], [400, { detail: "Component 'nope' not found" }]);
    assert.equal(
      (await h.call('POST', base, { token: rw, json: { config: {}, stage: 'final' } })).status,
      422,
    );
    assert.equal(
      (await h.call('POST', base, { token: rw, json: { label: 'x' } })).status,
      422,
      'config is required',
    );
    const v3 = await h.call('POST', base, { token: rw, json: { config: { instructions: 'v3' } } });
    assert.equal(v3.body.version, 3);
    const team = await h.call('POST', '/components/team-b/configs', {
      token: rw,
      json: { config: { members: ['ghost'] } },
    });
    assert.equal(team.status, 400);
  });

  it('listComponentConfigs: newest first, include_config=false leaves the configs out; unknown component → []', async () => {
    const list = await h.call('GET', base, { token: reader });
    assert.deepEqual(
      list.body.map((c: { version: number }) => c.version),
      [3, 2, 1],
    );
    assert.ok(list.body.every((c: { config?: unknown }) => c.config !== undefined));
    const bare = await h.call('GET', `${base}?include_config=false`, { token: reader });
    assert.ok(bare.body.every((c: { config?: unknown }) => c.config === undefined));
    assert.deepEqual((await h.call('GET', '/components/nope/configs', { token: reader })).body, []);
  });

  it('getCurrentComponentConfig and getComponentConfig; 404s', async () => {
    const current = await h.call('GET', `${base}/current`, { token: reader });
    assert.equal(current.status, 200);
    assert.equal(current.body.version, 1);
    assert.equal((await h.call('GET', `${base}/2`, { token: reader })).body.label, 'candidate');
    const missing = await h.call('GET', `${base}/99`, { token: reader });
    assert.deepEqual(
      [missing.status, missing.body],
      [404, { detail: "Config version 99 of component 'support-triage-agent' not found" }],
    );
    assert.equal((await h.call('GET', '/components/nope/configs/1', { token: reader })).status, 404);
    assert.equal((await h.call('GET', '/components/nope/configs/current', { token: reader })).status, 404);
    assert.equal(
      (await h.call('GET', `${base}/abc`, { token: reader })).status,
      422,
      'version is an integer',
    );
    const noCurrent = await h.call('POST', '/components', {
      token: rw,
      json: { name: 'Floating', component_type: 'agent', set_current: false },
    });
    assert.equal(noCurrent.body.current_version, undefined);
    const none = await h.call('GET', '/components/floating/configs/current', { token: reader });
    assert.equal(none.status, 404);
    assert.match(none.body.detail, /has no current config version/);
  });

  it('updateComponentConfig changes drafts only; 400 for published, unknown, duplicate label', async () => {
    const upd = await h.call('PATCH', `${base}/2`, {
      token: rw,
      json: { notes: 'Reviewed.', stage: 'published', label: 'stable' },
    });
    assert.equal(upd.status, 200, upd.text);
    assert.equal(upd.body.stage, 'published');
    assert.equal(upd.body.label, 'stable');
    const frozen = await h.call('PATCH', `${base}/2`, { token: rw, json: { notes: 'again' } });
    assert.deepEqual(
      [frozen.status, frozen.body],
      [
        400,
        { detail: "Config version 2 of component 'support-triage-agent' is published and cannot be changed" },
      ],
    );
    const dupLabel = await h.call('PATCH', `${base}/3`, { token: rw, json: { label: 'stable' } });
    assert.equal(dupLabel.status, 400);
    assert.equal((await h.call('PATCH', `${base}/99`, { token: rw, json: { notes: 'x' } })).status, 400);
    assert.equal(
      (await h.call('PATCH', '/components/nope/configs/1', { token: rw, json: { notes: 'x' } })).status,
      400,
    );
  });

  it('setCurrentComponentConfig: published only (400 for a draft), 404 for unknown', async () => {
    const draft = await h.call('POST', `${base}/3/set-current`, { token: rw });
    assert.equal(draft.status, 400);
    assert.match(draft.body.detail, /is a draft: publish it before making it current/);
    const ok = await h.call('POST', `${base}/2/set-current`, { token: rw });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.current_version, 2);
    assert.equal(ok.body.component_id, 'support-triage-agent');
    assert.equal((await h.call('GET', `${base}/current`, { token: reader })).body.version, 2);
    assert.equal((await h.call('POST', `${base}/99/set-current`, { token: rw })).status, 404);
    assert.equal((await h.call('POST', '/components/nope/configs/1/set-current', { token: rw })).status, 404);
  });

  it('deleteComponentConfig: drafts only, never the current one; 404 for unknown', async () => {
    const published = await h.call('DELETE', `${base}/1`, { token: rw });
    assert.deepEqual(
      [published.status, published.body],
      [
        400,
        { detail: "Config version 1 of component 'support-triage-agent' is published and cannot be deleted" },
      ],
    );
    // Make the draft v3 current through updateComponent, then try to delete it.
    await h.call('PATCH', '/components/support-triage-agent', { token: rw, json: { current_version: 3 } });
    const current = await h.call('DELETE', `${base}/3`, { token: rw });
    assert.equal(current.status, 400);
    assert.match(current.body.detail, /is the current version/);
    await h.call('POST', `${base}/2/set-current`, { token: rw });
    assert.equal((await h.call('DELETE', `${base}/3`, { token: rw })).status, 204);
    assert.equal((await h.call('DELETE', `${base}/3`, { token: rw })).status, 404);
    assert.equal((await h.call('DELETE', '/components/nope/configs/1', { token: rw })).status, 404);
    assert.equal((await h.call('DELETE', `${base}/2`, { token: reader })).status, 403);
  });
});
