// @module A quiet node:test reporter: one progress line per finished file on a TTY, the failures in
// full, then the summary line `N passed, N failed, N skipped` alone (the plain closing line CI reads).
// `npm test -- --tap` prints the runner's full TAP instead (see scripts/test.mjs).
import { relative } from 'node:path';
import { inspect } from 'node:util';

const cwd = process.cwd();
const tty = process.stderr.isTTY && !process.env.NO_COLOR && !process.env.CI;

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* quietReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let todo = 0;
  const started = Date.now();
  for await (const { type, data } of source) {
    if (type === 'test:pass' || type === 'test:fail') {
      // Suites report too; count the tests they hold, not the suites themselves.
      if (data.details?.type === 'suite') {
        // A suite fails by itself only through a hook; its tests then fail as cancelled.
        if (type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
          yield formatFailure(data);
        }
        continue;
      }
      if (data.skip !== undefined) skipped++;
      else if (data.todo !== undefined) todo++;
      else if (type === 'test:pass') passed++;
      else {
        failed++;
        // Failures are shown as they happen, so a long run is not silent about them.
        yield formatFailure(data);
      }
      if (tty && (passed + failed) % 25 === 0) {
        process.stderr.write(
          `\r${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }
    // Everything else (diagnostics, a test file's own stdout/stderr) is left out of the quiet view.
  }
  if (tty) process.stderr.write('\r\x1b[K');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  yield `\n${todo ? `${todo} todo, ` : ''}${seconds} s\n`;
  // Alone on its line, in the plain form CI reads: 'N passed, N failed, N skipped'.
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}

function formatFailure(data) {
  const where = data.file ? relative(cwd, data.file) : '';
  const err = data.details?.error;
  const cause = err?.cause ?? err;
  const text = cause instanceof Error ? (cause.stack ?? String(cause)) : inspect(cause, { depth: 4 });
  const indented = text
    .split('\n')
    .slice(0, 30)
    .map((l) => `    ${l}`)
    .join('\n');
  return `\n✖ ${data.name}${where ? `  (${where})` : ''}\n${indented}\n`;
}
