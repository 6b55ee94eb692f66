/**
 * The OpenAI-compatible adapter (`model: "openai:<model>"`), with the provider mocked by msw:
 * the request it sends (URL, key, model, tools, messages), a tool-call round trip, usage as
 * metrics, and provider errors as RunError.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { createOpenAIModel } from '../src/runtime/model-openai.js';
import { type Harness, startHarness, USER_SCOPES } from './runs-harness.js';

const BASE = 'https://llm.test/v1';
// biome-ignore lint/suspicious/noExplicitAny: request bodies are read loosely in tests.
const seen: { url: string; auth: string | null; body: any }[] = [];
let replies: (() => Response)[] = [];

const provider = setupServer(
  http.post(`${BASE}/chat/completions`, async ({ request }) => {
    seen.push({ url: request.url, auth: request.headers.get('authorization'), body: await request.json() });
    const next = replies.shift();
    return next ? next() : HttpResponse.json({ error: { message: 'no reply queued' } }, { status: 500 });
  }),
);

let h: Harness;
let alice: string;

before(async () => {
  provider.listen({ onUnhandledRequest: 'bypass' });
  h = await startHarness({ models: { openai: { baseUrl: BASE, apiKey: 'sk-test' } } });
  alice = await h.token('alice', USER_SCOPES);
});
afterEach(() => {
  seen.length = 0;
  replies = [];
});
after(async () => {
  await h.close();
  provider.close();
});

const completion =
  (message: Record<string, unknown>, usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }) =>
  () =>
    HttpResponse.json({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: 'stop' }],
      usage,
    });

describe('OpenAI adapter', () => {
  test('a tool-call round trip through /chat/completions', async () => {
    replies = [
      completion({
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_abc', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } },
        ],
      }),
      completion(
        { role: 'assistant', content: 'The sum is 5.' },
        { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
      ),
    ];
    const r = await h.call('POST', '/agents/gpt-agent/runs', {
      token: alice,
      form: { message: 'add 2 and 3', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    const out = r.body;
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.content, 'The sum is 5.');
    assert.equal(out.model, 'gpt-4o-mini');
    assert.equal(out.model_provider, 'OpenAI');
    assert.equal(out.tools[0].tool_call_id, 'call_abc');
    assert.equal(out.tools[0].result, '5');
    assert.deepEqual(
      [out.metrics.input_tokens, out.metrics.output_tokens, out.metrics.total_tokens],
      [30, 9, 39],
    );

    assert.equal(seen.length, 2);
    const [first, second] = seen;
    assert.equal(first!.url, `${BASE}/chat/completions`);
    assert.equal(first!.auth, 'Bearer sk-test');
    assert.equal(first!.body.model, 'gpt-4o-mini');
    assert.deepEqual(first!.body.messages, [{ role: 'user', content: 'add 2 and 3' }]);
    assert.equal(first!.body.tools[0].type, 'function');
    assert.equal(first!.body.tools[0].function.name, 'add');
    assert.deepEqual(first!.body.tools[0].function.parameters.required, ['a', 'b']);
    assert.deepEqual(second!.body.messages.slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_abc', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } },
        ],
      },
      { role: 'tool', content: '5', tool_call_id: 'call_abc' },
    ]);

    const spans = await h.database.db
      .selectFrom('spans')
      .innerJoin('traces', 'traces.trace_id', 'spans.trace_id')
      .select(['spans.name', 'spans.span_kind'])
      .where('traces.run_id', '=', out.run_id)
      .execute();
    assert.deepEqual(
      spans.filter((s) => s.span_kind === 'LLM').map((s) => s.name),
      ['OpenAIChat.invoke', 'OpenAIChat.invoke'],
    );
  });

  test('SSE: the answer is one RunContent; a provider error ends the run with RunError', async () => {
    replies = [completion({ role: 'assistant', content: 'Hello from the model.' })];
    const ok = await h.sse('POST', '/agents/gpt-agent/runs', { token: alice, form: { message: 'hi' } });
    assert.deepEqual(
      ok.frames.map((f) => f.event),
      ['RunStarted', 'RunContent', 'RunContentCompleted', 'RunCompleted'],
    );
    assert.equal(ok.frames[0]!.data.model, 'gpt-4o-mini');
    assert.equal(ok.frames[0]!.data.model_provider, 'OpenAI');

    replies = [() => HttpResponse.json({ error: { message: 'Rate limit reached' } }, { status: 429 })];
    const bad = await h.sse('POST', '/agents/gpt-agent/runs', { token: alice, form: { message: 'hi' } });
    assert.equal(bad.status, 200, 'errors after the stream started keep the status');
    const last = bad.frames.at(-1)!;
    assert.equal(last.event, 'RunError');
    assert.equal(last.data.error_type, 'ModelProviderError');
    assert.equal(last.data.content, 'OpenAI answered 429: Rate limit reached');
    const got = await h.call(
      'GET',
      `/agents/gpt-agent/runs/${last.data.run_id}?session_id=${last.data.session_id}`,
      { token: alice },
    );
    assert.equal(got.body.status, 'ERROR');
    const trace = await h.database.db
      .selectFrom('traces')
      .selectAll()
      .where('run_id', '=', last.data.run_id)
      .executeTakeFirstOrThrow();
    assert.equal(trace.status, 'ERROR');
  });

  test('without an API key the adapter fails clearly, without a request', async () => {
    const model = createOpenAIModel('gpt-4o-mini', { baseUrl: BASE });
    await assert.rejects(
      model.invoke({
        speaker: 'x',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [],
        signal: new AbortController().signal,
      }),
      /needs an API key: set OPENAI_API_KEY/,
    );
    assert.equal(seen.length, 0);
  });
});
