/**
 * Configuration: defaults, environment variables, the config file, precedence, and the messages
 * of invalid configurations (what is wrong, where, how to fix).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RouteSpec } from '@agentos/core';
import { createAgentOS } from '../src/app.js';
import { ConfigError } from '../src/config/errors.js';
import { findConfigFile, loadConfigFile } from '../src/config/file.js';
import {
  DEFAULT_CORS_ORIGINS,
  DEFAULT_EXCLUDED_ROUTE_PATHS,
  SUPPORTED_ALGORITHMS,
} from '../src/config/options.js';
import { resolveConfig } from '../src/config/resolve.js';
import {
  bearer,
  captureLogger,
  claims,
  clock,
  makeKey,
  request,
  sign,
  silent,
  startServer,
  type TestKey,
} from './auth-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let key: TestKey;
before(async () => {
  key = await makeKey('RS256');
});

const resolve = (options: Record<string, unknown>, env: Record<string, string> = {}, file?: string) =>
  resolveConfig({ options, env, cwd: dir, file: file ? loadConfigFile(file, env) : null });

/** The issues of an invalid configuration, as `where: message` lines. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.where}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

const ALGS = SUPPORTED_ALGORITHMS.join(', ');

describe('defaults', () => {
  test('nothing configured: open, RS256, 10 s leeway, the seeds public paths, port 7777', () => {
    const c = resolve({});
    assert.equal(c.id, 'agentos');
    assert.equal(c.auth.mode, 'open');
    assert.deepEqual(c.auth.algorithms, ['RS256']);
    assert.equal(c.auth.leewaySeconds, 10);
    assert.equal(c.auth.verifyAudience, false);
    assert.equal(c.auth.adminScope, 'agent_os:admin');
    assert.equal(c.auth.userIsolation, false);
    assert.equal(c.auth.tokenSource, 'header');
    assert.equal(c.auth.cookieName, 'access_token');
    assert.equal(c.auth.scopesClaim, 'scopes');
    assert.equal(c.auth.userIdClaim, 'sub');
    assert.equal(c.auth.sessionIdClaim, 'session_id');
    assert.deepEqual(c.auth.excludedRoutePaths, DEFAULT_EXCLUDED_ROUTE_PATHS);
    assert.deepEqual(c.auth.excludedRoutePaths, [
      '/',
      '/health',
      '/info',
      '/docs',
      '/redoc',
      '/openapi.json',
      '/docs/oauth2-redirect',
    ]);
    assert.deepEqual(c.cors.origins, DEFAULT_CORS_ORIGINS);
    assert.equal(c.port, 7777);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.features, { authz: false, users: false });
    assert.match(c.warnings.join('\n'), /authentication is off: every endpoint is open/);
  });

  test('decisionAudit: off by default; true or AGENTOS_DECISION_AUDIT turn it on with the default bounds', () => {
    assert.equal(resolve({}).decisionAudit, null);
    assert.deepEqual(resolve({ decisionAudit: true }).decisionAudit, {
      retentionDays: 30,
      maxRecords: 100_000,
    });
    assert.deepEqual(resolve({}, { AGENTOS_DECISION_AUDIT: 'true' }).decisionAudit, {
      retentionDays: 30,
      maxRecords: 100_000,
    });
    assert.deepEqual(resolve({ decisionAudit: { retentionDays: 7 } }).decisionAudit, {
      retentionDays: 7,
      maxRecords: 100_000,
    });
  });

  test('decisionAudit: retention days and record count are checked (ConfigError naming each)', () => {
    assert.deepEqual(
      issuesOf(() => resolve({ decisionAudit: { retentionDays: 0, maxRecords: 1.5, keep: 1 } })),
      [
        'decisionAudit.keep: unknown option; known: retentionDays, maxRecords',
        'decisionAudit.retentionDays: must be a number of days > 0, got number 0',
        'decisionAudit.maxRecords: must be an integer >= 1, got number 1.5',
      ],
    );
  });

  test('the 3.1 feature switches: set by an option or by the environment', () => {
    assert.deepEqual(resolve({ managedRoles: true }).features, { authz: true, users: false });
    assert.deepEqual(resolve({}, { AGENTOS_MANAGED_ROLES: '1', AGENTOS_USER_DIRECTORY: 'on' }).features, {
      authz: true,
      users: true,
    });
  });

  test('modes: a key without authorization verifies only; authorization enforces scopes', () => {
    assert.equal(
      resolve({ authorizationConfig: { verificationKeys: ['k'.repeat(40)], algorithm: 'HS256' } }).auth.mode,
      'verify',
    );
    assert.equal(
      resolve({ authorization: true, authorizationConfig: { verificationKeys: [key.publicPem] } }).auth.mode,
      'rbac',
    );
    const discovery = resolve({
      authorization: true,
      authorizationConfig: { issuer: 'https://idp.example.com' },
    }).auth;
    assert.equal(discovery.discovery, true);
    assert.equal(discovery.issuer, 'https://idp.example.com');
  });

  test('audience: the configured one, else the OS id', () => {
    assert.deepEqual(resolve({ id: 'prod' }).auth.audience, ['prod']);
    assert.deepEqual(resolve({ id: 'prod', authorizationConfig: { audience: ['a', 'b'] } }).auth.audience, [
      'a',
      'b',
    ]);
  });
});

describe('environment variables', () => {
  test('each variable sets its option', () => {
    const c = resolve(
      {},
      {
        AGENTOS_ID: 'env-os',
        AGENTOS_NAME: 'Env OS',
        AUTHORIZATION_ENABLED: 'true',
        JWT_VERIFICATION_KEY: key.publicPem,
        JWT_ISSUER: 'https://idp.example.com',
        JWT_AUDIENCE: 'a, b',
        JWT_ALGORITHM: 'RS256,ES256',
        JWT_VERIFY_AUDIENCE: 'yes',
        JWT_LEEWAY_SECONDS: '30',
        AGENTOS_ADMIN_SCOPE: 'root',
        AGENTOS_USER_ISOLATION: '1',
        JWT_TOKEN_SOURCE: 'both',
        JWT_COOKIE_NAME: 'jwt',
        JWT_SCOPES_CLAIM: 'scp',
        JWT_USER_ID_CLAIM: 'uid',
        JWT_SESSION_ID_CLAIM: 'sid',
        CORS_ORIGIN_LIST: 'https://a.example.com,https://b.example.com',
        PORT: '8080',
        AGENTOS_HOST: '0.0.0.0',
        LOG_LEVEL: 'debug',
      },
    );
    assert.equal(c.id, 'env-os');
    assert.equal(c.name, 'Env OS');
    assert.equal(c.auth.mode, 'rbac');
    assert.equal(c.auth.verificationKeys.length, 1);
    assert.equal(c.auth.verificationKeys[0]!.where, 'JWT_VERIFICATION_KEY');
    assert.equal(c.auth.discovery, false);
    assert.deepEqual(c.auth.audience, ['a', 'b']);
    assert.deepEqual(c.auth.algorithms, ['RS256', 'ES256']);
    assert.equal(c.auth.verifyAudience, true);
    assert.equal(c.auth.leewaySeconds, 30);
    assert.equal(c.auth.adminScope, 'root');
    assert.equal(c.auth.userIsolation, true);
    assert.equal(c.auth.tokenSource, 'both');
    assert.equal(c.auth.cookieName, 'jwt');
    assert.equal(c.auth.scopesClaim, 'scp');
    assert.equal(c.auth.userIdClaim, 'uid');
    assert.equal(c.auth.sessionIdClaim, 'sid');
    assert.deepEqual(c.cors.origins, [
      ...DEFAULT_CORS_ORIGINS,
      'https://a.example.com',
      'https://b.example.com',
    ]);
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.logLevel, 'debug');
  });

  test('JWT_JWKS_FILE and JWT_JWKS_URL', () => {
    const c = resolve({}, { JWT_JWKS_FILE: 'jwks.json', JWT_JWKS_URL: 'https://idp.example.com/jwks' });
    assert.equal(c.auth.jwksFile, join(dir, 'jwks.json'));
    assert.equal(c.auth.jwksUrl, 'https://idp.example.com/jwks');
    assert.equal(c.auth.mode, 'verify');
  });

  test('empty variables count as unset', () => {
    assert.equal(resolve({}, { AUTHORIZATION_ENABLED: '', JWT_ALGORITHM: '  ' }).auth.mode, 'open');
  });

  test('code options win over the environment; JWT_VERIFICATION_KEY is appended', () => {
    const c = resolve(
      { id: 'code-os', authorizationConfig: { verificationKeys: ['x'.repeat(40)], algorithm: 'HS256' } },
      { AGENTOS_ID: 'env-os', JWT_VERIFICATION_KEY: 'y'.repeat(40), JWT_ALGORITHM: 'RS256' },
    );
    assert.equal(c.id, 'code-os');
    assert.deepEqual(c.auth.algorithms, ['HS256']);
    assert.deepEqual(
      c.auth.verificationKeys.map((k) => k.where),
      ['authorizationConfig.verificationKeys[0]', 'JWT_VERIFICATION_KEY'],
    );
  });

  test('an explicit corsAllowedOrigins replaces the defaults and CORS_ORIGIN_LIST', () => {
    const c = resolve(
      { corsAllowedOrigins: ['https://yourdomain.com'] },
      { CORS_ORIGIN_LIST: 'https://other.example.com' },
    );
    assert.deepEqual(c.cors.origins, ['https://yourdomain.com']);
  });

  test('seed: authorization=True with the key from JWT_VERIFICATION_KEY serves requests', async () => {
    const os = await createAgentOS({
      id: 'my-agent-os',
      agents: [{ id: 'agent-1' }],
      authorization: true,
      env: { JWT_VERIFICATION_KEY: key.publicPem },
      logger: silent(),
      clock,
    });
    const server = await os.listen(0, '127.0.0.1');
    try {
      const port = (server.address() as { port: number }).port;
      const t = await sign(claims({ scopes: ['agents:read'] }), key.privateKey, { alg: 'RS256' });
      assert.equal((await request(port, 'GET', '/agents', bearer(t))).status, 200);
      assert.equal((await request(port, 'GET', '/agents')).status, 401);
    } finally {
      await os.close();
    }
  });
});

describe('invalid configurations: what, where, how to fix', () => {
  const cases: [string, () => unknown, string[]][] = [
    [
      'an unsupported algorithm',
      () => resolve({ authorizationConfig: { algorithm: 'HS257' } }),
      [`authorizationConfig.algorithm: "HS257" is not supported; use one of ${ALGS} (did you mean "HS256"?)`],
    ],
    [
      'a wrongly cased algorithm',
      () => resolve({ authorizationConfig: { algorithms: ['rs256'] } }),
      [
        `authorizationConfig.algorithms: "rs256" is not supported; use one of ${ALGS} (did you mean "RS256"?)`,
      ],
    ],
    [
      'alg none',
      () => resolve({ authorizationConfig: { algorithm: 'none' } }),
      [`authorizationConfig.algorithm: "none" is never allowed (unsigned tokens); use one of ${ALGS}`],
    ],
    [
      'an unsupported algorithm from the environment',
      () => resolve({}, { JWT_ALGORITHM: 'RS256,XS1' }),
      [`JWT_ALGORITHM: "XS1" is not supported; use one of ${ALGS}`],
    ],
    [
      'authorization without a key source',
      () => resolve({ authorization: true }),
      [
        'authorization: authorization is enabled but no token verification key is configured. Set one of: ' +
          'authorizationConfig.verificationKeys (env JWT_VERIFICATION_KEY: a PEM public key, or a secret with algorithm HS256), ' +
          'authorizationConfig.jwksFile (JWT_JWKS_FILE), authorizationConfig.jwksUrl (JWT_JWKS_URL), ' +
          'or authorizationConfig.issuer (JWT_ISSUER) to find the keys by OpenID discovery; or set authorization: false',
      ],
    ],
    [
      'authorization from the environment without a key source',
      () => resolve({}, { AUTHORIZATION_ENABLED: 'true' }),
      ['AUTHORIZATION_ENABLED: authorization is enabled but no token verification key is configured.'],
    ],
    [
      'a snake_case key',
      () => resolve({ authorizationConfig: { verify_audience: true } }),
      ['authorizationConfig.verify_audience: unknown option; did you mean "verifyAudience"?'],
    ],
    [
      'an AuthorizationConfig key at the top level',
      () => resolve({ verification_keys: ['k'] }),
      ['verification_keys: unknown option; did you mean "authorizationConfig.verificationKeys"?'],
    ],
    [
      'a typo',
      () => resolve({ scopeMapings: {} }),
      ['scopeMapings: unknown option; did you mean "scopeMappings"?'],
    ],
    [
      'a wrong type',
      () => resolve({ authorization: 'yes' }),
      ['authorization: must be true or false, got "yes"'],
    ],
    [
      'a negative leeway',
      () => resolve({ authorizationConfig: { leewaySeconds: -1 } }),
      ['authorizationConfig.leewaySeconds: must be a number of seconds >= 0, got number -1'],
    ],
    [
      'a bad token source',
      () => resolve({ tokenSource: 'query' }),
      ['tokenSource: must be "header", "cookie" or "both", got "query"'],
    ],
    [
      'a bad scope mapping key',
      () => resolve({ scopeMappings: { 'FETCH agents': ['a:b'] } }),
      [
        'scopeMappings: scopeMappings key "FETCH agents" must look like "GET /path" ({param} or * as wildcards)',
      ],
    ],
    [
      'a bad scope in a mapping',
      () => resolve({ scopeMappings: { 'GET /agents': ['a:b:c:d'] } }),
      ['scopeMappings: scopeMappings["GET /agents"]: Invalid required scope "a:b:c:d"'],
    ],
    [
      'a scope mapping value that is not a list',
      () => resolve({ scopeMappings: { 'GET /agents': 'agents:read' } }),
      [
        'scopeMappings["GET /agents"]: must be a list of scope strings ([] makes the route public), got "agents:read"',
      ],
    ],
    [
      'an excluded path without "/"',
      () => resolve({ excludedRoutePaths: ['health'] }),
      ['excludedRoutePaths[0]: "health" must start with "/"'],
    ],
    [
      'a CORS origin with a trailing slash',
      () => resolve({ corsAllowedOrigins: ['https://x.example.com/'] }),
      ['corsAllowedOrigins[0]: "https://x.example.com/" is not an origin; write scheme://host[:port]'],
    ],
    [
      'a JWKS URL that is not http(s)',
      () => resolve({ authorizationConfig: { jwksUrl: 'ftp://x.example.com/jwks' } }),
      ['authorizationConfig.jwksUrl: the JWKS URL must be an https:// URL, got ftp:'],
    ],
    [
      'a JWKS URL that is not a URL',
      () => resolve({ authorizationConfig: { jwksUrl: 'jwks.json' } }),
      ['authorizationConfig.jwksUrl: "jwks.json" is not a URL'],
    ],
    [
      'a boolean env var that is not one',
      () => resolve({}, { JWT_VERIFY_AUDIENCE: 'maybe' }),
      ['JWT_VERIFY_AUDIENCE: must be true or false (also 1/0, yes/no, on/off), got "maybe"'],
    ],
    [
      'a feature switch that is not a boolean (managedRoles)',
      () => resolve({ managedRoles: 'yes' }),
      ['managedRoles: must be true or false, got "yes"'],
    ],
    [
      'a feature switch env var that is not a boolean (AGENTOS_USER_DIRECTORY)',
      () => resolve({}, { AGENTOS_USER_DIRECTORY: 'sometimes' }),
      ['AGENTOS_USER_DIRECTORY: must be true or false (also 1/0, yes/no, on/off), got "sometimes"'],
    ],
    [
      'a port out of range',
      () => resolve({}, { PORT: '99999' }),
      ['PORT: must be a port number between 0 and 65535, got 99999'],
    ],
    [
      'a port that is not a number',
      () => resolve({}, { PORT: 'http' }),
      ['PORT: must be a whole number >= 0, got "http"'],
    ],
    [
      'an agent without id',
      () => resolve({ agents: [{ name: 'x' }] }),
      ['agents[0]: must be an object with a non-empty string "id", got an object'],
    ],
    [
      'two agents with one id',
      () => resolve({ agents: [{ id: 'a' }, { id: 'a' }] }),
      ['agents[1].id: "a" is used twice; ids must be unique'],
    ],
    [
      'audience verification with nothing to compare to',
      () => resolve({ authorizationConfig: { verifyAudience: true } }),
      [
        'authorizationConfig.verifyAudience: audience verification is on but neither authorizationConfig.audience (JWT_AUDIENCE) nor id (AGENTOS_ID) is set',
      ],
    ],
    [
      'only HMAC algorithms with a JWKS URL',
      () => resolve({ authorizationConfig: { jwksUrl: 'https://idp.example.com/jwks', algorithm: 'HS256' } }),
      [
        'authorizationConfig.algorithm: only HMAC algorithms (HS256) are allowed but the keys come from a JWKS URL',
      ],
    ],
    [
      'an unknown log level',
      () => resolve({ logLevel: 'loud' }),
      ['logLevel: "loud" is not a log level; use one of fatal, error, warn, info, debug, trace, silent'],
    ],
  ];
  for (const [name, fn, want] of cases) {
    test(name, () => {
      const got = issuesOf(fn);
      assert.equal(got.length, want.length, got.join('\n'));
      for (const [i, w] of want.entries()) assert.ok(got[i]!.startsWith(w), `\n got: ${got[i]}\nwant: ${w}…`);
    });
  }

  test('every problem is reported at once, one per line', () => {
    try {
      resolve({ port: -1, tokenSource: 'x', authorizationConfig: { algorithm: 'none' } });
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.issues.length, 3);
      assert.match(
        e.message,
        /^Invalid AgentOS configuration:\n {2}- port: .*\n {2}- tokenSource: .*\n {2}- authorizationConfig\.algorithm: /,
      );
    }
  });

  test('createAgentOS refuses to start and says what to set', async () => {
    await assert.rejects(
      createAgentOS({ authorization: true, env: {}, logger: silent() }),
      (e: unknown) => e instanceof ConfigError && /JWT_VERIFICATION_KEY/.test(e.message),
    );
  });
});

describe('warnings at start', () => {
  test('authorization on with audience verification off', async () => {
    const cap = captureLogger();
    const os = await createAgentOS({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      env: {},
      logger: cap.logger,
    });
    await os.close();
    const warns = cap.lines.filter((l) => l.level === 40).map((l) => l.msg);
    assert.ok(
      warns.some((m) => String(m).startsWith('authorization is on but audience verification is off')),
      warns.join('\n'),
    );
  });

  test('a short HS secret, plain-http JWKS, tokens verified without scopes', () => {
    const c = resolve({
      authorizationConfig: {
        verificationKeys: ['short'],
        algorithms: ['HS256', 'RS256'],
        jwksUrl: 'http://idp.example.com/jwks',
      },
    });
    const text = c.warnings.join('\n');
    assert.match(text, /shared secret is shorter than 32 bytes/);
    assert.match(text, /uses plain http/);
    assert.match(text, /tokens are verified but scopes are not enforced/);
  });

  test('custom routes without a scope mapping are named', async () => {
    const cap = captureLogger();
    const os = await createAgentOS({
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem], verifyAudience: true },
      id: 'x',
      scopeMappings: { 'GET /mapped': ['custom:read'] },
      routes: (r) => {
        r.get('/me', (_q, s) => s.end());
        r.get('/mapped', (_q, s) => s.end());
      },
      env: {},
      logger: cap.logger,
    });
    await os.close();
    const warns = cap.lines.filter((l) => l.level === 40).map((l) => String(l.msg));
    assert.ok(warns.some((m) => m.startsWith('custom route GET /me has no scopeMappings entry')));
    assert.ok(!warns.some((m) => m.includes('GET /mapped')));
  });
});

describe('config file', () => {
  test(`YAML with \${VAR} interpolation; relative paths from the file directory`, async () => {
    const sub = join(dir, 'yaml');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'jwks.json'), JSON.stringify({ keys: [{ ...key.publicJwk, kid: 'k1' }] }));
    const file = join(sub, 'agentos.config.yaml');
    writeFileSync(
      file,
      [
        'id: file-os',
        'agents:',
        '  - id: research-agent',
        '    name: Research Agent',
        'authorization: true',
        'authorizationConfig:',
        '  jwksFile: ./jwks.json',
        '  verifyAudience: true',
        `  audience: \${AUD}`,
        'scopeMappings:',
        '  "GET /public/health": []',
        'port: 9000',
      ].join('\n'),
    );
    const c = resolve({}, { AUD: 'aud-from-env' }, file);
    assert.equal(c.id, 'file-os');
    assert.equal(c.auth.jwksFile, join(sub, 'jwks.json'));
    assert.deepEqual(c.auth.audience, ['aud-from-env']);
    assert.deepEqual(c.auth.scopeMappings, { 'GET /public/health': [] });
    assert.equal(c.port, 9000);
    assert.equal(c.agents[0]!.name, 'Research Agent');

    // createAgentOS with the file: a kid-matched token verifies.
    const srv = await startServer({ configFile: file, env: { AUD: 'aud-from-env' } });
    try {
      const t = await sign(claims({ aud: 'aud-from-env', scopes: ['agents:read'] }), key.privateKey, {
        alg: 'RS256',
        kid: 'k1',
      });
      assert.equal((await request(srv.port, 'GET', '/agents', bearer(t))).status, 200);
    } finally {
      await srv.close();
    }
  });

  test('JSON; code options win over the file, the file over the environment', () => {
    const file = join(dir, 'agentos.config.json');
    writeFileSync(file, JSON.stringify({ id: 'file-os', name: 'File', port: 9001 }));
    const c = resolve({ id: 'code-os' }, { AGENTOS_NAME: 'Env', PORT: '9002' }, file);
    assert.equal(c.id, 'code-os');
    assert.equal(c.name, 'File');
    assert.equal(c.port, 9001);
  });

  test('messages name the file and the option', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'authorizationConfig:\n  algorithm: HS257\n  verify_audience: true\nport: abc\n');
    const got = issuesOf(() => loadConfigFile(file, {}));
    // Shapes are checked when loading; the algorithm's value when resolving (below).
    assert.equal(got.length, 2, got.join('\n'));
    assert.ok(
      got.some(
        (l) =>
          l ===
          'bad.yaml: authorizationConfig.verify_audience: unknown option; did you mean "verifyAudience"?',
      ),
    );
    assert.ok(got.some((l) => l === 'bad.yaml: port: must be a port number between 0 and 65535, got "abc"'));
    // The algorithm is checked when resolving, still named by file and option.
    const file2 = join(dir, 'bad2.yaml');
    writeFileSync(file2, 'authorizationConfig:\n  algorithm: HS257\n');
    assert.deepEqual(
      issuesOf(() => resolve({}, {}, file2)),
      [
        `bad2.yaml: authorizationConfig.algorithm: "HS257" is not supported; use one of ${ALGS} (did you mean "HS256"?)`,
      ],
    );
  });

  test(`an unset \${VAR}, invalid YAML, a missing file`, () => {
    const file = join(dir, 'vars.yaml');
    writeFileSync(file, `authorizationConfig:\n  verificationKeys: ["\${MISSING_KEY}"]\n`);
    assert.deepEqual(
      issuesOf(() => loadConfigFile(file, {})),
      [
        `vars.yaml: authorizationConfig.verificationKeys[0]: refers to \${MISSING_KEY} but the environment variable MISSING_KEY is not set`,
      ],
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'id: [unclosed\n');
    assert.match(issuesOf(() => loadConfigFile(broken, {}))[0]!, /broken\.yaml: is not valid YAML: /);
    assert.deepEqual(
      issuesOf(() => loadConfigFile(join(dir, 'none.yaml'), {})),
      [
        `${join(dir, 'none.yaml')}: cannot read the config file (ENOENT); check the --config option or AGENTOS_CONFIG`,
      ],
    );
  });

  test('findConfigFile: --config, then AGENTOS_CONFIG, then agentos.config.* in the working directory', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'agentos-find-'));
    try {
      assert.equal(findConfigFile(undefined, {}, cwd), null);
      writeFileSync(join(cwd, 'agentos.config.json'), '{}');
      assert.equal(findConfigFile(undefined, {}, cwd), join(cwd, 'agentos.config.json'));
      writeFileSync(join(cwd, 'agentos.config.yaml'), '');
      assert.equal(findConfigFile(undefined, {}, cwd), join(cwd, 'agentos.config.yaml'));
      assert.equal(findConfigFile(undefined, { AGENTOS_CONFIG: 'x.yaml' }, cwd), join(cwd, 'x.yaml'));
      assert.equal(findConfigFile('y.json', { AGENTOS_CONFIG: 'x.yaml' }, cwd), join(cwd, 'y.json'));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('routeTable option (embedders and tests)', () => {
  test('a custom table is authorised and dispatched by operationId', async () => {
    const routeTable: RouteSpec[] = [
      {
        operationId: 'listPets',
        method: 'GET',
        path: '/pets',
        scopes: ['pets:read'],
        userOwned: false,
        public: false,
      },
      {
        operationId: 'getPet',
        method: 'GET',
        path: '/pets/{pet_id}',
        scopes: ['pets:{pet_id}:read'],
        userOwned: false,
        public: false,
      },
      { operationId: 'ping', method: 'GET', path: '/ping', scopes: [], userOwned: false, public: true },
    ];
    const os = await createAgentOS({
      routeTable,
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      handlers: {
        listPets: () => ({ status: 200, body: ['rex'] }),
        getPet: ({ path }) => ({ status: 200, body: { id: path.pet_id } }),
        ping: () => ({ status: 204 }),
      },
      env: {},
      logger: silent(),
      clock,
    });
    const server = await os.listen(0, '127.0.0.1');
    try {
      const port = (server.address() as { port: number }).port;
      const t = await sign(claims({ scopes: ['pets:p1:read'] }), key.privateKey, { alg: 'RS256' });
      assert.deepEqual((await request(port, 'GET', '/pets/p1', bearer(t))).body, { id: 'p1' });
      assert.equal((await request(port, 'GET', '/pets/p2', bearer(t))).status, 403);
      assert.equal((await request(port, 'GET', '/pets')).status, 401);
      assert.equal((await request(port, 'GET', '/ping')).status, 204);
      assert.equal((await request(port, 'GET', '/agents', bearer(t))).status, 404);
      const notAllowed = await request(port, 'POST', '/pets', bearer(t));
      assert.equal(notAllowed.status, 405);
      assert.equal(notAllowed.headers.allow, 'GET, HEAD, OPTIONS');
    } finally {
      await os.close();
    }
  });
});
