/**
 * @module report/junit — JUnit XML: one testsuite per probe family, one testcase per
 * operation × probe, with the probe id, severity and reference as properties.
 */
import type { SuiteResult } from '../run.js';
import type { CaseResult } from '../types.js';

export function xmlEscape(s: string): string {
  const escaped = s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );
  // XML 1.0 forbids most control characters, even escaped: spell them out.
  let out = '';
  for (const ch of escaped) {
    const code = ch.charCodeAt(0);
    out +=
      code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d
        ? `\\u${code.toString(16).padStart(4, '0')}`
        : ch;
  }
  return out;
}

function testcase(r: CaseResult): string {
  const time = (r.steps.reduce((a, s) => a + s.elapsedMs, 0) / 1000).toFixed(3);
  const props = [
    ['probe', r.probeId],
    ['severity', r.severity],
    ['reference', r.reference],
    ['operation', `${r.method} ${r.path}`],
    ...(r.differs ? [['differs', r.differs]] : []),
  ]
    .map(([k, v]) => `        <property name="${k}" value="${xmlEscape(v as string)}"/>`)
    .join('\n');
  let body = `      <properties>\n${props}\n      </properties>\n`;
  if (r.status === 'fail') {
    const detail = r.steps
      .filter((s) => !s.pass)
      .map(
        (s) =>
          `${s.label}\n  expected: ${s.expected}\n  actual: ${s.status || s.error} ${s.message ?? ''}\n  ${s.curl}`,
      )
      .join('\n\n');
    body += `      <failure type="${r.severity}" message="${xmlEscape(`[${r.severity}] ${r.message ?? ''}`.slice(0, 500))}">${xmlEscape(detail)}</failure>\n`;
  } else if (r.status === 'skip') body += `      <skipped message="${xmlEscape(r.message ?? '')}"/>\n`;
  else if (r.status === 'xfail')
    body += `      <system-out>${xmlEscape(r.message ?? 'expected failure')}</system-out>\n`;
  return `    <testcase classname="${xmlEscape(r.operationId)}" name="${xmlEscape(`${r.probeId} ${r.method} ${r.path}`)}" time="${time}">\n${body}    </testcase>`;
}

export function renderJunit(result: SuiteResult): string {
  const families = new Map<string, CaseResult[]>();
  for (const r of result.results) families.set(r.family, [...(families.get(r.family) ?? []), r]);
  const suites = [...families].map(([fam, rs]) => {
    const failures = rs.filter((r) => r.status === 'fail').length;
    const skipped = rs.filter((r) => r.status === 'skip').length;
    return `  <testsuite name="agentos-conformance.${fam}" tests="${rs.length}" failures="${failures}" errors="0" skipped="${skipped}">\n${rs.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const s = result.summary;
  // The run's notes (target surface: operations served but absent from the spec, spec operations not
  // served; seeding) as a suite of its own, so CI tools that show only JUnit still show them.
  const notes = `  <testsuite name="agentos-conformance.notes" tests="0" failures="0" errors="0" skipped="0">\n    <properties>\n${result.notes
    .map((n, i) => `      <property name="note.${i + 1}" value="${xmlEscape(n)}"/>`)
    .join(
      '\n',
    )}\n    </properties>\n    <system-out>${xmlEscape(result.notes.join('\n'))}</system-out>\n  </testsuite>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="agentos-conformance" tests="${s.cases}" failures="${s.fail}" errors="${result.incomplete ? 1 : 0}" skipped="${s.skip}" time="${(s.wallMs / 1000).toFixed(3)}">\n${notes}\n${suites.join('\n')}\n</testsuites>\n`;
}
