/**
 * The object-level rules decide with the caller's resolved grants (roles, deny, and token scopes
 * only when trusted), the same grants as the route decision: a token's own scopes give nothing on
 * a server whose roles decide (`trustTokenScopes: false`), for the scheduled target (§8.2), the
 * members a run executes (§10.2) and body scopes alike. The layer once recompiled the token's raw
 * scopes: an admin scope written into the token then let a scheduler schedule any endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { type AuthorityServer, SECRET, startAuthorityServer } from './authority-harness.js';

let s: AuthorityServer;
const key = new TextEncoder().encode(SECRET);

before(async () => {
  s = await startAuthorityServer({
    userIsolation: false,
    authorizationConfig: {
      verificationKeys: [SECRET],
      algorithm: 'HS256',
      roles: {
        scheduler: { allow: ['schedules:read', 'schedules:write', 'agents:research-agent:run'] },
        'team-runner': { allow: ['teams:research-team:run'] },
        'team-and-members': { allow: ['teams:research-team:run', 'agents:*:run'] },
      },
      rolesClaim: 'role',
      trustTokenScopes: false,
    },
  });
});
after(() => s.close());

async function token(role: string, scopes: readonly string[] = []): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'carol', role, scopes: [...scopes], iat: now, exp: now + 3600 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);
}

const schedule = (name: string, endpoint: string, method = 'POST') => ({
  name,
  cron_expr: '0 9 * * *',
  endpoint,
  method,
  payload: { message: 'hi' },
});

describe('the authority layer decides with the resolved grants', () => {
  it("the scheduled target: the role's run scope allows; an admin scope in the token does not", async () => {
    const own = await s.call('POST', '/schedules', {
      token: await token('scheduler'),
      json: schedule('mine', '/agents/research-agent/runs'),
    });
    assert.equal(own.status, 201, own.text);
    const forged = await s.call('POST', '/schedules', {
      token: await token('scheduler', ['agent_os:admin']),
      json: schedule('anything', '/sessions', 'DELETE'),
    });
    assert.equal(forged.status, 403, forged.text);
    assert.match(forged.body.detail, /^Insufficient permissions\. Required scope\(s\): agent_os:admin/);
  });

  it("the members a team run executes: the role's grants count, the token's scopes do not", async () => {
    const members = await s.call('POST', '/teams/research-team/runs', {
      token: await token('team-runner', ['agents:*:run']),
      form: { message: 'hi', stream: 'false' },
    });
    assert.equal(members.status, 403, members.text);
    assert.match(members.body.detail, /agents:research-agent:run/);
    const allowed = await s.call('POST', '/teams/research-team/runs', {
      token: await token('team-and-members'),
      form: { message: 'hi', stream: 'false' },
    });
    assert.equal(allowed.status, 200, allowed.text);
  });
});
