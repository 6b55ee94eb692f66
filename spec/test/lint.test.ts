/** @module lintSpec: one fixture per rule, asserting the exact rule ids and pointers it reports. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ADMIN_SCOPE as CORE_DEFAULT_ADMIN_SCOPE, compileRequirement } from '@agentos/core';
import { parse } from 'yaml';
import { type LintResult, lintSpec } from '../src/index.js';
import { DEFAULT_ADMIN_SCOPE, parseScope } from '../src/lib/scope.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/lint/${name}.yaml`, import.meta.url));

/** The `rule pointer` pairs of a result, for compact comparison. */
function summarize(result: LintResult) {
  const pairs = (list: LintResult['errors']) => list.map((m) => `${m.rule} ${m.pointer}`);
  return { errors: pairs(result.errors), warnings: pairs(result.warnings) };
}

type Case = [string, { given: string; want: { errors: string[]; warnings?: string[] } }];

const cases: Case[] = [
  ['a document that follows every rule is clean', { given: 'clean', want: { errors: [] } }],
  ['a 3.0 document is refused', { given: 'openapi-version', want: { errors: ['openapi-version /openapi'] } }],
  [
    'OpenAPI 3.1 schema errors come from swagger-parser',
    {
      given: 'openapi-schema',
      want: {
        errors: ['openapi-schema /paths/~1health/get/responses/200', 'openapi-schema /paths/~1health/get'],
      },
    },
  ],
  [
    'a dangling $ref points at the $ref',
    {
      given: 'openapi-schema-ref',
      want: { errors: ['openapi-schema /paths/~1health/get/responses/200/$ref'] },
    },
  ],
  [
    'x-required-scopes missing, not a list, or with a non-string entry',
    {
      given: 'operation-scopes-missing',
      want: {
        errors: [
          'operation-scopes-missing /paths/~1health/get',
          'operation-scopes-missing /paths/~1config/get/x-required-scopes',
          'operation-scopes-missing /paths/~1metrics/get/x-required-scopes/0',
        ],
      },
    },
  ],
  [
    'malformed scopes (x-admin-scope is accepted)',
    {
      given: 'scope-malformed',
      want: {
        errors: [1, 2, 3, 4].map((i) => `scope-malformed /paths/~1agents/get/x-required-scopes/${i}`),
        warnings: ['scope-malformed /paths/~1agents/get/x-required-scopes/0'],
      },
    },
  ],
  [
    'a scope naming a parameter the path lacks',
    {
      given: 'scope-param-unknown',
      want: { errors: ['scope-param-unknown /paths/~1agents~1{agent_id}~1runs/post/x-required-scopes/0'] },
    },
  ],
  [
    'security that does not mirror x-required-scopes',
    {
      given: 'security-mismatch',
      want: {
        errors: [
          'security-mismatch /paths/~1agents/get/security/0/bearerAuth',
          'security-mismatch /paths/~1agents/post/security/0/apiKey',
          'security-mismatch /paths/~1health/get/security',
          'security-mismatch /paths/~1teams/get',
        ],
      },
    },
  ],
  [
    'an oauth2 scope the scheme does not declare',
    {
      given: 'scope-undeclared',
      want: { errors: ['scope-undeclared /paths/~1agents/post/security/1/oauth2/0'] },
    },
  ],
  [
    'duplicate and missing operationIds',
    {
      given: 'operation-id',
      want: { errors: ['operation-id /paths/~1b/get/operationId', 'operation-id /paths/~1c/get'] },
    },
  ],
  [
    'x-scope-filter on POST, without id, or without a matching scope',
    {
      given: 'scope-filter-invalid',
      want: {
        errors: [
          'scope-filter-invalid /paths/~1agents/post/x-scope-filter',
          'scope-filter-invalid /paths/~1teams/get/x-scope-filter',
          'scope-filter-invalid /paths/~1workflows/get/x-scope-filter',
        ],
      },
    },
  ],
  [
    'x-user-owned that is not a boolean',
    {
      given: 'user-owned-invalid',
      want: { errors: ['user-owned-invalid /paths/~1sessions/get/x-user-owned'] },
    },
  ],
  [
    'secured operation without 403 (error), public one with 401 (warning)',
    {
      given: 'error-responses',
      want: {
        errors: ['error-responses /paths/~1agents/get/responses'],
        warnings: ['error-responses /paths/~1health/get/responses/401'],
      },
    },
  ],
  [
    'path template and path parameters disagree',
    {
      given: 'path-param-declared',
      want: {
        errors: [
          'path-param-declared /paths/~1agents~1{agent_id}/get',
          'path-param-declared /paths/~1agents~1{agent_id}/parameters/0',
          'path-param-declared /paths/~1agents~1{agent_id}/delete',
        ],
      },
    },
  ],
];

