/** Argument hygiene shared by the bins: unknown options, suggestions, colour. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, stripAnsi, unknownOption, useColor } from '../src/index.js';

const known = ['spec', 'out', 'targets', 'check', 'base-url', 'h'];
const cases: [string, { given: string[]; want: string | undefined }][] = [
  [
    'known options and values pass',
    { given: ['--spec', 'a.yaml', '--out=x', '-h', '--no-check'], want: undefined },
  ],
  [
    'a typo gets a suggestion',
    { given: ['--spce', 'a'], want: 'unknown option "--spce"; did you mean "--spec"?' },
  ],
  [
    'a prefix gets the option',
    { given: ['--targ'], want: 'unknown option "--targ"; did you mean "--targets"?' },
  ],
  [
    '--name=value is read by its name',
    { given: ['--base-ur=x'], want: 'unknown option "--base-ur"; did you mean "--base-url"?' },
  ],
  [
    'nothing close: the list',
    {
      given: ['--zzzzzzzz'],
      want: 'unknown option "--zzzzzzzz"; known options: --spec, --out, --targets, --check, --base-url',
    },
  ],
  ['after -- everything is an operand', { given: ['--', '--whatever'], want: undefined }],
  ['a negative number is a value', { given: ['--out', '-5'], want: undefined }],
];
for (const [name, { given, want }] of cases)
  test(`unknownOption: ${name}`, () => assert.equal(unknownOption(given, known), want));

test('closest: no suggestion for a far name', () => assert.equal(closest('--x', ['--spec']), undefined));

test('useColor: only a TTY, never with NO_COLOR or CI', () => {
  assert.equal(useColor({ isTTY: true }, {}), true);
  assert.equal(useColor({ isTTY: false }, {}), false);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), false);
  assert.equal(useColor({ isTTY: true }, { CI: 'true' }), false);
  assert.equal(stripAnsi('\x1b[36m--key\x1b[39m'), '--key');
});
