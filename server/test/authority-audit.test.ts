/**
 * @module The decision audit (contract.md §9.6): allows and denials recorded with principal,
 * operation, required and held scopes and a token reference that is never the token.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { type AuthorityServer, SECRET, startAuthorityServer } from './authority-harness.js';

let s: AuthorityServer;
before(async () => {
  s = await startAuthorityServer({ userIsolation: false, decisionAudit: { retentionDays: 30 } });
});
after(() => s?.close());

describe('decision audit', () => {
  it('records each allow and deny, with a token reference and never the token', async () => {
    const reader = await s.token('alice', ['agents:read']);
    const now = Math.floor(Date.now() / 1000);
    const withJti = await new SignJWT({ sub: 'bob', scopes: ['evals:write'], jti: 'tok-123', exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    assert.equal((await s.call('GET', '/agents', { token: reader })).status, 200);
    assert.equal((await s.call('GET', '/sessions', { token: reader })).status, 403);
    const evalRun = await s.call('POST', '/eval-runs', {
      token: withJti,
      json: { agent_id: 'research-agent', eval_type: 'performance', input: 'x' },
    });
    assert.equal(evalRun.status, 403);
    await sleep(1500);
    const rows = await s.os.context.database.db
      .selectFrom('authz_decisions')
      .selectAll()
      .orderBy('created_at')
      .execute();
    const byOp = (op: string, action: string) =>
      rows.find((r) => r.operation_id === op && r.action === action);
    const allowed = byOp('listAgents', 'access.allowed');
    assert.ok(allowed, JSON.stringify(rows));
    assert.equal(allowed.principal, 'alice');
    assert.deepEqual(allowed.required, ['agents:read']);
    assert.deepEqual(allowed.scopes, ['agents:read']);
    assert.equal(allowed.token_ref, createHash('sha256').update(reader).digest('hex').slice(0, 12));
    const denied = byOp('listSessions', 'access.denied');
    assert.ok(denied);
    assert.equal(denied.reason, 'insufficient_scope');
    assert.deepEqual(denied.required, ['sessions:read']);
    const body = rows.filter((r) => r.operation_id === 'createEvalRun');
    assert.deepEqual(
      body.map((r) => [r.action, r.reason, r.token_ref ?? null]),
      [
        ['access.allowed', 'scopes_satisfied', 'tok-123'],
        ['access.denied', 'body_scope', null],
      ],
    );
    const text = JSON.stringify(rows);
    for (const t of [reader, withJti]) for (const part of t.split('.')) assert.ok(!text.includes(part));
  });
});
