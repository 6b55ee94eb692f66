import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isForeignKeyViolation, isUniqueViolation } from '../src/db/index.js';
import { runs, sessions } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: sessions and runs', (t) => {
  test('sessions: create, get, list with filters/sort/paging, update, recordRun, delete, deleteMany', async () => {
    const db = t.db;
    const a = await sessions.create(db, {
      session_id: 'ses-a',
      session_type: 'agent',
      agent_id: 'research-agent',
      user_id: 'user_123',
      session_name: 'What tools do you have?',
      session_state: { step: 1 },
      metadata: { source: 'test' },
      created_at: at('2026-11-01T12:00:00Z'),
    });
    assert.equal(a.session_id, 'ses-a');
    assert.deepEqual(a.session_state, { step: 1 });
    assert.ok(a.created_at instanceof Date);
    await sessions.create(db, {
      session_id: 'ses-b',
      session_type: 'team',
      team_id: 'research-team',
      user_id: 'user_456',
      session_name: 'Team planning',
      created_at: at('2026-11-01T13:00:00Z'),
    });
    await sessions.create(db, {
      session_id: 'ses-c',
      session_type: 'agent',
      agent_id: 'support-agent',
      user_id: 'user_123',
      session_name: 'Refund 100% please',
      created_at: at('2026-11-01T14:00:00Z'),
    });
    await assert.rejects(
      sessions.create(db, { session_id: 'ses-a', session_type: 'agent' }),
      isUniqueViolation,
    );

    assert.equal(
      await sessions.createIfAbsent(db, { session_id: 'ses-a', session_type: 'agent' }),
      undefined,
    );
    assert.equal((await sessions.get(db, 'ses-a'))?.user_id, 'user_123', 'the existing row is kept');
    const fresh = await sessions.createIfAbsent(db, {
      session_id: 'ses-d',
      session_type: 'workflow',
      workflow_id: 'wf',
      user_id: 'user_789',
      created_at: at('2026-11-01T11:00:00Z'),
      updated_at: at('2026-11-01T11:00:00Z'),
    });
    assert.equal(fresh?.workflow_id, 'wf');
    assert.equal(await sessions.delete(db, 'ses-d'), true);

    assert.equal((await sessions.get(db, 'ses-a'))?.agent_id, 'research-agent');
    assert.equal(await sessions.get(db, 'ses-a', { userId: 'user_456' }), undefined);
    assert.equal(await sessions.get(db, 'ses-a', { type: 'team' }), undefined);

    const mine = await sessions.list(db, { userId: 'user_123' });
    assert.equal(mine.total, 2);
    assert.deepEqual(
      mine.rows.map((r) => r.session_id),
      ['ses-c', 'ses-a'],
    ); // created_at desc by default
    const asc = await sessions.list(db, { userId: 'user_123', sortBy: 'created_at', sortOrder: 'asc' });
    assert.deepEqual(
      asc.rows.map((r) => r.session_id),
      ['ses-a', 'ses-c'],
    );
    const bogusSort = await sessions.list(db, { sortBy: 'session_state; drop table sessions' });
    assert.equal(bogusSort.total, 3);
    assert.deepEqual(
      (await sessions.list(db, { sortBy: 'user_id', sortOrder: 'asc' })).rows.map((r) => r.session_id),
      ['ses-a', 'ses-c', 'ses-b'],
      'ties on the sort column are broken by session_id in the same direction',
    );
    assert.deepEqual(
      (await sessions.list(db, { sortBy: 'user_id', sortOrder: 'desc' })).rows.map((r) => r.session_id),
      ['ses-b', 'ses-c', 'ses-a'],
    );
    assert.deepEqual(
      (await sessions.list(db, { sortBy: 'session_type', sortOrder: 'asc' })).rows.map((r) => r.session_type),
      ['agent', 'agent', 'team'],
    );
    assert.equal((await sessions.list(db, { type: 'team' })).total, 1);
    assert.equal((await sessions.list(db, { type: 'agent', componentId: 'support-agent' })).total, 1);
    assert.equal((await sessions.list(db, { componentId: 'research-team' })).total, 1);
    assert.equal((await sessions.list(db, { sessionName: 'TOOLS' })).rows[0]?.session_id, 'ses-a');
    assert.equal((await sessions.list(db, { sessionName: '100%' })).total, 1);
    assert.equal((await sessions.list(db, { sessionName: '%' })).total, 1); // % is literal
    const page2 = await sessions.list(db, { limit: 2, page: 2 });
    assert.equal(page2.total, 3);
    assert.equal(page2.rows.length, 1);

    // The input of the first top-level run (for a derived session name).
    assert.equal((await sessions.getWithFirstInput(db, 'ses-c'))?.first_input, null);
    const inSesC = [
      // [run_id, parent_run_id, input, created_at]: the oldest top-level run, ties by run_id.
      ['fi-later', null, 'later', '2026-11-01T14:02:00Z'],
      ['fi-b', null, 'b', '2026-11-01T14:01:00Z'],
      ['fi-a', null, { input_content: 'a' }, '2026-11-01T14:01:00Z'],
      ['fi-member', 'fi-a', 'a member run', '2026-11-01T13:00:00Z'],
    ] as const;
    for (const [runId, parentRunId, input, createdAt] of inSesC) {
      await runs.create(db, {
        run_id: runId,
        session_id: 'ses-c',
        parent_run_id: parentRunId,
        entity_type: 'agent',
        entity_id: 'support-agent',
        input,
        created_at: at(createdAt),
      });
    }
    assert.deepEqual((await sessions.getWithFirstInput(db, 'ses-c'))?.first_input, { input_content: 'a' });
    assert.equal(await sessions.getWithFirstInput(db, 'ses-c', { userId: 'user_456' }), undefined);
    assert.equal(await sessions.getWithFirstInput(db, 'ses-c', { type: 'team' }), undefined);
    const listed = await sessions.list(db, { userId: 'user_123' });
    assert.deepEqual(
      listed.rows.map((r) => [r.session_id, r.first_input]),
      [
        ['ses-c', { input_content: 'a' }],
        ['ses-a', null],
      ],
    );
    // Only where a list needs it: a session without a name, or with a string session_data name.
    await sessions.create(db, { session_id: 'ses-unnamed', session_type: 'agent', user_id: 'user_789' });
    await sessions.create(db, {
      session_id: 'ses-data-named',
      session_type: 'agent',
      user_id: 'user_789',
      session_data: { session_name: 'from data' },
    });
    await sessions.create(db, {
      session_id: 'ses-data-number',
      session_type: 'agent',
      user_id: 'user_789',
      session_data: { session_name: 7 },
    });
    let minute = 0;
    for (const id of ['ses-unnamed', 'ses-data-named', 'ses-data-number']) {
      await runs.create(db, {
        run_id: `fi-${id}`,
        session_id: id,
        entity_type: 'agent',
        entity_id: 'support-agent',
        input: `first of ${id}`,
        created_at: at(`2026-11-01T15:0${minute++}:00Z`),
      });
    }
    const byId = async (opts: Parameters<typeof sessions.list>[1]) =>
      Object.fromEntries((await sessions.list(db, opts)).rows.map((r) => [r.session_id, r.first_input]));
    assert.deepEqual(await byId({ userId: 'user_789' }), {
      'ses-unnamed': 'first of ses-unnamed',
      'ses-data-named': 'first of ses-data-named',
      'ses-data-number': 'first of ses-data-number',
    });
    assert.deepEqual(await byId({ userId: 'user_789', firstInputUnlessNamed: true }), {
      'ses-unnamed': 'first of ses-unnamed',
      'ses-data-named': null,
      'ses-data-number': 'first of ses-data-number',
    });
    assert.deepEqual(await byId({ userId: 'user_123', firstInputUnlessNamed: true }), {
      'ses-c': null,
      'ses-a': null,
    });
    for (const id of ['ses-unnamed', 'ses-data-named', 'ses-data-number']) await sessions.delete(db, id);

    const before = (await sessions.get(db, 'ses-a'))!;
    const updated = await sessions.update(db, 'ses-a', {
      session_state: { step: 2 },
      summary: { summary: 'tools', topics: ['tools'] },
    });
    assert.deepEqual(updated?.session_state, { step: 2 });
    assert.deepEqual(updated?.metadata, { source: 'test' }); // untouched
    assert.ok(updated!.updated_at.getTime() >= before.updated_at.getTime());
    assert.equal(
      await sessions.update(db, 'ses-a', { session_name: 'x' }, { userId: 'user_456' }),
      undefined,
    );
    const renamed = await sessions.update(db, 'ses-a', {
      session_name: 'Renamed',
      updated_at: at('2026-11-05T00:00:00Z'),
    });
    assert.equal(renamed?.session_name, 'Renamed');
    assert.deepEqual(renamed?.updated_at, at('2026-11-05T00:00:00Z'), 'the caller-given clock');

    // After a run: the state is replaced, the token counts are added (other metrics dropped).
    await sessions.update(db, 'ses-a', { metrics: { input_tokens: 1, model: 'm' } });
    const longAgo = at('2000-01-01T00:00:00Z');
    const outcome = { sessionState: { step: 3 }, inputTokens: 10, outputTokens: 5, totalTokens: 15 };
    await sessions.recordRun(db, 'ses-a', { ...outcome, updatedAt: longAgo });
    const afterOne = (await sessions.get(db, 'ses-a'))!;
    assert.deepEqual(afterOne.metrics, { input_tokens: 11, output_tokens: 5, total_tokens: 15 });
    assert.deepEqual(afterOne.updated_at, longAgo, 'the caller-given clock');
    await sessions.recordRun(db, 'ses-a', { ...outcome, sessionState: { step: 4 } });
    const afterTwo = (await sessions.get(db, 'ses-a'))!;
    assert.deepEqual(afterTwo.session_state, { step: 4 });
    assert.deepEqual(afterTwo.metrics, { input_tokens: 21, output_tokens: 10, total_tokens: 30 });
    assert.ok(afterTwo.updated_at.getTime() > longAgo.getTime(), 'the database clock');

    assert.equal(await sessions.delete(db, 'ses-a', { userId: 'user_456' }), false);
    assert.equal(await sessions.delete(db, 'ses-a', { userId: 'user_123' }), true);
    assert.equal(await sessions.get(db, 'ses-a'), undefined);
    assert.equal(await sessions.deleteMany(db, ['ses-b', 'ses-c'], { userId: 'user_123' }), 1);
    assert.equal(await sessions.get(db, 'ses-c'), undefined);
    assert.ok(await sessions.get(db, 'ses-b'), "another user's session is kept");
    assert.equal(await sessions.deleteMany(db, ['ses-b', 'unknown']), 1);
    assert.equal(await sessions.deleteMany(db, []), 0);
  });

  test('runs: create, upsert, get, list by session, guarded status transitions, events, cancel intents', async () => {
    const db = t.db;
    await sessions.create(db, {
      session_id: 'run-ses',
      session_type: 'agent',
      agent_id: 'a1',
      user_id: 'u1',
    });
    const r1 = await runs.create(db, {
      run_id: 'run-1',
      session_id: 'run-ses',
      entity_type: 'agent',
      entity_id: 'a1',
      user_id: 'u1',
      input: 'hello',
      created_at: at('2026-11-01T12:00:00Z'),
    });
    assert.equal(r1.status, 'PENDING');
    assert.equal(r1.input, 'hello'); // a bare string survives as JSON
    assert.equal(r1.event_count, 0);
    assert.deepEqual(r1.updated_at, r1.created_at);
    const r2 = await runs.create(db, {
      run_id: 'run-2',
      session_id: 'run-ses',
      parent_run_id: 'run-1',
      entity_type: 'agent',
      entity_id: 'a2',
      user_id: 'u1',
      status: 'RUNNING',
      created_at: at('2026-11-01T12:01:00Z'),
      updated_at: at('2026-11-02T00:00:00Z'),
    });
    assert.deepEqual(r2.updated_at, at('2026-11-02T00:00:00Z'));
    await assert.rejects(
      runs.create(db, {
        run_id: 'run-x',
        session_id: 'no-such-session',
        entity_type: 'agent',
        entity_id: 'a1',
      }),
    );

    assert.equal((await runs.get(db, 'run-1', { sessionId: 'run-ses', entityId: 'a1' }))?.run_id, 'run-1');
    assert.equal(await runs.get(db, 'run-1', { userId: 'u2' }), undefined);
    assert.equal(await runs.get(db, 'run-1', { entityType: 'team' }), undefined);
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses')).map((r) => r.run_id),
      ['run-1', 'run-2'],
    );
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses', { parentRunId: null })).map((r) => r.run_id),
      ['run-1'],
    );
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses', { status: 'RUNNING' })).map((r) => r.run_id),
      ['run-2'],
    );
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses', { createdAfter: at('2026-11-01T12:00:30Z') })).map(
        (r) => r.run_id,
      ),
      ['run-2'],
    );
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses', { createdBefore: at('2026-11-01T12:00:01Z') })).map(
        (r) => r.run_id,
      ),
      ['run-1'],
    );
    assert.deepEqual(
      await runs.listBySession(db, 'run-ses', { createdBefore: at('2026-11-01T12:00:00Z') }),
      [],
      'the upper bound is exclusive',
    );
    assert.deepEqual(
      (
        await runs.listBySession(db, 'run-ses', {
          entityType: 'agent',
          entityId: 'a1',
          parentRunId: null,
          status: 'PENDING',
        })
      ).map((r) => r.run_id),
      ['run-1'],
    );
    assert.deepEqual(
      (await runs.listBySession(db, 'run-ses', { parentRunId: 'run-1' })).map((r) => r.run_id),
      ['run-2'],
    );

    // upsert: inserts, then overwrites the state of the existing run only.
    const member = {
      run_id: 'run-3',
      session_id: 'run-ses',
      parent_run_id: 'run-1',
      entity_type: 'team',
      entity_id: 't1',
      user_id: 'u1',
      input: 'member input',
      instance_id: 'i1',
    } as const;
    await runs.upsert(db, { ...member, status: 'RUNNING', created_at: at('2026-11-01T12:02:00Z') });
    await runs.upsert(db, {
      ...member,
      input: 'ignored',
      instance_id: 'i2',
      status: 'COMPLETED',
      content: 'done',
      content_type: 'str',
      output: { run_id: 'run-3' },
      metrics: { total_tokens: 3 },
      created_at: at('2026-11-01T12:03:00Z'),
    });
    const r3 = (await runs.get(db, 'run-3'))!;
    assert.deepEqual(
      [r3.status, r3.content, r3.content_type, r3.output, r3.metrics, r3.requirements],
      ['COMPLETED', 'done', 'str', { run_id: 'run-3' }, { total_tokens: 3 }, null],
    );
    assert.deepEqual([r3.input, r3.instance_id], ['member input', 'i1'], 'identity and input stay');
    assert.deepEqual(r3.created_at, at('2026-11-01T12:02:00Z'));
    assert.deepEqual(r3.updated_at, at('2026-11-01T12:03:00Z'));

    const paused = await runs.update(db, 'run-1', {
      status: 'PAUSED',
      content: { text: 'need approval' },
      requirements: [{ tool: 'send_email' }],
      metrics: { input_tokens: 10, output_tokens: 5 },
      output: { run_id: 'run-1', status: 'PAUSED' },
    });
    assert.equal(paused?.status, 'PAUSED');
    assert.deepEqual(paused?.requirements, [{ tool: 'send_email' }]);
    // Continue: PAUSED → RUNNING happens once.
    const resumed = await runs.update(
      db,
      'run-1',
      { status: 'RUNNING', instance_id: 'i9', updated_at: at('2026-11-03T00:00:00Z') },
      { fromStatus: ['PENDING', 'PAUSED'] },
    );
    assert.deepEqual(
      [resumed?.status, resumed?.instance_id, resumed?.updated_at],
      ['RUNNING', 'i9', at('2026-11-03T00:00:00Z')],
    );
    assert.equal(
      await runs.update(db, 'run-1', { status: 'RUNNING' }, { fromStatus: ['PAUSED'] }),
      undefined,
    );
    assert.equal(await runs.update(db, 'run-1', { status: 'RUNNING' }, { fromStatus: [] }), undefined);

    assert.equal(await runs.appendEvent(db, 'run-1', 'RunStarted', { run_id: 'run-1' }), 0);
    assert.equal(await runs.appendEvent(db, 'run-1', 'RunContent', { content: 'a' }), 1);
    assert.deepEqual(
      await runs.appendEvents(db, 'run-1', [
        { event: 'RunContent', data: { content: 'b' } },
        { event: 'RunCompleted' },
      ]),
      [2, 3],
    );
    assert.equal(await runs.countEvents(db, 'run-1'), 4);
    const all = await runs.listEvents(db, 'run-1');
    assert.deepEqual(
      all.map((e) => [e.event_index, e.event]),
      [
        [0, 'RunStarted'],
        [1, 'RunContent'],
        [2, 'RunContent'],
        [3, 'RunCompleted'],
      ],
    );
    assert.deepEqual(all[2]!.data, { content: 'b' });
    assert.equal(all[3]!.data, null);
    assert.deepEqual(
      (await runs.listEvents(db, 'run-1', { after: 1 })).map((e) => e.event_index),
      [2, 3],
    );
    assert.deepEqual(
      (await runs.listEvents(db, 'run-1', { after: 0, limit: 1 })).map((e) => e.event_index),
      [1],
    );
    await assert.rejects(runs.appendEvent(db, 'no-such-run', 'RunStarted'), runs.RunNotFoundError);

    // Events numbered by their writer: event_count is raised past the last index, never lowered.
    const stamp = at('2026-11-04T00:00:00Z');
    await runs.insertEvents(db, 'run-2', [
      { event_index: 0, event: 'RunStarted', data: { run_id: 'run-2' }, created_at: stamp },
      { event_index: 1, event: 'RunContent', created_at: stamp },
    ]);
    await runs.insertEvents(db, 'run-2', []);
    assert.equal((await runs.get(db, 'run-2'))?.event_count, 2);
    await runs.insertEvents(db, 'run-2', [{ event_index: 5, event: 'RunContent' }]);
    await runs.insertEvents(db, 'run-2', [{ event_index: 3, event: 'RunContent' }]);
    assert.equal((await runs.get(db, 'run-2'))?.event_count, 6);
    assert.equal(await runs.countEvents(db, 'run-2'), 4, 'the stored events, not event_count');
    const numbered = await runs.listEvents(db, 'run-2');
    assert.deepEqual(
      numbered.map((e) => e.event_index),
      [0, 1, 3, 5],
    );
    assert.deepEqual([numbered[0]!.data, numbered[1]!.data], [{ run_id: 'run-2' }, null]);
    assert.deepEqual(numbered[0]!.created_at, stamp);
    await assert.rejects(
      runs.insertEvents(db, 'run-2', [
        { event_index: 7, event: 'RunContent' },
        { event_index: 1, event: 'RunContent' },
      ]),
      isUniqueViolation,
    );
    // Nothing of a rejected batch stays: neither its new event nor a raised count.
    assert.equal((await runs.get(db, 'run-2'))?.event_count, 6);
    assert.equal(await runs.countEvents(db, 'run-2'), 4);
    await assert.rejects(
      runs.insertEvents(db, 'no-such-run', [{ event_index: 0, event: 'RunStarted' }]),
      isForeignKeyViolation,
    );
    assert.equal(await runs.countEvents(db, 'no-such-run'), 0);

    assert.equal(await runs.isCancelRequested(db, ['unknown-run']), false);
    await runs.requestCancel(db, 'unknown-run', {
      sessionId: 'run-ses',
      requestedBy: 'u1',
      createdAt: stamp,
    });
    await runs.requestCancel(db, 'unknown-run'); // idempotent: the first intent stays
    assert.equal(await runs.isCancelRequested(db, ['unknown-run']), true);
    assert.equal(await runs.isCancelRequested(db, ['run-1', 'unknown-run']), true, 'any of the runs');
    assert.equal(await runs.isCancelRequested(db, ['run-1']), false);
    assert.equal(await runs.isCancelRequested(db, []), false);
    const intent = await db
      .selectFrom('run_cancellations')
      .selectAll()
      .where('run_id', '=', 'unknown-run')
      .execute();
    assert.deepEqual(
      intent.map((c) => [c.session_id, c.requested_by, c.created_at]),
      [['run-ses', 'u1', stamp]],
    );

    // Deleting the session deletes its runs and their events.
    assert.equal(await sessions.delete(db, 'run-ses'), true);
    assert.equal(await runs.get(db, 'run-1'), undefined);
    assert.deepEqual(await runs.listEvents(db, 'run-1'), []);
  });
});