describe('lintSpec', () => {
  for (const [name, { given, want }] of cases) {
    it(name, async () => {
      const result = await lintSpec(fixture(given));
      assert.deepEqual(summarize(result), { errors: want.errors, warnings: want.warnings ?? [] });
    });
  }

  it('quotes the faulty value and the grammar in scope-malformed messages', async () => {
    const { errors, warnings } = await lintSpec(fixture('scope-malformed'));
    assert.match(
      errors[0]!.message,
      /^Scope "agents:a:b:read" of GET \/agents \(listAgents\) is malformed: /,
    );
    assert.match(errors[0]!.message, /"resource:\{param\}:action"/);
    assert.match(
      warnings[0]!.message,
      /^Scope "Agents:Read" of GET \/agents \(listAgents\) has capitals: .*"agents:read"/,
    );
  });

  it('lints a parsed document without modifying it (swagger-parser dereferences in place)', async () => {
    const document = parse(await readFile(fixture('clean'), 'utf8'));
    const before = structuredClone(document);
    assert.deepEqual(summarize(await lintSpec(document)), { errors: [], warnings: [] });
    assert.deepEqual(document, before);
  });

  it('refuses OpenAPI 3.2 with the version rule, not a swagger-parser crash', async () => {
    const result = await lintSpec({ openapi: '3.2.0', info: { title: 'x', version: '1' }, paths: {} });
    assert.deepEqual(summarize(result), { errors: ['openapi-version /openapi'], warnings: [] });
    assert.match(result.errors[0]!.message, /"3\.2\.0"/);
  });

  it('throws SpecError ERR_SPEC_READ for a missing file', async () => {
    await assert.rejects(lintSpec(fixture('does-not-exist')), { name: 'SpecError', code: 'ERR_SPEC_READ' });
  });
});

describe('scope grammar', () => {
  const admin = ['agent_os:admin'];
  const valid: [string, { given: string; want: string }][] = [
    ['admin scope', { given: 'agent_os:admin', want: 'admin' }],
    ['global', { given: 'agents:read', want: 'global' }],
    ['digits, _ and -', { given: 'service_accounts:write-2', want: 'global' }],
    ['per-resource template', { given: 'agents:{agent_id}:run', want: 'param' }],
    ['wildcard', { given: 'agents:*:run', want: 'wildcard' }],
    // core's grammar: case-sensitive names of letters, digits, _ . - (capitals are a lint warning)
    ['capitals (a warning, not an error)', { given: 'Agents:read', want: 'global' }],
    ['an identity provider scope', { given: 'Files.Read:all', want: 'global' }],
  ];
  for (const [name, { given, want }] of valid) {
    it(`accepts ${name}: ${given}`, () => assert.equal(parseScope(given, admin)?.kind, want));
  }
  const invalid = [
    '',
    'admin',
    'agents: read',
    'agents:r$ad',
    'agents:"read"',
    'agents:read ',
    'agents:a:b:read',
    'agents::read',
    ':read',
    'agents:',
    '{agent_id}:read',
    'agents:{agent_id}',
    'agents:research-agent:run',
    'agents:{agent id}:run',
    'agents:*',
  ];
  for (const given of invalid) {
    it(`rejects ${JSON.stringify(given)}`, () => assert.equal(parseScope(given, admin), undefined));
  }
  // The lint had its own grammar ([a-z0-9_-]) while the server compiled another ([A-Za-z0-9_.-]):
  // what the lint accepts must be exactly what the server compiles.
  it('accepts exactly what @agentos/core compiles', () => {
    for (const given of [
      ...valid.map(([, c]) => c.given),
      ...invalid,
      'a.b:c',
      'x-y:z_1',
      'agents:{a.b}:run',
    ]) {
      let compiles = true;
      try {
        compileRequirement(given, { adminScope: admin[0] });
      } catch {
        compiles = false;
      }
      assert.equal(parseScope(given, admin) !== undefined, compiles, given);
    }
    assert.equal(DEFAULT_ADMIN_SCOPE, CORE_DEFAULT_ADMIN_SCOPE);
  });
});
