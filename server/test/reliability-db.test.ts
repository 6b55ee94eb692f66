/**
 * PostgreSQL outage and shared database (RELIABILITY=1; about a minute). A private PostgreSQL
 * (`bench/pg.ts`: initdb + pg_ctl on its own loopback port, the binaries of
 * scripts/ci-postgres.sh) is stopped and restarted under the server, which gets it through
 * `DATABASE_URL`:
 *
 * - outage: sessions are written through the API (`POST /sessions`) all along; while PostgreSQL is
 *   down the server answers 503 (not 500, no hang), it recovers by itself once PostgreSQL is back,
 *   and every acknowledged write (201) is read back afterwards;
 * - two server instances on one database: what is written through one is read through the other,
 *   both ways, including an update.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createTokenFactory } from '@agentos/conformance';
import {
  type HttpAnswer,
  recordReliability,
  request,
  rsaKeyPair,
  type ServerProcess,
  sleep,
  startReferenceServer,
  tempDir,
} from '../../bench/harness.js';
import { type PrivatePostgres, privatePostgresProblem, startPrivatePostgres } from '../../bench/pg.js';

const ENABLED = process.env.RELIABILITY === '1';
const PG_PROBLEM = ENABLED ? privatePostgresProblem() : null;
const SKIP = !ENABLED
  ? 'reliability test: set RELIABILITY=1 to run (npm run test:reliability; ~1 min, needs PostgreSQL binaries)'
  : PG_PROBLEM
    ? `reliability test skipped: ${PG_PROBLEM}`
    : false;
const AUDIENCE = 'agentos-db';

type Json = Record<string, unknown>;

describe('reliability: PostgreSQL', { skip: SKIP, timeout: 300_000 }, () => {
  const tmp = tempDir('agentos-rel-db-');
  let pg: PrivatePostgres;
  const servers: ServerProcess[] = [];
  let publicPem: string;
  let token: string;

  before(async () => {
    pg = await startPrivatePostgres();
    const keys = rsaKeyPair();
    publicPem = keys.publicPem;
    const tokens = await createTokenFactory({
      alg: 'RS256',
      signingKey: keys.privatePem,
      audience: AUDIENCE,
      scopesClaim: 'scopes',
      userIdClaim: 'sub',
      lifetime: 3600,
    });
    token = await tokens.mint({
      sub: 'db-writer',
      scopes: ['sessions:read', 'sessions:write', 'sessions:delete'],
    });
  });

  after(async () => {
    for (const s of servers) await s.stop();
    pg?.destroy();
    tmp.cleanup();
  });

  async function server(db: string, name: string): Promise<ServerProcess> {
    const s = await startReferenceServer({
      cwd: `${tmp.dir}/${name}`,
      env: {
        DATABASE_URL: pg.url(db),
        AUTHORIZATION_ENABLED: 'true',
        JWT_VERIFICATION_KEY: publicPem,
        JWT_VERIFY_AUDIENCE: 'true',
        JWT_AUDIENCE: AUDIENCE,
      },
      config: { id: 'agentos-db', agents: [{ id: 'research-agent', name: 'Research Agent' }] },
    });
    servers.push(s);
    return s;
  }

  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  function createSession(base: string, id: string, name: string, agent?: http.Agent): Promise<HttpAnswer> {
    return request(base, '/sessions?type=agent', {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ session_id: id, session_name: name, agent_id: 'research-agent' }),
      timeoutMs: 10_000,
      ...(agent ? { agent } : {}),
    });
  }

  const getSession = (base: string, id: string) =>
    request(base, `/sessions/${encodeURIComponent(id)}?type=agent`, { headers: auth(), timeoutMs: 10_000 });

  /** The write path must work before an outage means anything. */
  async function assertWritable(base: string): Promise<void> {
    const r = await createSession(base, randomUUID(), 'preflight');
    assert.equal(
      r.status,
      201,
      `POST /sessions answered ${r.status} ${r.body.slice(0, 200)}: the server must store sessions in the database given by DATABASE_URL`,
    );
  }

  test('outage: 503 while PostgreSQL is down, recovery on its own, no acknowledged write lost', async () => {
    pg.createDatabase('agentos_outage');
    const s = await server('agentos_outage', 'outage');
    await assertWritable(s.url);

    const acked = new Map<string, string>();
    const statuses = {
      before: new Map<number, number>(),
      outage: new Map<number, number>(),
      after: new Map<number, number>(),
    };
    const unexpected: string[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    let stop = false;
    let n = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const deadline = Date.now() + 90_000;
    const writer = async (w: number) => {
      for (let i = 0; i < 100_000 && !stop && Date.now() < deadline; i++) {
        const id = randomUUID();
        const name = `w${w}-${n++}`;
        const p = phase;
        try {
          const r = await createSession(s.url, id, name, agent);
          statuses[p].set(r.status, (statuses[p].get(r.status) ?? 0) + 1);
          if (r.status === 201) acked.set(id, name);
          else if (r.status !== 503 && unexpected.length < 20)
            unexpected.push(`${p}: ${r.status} ${r.body.slice(0, 160)}`);
          else if (r.status === 503) await sleep(50);
        } catch (e) {
          if (unexpected.length < 20) unexpected.push(`${p}: ${(e as Error).message}`);
          await sleep(50);
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));

    await sleep(3000);
    const ackedBefore = acked.size;
    // The outage runs from the stop command until PostgreSQL accepts connections again.
    phase = 'outage';
    await pg.stop('immediate');
    await sleep(6000);
    await pg.start();
    phase = 'after';
    // Recovery on its own: the first 201 after the restart, within 20 s.
    const restartedAt = Date.now();
    const countAfter = () => statuses.after.get(201) ?? 0;
    while (countAfter() === 0 && Date.now() - restartedAt < 20_000) await sleep(100);
    const recoveryMs = Date.now() - restartedAt;
    await sleep(3000);
    stop = true;
    await writers;
    agent.destroy();

    assert.ok(s.alive(), `the server exited during the outage:\n${s.output().slice(-3000)}`);
    // Every acknowledged write is there, read back through the API.
    const missing: string[] = [];
    for (const [id, name] of acked) {
      const r = await getSession(s.url, id);
      if (r.status !== 200 || (r.json as Json | undefined)?.session_name !== name) {
        if (missing.length < 10) missing.push(`${id} (${name}): ${r.status} ${r.body.slice(0, 120)}`);
        else missing.push(id);
      }
    }
    const show = (m: Map<number, number>) => JSON.stringify(Object.fromEntries(m));
    recordReliability('database_outage', {
      writers: 4,
      outage_seconds: 6,
      acknowledged_writes: acked.size,
      acknowledged_before_stop: ackedBefore,
      statuses: {
        before: Object.fromEntries(statuses.before),
        outage: Object.fromEntries(statuses.outage),
        after: Object.fromEntries(statuses.after),
      },
      unexpected_answers: unexpected.length,
      first_success_after_restart_ms: recoveryMs,
      acknowledged_writes_lost: missing.length,
    });
    console.log(
      `reliability-db outage: acked ${acked.size} (${ackedBefore} before the stop); statuses before ${show(statuses.before)}, ` +
        `outage ${show(statuses.outage)}, after ${show(statuses.after)}; first 201 ${recoveryMs} ms after restart; missing ${missing.length}`,
    );
    assert.deepEqual(unexpected, [], 'answers other than 201/503 (or no answer) around the outage');
    assert.ok(
      (statuses.outage.get(503) ?? 0) > 0,
      `no 503 while PostgreSQL was down: ${show(statuses.outage)}`,
    );
    assert.ok(countAfter() > 0, `no successful write within 20 s of the restart: ${show(statuses.after)}`);
    assert.ok(ackedBefore > 0, 'nothing was written before the outage');
    assert.deepEqual(missing, [], `${missing.length} acknowledged writes lost`);
    assert.ok(s.alive(), 'the server exited');
  });

  test('two instances on one PostgreSQL: written through one, read through the other', async () => {
    pg.createDatabase('agentos_shared');
    // Started together: the migrations must serialise (advisory lock), not collide.
    const [a, b] = await Promise.all([server('agentos_shared', 'a'), server('agentos_shared', 'b')]);
    await assertWritable(a.url);
    const written: { id: string; name: string; via: ServerProcess; other: ServerProcess }[] = [];
    for (let i = 0; i < 40; i++) {
      const [via, other] = i % 2 === 0 ? [a, b] : [b, a];
      const id = randomUUID();
      const name = `shared-${i}`;
      const r = await createSession(via.url, id, name);
      assert.equal(
        r.status,
        201,
        `create through ${via === a ? 'A' : 'B'}: ${r.status} ${r.body.slice(0, 160)}`,
      );
      written.push({ id, name, via, other });
    }
    for (const w of written) {
      const r = await getSession(w.other.url, w.id);
      assert.equal(r.status, 200, `read through the other instance: ${r.status} ${r.body.slice(0, 160)}`);
      assert.equal((r.json as Json).session_name, w.name);
    }
    // An update through B is seen through A at once (no per-instance cache of rows).
    const first = written[0]!;
    const renamed = await request(b.url, `/sessions/${first.id}/rename?type=agent`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ session_name: 'renamed-through-b' }),
    });
    assert.equal(renamed.status, 200, `rename through B: ${renamed.status} ${renamed.body.slice(0, 160)}`);
    const seen = await getSession(a.url, first.id);
    assert.equal((seen.json as Json).session_name, 'renamed-through-b');
    // And a delete through A is seen through B.
    const del = await request(a.url, `/sessions/${first.id}?type=agent`, {
      method: 'DELETE',
      headers: auth(),
    });
    assert.ok(del.status === 204 || del.status === 200, `delete through A: ${del.status}`);
    const deletedSeen = (await getSession(b.url, first.id)).status;
    recordReliability('two_instances', {
      sessions_written: written.length,
      read_through_other_instance: written.length,
      rename_seen_through_other: true,
      delete_seen_through_other_status: deletedSeen,
    });
    assert.equal(deletedSeen, 404);
  });
});
