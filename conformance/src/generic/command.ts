/**
 * @module generic/command — `agentos-conformance --profile generic`: the same tokens, runner and
 * reports as the AgentOS profile, planned by `generic/plan.ts` from standard OpenAPI `security`.
 * No discovery (it calls AgentOS list routes): ids come from --fixture, the config, or the spec.
 */
import { writeFile } from 'node:fs/promises';
import type { ConfigFile } from '../config.js';
import { HarnessError } from '../errors.js';
import { renderHtml } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { ansiColors, plainColors, renderSummary } from '../report/summary.js';
import { type ExpectedFailure, runSuite } from '../run.js';
import { loadSpec } from '../spec.js';
import { createTokenFactory, type SigningAlg } from '../tokens.js';
import { parseGenericOptions } from './options.js';
import { planGeneric } from './plan.js';

/** What cli.ts has resolved by the time it hands over. */
export interface GenericRun {
  args: Record<string, unknown>;
  baseUrl: string;
  alg: SigningAlg;
  signingKey: string;
  /** `safe` or `full`, already checked. */
  mode: string;
  concurrency: number;
  timeoutMs: number;
  leeway: number;
  only: string[];
  reports: { kind: 'json' | 'junit' | 'html'; file: string }[];
  config: ConfigFile;
  expected: ExpectedFailure[] | undefined;
}

/**
 * Runs the generic profile and writes the reports.
 * @returns the exit code (0 pass, 1 MUST failures, 2 SHOULD only, 3 incomplete)
 * @throws {HarnessError} `ERR_OPTIONS` without --spec or with a bad generic option
 */
export async function runGeneric(r: GenericRun): Promise<number> {
  const { args } = r;
  if (!args.spec)
    throw new HarnessError(
      'ERR_OPTIONS',
      '--profile generic needs --spec <file>: the OpenAPI document of the API under test',
    );
  const generic = parseGenericOptions({
    scopeFormat: args['scope-format'],
    errorBody: args['error-body'],
    fixture: args.fixture,
  });
  const spec = await loadSpec(String(args.spec));
  const scopesClaim = String(args['scopes-claim']);
  const audience = args.audience ? String(args.audience) : undefined;
  const issuer = args.issuer ? String(args.issuer) : undefined;
  const tokens = await createTokenFactory({
    alg: r.alg,
    signingKey: r.signingKey,
    kid: args.kid ? String(args.kid) : undefined,
    audience,
    issuer,
    scopesClaim,
    userIdClaim: String(args['user-id-claim']),
  });
  const plan = planGeneric(spec, {
    ...generic,
    fixtures: { ...(r.config.fixtures ?? {}), ...generic.fixtures },
    alg: r.alg,
    scopesClaim,
    audience,
    issuer,
    mode: r.mode === 'full' ? 'full' : 'safe',
    leeway: r.config.policy?.leeway ?? r.leeway,
    only: r.only.filter(Boolean),
    skips: r.config.skip ?? [],
  });
  const result = await runSuite(plan, {
    baseUrl: r.baseUrl,
    tokens,
    headers: r.config.headers ?? {},
    timeoutMs: r.timeoutMs,
    concurrency: r.concurrency,
    // The after-run hygiene judges AgentOS {detail} bodies; the generic plan has its own HYG cases.
    hygiene: false,
    ...(r.expected ? { expected: r.expected } : {}),
  });
  let stdoutTaken = false;
  for (const rep of r.reports) {
    const text =
      rep.kind === 'json'
        ? renderJson(result)
        : rep.kind === 'junit'
          ? renderJunit(result)
          : renderHtml(result);
    if (rep.file === '-') {
      process.stdout.write(text);
      stdoutTaken = true;
    } else await writeFile(rep.file, text);
  }
  const tty = (s: NodeJS.WriteStream) => s.isTTY && !process.env.NO_COLOR && !process.env.CI;
  const stream = stdoutTaken ? process.stderr : process.stdout;
  stream.write(renderSummary(result, tty(stream) ? ansiColors : plainColors));
  return result.summary.exitCode;
}
