/**
 * @module Type tests of the public API: compiled by `tsc` (root `npm run typecheck` and
 * sdk/test/typecheck.test.ts), never run. Each `@ts-expect-error` line must be an error.
 */
import {
  type AgentOSEvent,
  type ApiResult,
  can,
  type components,
  createAgentOSClient,
  type HttpError,
  type HttpErrorCode,
  type OperationId,
} from '../src/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Mutually assignable: for spec types that openapi-fetch passes through `Readable<>` (same shape, not identical). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const expectType = <T extends true>(_?: T) => {};

type Schemas = components['schemas'];
declare const client: ReturnType<typeof createAgentOSClient>;

export async function rawStyle() {
  const r = await client.GET('/agents/{agent_id}', { params: { path: { agent_id: 'a1' } } });
  if (r.data) expectType<Equals<typeof r.data, Schemas['AgentResponse']>>();
  if (r.error) {
    expectType<Same<typeof r.error.body, Schemas['ErrorDetail']>>();
    expectType<Equals<typeof r.error.code, HttpErrorCode>>();
    expectType<Equals<typeof r.error.requiredScopes, readonly string[]>>();
  }
  await client.GET('/health');
  await client.GET('/sessions', { params: { query: { limit: 5, type: 'team' } } });

  // @ts-expect-error path parameters are required
  await client.GET('/agents/{agent_id}');
  // @ts-expect-error wrong parameter name
  await client.GET('/agents/{agent_id}', { params: { path: { id: 'a1' } } });
  // @ts-expect-error unknown path
  await client.GET('/agentz');
  // @ts-expect-error GET is not defined on this path
  await client.GET('/sessions/{session_id}/rename', { params: { path: { session_id: 's' } } });
  // @ts-expect-error query value of the wrong type
  await client.GET('/sessions', { params: { query: { limit: 'five' } } });
}

export async function callStyle() {
  const r = await client.call('getAgent', { path: { agent_id: 'a1' } });
  if (r.data) expectType<Equals<typeof r.data, Schemas['AgentResponse']>>();
  if (r.error) expectType<Same<typeof r.error, HttpError<Schemas['ErrorDetail']>>>();
  expectType<Same<typeof r, ApiResult<Schemas['AgentResponse'], Schemas['ErrorDetail']>>>();

  await client.call('getHealth');
  await client.call('listSessions', { query: { limit: 5 } });
  await client.call('createSession', { body: { session_name: 'x' }, signal: AbortSignal.timeout(1000) });

  // @ts-expect-error the path parameter is required
  await client.call('getAgent');
  // @ts-expect-error the path parameter is a string
  await client.call('getAgent', { path: { agent_id: 1 } });
  // @ts-expect-error unknown operationId
  await client.call('getAgentz');
  // @ts-expect-error this operation has no query parameters
  await client.call('getAgent', { path: { agent_id: 'a' }, query: { x: 1 } });
  // @ts-expect-error JSON body field of the wrong type
  await client.call('createSession', { body: { session_name: 42 } });
  // @ts-expect-error this operation takes no body
  await client.call('getHealth', { body: { a: 1 } });
  // @ts-expect-error the body is required
  await client.call('createAgentRun', { path: { agent_id: 'a' } });

  // Multipart operations take Blobs for binary fields, or a FormData.
  await client.call('createAgentRun', { path: { agent_id: 'a' }, body: new FormData() });
}

export async function streams(signal: AbortSignal) {
  for await (const ev of client.streamAgentRun(
    'a1',
    { message: 'hi', session_id: 's1', files: [new Blob(['x'])] },
    { signal },
  )) {
    expectType<Equals<typeof ev, AgentOSEvent<import('../src/index.js').AgentRunEventName>>>();
    if (ev.event === 'RunContent') String(ev.content);
    const idx: number | undefined = ev.event_index;
    void idx;
  }
  for await (const ev of client.resumeTeamRun('t1', 'r1', { last_event_index: 3 })) void ev.event;
  for await (const ev of client.streamWorkflowRun('w1', { message: 'go' })) void ev.step_name;

  // @ts-expect-error message is required
  client.streamAgentRun('a1', {});
  // @ts-expect-error last_event_index is a number
  client.resumeAgentRun('a1', 'r1', { last_event_index: '3' });
  // @ts-expect-error stream is set by the helper
  client.streamWorkflowRun('w1', { message: 'm', stream: false });

  const s = await client.stream('resumeAgentRun', {
    path: { agent_id: 'a', run_id: 'r' },
    body: { last_event_index: 1 },
  });
  if (s.data) for await (const ev of s.data) void ev.event;
  // @ts-expect-error not a streaming operation
  await client.stream('getAgent', { path: { agent_id: 'a' } });
}

export function permissions(token: string) {
  const p = can(token, 'listAgents');
  const f: '*' | ReadonlySet<string> | { readonly except: ReadonlySet<string> } | undefined = p.filtered;
  void f;
  can(['agents:read'], 'getAgent', { agent_id: 'a1' });
  can(null, 'getHealth');
  // @ts-expect-error unknown operationId
  can(token, 'getAgentz');
  const id: OperationId = 'createAgentRun';
  void id;
}

export function construction() {
  createAgentOSClient({ baseUrl: 'http://x', token: 't' });
  createAgentOSClient({
    baseUrl: 'http://x',
    getToken: async ({ forceRefresh }) => (forceRefresh ? 'a' : null),
  });
  createAgentOSClient({
    baseUrl: 'http://x',
    fetch: (r) => globalThis.fetch(r),
    onUnauthorized: () => undefined,
  });
  // @ts-expect-error baseUrl is required
  createAgentOSClient({ token: 't' });
  // @ts-expect-error getToken returns a token
  createAgentOSClient({ baseUrl: 'http://x', getToken: () => 42 });
}
