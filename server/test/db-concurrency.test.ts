import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../src/db/index.js';
import { runs, schedules, sessions } from '../src/db/repos/index.js';
import { openTestDatabase, type TestDatabase, testBackends } from '../src/db/testing.js';

for (const backend of testBackends()) {
  describe(`concurrency (${backend})`, () => {
    let t: TestDatabase;
    let peer: Database; // a second server instance on the same database
    before(async () => {
      t = await openTestDatabase(backend);
      peer = await t.peer();
    });
    after(() => t?.close());

    test('event_index is gapless, unique and in each producer’s order under concurrent appends', async () => {
      await sessions.create(t.db, { session_id: 'ev-s', session_type: 'agent' });
      await runs.create(t.db, { run_id: 'ev-r', session_id: 'ev-s', entity_type: 'agent', entity_id: 'a' });
      const producers = 6;
      const perProducer = 40;
      const handles = [t.db, peer.db];
      const seen = await Promise.all(
        Array.from({ length: producers }, async (_, p) => {
          const db = handles[p % handles.length]!;
          const indices: number[] = [];
          for (let k = 0; k < perProducer; k++) {
            if (k % 10 === 9) {
              // Batches interleave with single appends.
              const batch = await runs.appendEvents(db, 'ev-r', [
                { event: 'Batch', data: { p, k, part: 0 } },
                { event: 'Batch', data: { p, k, part: 1 } },
              ]);
              assert.equal(batch[1], batch[0]! + 1, 'a batch is contiguous');
              indices.push(...batch);
            } else {
              indices.push(await runs.appendEvent(db, 'ev-r', 'RunContent', { p, k }));
            }
          }
          return indices;
        }),
      );
      const total = producers * (perProducer + perProducer / 10);
      for (const indices of seen) {
        for (let i = 1; i < indices.length; i++)
          assert.ok(indices[i]! > indices[i - 1]!, 'per-producer order');
      }
      const all = seen.flat().sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: total }, (_, i) => i),
      );
      const events = await runs.listEvents(t.db, 'ev-r');
      assert.equal(events.length, total);
      assert.deepEqual(
        events.map((e) => e.event_index),
        all,
      );
      assert.equal(await runs.countEvents(t.db, 'ev-r'), total);
      // Replay from any point answers exactly the tail.
      assert.deepEqual(
        (await runs.listEvents(peer.db, 'ev-r', { after: total - 4 })).map((e) => e.event_index),
        [total - 3, total - 2, total - 1],
      );
    });

    test('claimDue: two instances claiming concurrently fire each due schedule exactly once', async () => {
      const now = new Date('2026-11-02T03:00:00Z');
      const count = 30;
      for (let i = 0; i < count; i++) {
        await schedules.create(t.db, {
          id: `due-${i}`,
          name: `due-${i}`,
          cron_expr: '0 3 * * *',
          endpoint: '/agents/a/runs',
          next_run_at: new Date(now.getTime() - i * 1000),
        });
      }
      await schedules.create(t.db, {
        id: 'later',
        name: 'later',
        cron_expr: '0 4 * * *',
        endpoint: '/x',
        next_run_at: new Date(now.getTime() + 3_600_000),
      });
      await schedules.create(t.db, {
        id: 'off',
        name: 'off',
        cron_expr: '0 3 * * *',
        endpoint: '/x',
        enabled: false,
        next_run_at: now,
      });

      const fired: Array<{ id: string; instance: string }> = [];
      const instance = async (db: Database['db'], name: string) => {
        // Several workers per instance, each claiming small batches until nothing is due.
        await Promise.all(
          Array.from({ length: 3 }, async () => {
            for (;;) {
              const claimed = await schedules.claimDue(db, now, name, 2);
              if (claimed.length === 0) return;
              for (const s of claimed) {
                assert.equal(s.claimed_by, name);
                fired.push({ id: s.id, instance: name });
                const ok = await schedules.complete(db, s.id, name, new Date(now.getTime() + 86_400_000));
                assert.ok(ok, 'the claim is still ours');
              }
            }
          }),
        );
      };
      await Promise.all([instance(t.db, 'instance-a'), instance(peer.db, 'instance-b')]);

      const ids = fired.map((f) => f.id).sort();
      assert.equal(ids.length, count, 'every due schedule fired');
      assert.equal(new Set(ids).size, count, 'none fired twice');
      assert.ok(!ids.includes('later') && !ids.includes('off'));
      // Nothing is due any more at `now`.
      assert.deepEqual(await schedules.claimDue(t.db, now, 'instance-c'), []);
    });

    if (backend === 'postgres') {
      test('claimDue skips rows another instance holds locked instead of waiting for them', async () => {
        const now = new Date('2026-01-01T00:00:00Z'); // before every schedule of the previous test
        for (let i = 0; i < 4; i++) {
          await schedules.create(t.db, {
            id: `skip-${i}`,
            name: `skip-${i}`,
            cron_expr: '* * * * *',
            endpoint: '/x',
            next_run_at: new Date(now.getTime() - (4 - i) * 1000),
          });
        }
        await t.db.transaction().execute(async (trx) => {
          // Instance A claims two inside a transaction it has not committed yet…
          const a = await schedules.claimDue(trx, now, 'A', 2);
          assert.deepEqual(
            a.map((s) => s.id),
            ['skip-0', 'skip-1'],
          );
          // …instance B, meanwhile, gets the other two at once (no blocking on A's rows).
          const b = await schedules.claimDue(peer.db, now, 'B', 10);
          assert.deepEqual(
            b.map((s) => s.id),
            ['skip-2', 'skip-3'],
          );
        });
        assert.deepEqual(await schedules.claimDue(peer.db, now, 'C', 10), []);
      });
    }
  });
}
