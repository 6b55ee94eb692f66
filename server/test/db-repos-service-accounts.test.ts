import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateServiceAccountToken, hashToken } from '../src/auth/service-accounts.js';
import { isUniqueViolation } from '../src/db/index.js';
import { serviceAccounts } from '../src/db/repos/index.js';
import { describeEachBackend } from './db-suite.js';

const at = (iso: string) => new Date(iso);

describeEachBackend('repositories: service-accounts', (t) => {
  test('service accounts: hash-only storage, lookup, active-name uniqueness, touch, revoke', async () => {
    const db = t.db;
    const { token, sha256, prefix } = generateServiceAccountToken();
    const sa = await serviceAccounts.create(db, {
      id: 'sa-1',
      name: 'github-actions',
      token_prefix: prefix,
      token_sha256: sha256,
      scopes: ['agents:research-agent:run', 'sessions:read'],
      user_id: 'user_123',
      created_by: 'user_123',
      expires_at: at('2099-01-01T00:00:00Z'),
    });
    assert.equal(sa.token_prefix, prefix);
    assert.equal(sa.token_sha256, hashToken(token));
    assert.deepEqual(sa.scopes, ['agents:research-agent:run', 'sessions:read']);
    const stored = JSON.stringify(await serviceAccounts.get(db, 'sa-1'));
    assert.ok(!stored.includes(token), 'the plaintext token is not stored');

    await assert.rejects(
      serviceAccounts.create(db, {
        name: 'github-actions',
        token_prefix: 'agno_pat_other',
        token_sha256: hashToken('agno_pat_other'),
        scopes: [],
      }),
      isUniqueViolation,
    );
    assert.equal((await serviceAccounts.findByTokenHash(db, hashToken(token)))?.id, 'sa-1');
    assert.equal(await serviceAccounts.findByTokenHash(db, hashToken('agno_pat_nope')), undefined);
    assert.equal((await serviceAccounts.getActiveByName(db, 'github-actions'))?.id, 'sa-1');

    await serviceAccounts.touch(db, 'sa-1', at('2026-11-02T00:00:00Z'));
    assert.equal(
      (await serviceAccounts.get(db, 'sa-1'))?.last_used_at?.toISOString(),
      '2026-11-02T00:00:00.000Z',
    );

    const revoked = await serviceAccounts.revoke(db, 'sa-1', at('2026-11-03T00:00:00Z'));
    assert.equal(revoked?.revoked_at?.toISOString(), '2026-11-03T00:00:00.000Z');
    const again = await serviceAccounts.revoke(db, 'sa-1', at('2026-11-04T00:00:00Z'));
    assert.equal(again?.revoked_at?.toISOString(), '2026-11-03T00:00:00.000Z'); // idempotent
    assert.equal(await serviceAccounts.revoke(db, 'sa-none'), undefined);
    assert.equal(
      (await serviceAccounts.findByTokenHash(db, hashToken(token)))?.revoked_at?.toISOString(),
      '2026-11-03T00:00:00.000Z',
    );

    // The name is free again after revocation (rotation).
    await serviceAccounts.create(db, {
      id: 'sa-2',
      name: 'github-actions',
      token_prefix: 'agno_pat_rotated',
      token_sha256: hashToken('agno_pat_rotated'),
      scopes: [],
    });
    assert.equal((await serviceAccounts.list(db)).total, 2);
    assert.equal((await serviceAccounts.list(db, { includeRevoked: false })).rows[0]?.id, 'sa-2');
    assert.equal(
      (await serviceAccounts.list(db, { sortBy: 'name', sortOrder: 'asc', limit: 1 })).rows.length,
      1,
    );
  });
});
