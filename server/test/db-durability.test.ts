/**
 * Durability on PGlite: a child process writes rows into a data directory and prints
 * `ack <id>` after each commit resolved; the test kills it with SIGKILL, reopens the directory
 * and requires every acknowledged row. Run with AGENTOS_DB_DURABILITY_CHILD=<dir>, this file is
 * the child.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/index.js';

const CHILD_ENV = 'AGENTOS_DB_DURABILITY_CHILD';

async function child(dataDir: string, round: string): Promise<void> {
  const database = await openDatabase({
    dataDir,
    logger: {
      info: (o, m) => {
        if (m === 'database opened') process.stdout.write(`opened ${JSON.stringify(o)}\n`);
      },
      warn: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
      error: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
    },
  });
  const { db } = database;
  for (let i = 0; ; i++) {
    const id = `${round}-${i}`;
    if (i % 5 === 4) {
      // A multi-statement transaction: both rows, acknowledged after COMMIT.
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('memories')
          .values({ memory_id: id, memory: `row ${id}`, user_id: round })
          .execute();
        await trx
          .insertInto('memories')
          .values({ memory_id: `${id}-tx`, memory: `row ${id} (2nd)`, user_id: round })
          .execute();
      });
      process.stdout.write(`ack ${id}\nack ${id}-tx\n`);
    } else {
      await db
        .insertInto('memories')
        .values({ memory_id: id, memory: `row ${id}`, user_id: round })
        .execute();
      process.stdout.write(`ack ${id}\n`);
    }
  }
}

interface ChildResult {
  acked: string[];
  opened: Record<string, unknown> | undefined;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs a writer child; SIGKILLs it once `killAfterAcks` rows are acknowledged. */
function runChild(dataDir: string, round: string, killAfterAcks: number): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: dataDir, AGENTOS_DB_DURABILITY_ROUND: round };
  delete env.NODE_TEST_CONTEXT;
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: string[] = [];
  let opened: Record<string, unknown> | undefined;
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line.startsWith('opened ')) opened = JSON.parse(line.slice(7));
    else if (line.startsWith('ack ')) {
      acked.push(line.slice(4));
      if (acked.length === killAfterAcks) proc.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`writer child did not reach ${killAfterAcks} acks: ${stderr}`));
    }, 120_000);
    proc.on('exit', (_code, signal) => {
      clearTimeout(timer);
      // Let readline deliver the lines already read.
      setImmediate(() => resolve({ acked, opened, signal, stderr }));
    });
  });
}

const childDir = process.env[CHILD_ENV];
if (childDir) {
  await child(childDir, process.env.AGENTOS_DB_DURABILITY_ROUND ?? 'r');
} else {
  describe('durability (pglite data directory, SIGKILL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentos-durability-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('every acknowledged write survives a SIGKILL, across two crashes', {
      timeout: 300_000,
    }, async () => {
      const first = await runChild(dir, 'r1', 60);
      assert.equal(first.signal, 'SIGKILL', first.stderr);
      assert.equal(first.opened?.kind, 'pglite');
      assert.equal(first.opened?.fsync, true, 'commits are fsynced');
      assert.ok(first.acked.length >= 60);

      // The second writer starts on the crashed directory (recovery) and is killed mid-stream.
      const second = await runChild(dir, 'r2', 137);
      assert.equal(second.signal, 'SIGKILL', second.stderr);

      const database = await openDatabase({ dataDir: dir });
      try {
        const rows = await database.db.selectFrom('memories').select('memory_id').execute();
        const stored = new Set(rows.map((r) => r.memory_id));
        const lost = [...first.acked, ...second.acked].filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], 'acknowledged rows lost');
        // Transactions are atomic: a transaction's two rows are both there or both absent.
        for (const id of stored) {
          if (id.endsWith('-tx')) assert.ok(stored.has(id.slice(0, -3)), `half a transaction: ${id}`);
          else if (Number(id.split('-')[1]) % 5 === 4)
            assert.ok(stored.has(`${id}-tx`), `half a transaction: ${id}`);
        }
      } finally {
        await database.close();
      }
    });
  });
}
