import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUniqueViolation } from '../src/db/index.js';
import { components } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

describeEachBackend('repositories: components', (t) => {
  test('components: create with first config, versions, labels, stages, current, delete', async () => {
    const db = t.db;
    const { component, config } = await components.create(
      db,
      {
        component_id: 'cmp-1',
        component_type: 'agent',
        name: 'Support Triage Agent',
        metadata: { owner: 'support' },
      },
      { config: { instructions: 'Classify.' }, stage: 'published', label: 'v1' },
    );
    assert.equal(component.current_version, 1);
    assert.equal(config?.version, 1);
    assert.equal(config?.stage, 'published');
    await assert.rejects(
      components.create(db, { component_id: 'cmp-1', component_type: 'agent', name: 'dup' }),
      isUniqueViolation,
    );
    const now = new Date('2026-11-01T12:00:00Z');
    const team = await components.create(
      db,
      { component_id: 'cmp-2', component_type: 'team', name: 'Team' },
      undefined,
      { now },
    );
    assert.deepEqual([team.component.created_at, team.component.updated_at], [now, now]);
    assert.equal(team.config, undefined);
    assert.equal(team.component.current_version, null);
    assert.deepEqual(
      [...(await components.existingIds(db, ['cmp-1', 'cmp-2', 'ghost'], ['agent', 'team']))].sort(),
      ['cmp-1', 'cmp-2'],
    );
    assert.deepEqual([...(await components.existingIds(db, ['cmp-1', 'cmp-2'], ['team']))], ['cmp-2']);
    assert.equal((await components.existingIds(db, [], ['team'])).size, 0);

    const [v2, v3] = await Promise.all([
      components.createConfig(db, 'cmp-1', { config: { instructions: 'B' }, label: 'candidate' }),
      components.createConfig(db, 'cmp-1', { config: { instructions: 'C' } }),
    ]);
    assert.deepEqual([v2?.version, v3?.version].sort(), [2, 3]);
    assert.equal(v2?.stage, 'draft');
    await assert.rejects(
      components.createConfig(db, 'cmp-1', { config: {}, label: 'candidate' }),
      isUniqueViolation,
    );
    assert.equal(await components.createConfig(db, 'no-such', { config: {} }), undefined);
    assert.equal(await components.versionWithLabel(db, 'cmp-1', 'candidate'), v2?.version);
    assert.equal(
      await components.versionWithLabel(db, 'cmp-1', 'candidate', { exceptVersion: v2?.version }),
      undefined,
    );
    assert.equal(await components.versionWithLabel(db, 'cmp-1', 'v1'), 1);

    // A new version stamps the component's updated_at (under its row lock).
    const later = new Date('2026-11-01T13:00:00Z');
    const v = await components.createConfig(db, 'cmp-2', { config: { members: [] } }, { now: later });
    assert.deepEqual([v?.version, v?.created_at, v?.stage], [1, later, 'draft']);
    assert.deepEqual((await components.get(db, 'cmp-2'))?.updated_at, later);
    assert.equal((await components.get(db, 'cmp-2'))?.current_version, null);
    const locked = await db.transaction().execute((trx) => components.get(trx, 'cmp-2', { forUpdate: true }));
    assert.equal(locked?.component_id, 'cmp-2');

    const listed = await components.listConfigs(db, 'cmp-1');
    assert.deepEqual(
      listed.map((c) => c.version),
      [3, 2, 1],
    );
    const light = await components.listConfigs(db, 'cmp-1', { includeConfig: false });
    assert.ok(!('config' in light[0]!));
    assert.equal((await components.getCurrentConfig(db, 'cmp-1'))?.version, 1);
    assert.equal(await components.getCurrentConfig(db, 'cmp-2'), undefined);

    assert.equal(await components.setCurrent(db, 'cmp-1', 2, { onlyStage: 'published' }), undefined); // draft
    const upd = await components.updateConfig(
      db,
      'cmp-1',
      2,
      { stage: 'published', notes: 'ok' },
      { onlyStage: 'draft' },
    );
    assert.equal(upd?.stage, 'published');
    assert.equal(
      await components.updateConfig(db, 'cmp-1', 2, { notes: 'x' }, { onlyStage: 'draft' }),
      undefined,
    );
    // An empty patch changes nothing and answers the row (if it matches).
    const v3row = await components.getConfig(db, 'cmp-1', 3);
    assert.deepEqual(await components.updateConfig(db, 'cmp-1', 3, {}, { onlyStage: 'draft' }), v3row);
    assert.equal(await components.updateConfig(db, 'cmp-1', 2, {}, { onlyStage: 'draft' }), undefined);
    const stamped = await components.updateConfig(db, 'cmp-1', 3, { label: 'three' }, { now: later });
    assert.deepEqual([stamped?.label, stamped?.updated_at], ['three', later]);
    assert.equal(
      (await components.setCurrent(db, 'cmp-1', 2, { onlyStage: 'published' }))?.current_version,
      2,
    );
    assert.equal(await components.setCurrent(db, 'cmp-1', 99), undefined);
    assert.equal((await components.getConfig(db, 'cmp-1', 2))?.notes, 'ok');

    assert.equal(await components.deleteConfig(db, 'cmp-1', 2), false); // current
    assert.equal(await components.deleteConfig(db, 'cmp-1', 1, { onlyStage: 'draft' }), false); // published
    assert.equal(await components.deleteConfig(db, 'cmp-1', 3, { onlyStage: 'draft' }), true);
    const v4 = await components.createConfig(db, 'cmp-1', {
      config: { instructions: 'D' },
      setCurrent: true,
    });
    assert.equal(v4?.version, 3); // max + 1
    assert.equal((await components.get(db, 'cmp-1'))?.current_version, 3);

    assert.equal((await components.list(db)).total, 2);
    assert.equal((await components.list(db, { componentType: 'team' })).rows[0]?.component_id, 'cmp-2');
    assert.equal((await components.list(db, { excludeIds: ['cmp-2'] })).total, 1);
    const before = await components.get(db, 'cmp-2');
    assert.deepEqual(await components.update(db, 'cmp-2', {}), before, 'an empty patch changes nothing');
    const updated = await components.update(db, 'cmp-2', { description: 'A team' }, { now });
    assert.deepEqual([updated?.description, updated?.updated_at], ['A team', now]);
    assert.equal(await components.update(db, 'no-such', {}), undefined);
    assert.equal(await components.update(db, 'no-such', { name: 'x' }), undefined);
    assert.equal(await components.delete(db, 'cmp-1'), true);
    assert.deepEqual(await components.listConfigs(db, 'cmp-1'), []);
  });
});
