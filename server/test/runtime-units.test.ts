/**
 * Unit tests of the run engine's pure parts: the built-in model, tool config, entity config,
 * model selection, checkpoint boundaries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentOSConfig } from '../src/config/options.js';
import { compileEntity } from '../src/runtime/entities.js';
import { RunRuntimeError } from '../src/runtime/errors.js';
import { modelProvidersFromEnv, parseModelRef } from '../src/runtime/model.js';
import { createBuiltinModel, parseToolDirectives, splitChunks } from '../src/runtime/model-builtin.js';
import { safeBoundary } from '../src/runtime/output.js';
import { newRunId } from '../src/runtime/records.js';
import { BUILTIN_TOOLS, compileTools } from '../src/runtime/tools.js';

const add = { name: 'add', description: '', parameters: BUILTIN_TOOLS.add!.parameters };
const echo = { name: 'echo', description: '', parameters: BUILTIN_TOOLS.echo!.parameters };
const signal = new AbortController().signal;

describe('built-in model', () => {
  const cases: [string, string, { name: string; args: Record<string, unknown> }[]][] = [
    ['positional numbers', 'use tool add 2 3', [{ name: 'add', args: { a: 2, b: 3 } }]],
    [
      'a single string parameter takes the rest',
      'please use tool echo hello big world',
      [{ name: 'echo', args: { text: 'hello big world' } }],
    ],
    ['JSON arguments', 'use tool add {"a": 1, "b": 4}', [{ name: 'add', args: { a: 1, b: 4 } }]],
    [
      'several calls',
      'use tool add 1 2; use tool echo hi',
      [
        { name: 'add', args: { a: 1, b: 2 } },
        { name: 'echo', args: { text: 'hi' } },
      ],
    ],
    [
      'a JSON directive',
      'do {"tool": "echo", "args": {"text": "x"}} now',
      [{ name: 'echo', args: { text: 'x' } }],
    ],
    [
      'a JSON list directive',
      '{"tool_calls": [{"tool": "add", "args": {"a": 1, "b": 1}}]}',
      [{ name: 'add', args: { a: 1, b: 1 } }],
    ],
    ['unknown tools are ignored', 'use tool delete_everything now', []],
    ['plain text', 'hello', []],
  ];
  for (const [name, text, want] of cases) {
    test(`directives: ${name}`, () => assert.deepEqual(parseToolDirectives(text, [add, echo]), want));
  }

  test('chunks join back to the text', () => {
    const text = 'one two three four five six seven';
    for (const n of [1, 2, 3, 10]) {
      const parts = splitChunks(text, n);
      assert.equal(parts.join(''), text);
      assert.ok(parts.length <= n);
    }
  });

  test('deterministic: the same conversation gives the same answer, ids and usage', async () => {
    const model = createBuiltinModel();
    const req = {
      speaker: 'Bot',
      messages: [{ role: 'user' as const, content: 'use tool add 2 3' }],
      tools: [add],
      signal,
    };
    const a = await model.invoke(req);
    const b = await model.invoke(req);
    assert.deepEqual(a, b);
    assert.deepEqual(a.toolCalls, [{ id: 'call_1', name: 'add', arguments: { a: 2, b: 3 } }]);
    const deltas: string[] = [];
    const final = await model.invoke({
      ...req,
      messages: [
        ...req.messages,
        { role: 'assistant', content: null, toolCalls: a.toolCalls },
        { role: 'tool', content: '5', toolCallId: 'call_1', name: 'add' },
      ],
      onDelta: (d) => {
        deltas.push(d);
      },
    });
    assert.equal(final.content, 'Bot received: use tool add 2 3\nadd: 5');
    assert.equal(deltas.join(''), final.content);
    assert.equal(final.streamed, true);
    assert.equal(final.usage.output_tokens, 9, 'word count of the answer');
  });
});

describe('tools config', () => {
  test('names, objects, handlers and fixed results', async () => {
    const tools = compileTools(
      [
        'add',
        { name: 'refund', requiresConfirmation: true, result: 'done' },
        { name: 'shout', handler: 'echo' },
        { name: 'x' },
      ],
      'agents.a',
    );
    assert.deepEqual(
      tools.map((t) => [t.name, t.requiresConfirmation, t.approval]),
      [
        ['add', false, 'required'],
        ['refund', true, 'required'],
        ['shout', false, 'required'],
        ['x', false, 'required'],
      ],
    );
    const ctx = {
      sessionState: {},
      dependencies: {},
      runId: 'r',
      sessionId: 's',
      userId: null,
      now: () => new Date(0),
    };
    assert.equal(await tools[1]!.handler({}, ctx), 'done');
    assert.equal(await tools[2]!.handler({ text: 'hey' }, ctx), 'hey');
    assert.equal(await tools[3]!.handler({ q: 1 }, ctx), '{"tool":"x","args":{"q":1},"status":"ok"}');
  });

  test('misconfigurations say where and what', () => {
    assert.throws(
      () => compileTools([{ name: 'a', handler: 'nope' }], 'agents.a'),
      /agents\.a\.tools\[0\]\.handler "nope" is not a built-in tool/,
    );
    assert.throws(() => compileTools(['a', 'a'], 'agents.a'), /duplicate tool name "a"/);
    assert.throws(() => compileTools('add', 'agents.a'), /agents\.a\.tools must be a list/);
  });
});

describe('entities', () => {
  const config = {
    agents: [{ id: 'a', name: 'A', session_state: { n: [] } }],
    teams: [{ id: 't', members: ['a', 'ghost'] }],
    workflows: [{ id: 'w', steps: [{ name: 's' }] }],
  } as unknown as AgentOSConfig;

  test('each compile is a private copy of the config', () => {
    const one = compileEntity(config, 'agent', 'a');
    (one.sessionState.n as unknown[]).push(1);
    assert.deepEqual(config.agents[0]!.session_state, { n: [] });
  });

  test('unknown ids and broken references', () => {
    assert.throws(
      () => compileEntity(config, 'agent', 'zzz'),
      (e: unknown) =>
        e instanceof RunRuntimeError &&
        e.code === 'ERR_RUN_ENTITY_NOT_FOUND' &&
        e.message === 'Agent not found',
    );
    assert.throws(
      () => compileEntity(config, 'team', 't'),
      /teams\.t\.members\[1\] names agent "ghost", which is not configured/,
    );
    assert.throws(
      () => compileEntity(config, 'workflow', 'w'),
      /workflows\.w\.steps\[0\] needs an "agent" or a "team"/,
    );
  });
});

describe('model selection', () => {
  test('openai only when asked for; everything else runs on the built-in model', () => {
    assert.deepEqual(parseModelRef('openai:gpt-4o-mini'), { provider: 'openai', id: 'gpt-4o-mini' });
    assert.deepEqual(parseModelRef({ id: 'gpt-4o', provider: 'OpenAI' }), {
      provider: 'openai',
      id: 'gpt-4o',
    });
    for (const m of [undefined, 'builtin', 'builtin:echo', 'gpt-4o', 'anthropic:claude']) {
      assert.deepEqual(parseModelRef(m), { provider: 'builtin', id: 'builtin' });
    }
    assert.deepEqual(modelProvidersFromEnv({ OPENAI_API_KEY: ' k ', OPENAI_BASE_URL: 'http://x/v1' }), {
      openai: { apiKey: 'k', baseUrl: 'http://x/v1' },
    });
  });
});

describe('checkpoint boundaries', () => {
  const msgs = [
    { role: 'user' },
    { role: 'assistant', tool_calls: [{ id: 'c1' }, { id: 'c2' }] },
    { role: 'tool', tool_call_id: 'c1' },
    { role: 'tool', tool_call_id: 'c2' },
    { role: 'assistant' },
  ];
  test('never between tool calls and their results', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((k) => safeBoundary(msgs, k)),
      [0, 1, 1, 1, 4, 5],
    );
  });
});

describe('run ids', () => {
  test('UUID v7, ordered even when the clock stands still', () => {
    const frozen = new Date(1_800_000_000_000);
    const ids = Array.from({ length: 50 }, () => newRunId(frozen));
    assert.ok(
      ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
    );
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
});
