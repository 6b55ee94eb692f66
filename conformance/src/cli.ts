/**
 * @module cli — `agentos-conformance`: argv → options → library → reports → exit code.
 * Exit codes: 0 pass, 1 MUST failures, 2 only SHOULD failures, 3 harness error (usage, spec, key,
 * unreachable target, incomplete run).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { stripAnsi, unknownOption, useColor } from '@agentos/core';
import { defineCommand, renderUsage, runCommand } from 'citty';
import { parse as parseYaml } from 'yaml';
import { type ConfigFile, loadConfig } from './config.js';
import { discoverFixtures } from './discover.js';
import { HarnessError } from './errors.js';
import { runGeneric } from './generic/command.js';
import { createHttpClient } from './http.js';
import { DEFAULT_SPEC } from './index.js';
import { planSuite } from './plan.js';
import type { Surface } from './plan-context.js';
import { compareSurface, fetchTargetDocument } from './probes/surface.js';
import { keyOnlyPlan, surfaceProbes } from './probes/surfaces.js';
import { renderHtml } from './report/html.js';
import { renderJson } from './report/json.js';
import { renderJunit } from './report/junit.js';
import { ansiColors, plainColors, renderSummary } from './report/summary.js';
import { assertExpectations, type ExpectedFailure, runSuite } from './run.js';
import { attributeSeeded, type SeedResult, seedRows } from './seed.js';
import { loadSpec } from './spec.js';
import { createTokenFactory, type SigningAlg, SUPPORTED_ALGS } from './tokens.js';

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)];

function approvalTrigger(config: ConfigFile): { param: string; id: string; message: string } | undefined {
  const a = config.objects?.approval;
  const param = a && Object.keys(a).find((k) => k.endsWith('_id'));
  return a && param ? { param, id: String(a[param]), message: String(a.message) } : undefined;
}

export const command = defineCommand({
  meta: {
    name: 'agentos-conformance',
    version: '0.1.0',
    description:
      'Replays signed tokens with varied scopes against an AgentOS API and checks it against the AgentOS security contract.',
  },
  args: {
    'base-url': {
      type: 'string',
      description: 'Base URL of the server under test, e.g. http://127.0.0.1:7777',
      required: true,
    },
    spec: {
      type: 'string',
      description: `OpenAPI document (YAML/JSON) with x-required-scopes (default: the bundled AgentOS spec)`,
    },
    alg: {
      type: 'string',
      description: `Signing algorithm the target trusts (${SUPPORTED_ALGS.join(', ')})`,
      default: 'RS256',
    },
    'signing-key': {
      type: 'string',
      description: 'PEM private key (or HMAC secret file for HS*) the target trusts (JWT targets)',
    },
    'security-key': {
      type: 'string',
      description:
        'File holding the key of a target in security-key mode (OS_SECURITY_KEY): runs the KEY probes, and the WS probes with the key',
    },
    kid: { type: 'string', description: 'kid header of the suite tokens' },
    audience: { type: 'string', description: 'aud of the suite tokens (enables the audience probes)' },
    issuer: { type: 'string', description: 'iss of the suite tokens (enables the issuer probes)' },
    'admin-scope': { type: 'string', description: 'Admin scope of the target', default: 'agent_os:admin' },
    'scopes-claim': { type: 'string', description: 'Claim holding the scopes', default: 'scopes' },
    'user-id-claim': { type: 'string', description: 'Claim holding the user id', default: 'sub' },
    'user-isolation': {
      type: 'boolean',
      description: 'The target isolates users (run the ISO probes)',
      default: false,
    },
    mode: {
      type: 'string',
      description: 'safe (never changes allowed data) | full (real writes; disposable targets only)',
      default: 'safe',
    },
    only: { type: 'string', description: 'Comma-separated globs on operationId, "METHOD /path" or probe id' },
    config: { type: 'string', description: 'YAML/JSON config: fixtures, headers, skip, users, policy' },
    report: {
      type: 'string',
      description: 'json:FILE | junit:FILE | html:FILE (repeatable; FILE "-" is stdout)',
    },
    expect: { type: 'string', description: 'Expected-failures JSON; explained failures do not fail the run' },
    concurrency: { type: 'string', description: 'Requests in flight', default: '8' },
    timeout: { type: 'string', description: 'Per-request timeout in seconds', default: '10' },
    'token-probes': {
      type: 'string',
      description: 'representative | all: operations that get the token-validity probes',
      default: 'representative',
    },
    leeway: { type: 'string', description: 'exp/nbf leeway the target allows, seconds', default: '10' },
    'target-spec': {
      type: 'string',
      description:
        "The target's own OpenAPI document (default: GET /openapi.json on the target; 'none' to skip)",
    },
    seed: {
      type: 'boolean',
      description: 'Create the rows the ISO/OBJ probes attack, in safe mode too (disposable targets only)',
      default: false,
    },
    'token-source': {
      type: 'string',
      description: 'header | cookie: where the target reads tokens',
      default: 'header',
    },
    'cookie-name': {
      type: 'string',
      description: 'Cookie holding the token (--token-source cookie)',
      default: 'access_token',
    },
    'roles-claim': {
      type: 'string',
      description: 'Claim holding roles (AgentOS 3.1); enables the role fixtures',
    },
    'public-key': {
      type: 'string',
      description: "The target's public key file exactly as configured (HS256 key-confusion with its text)",
    },
    profile: {
      type: 'string',
      description:
        'agentos (the AgentOS contract) | generic (any OpenAPI API with standard security; needs --spec)',
      default: 'agentos',
    },
    'scope-format': {
      type: 'string',
      description:
        'array ("scopes": ["a","b"]) | string ("scope": "a b", RFC 9068 space-separated, with --scopes-claim scope)',
      default: 'array',
    },
    'error-body': {
      type: 'string',
      description:
        'generic: any | problem (RFC 9457) | detail | fields:NAME,NAME: what 401/403 bodies must hold',
      default: 'any',
    },
    fixture: {
      type: 'string',
      description: 'generic: NAME=VALUE[,NAME=VALUE] values of path/query parameters',
    },
  },
  async run({ args }) {
    const started = Date.now();
    const color = process.stderr.isTTY && !process.env.NO_COLOR && !process.env.CI;
    const out = process.stdout.isTTY && !process.env.NO_COLOR && !process.env.CI ? ansiColors : plainColors;
    const alg = String(args.alg) as SigningAlg;
    if (!SUPPORTED_ALGS.includes(alg))
      throw new HarnessError(
        'ERR_OPTIONS',
        `--alg "${alg}" is not supported; use one of ${SUPPORTED_ALGS.join(', ')}`,
      );
    const mode = String(args.mode);
    if (mode !== 'safe' && mode !== 'full')
      throw new HarnessError('ERR_OPTIONS', `--mode must be "safe" or "full", not "${mode}"`);
    const tokenProbes = String(args['token-probes']);
    if (tokenProbes !== 'representative' && tokenProbes !== 'all')
      throw new HarnessError('ERR_OPTIONS', `--token-probes must be "representative" or "all"`);
    const num = (name: string, v: unknown, min: number) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < min)
        throw new HarnessError('ERR_OPTIONS', `--${name} must be a number ≥ ${min}, not "${String(v)}"`);
      return n;
    };
    const concurrency = num('concurrency', args.concurrency, 1);
    const timeoutMs = num('timeout', args.timeout, 0.1) * 1000;
    const reports = list(args.report)
      .flatMap((r) => r.split(','))
      .map((r) => {
        const m = /^(json|junit|html):(.+)$/.exec(r);
        if (!m)
          throw new HarnessError('ERR_OPTIONS', `--report "${r}": use json:FILE, junit:FILE or html:FILE`);
        return { kind: m[1] as 'json' | 'junit' | 'html', file: m[2] as string };
      });
    let baseUrl: string;
    try {
      baseUrl = new URL(String(args['base-url'])).toString().replace(/\/$/, '');
    } catch {
      throw new HarnessError(
        'ERR_OPTIONS',
        `--base-url "${String(args['base-url'])}" is not a URL (e.g. http://127.0.0.1:7777)`,
      );
    }
    let securityKey: string | undefined;
    if (args['security-key']) {
      try {
        securityKey = (await readFile(String(args['security-key']), 'utf8')).trim();
      } catch (e) {
        throw new HarnessError(
          'ERR_KEY',
          `cannot read --security-key "${String(args['security-key'])}": ${(e as Error).message}`,
        );
      }
      if (!securityKey)
        throw new HarnessError('ERR_KEY', `--security-key "${String(args['security-key'])}" is empty`);
    }
    if (!args['signing-key'] && !securityKey)
      throw new HarnessError(
        'ERR_OPTIONS',
        'give --signing-key FILE (a JWT target) or --security-key FILE (a target in security-key mode)',
      );
    let signingKey: string | undefined;
    if (args['signing-key']) {
      try {
        signingKey = await readFile(String(args['signing-key']), 'utf8');
      } catch (e) {
        throw new HarnessError(
          'ERR_KEY',
          `cannot read --signing-key "${String(args['signing-key'])}": ${(e as Error).message}`,
        );
      }
    }
    const config = args.config ? await loadConfig(String(args.config)) : {};
    let expected: ExpectedFailure[] | undefined;
    if (args.expect) {
      const file = String(args.expect);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new HarnessError('ERR_EXPECT_FILE', `cannot read --expect "${file}": ${(e as Error).message}`);
      }
      expected = assertExpectations(parsed, file);
    }
    const scopeFormat = String(args['scope-format']);
    if (scopeFormat !== 'array' && scopeFormat !== 'string')
      throw new HarnessError('ERR_OPTIONS', '--scope-format must be "array" or "string"');
    const tokenSource = String(args['token-source']);
    if (tokenSource !== 'header' && tokenSource !== 'cookie')
      throw new HarnessError('ERR_OPTIONS', '--token-source must be "header" or "cookie"');
    let publicKeyText: string | undefined;
    if (args['public-key']) {
      try {
        publicKeyText = await readFile(String(args['public-key']), 'utf8');
      } catch (e) {
        throw new HarnessError('ERR_KEY', `cannot read --public-key: ${(e as Error).message}`);
      }
    }
    const progress = process.stderr.isTTY && !process.env.CI;
    const say = (what: string) => {
      if (progress) process.stderr.write(`\r\x1b[K${what} · ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };
    say('reading the spec');
    const profile = String(args.profile);
    if (profile !== 'agentos' && profile !== 'generic')
      throw new HarnessError('ERR_OPTIONS', `--profile must be "agentos" or "generic", not "${profile}"`);
    if (profile === 'generic') {
      const only = list(args.only).flatMap((o) => o.split(','));
      if (!signingKey) throw new HarnessError('ERR_OPTIONS', '--profile generic needs --signing-key FILE');
      const rest = { alg, signingKey, mode, concurrency, timeoutMs, reports, config, expected };
      process.exitCode = await runGeneric({
        args,
        baseUrl,
        leeway: num('leeway', args.leeway, 0),
        only,
        ...rest,
      });
      return;
    }
    const spec = await loadSpec(args.spec ? String(args.spec) : DEFAULT_SPEC);
    // A security-key target trusts no JWT: the suite's tokens then come from a random secret
    // (foreign tokens for the WS probes) and the operation plan is empty.
    const tokens = await createTokenFactory({
      alg: signingKey ? alg : 'HS256',
      signingKey: signingKey ?? randomBytes(48).toString('base64url'),
      kid: args.kid ? String(args.kid) : undefined,
      audience: args.audience ? String(args.audience) : undefined,
      issuer: args.issuer ? String(args.issuer) : undefined,
      scopesClaim: String(args['scopes-claim']),
      userIdClaim: String(args['user-id-claim']),
      publicKeyText,
      scopeFormat,
    });
    const adminScope = String(args['admin-scope']);
    const client = createHttpClient(baseUrl, { timeoutMs, concurrency });
    let discovery: Awaited<ReturnType<typeof discoverFixtures>> | undefined;
    let surface: Surface | undefined;
    const seeding = mode === 'full' || Boolean(args.seed);
    let seeded: SeedResult | undefined;
    try {
      const ts = args['target-spec'] ? String(args['target-spec']) : undefined;
      if (ts !== 'none' && signingKey) {
        say(`discovery: reading the target's ${ts ?? '/openapi.json'}`);
        let doc: unknown;
        if (ts) {
          const text = await readFile(ts, 'utf8').catch((e: Error) => {
            throw new HarnessError('ERR_SPEC', `cannot read --target-spec "${ts}": ${e.message}`);
          });
          doc = ts.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: -1 });
        } else {
          // Generating a large document can take a while on a loaded target: a generous timeout.
          const slow = createHttpClient(baseUrl, { timeoutMs: Math.max(timeoutMs, 60_000), concurrency: 1 });
          try {
            doc = await fetchTargetDocument(slow);
          } finally {
            slow.close();
          }
        }
        if (doc) surface = compareSurface(doc, spec.operations, ts ?? `${baseUrl}/openapi.json`);
      }
      if (signingKey) {
        say('discovery: listing fixtures with an admin token');
        discovery = await discoverFixtures(spec, client, tokens, {
          adminScope,
          headers: config.headers ?? {},
          concurrency,
        });
      }
      if (discovery && seeding && args['user-isolation']) {
        say(`seeding: rows of ${config.users?.a ?? 'conformance-user-a'} through the API`);
        seeded = await seedRows(spec, client, tokens, {
          userA: config.users?.a ?? 'conformance-user-a',
          adminScope,
          discovery,
          headers: config.headers ?? {},
        });
        const again = await discoverFixtures(spec, client, tokens, {
          adminScope,
          headers: config.headers ?? {},
          concurrency,
        });
        discovery = attributeSeeded(
          { ...again, ids: { ...again.ids, ...discovery.ids } },
          spec,
          seeded.owned,
          config.policy?.ownerField ?? 'user_id',
        );
      }
    } finally {
      client.close();
    }
    say('planning');
    if (discovery && process.env.DEBUG?.includes('agentos-conformance'))
      for (const l of discovery.log) process.stderr.write(`discover: ${l}\n`);
    const plan = !discovery
      ? keyOnlyPlan(spec, mode)
      : planSuite(spec, {
          alg,
          adminScope,
          scopesClaim: String(args['scopes-claim']),
          userIdClaim: String(args['user-id-claim']),
          audience: args.audience ? String(args.audience) : undefined,
          issuer: args.issuer ? String(args.issuer) : undefined,
          userIsolation: Boolean(args['user-isolation']),
          mode,
          only: list(args.only)
            .flatMap((o) => o.split(','))
            .filter(Boolean),
          skips: config.skip ?? [],
          leeway: config.policy?.leeway ?? num('leeway', args.leeway, 0),
          tokenProbes: config.policy?.tokenProbes ?? tokenProbes,
          fixtures: config.fixtures ?? {},
          discovery,
          ...(config.users ? { users: config.users } : {}),
          ...(config.policy?.origin ? { origin: config.policy.origin } : {}),
          ...(config.policy?.ownerField ? { ownerField: config.policy.ownerField } : {}),
          seed: seeding,
          ...(approvalTrigger(config) ? { approvalTrigger: approvalTrigger(config) } : {}),
          tokenSource,
          cookieName: String(args['cookie-name']),
          ...(args['roles-claim'] ? { rolesClaim: String(args['roles-claim']) } : {}),
          roles: config.roles ?? [],
          ...(config.directory?.disabled ? { disabledUser: config.directory.disabled } : {}),
          ...(surface ? { surface } : {}),
          publicKeyGiven: publicKeyText !== undefined,
        });
    if (seeded) {
      plan.notes.push(
        `Seeding: created ${seeded.created.length} row(s) as user A through the API (${seeded.created.join('; ') || 'none'})${seeded.failed.length ? `; could not seed: ${seeded.failed.join('; ')}` : ''}.`,
      );
    }
    say(`running ${plan.cases.length} checks`);
    let failures = 0;
    const result = await runSuite(plan, {
      baseUrl,
      tokens,
      headers: config.headers ?? {},
      timeoutMs,
      concurrency,
      ...(expected ? { expected } : {}),
      extra: () =>
        surfaceProbes({
          baseUrl,
          tokens: signingKey ? tokens : undefined,
          foreignTokens: signingKey ? undefined : tokens,
          securityKey,
          adminScope,
          userIsolation: Boolean(args['user-isolation']),
          mode: mode as 'safe' | 'full',
          seed: Boolean(args.seed),
          headers: config.headers ?? {},
          timeoutMs,
        }),
      onProgress: progress
        ? (done, total, r) => {
            if (r.status === 'fail') failures++;
            const width = 28;
            const filled = Math.round((done / total) * width);
            const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
            const f = failures
              ? color
                ? `\x1b[31m${failures} failing\x1b[39m`
                : `${failures} failing`
              : '0 failing';
            process.stderr.write(
              `\r${bar} ${done}/${total} checks · ${f} · ${((Date.now() - started) / 1000).toFixed(1)} s `,
            );
            if (done === total) process.stderr.write('\n');
          }
        : undefined,
    });
    if (seeded) {
      const left = await seeded.cleanup();
      if (left.length) result.notes.push(`Seeding clean-up left: ${left.join('; ')}`);
      client.close();
    }
    let stdoutTaken = false;
    for (const r of reports) {
      const text =
        r.kind === 'json'
          ? renderJson(result)
          : r.kind === 'junit'
            ? renderJunit(result)
            : renderHtml(result);
      if (r.file === '-') {
        process.stdout.write(text);
        stdoutTaken = true;
      } else await writeFile(r.file, text);
    }
    const summary = renderSummary(result, stdoutTaken ? (color ? ansiColors : plainColors) : out);
    if (stdoutTaken) process.stderr.write(summary);
    else process.stdout.write(summary);
    process.exitCode = result.summary.exitCode;
  },
});

export async function main(argv = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const usage = await renderUsage(command);
    process.stdout.write(
      `${useColor(process.stdout, process.env) ? usage : stripAnsi(usage)}\n\nExit codes: 0 pass · 1 MUST failures · 2 only SHOULD failures · 3 harness error (usage included)\n`,
    );
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write('0.1.0\n');
    return;
  }
  // Exit 3, not 2: 2 already means "only SHOULD failures" to the scripts that read this exit code.
  const bad = unknownOption(argv, [...Object.keys(command.args ?? {}), 'help', 'h', 'version']);
  if (bad) {
    process.stderr.write(`agentos-conformance: ${bad}\nRun agentos-conformance --help for the options.\n`);
    process.exitCode = 3;
    return;
  }
  // citty keeps only the last value of a repeated flag; --report may be given several times.
  const reports: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--report' && i + 1 < argv.length) reports.push(argv[++i] as string);
    else if (a.startsWith('--report=')) reports.push(a.slice('--report='.length));
    else rest.push(a);
  }
  if (reports.length) rest.push('--report', reports.join(','));
  try {
    await runCommand(command, { rawArgs: rest });
  } catch (e) {
    if (e instanceof HarnessError) {
      process.stderr.write(`agentos-conformance: ${e.message} [${e.code}]\n`);
    } else if (e instanceof Error && /Missing required argument|Invalid value|Unknown/.test(e.message)) {
      process.stderr.write(`${await renderUsage(command)}\n\nagentos-conformance: ${e.message}\n`);
    } else {
      process.stderr.write(`agentos-conformance: unexpected error\n${(e as Error)?.stack ?? String(e)}\n`);
    }
    process.exitCode = 3;
  }
}

await main();
