/**
 * @module The answer shapes agno's own client depends on (docs/wire-compat.md): what its parsers read
 * (`metrics.steps` of a workflow run, the `GET /config` db sections its `RemoteDb` reads) and what the
 * Python AgentOS sends (`nested_depth`, message flags, the workflow step's agent object, models as
 * `{id, provider}`, null fields omitted). The same checks run against agno's client itself in CI
 * (server/test/agno-client/run.sh); these keep them in `npm test`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { claims, makeKey, sign, startServer, type TestServer } from './auth-helpers.js';
import { type Harness, startHarness, USER_SCOPES } from './runs-harness.js';

let h: Harness;
let srv: TestServer;
let adminToken: string;
let alice: string;

before(async () => {
  h = await startHarness();
  alice = await h.token('alice', USER_SCOPES);
  const key = await makeKey('RS256');
  srv = await startServer(
    {
      id: 'wire-os',
      authorization: true,
      authorizationConfig: { verificationKeys: [key.publicPem] },
      agents: [
        { id: 'research-agent', name: 'Research Agent', model: 'openai:gpt-4o' },
        { id: 'support-agent', name: 'Support Agent' },
      ],
      teams: [{ id: 'research-team', name: 'Research Team', members: ['research-agent'] }],
      workflows: [
        {
          id: 'content-pipeline',
          name: 'Content Pipeline',
          steps: [{ name: 'research', agent: 'research-agent' }],
        },
      ],
    },
    false,
  );
  adminToken = await sign(claims({ scopes: ['agent_os:admin'] }), key.privateKey, { alg: 'RS256' });
});
after(async () => {
  await h.close();
  await srv.close();
});

async function get(path: string) {
  const res = await fetch(`${srv.base}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in tests.
  return { status: res.status, body: (await res.json()) as any };
}

/** The JSON pointers of every null value (agno omits them). */
function nulls(value: unknown, at = ''): string[] {
  if (value === null) return [at || '/'];
  if (Array.isArray(value)) return value.flatMap((v, i) => nulls(v, `${at}/${i}`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nulls(v, `${at}/${k}`));
  return [];
}

describe('GET /config, entities', () => {
  test("db sections as agno's RemoteDb reads them; models as {id, provider}; no null field", async () => {
    const { status, body } = await get('/config');
    assert.equal(status, 200);
    for (const section of ['session', 'metrics', 'memory', 'learning', 'knowledge', 'evals', 'traces']) {
      const db = body[section]?.dbs?.[0];
      assert.equal(db?.db_id, body.os_database, `${section}.dbs[0].db_id`);
      assert.equal(typeof db.domain_config, 'object', `${section}.dbs[0].domain_config`);
    }
    for (const section of ['session', 'metrics', 'memory', 'learning', 'knowledge', 'evals']) {
      assert.equal(typeof body[section].dbs[0].tables[0], 'string', `${section}.dbs[0].tables[0]`);
    }
    assert.deepEqual(body.available_models, [
      { id: 'gpt-4o', provider: 'openai' },
      { id: 'builtin', provider: 'agentos' },
    ]);
    assert.deepEqual(body.agents[0].model, { id: 'gpt-4o', provider: 'openai' });
    assert.equal(body.workflows[0].model, undefined);
    assert.deepEqual(nulls(body), []);
  });

  test('GET /workflows/{id}: each step carries its agent object; GET /agents: no null field', async () => {
    const wf = await get('/workflows/content-pipeline');
    assert.equal(wf.status, 200);
    assert.equal(wf.body.steps[0].agent.id, 'research-agent');
    assert.equal(wf.body.steps[0].agent.model.model, 'gpt-4o');
    assert.equal(wf.body.steps[0].type, 'Step');
    assert.deepEqual(nulls(wf.body), []);
    const agents = await get('/agents');
    assert.deepEqual(nulls(agents.body), []);
  });

  test('entity answers are the same on every request (built once, shared frozen), with no ETag', async () => {
    const first = await fetch(`${srv.base}/agents`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(first.headers.get('etag'), null, 'no ETag, as the Python AgentOS');
    const body = await first.json();
    for (const path of [
      '/agents',
      '/agents/research-agent',
      '/teams',
      '/teams/research-team',
      '/workflows',
    ]) {
      const a = await get(path);
      const b = await get(path);
      assert.equal(a.status, 200, path);
      assert.deepEqual(a.body, b.body, path);
    }
    assert.deepEqual((await get('/agents')).body, body);
    assert.equal((await get('/agents/research-agent')).body.id, 'research-agent');
  });
});

describe('runs', () => {
  test('a workflow run has agno\'s per-step metrics (its client reads metrics["steps"]), streamed and not', async () => {
    const r = await h.call('POST', '/workflows/content-pipeline/runs', {
      token: alice,
      form: { message: 'x', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    const steps = r.body.metrics.steps;
    assert.deepEqual(Object.keys(steps).sort(), ['research', 'write']);
    assert.equal(steps.research.step_name, 'research');
    assert.equal(steps.research.executor_type, 'agent');
    assert.equal(steps.research.executor_name, 'Research Agent');
    assert.equal(typeof steps.research.metrics.total_tokens, 'number');
    assert.equal(typeof r.body.metrics.duration, 'number');
    assert.equal(r.body.step_results[0].step_run_id, r.body.step_executor_runs[0].run_id);

    const s = await h.sse('POST', '/workflows/content-pipeline/runs', {
      token: alice,
      form: { message: 'y' },
    });
    const done = s.frames.at(-1)!;
    assert.equal(done.event, 'WorkflowCompleted');
    assert.deepEqual(Object.keys(done.data.metrics.steps).sort(), ['research', 'write']);
  });

  test("SSE events carry nested_depth: 0 for the run's own, 1 for a workflow step's executor", async () => {
    const s = await h.sse('POST', '/workflows/content-pipeline/runs', {
      token: alice,
      form: { message: 'z' },
    });
    for (const f of s.frames) {
      const own = f.event.startsWith('Workflow') || f.event.startsWith('Step');
      assert.equal(f.data.nested_depth, own ? 0 : 1, `${f.event}.nested_depth`);
    }
    const a = await h.sse('POST', '/agents/research-agent/runs', { token: alice, form: { message: 'hi' } });
    assert.ok(a.frames.length > 0);
    for (const f of a.frames) assert.equal(f.data.nested_depth, 0, `${f.event}.nested_depth`);
  });

  test('run messages carry from_history and stop_after_tool_call; assistant messages their metrics', async () => {
    const r = await h.call('POST', '/agents/research-agent/runs', {
      token: alice,
      form: { message: 'hi', stream: 'false' },
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.messages.length >= 2);
    for (const m of r.body.messages) {
      assert.equal(m.from_history, false);
      assert.equal(m.stop_after_tool_call, false);
    }
    const last = r.body.messages.at(-1);
    assert.equal(last.role, 'assistant');
    assert.equal(typeof last.metrics.total_tokens, 'number');
  });
});
