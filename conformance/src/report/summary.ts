/**
 * @module report/summary — the terminal summary: a table of probe families, the failing probes
 * with their operations, and one closing line with timing and requests/s.
 */
import type { SuiteResult } from '../run.js';

export interface Colors {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plainColors: Colors = {
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  dim: (s) => s,
  bold: (s) => s,
};
export const ansiColors: Colors = {
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
};

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

export function renderSummary(result: SuiteResult, c: Colors = plainColors): string {
  const lines: string[] = [];
  const fams = new Map<string, { pass: number; fail: number; xfail: number; skip: number }>();
  for (const r of result.results) {
    const f = fams.get(r.family) ?? { pass: 0, fail: 0, xfail: 0, skip: 0 };
    if (r.status === 'pass' || r.status === 'xpass') f.pass++;
    else if (r.status === 'fail') f.fail++;
    else if (r.status === 'xfail') f.xfail++;
    else f.skip++;
    fams.set(r.family, f);
  }
  const skips = result.results.filter((r) => r.status === 'skip');
  lines.push(
    c.bold(
      `${pad('family', 8)}${lpad('pass', 7)}${lpad('fail', 7)}${lpad('expected', 10)}${lpad('skip', 7)}`,
    ),
  );
  for (const [fam, f] of [...fams].sort((a, b) => b[1].fail - a[1].fail || a[0].localeCompare(b[0]))) {
    lines.push(
      `${pad(fam, 8)}${c.green(lpad(f.pass, 7))}${(f.fail ? c.red : c.dim)(lpad(f.fail, 7))}${(f.xfail ? c.yellow : c.dim)(lpad(f.xfail, 10))}${c.dim(lpad(f.skip, 7))}`,
    );
  }
  const totals = [...fams.values()].reduce(
    (a, f) => ({
      pass: a.pass + f.pass,
      fail: a.fail + f.fail,
      xfail: a.xfail + f.xfail,
      skip: a.skip + f.skip,
    }),
    { pass: 0, fail: 0, xfail: 0, skip: 0 },
  );
  lines.push(
    c.bold(
      `${pad('total', 8)}${lpad(totals.pass, 7)}${lpad(totals.fail, 7)}${lpad(totals.xfail, 10)}${lpad(totals.skip, 7)}`,
    ),
  );
  if (skips.length) {
    const why = new Map<string, number>();
    for (const r of skips) {
      const k = `${r.family}: ${(r.message ?? '').replace(/ on [A-Z]+ \/\S*/g, '').slice(0, 110)}`;
      why.set(k, (why.get(k) ?? 0) + 1);
    }
    lines.push('', c.bold('Skips (reason × checks):'));
    for (const [k, n] of [...why].sort((a, b) => b[1] - a[1]).slice(0, 12))
      lines.push(`  ${lpad(n, 4)}  ${c.dim(k)}`);
  }
  const failing = result.results.filter((r) => r.status === 'fail');
  if (failing.length) {
    lines.push('', c.bold('Failures (probe × operations):'));
    const byProbe = new Map<string, typeof failing>();
    for (const r of failing) byProbe.set(r.probeId, [...(byProbe.get(r.probeId) ?? []), r]);
    for (const [id, rs] of [...byProbe].sort((a, b) =>
      a[1][0]?.severity === b[1][0]?.severity
        ? a[0].localeCompare(b[0])
        : a[1][0]?.severity === 'MUST'
          ? -1
          : 1,
    )) {
      const first = rs[0];
      if (!first) continue;
      const sev = first.severity === 'MUST' ? c.red('MUST  ') : c.yellow('SHOULD');
      const ops = rs.map((r) => `${r.method} ${r.path}`);
      lines.push(`  ${sev} ${c.bold(id)} ${c.dim(`(${first.reference})`)} — ${rs.length} operation(s)`);
      lines.push(`         ${ops.slice(0, 4).join(', ')}${ops.length > 4 ? `, … +${ops.length - 4}` : ''}`);
      lines.push(`         ${c.dim((first.message ?? '').slice(0, 200))}`);
      const step = first.steps.find((x) => !x.pass);
      if (step) {
        lines.push(`         ${c.dim('repro:')} ${step.curl.slice(0, 600)}`);
        if (step.mint) lines.push(`         ${c.dim('token:')} ${step.mint}`);
      }
    }
    // Per operation, failures first: which operations carry the most failing probes.
    const byOp = new Map<string, { fail: number; probes: Set<string> }>();
    for (const r of failing) {
      const k = `${r.method} ${r.path}`;
      const e = byOp.get(k) ?? { fail: 0, probes: new Set<string>() };
      e.fail++;
      e.probes.add(r.probeId);
      byOp.set(k, e);
    }
    lines.push('', c.bold('Failing operations (most failures first):'));
    const ops = [...byOp].sort((a, b) => b[1].fail - a[1].fail || a[0].localeCompare(b[0]));
    for (const [op, e] of ops.slice(0, 15))
      lines.push(
        `  ${lpad(e.fail, 4)}  ${pad(op, 52)} ${c.dim([...e.probes].sort().join(', ').slice(0, 100))}`,
      );
    if (ops.length > 15)
      lines.push(c.dim(`  … ${ops.length - 15} more operation(s) in the JSON/HTML report`));
  }
  const s = result.summary;
  if (s.unusedExpectations.length) {
    lines.push(
      '',
      c.yellow(
        `${s.unusedExpectations.length} expected failure(s) did not occur (stale entries in the expect file):`,
      ),
    );
    for (const e of s.unusedExpectations) lines.push(`  ${e.probe} ${e.operation ?? '*'}`);
  }
  if (result.incomplete) lines.push('', c.red(`INCOMPLETE: ${result.incomplete}`));
  const verdict =
    s.exitCode === 0
      ? c.green(s.xfail ? 'PASS (every failure is in the expect file)' : 'PASS')
      : s.exitCode === 1
        ? c.red('FAIL (MUST)')
        : s.exitCode === 2
          ? c.yellow('WARN (SHOULD only)')
          : c.red('ERROR');
  lines.push(
    '',
    `${verdict} ${result.meta.baseUrl}: ${s.cases} checks over ${result.meta.operations} operations — ${s.pass} passed, ${s.fail} failed (${s.mustFailures} MUST, ${s.shouldFailures} SHOULD), ${s.xfail} expected, ${s.skip} skipped; ${s.requests} requests (${s.deduplicated} identical ones answered once) in ${(s.wallMs / 1000).toFixed(1)} s (${s.requestsPerSecond} req/s)`,
  );
  return `${lines.join('\n')}\n`;
}
