#!/usr/bin/env node
/**
 * Checks that a run produced every figure the issues ask for (CI runs it after short runs; the
 * figures themselves are not judged, the machine being shared):
 *   node bench/check-results.mjs bench FILE        every key of bench/results.json is a number
 *   node bench/check-results.mjs reliability FILE  every reliability section is there, with 0 failures
 * Exit 1 with the missing or failing items listed.
 */
import { readFileSync } from 'node:fs';

const [kind, file] = process.argv.slice(2);
if ((kind !== 'bench' && kind !== 'reliability') || !file) {
  console.error('usage: check-results.mjs bench|reliability FILE');
  process.exit(2);
}
let data;
try {
  data = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`check-results: cannot read ${file}: ${e.message}`);
  process.exit(1);
}
const problems = [];
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

if (kind === 'bench') {
  for (const key of [
    'rs256_vs_auth_off',
    'rs256_nocache_vs_auth_off',
    'vs_python_agentos',
    'vs_python_agentos_nocache',
    'decision_ns',
    'glob_scan_ns',
    'conformance_seconds',
    'conformance_rps',
    'generator_seconds',
    'sdk_gzip_bytes',
    // issue 18: database workloads side by side (ours ÷ each Python variant), scale-out
    ...['sessions', 'run', 'stream', 'agents'].flatMap((w) =>
      ['python', 'python_plain', 'python_workers', 'python310', 'python310_workers'].map(
        (v) => `vs_${v}_${w}`,
      ),
    ),
    'scale_out_writes_2_vs_1',
    'scale_out_sessions_2_vs_1',
    'scale_out_lost_writes',
  ]) {
    if (!isNumber(data[key])) problems.push(`${key} is ${JSON.stringify(data[key])}`);
  }
  // issue 18: cost of ours (embedded PGlite, PostgreSQL) and of every Python variant
  const targets = [
    'reference',
    'reference_postgres',
    'python',
    'python_plain',
    'python_workers',
    'python310',
    'python310_workers',
  ];
  for (const key of ['start_seconds', 'rss_idle_mb', 'rss_load_mb']) {
    for (const t of targets) {
      if (!isNumber(data[key]?.[t])) problems.push(`${key}.${t} is ${JSON.stringify(data[key]?.[t])}`);
    }
  }
  for (const t of ['reference', 'reference_postgres']) {
    if (!isNumber(data.first_start_seconds?.[t]))
      problems.push(`first_start_seconds.${t} is ${JSON.stringify(data.first_start_seconds?.[t])}`);
  }
  if (data.scale_out_lost_writes !== 0 && isNumber(data.scale_out_lost_writes))
    problems.push(`scale_out_lost_writes is ${data.scale_out_lost_writes}: acknowledged writes were lost`);
  for (const [id, t] of Object.entries(data.workloads?.targets ?? {})) {
    if (t?.workloads?.seed?.lost) problems.push(`${id}: ${t.workloads.seed.lost} acknowledged sessions lost`);
  }
  // issue 18: every goal judged (its figure measured), whether met or not.
  if (!Array.isArray(data.goals) || data.goals.length === 0) problems.push('goals: missing');
  else
    for (const g of data.goals)
      if (!isNumber(g?.value) || typeof g?.met !== 'boolean')
        problems.push(`goal "${g?.goal}" not measured: ${JSON.stringify(g)}`);
  const m = data.machine ?? {};
  if (!isNumber(m.cores) || typeof m.node !== 'string' || typeof m.date !== 'string')
    problems.push(`machine lacks cores/node/date: ${JSON.stringify(m)}`);
  if (!problems.length)
    console.log(
      `check-results: bench complete: ${data.vs_python_agentos}× the Python AgentOS (uncached ${data.vs_python_agentos_nocache}×), decision ${data.decision_ns} ns vs scan ${data.glob_scan_ns} ns; ` +
        `GET /sessions ${data.vs_python_sessions}×, run ${data.vs_python_run}×, stream ${data.vs_python_stream}×, GET /agents ${data.vs_python_agents}×; ` +
        `start ${data.start_seconds.reference} s, RSS ${data.rss_idle_mb.reference}/${data.rss_load_mb.reference} MB`,
    );
} else {
  const need = {
    // issue 15: the load mix and the fuzzing cover roles, approvals and schedules.
    load: (s) =>
      s.wrong_decisions === 0 &&
      s.five_xx === 0 &&
      isNumber(s.requests) &&
      s.requests > 0 &&
      ['role ', 'approvals: ', 'schedules: '].every((p) =>
        Object.keys(s.per_case ?? {}).some((c) => c.startsWith(p) && s.per_case[c] > 0),
      ),
    fuzz: (s) =>
      isNumber(s.runs) &&
      s.runs > 0 &&
      ['role token valid', 'family approvals', 'family schedules'].every((k) => s[k] > 0),
    jwks_outage: (s) =>
      typeof s.statuses_during_outage === 'object' &&
      !('401' in s.statuses_during_outage) &&
      (s.new_tokens?.['503'] ?? 0) > 0,
    key_rotation: (s) => s.failures === 0 && isNumber(s.requests) && s.requests > 0,
    database_outage: (s) => s.acknowledged_writes_lost === 0 && s.unexpected_answers === 0,
    two_instances: (s) => s.delete_seen_through_other_status === 404,
  };
  for (const [name, ok] of Object.entries(need)) {
    const s = data[name];
    if (!s) problems.push(`${name}: missing (the test did not run or was skipped)`);
    else if (!ok(s)) problems.push(`${name}: ${JSON.stringify(s)}`);
  }
  if (!problems.length) console.log(`check-results: reliability complete: ${Object.keys(need).join(', ')}`);
}
if (problems.length) {
  console.error(`check-results: ${kind} results incomplete in ${file}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
