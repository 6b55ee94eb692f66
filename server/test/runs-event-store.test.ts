/**
 * How a run's events reach the store: live subscribers get each event at once, the store gets
 * them in batches (`eventFlushMs`), so a short run writes all of its events once, with its final
 * state, and a long one keeps writing them while it runs (another instance follows it from there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { resolveConfig } from '../src/config/resolve.js';
import { type Database, openDatabase, runs } from '../src/db/index.js';
import { silentLogger } from '../src/log.js';
import { createRunRuntime, type RunEngine } from '../src/runtime/index.js';

let database: Database;
/** The statements that wrote run events (a transaction's included), one entry each. */
const eventWrites: string[] = [];

/** Counts the statements that insert into run_events, whatever runs them (`db` or a transaction). */
const countEventWrites: KyselyPlugin = {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const text = JSON.stringify(node);
    if (
      node.kind !== 'SelectQueryNode' &&
      text.includes('"InsertQueryNode"') &&
      text.includes('"run_events"')
    )
      eventWrites.push(node.kind);
    return node;
  },
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  },
};

before(async () => {
  database = await openDatabase({ memory: true });
});
after(() => database.close());

function engine(eventFlushMs?: number): RunEngine {
  const config = resolveConfig({
    options: {
      agents: [
        { id: 'quick-agent', name: 'Quick Agent' },
        { id: 'slow-agent', name: 'Slow Agent', builtinModel: { chunks: 8, delayMs: 100 } },
      ],
    },
    env: {},
    cwd: process.cwd(),
  });
  return createRunRuntime({
    config,
    database: { ...database, db: database.db.withPlugin(countEventWrites) },
    logger: silentLogger(),
    ...(eventFlushMs === undefined ? {} : { eventFlushMs }),
  });
}

describe('run events in the store', () => {
  test('a short run stores all its events in one write, with its final state', async () => {
    const rt = engine();
    eventWrites.length = 0;
    const run = await rt.runOnce({ kind: 'agent', id: 'quick-agent', message: 'hello', userId: 'u1' });
    assert.equal(run.status, 'COMPLETED');
    const stored = await runs.listEvents(database.db, run.runId);
    assert.ok(stored.length >= 3, `events stored: ${stored.length}`);
    assert.deepEqual(
      stored.map((e) => e.event_index),
      stored.map((_, i) => i),
      'gapless',
    );
    assert.equal((await runs.get(database.db, run.runId))?.event_count, stored.length);
    assert.equal(eventWrites.length, 1, `event writes: ${eventWrites.length}`);
    await rt.close();
  });

  test('with eventFlushMs 0 every event batch is written as soon as the last write ended', async () => {
    const rt = engine(0);
    eventWrites.length = 0;
    const run = await rt.runOnce({ kind: 'agent', id: 'quick-agent', message: 'hello', userId: 'u1' });
    assert.equal(run.status, 'COMPLETED');
    assert.ok(eventWrites.length > 1, `event writes: ${eventWrites.length}`);
    await rt.close();
  });

  test('a long run writes its events while it runs, not only at its end', async () => {
    const rt = engine();
    eventWrites.length = 0;
    const handle = await rt.start({
      kind: 'agent',
      id: 'slow-agent',
      message: 'tell me about the eight planets of the solar system please',
      userId: 'u1',
    });
    // Eight deltas 100 ms apart: looked at after three of them.
    await new Promise((r) => setTimeout(r, 350));
    const midway = await runs.listEvents(database.db, handle.runId);
    const row = await runs.get(database.db, handle.runId);
    assert.equal(row?.status, 'RUNNING', 'still running when looked at');
    assert.ok(midway.length >= 3, `events stored while running: ${midway.length}`);
    assert.equal((await handle.done).status, 'COMPLETED');
    await rt.close();
  });
});
