/** @module lintSpec: one fixture per rule, asserting the exact rule ids and pointers it reports. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ADMIN_SCOPE as CORE_DEFAULT_ADMIN_SCOPE, compileRequirement } from '@agentos/core';
import { parse } from 'yaml';
import {
  bundleSpec,
  createPositionIndex,
  type LintResult,
  lintSpec,
  listSpecSources,
  specPath,
  specSourcesPath,
} from '../src/index.js';
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
  [
    'x-body-scopes: not a list, bound to a path parameter, a field one media type lacks, no body',
    {
      given: 'body-scopes-invalid',
      want: {
        errors: [
          'body-scopes-invalid /paths/~1eval-runs/post/x-body-scopes/1',
          'body-scopes-invalid /paths/~1eval-runs/post/x-body-scopes/2',
          'body-scopes-invalid /paths/~1schedules/post/x-body-scopes',
          'body-scopes-invalid /paths/~1health/post/x-body-scopes',
        ],
      },
    },
  ],
  [
    'x-scope-target: undeclared body field, stored without a path parameter, body with one, unknown key and source',
    {
      given: 'scope-target-invalid',
      want: {
        errors: [
          'scope-target-invalid /paths/~1schedules/post/x-scope-target/method',
          'scope-target-invalid /paths/~1schedules/post/x-scope-target/param',
          'scope-target-invalid /paths/~1schedules~1{schedule_id}/patch/x-scope-target/param',
          'scope-target-invalid /paths/~1schedules~1{schedule_id}~1trigger/post/x-scope-target/when',
          'scope-target-invalid /paths/~1schedules~1{schedule_id}~1trigger/post/x-scope-target/source',
        ],
      },
    },
  ],
  [
    'x-contains: not a path parameter, unknown object kind, self parent, duplicate, checks nothing, owned without x-user-owned',
    {
      given: 'contains-invalid',
      want: {
        errors: [
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/get/x-contains/1/param',
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/get/x-contains/2/object',
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/get/x-contains/2/parent/param',
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/get/x-contains/3/param',
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/delete/x-contains/0',
          'contains-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}/delete/x-contains/1/owned',
        ],
      },
    },
  ],
  [
    'x-approval-gate: a parameter the path lacks, a gate on a GET',
    {
      given: 'approval-gate-invalid',
      want: {
        errors: [
          'approval-gate-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}~1continue/get/x-approval-gate',
          'approval-gate-invalid /paths/~1agents~1{agent_id}~1runs~1{run_id}~1continue/post/x-approval-gate/param',
        ],
      },
    },
  ],
  [
    'x-nested-filters: missing property, not an array, relative pointer, items without the id, no JSON success',
    {
      given: 'nested-filters-invalid',
      want: {
        errors: [
          'nested-filters-invalid /paths/~1config/get/x-nested-filters/1/at',
          'nested-filters-invalid /paths/~1config/get/x-nested-filters/2/at',
          'nested-filters-invalid /paths/~1config/get/x-nested-filters/3/at',
          'nested-filters-invalid /paths/~1config/get/x-nested-filters/4/id',
          'nested-filters-invalid /paths/~1health/get/x-nested-filters/0/at',
        ],
      },
    },
  ],
  [
    'x-agentos-feature: capitalised, a list',
    {
      given: 'agentos-feature-invalid',
      want: {
        errors: [
          'agentos-feature-invalid /paths/~1authz~1roles/get/x-agentos-feature',
          'agentos-feature-invalid /paths/~1users/get/x-agentos-feature',
        ],
      },
    },
  ],
  [
    'x-agentos-since/until: an unquoted number, a "v" prefix, an empty range (3.10 after 2.9 is fine)',
    {
      given: 'agentos-version-invalid',
      want: {
        errors: [
          'agentos-version-invalid /paths/~1models/get/x-agentos-until',
          'agentos-version-invalid /paths/~1queue/get/x-agentos-since',
          'agentos-version-invalid /paths/~1old/get/x-agentos-until',
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

  it('explains object-level findings: the field, the media type, the known kinds, the YAML pitfall', async () => {
    const body = (await lintSpec(fixture('body-scopes-invalid'))).errors[1]!.message;
    assert.match(
      body,
      /reads the body field "team_id", but the "application\/x-www-form-urlencoded" request schema/,
    );
    const kind = (await lintSpec(fixture('contains-invalid'))).errors[1]!.message;
    assert.match(
      kind,
      /"object" "robot", which is not a known object kind; known: "run", "session", "approval"/,
    );
    const version = (await lintSpec(fixture('agentos-version-invalid'))).errors[0]!.message;
    assert.match(version, /is 3, not a version string .*\(quote it in YAML/);
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

describe('source positions (file:line:column)', () => {
  it('locates findings in the linted file, 1-based, at the key or item of the pointer', async () => {
    const { errors } = await lintSpec(fixture('contains-invalid'));
    assert.deepEqual(
      errors.slice(0, 2).map((m) => [m.file, m.line, m.column]),
      [
        [fixture('contains-invalid'), 16, 13],
        [fixture('contains-invalid'), 17, 30],
      ],
    );
  });

  it('locates findings of a bundled document in the fragment that wrote them, or the nearest written ancestor', async () => {
    const root = fileURLToPath(new URL('./fixtures/positions', import.meta.url));
    const { document } = await bundleSpec({ root });
    const { errors } = await lintSpec(document, { sources: await listSpecSources(root) });
    const fragment = `${root}/paths/10-agents.yaml`;
    assert.deepEqual(
      errors.map((m) => [m.rule, m.pointer, m.file, m.line, m.column]),
      [
        // `security` is derived by the bundler: the finding lands on the operation that caused it.
        ['scope-undeclared', '/paths/~1agents/post/security/1/oauth2/0', fragment, 9, 5],
        ['agentos-version-invalid', '/paths/~1agents/get/x-agentos-until', fragment, 6, 7],
      ],
    );
  });

  it('without sources, a parsed document keeps pointers only', async () => {
    const document = parse(await readFile(fixture('user-owned-invalid'), 'utf8'));
    const [m] = (await lintSpec(document)).errors;
    assert.deepEqual(
      [m!.pointer, m!.file, m!.line],
      ['/paths/~1sessions/get/x-user-owned', undefined, undefined],
    );
  });

  const index = createPositionIndex([
    {
      file: 'index.yaml',
      text: 'openapi: 3.1.0\ncomponents:\n  schemas:\n    A: { type: object }\npaths: {}\n',
    },
    {
      file: 'paths/a.yaml',
      text: 'paths:\n  /a:\n    get:\n      responses:\n        200: { description: ok }\n',
    },
  ]);
  const located: [string, { given: string; want: unknown }][] = [
    ['a path entry comes from its fragment', { given: '/paths/~1a/get', want: ['paths/a.yaml', 3, 5] }],
    [
      'an unquoted numeric key matches its token',
      { given: '/paths/~1a/get/responses/200', want: ['paths/a.yaml', 5, 9] },
    ],
    ['a component comes from the root', { given: '/components/schemas/A/type', want: ['index.yaml', 4, 10] }],
    [
      'a missing tail lands on the last written node',
      { given: '/paths/~1a/get/security/0', want: ['paths/a.yaml', 3, 5] },
    ],
    ['the document root', { given: '', want: ['index.yaml', 1, 1] }],
  ];
  for (const [name, { given, want }] of located) {
    it(name, () => {
      const p = index.locate(given);
      assert.deepEqual(p && [p.file, p.line, p.column], want);
    });
  }

  it('the bundled AgentOS spec is located in spec/src/openapi', async () => {
    const sources = await listSpecSources(specSourcesPath);
    assert.equal(sources[0], `${specSourcesPath}/index.yaml`);
    assert.ok(sources.length > 1 && sources.slice(1).every((f) => f.startsWith(`${specSourcesPath}/paths/`)));
    // The default for the bundled file: a finding there would name a source file (the spec is clean,
    // so probe the index the lint builds through a real pointer instead).
    const real = createPositionIndex(
      await Promise.all(sources.map(async (file) => ({ file, text: await readFile(file, 'utf8') }))),
    );
    const p = real.locate('/paths/~1eval-runs/post/x-body-scopes/1');
    assert.match(p?.file ?? '', /paths\/30-metrics-evals-traces-admin\.yaml$/);
    assert.ok(specPath.endsWith('agentos.openapi.yaml'));
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
