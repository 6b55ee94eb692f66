/**
 * @module Nanoseconds per route+scope decision: `@agentos/core` (`compileRoutes` trie match +
 * `decide` with grants compiled once per token) against the Python AgentOS algorithm
 * (`glob-scan.ts`: exact key, then a linear fnmatch scan over the 123 generated
 * `agno-scope-mappings.json` patterns, first match wins, then the scope check with the caller's
 * scopes parsed on each call, as `scopes.py` does).
 *
 * Workload: every operation of the generated route table with concrete path values, for three
 * callers (admin, a typical 7-scope user, a per-resource-only user): 369 decisions per pass.
 * Samples of the two algorithms are interleaved so that machine noise hits both; the median
 * sample is reported. Run alone with `node --import tsx bench/decision.ts` (prints JSON).
 */
import { readFileSync } from 'node:fs';
import { compileGrants, compileRoutes, decide, type Grants, type RouteSpec } from '@agentos/core';
import { routes as generatedRoutes } from '../server/src/generated/routes.js';
import {
  checkRouteScopesPy,
  fnmatch,
  type PyScopeMappings,
  prepareMappings,
  requiredScopesForRoutePy,
} from './glob-scan.js';

/** One decision to take. */
interface Case {
  readonly method: string;
  readonly path: string;
  readonly scopes: readonly string[];
  readonly grants: Grants;
}

/** Results, in nanoseconds per decision (medians of the samples). */
export interface DecisionBenchResult {
  /** core: `index.match` + `decide` with precompiled grants. */
  decision_ns: number;
  /** core, with `compileGrants` on every decision (what the middleware does per request today). */
  decision_with_grant_compile_ns: number;
  /** core route lookup alone (`index.match`). */
  route_match_ns: number;
  /** Python algorithm: `check_route_scopes` (fnmatch scan + scope check). */
  glob_scan_ns: number;
  /** Python algorithm: `get_required_scopes_for_route` alone. */
  glob_lookup_ns: number;
  /** `glob_scan_ns / decision_ns`. */
  speedup: number;
  patterns: number;
  operations: number;
  decisions_per_pass: number;
  samples: number;
  /** Mean number of mapping entries the scan visits per request (exact-key hits count 0). */
  mean_entries_scanned: number;
  /** Mean number of `fnmatch` calls per request (entries of the request's method). */
  mean_fnmatch_calls: number;
  /** Decisions on which the two agree (allow/filter vs deny), out of `decisions_per_pass`. */
  agreement: number;
  /** A few disagreements, for the report (deliberate contract differences). */
  disagreements: string[];
}

const VALUES: Readonly<Record<string, string>> = {
  agent_id: 'research-agent',
  team_id: 'research-team',
  workflow_id: 'content-pipeline',
  session_id: '9f1c2d3e-0000-4000-8000-000000000001',
  run_id: 'run-5b1e9c',
  message_index: '3',
  memory_id: 'mem_01',
  component_id: 'comp-1',
  version: '2',
};

function concretePath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(VALUES[name] ?? `${name}-1`),
  );
}

const CALLERS: readonly (readonly string[])[] = [
  ['agent_os:admin'],
  [
    'agents:read',
    'agents:research-agent:run',
    'teams:read',
    'sessions:read',
    'sessions:write',
    'memories:read',
    'knowledge:read',
  ],
  ['agents:research-agent:read', 'agents:research-agent:run', 'workflows:content-pipeline:read'],
];

/** Builds the workload. */
export function workload(routes: readonly RouteSpec[] = generatedRoutes): Case[] {
  const out: Case[] = [];
  for (const scopes of CALLERS) {
    const grants = compileGrants(scopes);
    for (const r of routes) out.push({ method: r.method, path: concretePath(r.path), scopes, grants });
  }
  return out;
}

