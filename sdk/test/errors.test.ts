/**
 * @module RFC 6750 §3 challenge parsing and the codes of HttpError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError, parseBearerChallenge } from '../src/errors.js';

describe('parseBearerChallenge', () => {
  const cases: [string, { given: string | null; want: ReturnType<typeof parseBearerChallenge> }][] = [
    ['absent', { given: null, want: undefined }],
    ['no Bearer scheme', { given: 'Basic realm="x"', want: undefined }],
    [
      'missing token',
      {
        given: 'Bearer realm="agentos"',
        want: {
          scheme: 'Bearer',
          realm: 'agentos',
          error: undefined,
          errorDescription: undefined,
          scope: [],
          params: { realm: 'agentos' },
        },
      },
    ],
    [
      'invalid_token',
      {
        given: 'Bearer realm="agentos", error="invalid_token", error_description="Token has expired"',
        want: {
          scheme: 'Bearer',
          realm: 'agentos',
          error: 'invalid_token',
          errorDescription: 'Token has expired',
          scope: [],
          params: { realm: 'agentos', error: 'invalid_token', error_description: 'Token has expired' },
        },
      },
    ],
    [
      'insufficient_scope with scopes',
      {
        given: 'Bearer realm="agentos", error="insufficient_scope", scope="agents:a1:read agents:a1:run"',
        want: {
          scheme: 'Bearer',
          realm: 'agentos',
          error: 'insufficient_scope',
          errorDescription: undefined,
          scope: ['agents:a1:read', 'agents:a1:run'],
          params: { realm: 'agentos', error: 'insufficient_scope', scope: 'agents:a1:read agents:a1:run' },
        },
      },
    ],
    [
      'several challenges, case-insensitive scheme and names, token values, escapes',
      {
        given:
          'Basic realm="b", bearer Realm=agentos,ERROR=invalid_request , error_description="say \\"hi\\", ok", Negotiate abc==',
        want: {
          scheme: 'bearer',
          realm: 'agentos',
          error: 'invalid_request',
          errorDescription: 'say "hi", ok',
          scope: [],
          params: { realm: 'agentos', error: 'invalid_request', error_description: 'say "hi", ok' },
        },
      },
    ],
    [
      'bare Bearer',
      {
        given: 'Bearer',
        want: {
          scheme: 'Bearer',
          realm: undefined,
          error: undefined,
          errorDescription: undefined,
          scope: [],
          params: {},
        },
      },
    ],
  ];
  for (const [name, { given, want }] of cases) {
    it(name, () => assert.deepEqual(parseBearerChallenge(given), want));
  }
});

describe('HttpError', () => {
  const res = (status: number, challenge?: string) =>
    new Response(null, { status, headers: challenge ? { 'WWW-Authenticate': challenge } : {} });
  const cases: [
    string,
    { status: number; challenge?: string; body?: unknown; sent: boolean; code: string; required?: string[] },
  ][] = [
    [
      '401 without token',
      { status: 401, challenge: 'Bearer realm="agentos"', sent: false, code: 'ERR_UNAUTHENTICATED' },
    ],
    [
      '401 invalid_token',
      {
        status: 401,
        challenge: 'Bearer realm="agentos", error="invalid_token"',
        sent: true,
        code: 'ERR_INVALID_TOKEN',
      },
    ],
    ['401 without a challenge but with a token sent', { status: 401, sent: true, code: 'ERR_INVALID_TOKEN' }],
    ['401 without a challenge nor token', { status: 401, sent: false, code: 'ERR_UNAUTHENTICATED' }],
    [
      '400 invalid_request',
      { status: 400, challenge: 'Bearer error="invalid_request"', sent: true, code: 'ERR_INVALID_REQUEST' },
    ],
    [
      '403 insufficient_scope: scopes from the challenge',
      {
        status: 403,
        challenge: 'Bearer realm="agentos", error="insufficient_scope", scope="agents:a1:read"',
        body: { detail: 'Insufficient permissions. Required scope(s): agents:a1:read' },
        sent: true,
        code: 'ERR_SCOPE_INSUFFICIENT',
        required: ['agents:a1:read'],
      },
    ],
    [
      '403 without a challenge scope: scopes from detail (Python AgentOS)',
      {
        status: 403,
        body: { detail: 'Insufficient permissions. Required scope(s): sessions:read, sessions:write' },
        sent: true,
        code: 'ERR_SCOPE_INSUFFICIENT',
        required: ['sessions:read', 'sessions:write'],
      },
    ],
    ['404', { status: 404, body: { detail: 'Not found' }, sent: true, code: 'ERR_HTTP' }],
  ];
  for (const [name, c] of cases) {
    it(name, () => {
      const e = new HttpError(res(c.status, c.challenge), c.body, c.sent);
      assert.equal(e.code, c.code);
      assert.equal(e.status, c.status);
      assert.deepEqual(e.requiredScopes, c.required ?? []);
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'HttpError');
      if (c.body) assert.equal(e.detail, (c.body as { detail: unknown }).detail);
    });
  }
  it('message names the status, the RFC 6750 code and the detail', () => {
    const e = new HttpError(
      res(403, 'Bearer error="insufficient_scope", scope="agents:read"'),
      { detail: 'Insufficient permissions. Required scope(s): agents:read' },
      true,
    );
    assert.equal(
      e.message,
      '403 insufficient_scope: Insufficient permissions. Required scope(s): agents:read',
    );
  });
});