function loadMappings(): PyScopeMappings {
  const url = new URL('../server/src/generated/agno-scope-mappings.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as PyScopeMappings;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * Measures both algorithms. Bounded: `samples` interleaved samples of about `sampleMs` each.
 * @param options samples (default 25), sampleMs (default 40)
 */
export function measureDecisions(options: { samples?: number; sampleMs?: number } = {}): DecisionBenchResult {
  const samples = options.samples ?? 25;
  const sampleMs = options.sampleMs ?? 40;
  const index = compileRoutes(generatedRoutes);
  const { mappings, entries } = prepareMappings(loadMappings());
  const cases = workload();
  let sink = 0;

  const ours = () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const m = index.match(c.method, c.path);
      if (m.kind === 'found') sink += decide(m.route, m.params, c.grants).effect.length;
      else sink += 1;
    }
  };
  const oursCompiling = () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const m = index.match(c.method, c.path);
      if (m.kind === 'found') sink += decide(m.route, m.params, compileGrants(c.scopes)).effect.length;
      else sink += 1;
    }
  };
  const oursMatch = () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      sink += index.match(c.method, c.path).kind.length;
    }
  };
  const python = () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const r = checkRouteScopesPy(c.scopes, mappings, entries, c.method, c.path);
      sink += r.allowed ? 1 : 2;
    }
  };
  const pythonLookup = () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      sink += requiredScopesForRoutePy(mappings, entries, c.method, c.path).length;
    }
  };

  // Agreement and scan length, once.
  let agree = 0;
  let tried = 0;
  let visited = 0;
  const disagreements: string[] = [];
  for (const c of cases) {
    const m = index.match(c.method, c.path);
    const oursAllowed = m.kind === 'found' && decide(m.route, m.params, c.grants).effect !== 'deny';
    const py = checkRouteScopesPy(c.scopes, mappings, entries, c.method, c.path);
    const pyAllowed =
      py.allowed && !(py.accessibleResourceIds !== null && py.accessibleResourceIds.size === 0);
    if (oursAllowed === pyAllowed) agree++;
    else if (disagreements.length < 8)
      disagreements.push(
        `${c.method} ${c.path} scopes=[${c.scopes.join(' ')}]: core ${oursAllowed ? 'allow' : 'deny'}, python ${pyAllowed ? 'allow' : 'deny'}`,
      );
    if (mappings[`${c.method} ${c.path}`] === undefined) {
      for (const [pattern] of entries) {
        visited++;
        if (!pattern.startsWith(`${c.method} `)) continue;
        tried++;
        let p = pattern.slice(pattern.indexOf(' ') + 1);
        if (p.includes('{')) p = p.replace(/\{[^}]+\}/g, '*');
        if (fnmatch(c.path, p)) break;
      }
    }
  }

  const fns = { ours, oursCompiling, oursMatch, python, pythonLookup };
  type Key = keyof typeof fns;
  const keys = Object.keys(fns) as Key[];
  // Warm-up: JIT every path, and size the repetitions of each function to about sampleMs.
  const reps = {} as Record<Key, number>;
  for (const k of keys) {
    const fn = fns[k];
    for (let i = 0; i < 50; i++) fn();
    const t0 = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - t0) < sampleMs * 1e6 && n < 1e6) {
      fn();
      n++;
    }
    reps[k] = Math.max(1, n);
  }
  const results = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
  for (let s = 0; s < samples; s++) {
    for (const k of keys) {
      const fn = fns[k];
      const n = reps[k];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      const ns = Number(process.hrtime.bigint() - t0);
      results[k].push(ns / (n * cases.length));
    }
  }
  if (sink === 42) console.log('');
  const round = (x: number) => Math.round(x * 10) / 10;
  const decisionNs = median(results.ours);
  const globNs = median(results.python);
  return {
    decision_ns: round(decisionNs),
    decision_with_grant_compile_ns: round(median(results.oursCompiling)),
    route_match_ns: round(median(results.oursMatch)),
    glob_scan_ns: round(globNs),
    glob_lookup_ns: round(median(results.pythonLookup)),
    speedup: round(globNs / decisionNs),
    patterns: entries.length,
    operations: generatedRoutes.length,
    decisions_per_pass: cases.length,
    samples,
    mean_entries_scanned: round(visited / cases.length),
    mean_fnmatch_calls: round(tried / cases.length),
    agreement: agree,
    disagreements,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(measureDecisions()));
}
