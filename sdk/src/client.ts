/**
 * @module The AgentOS client: openapi-fetch typed from the spec, with bearer tokens on secured
 * operations only, one shared refresh on 401, errors as typed values, form/multipart bodies encoded
 * per operation, and runs streamed as async iterators of AgentOS events.
 */
import createClient, {
  type ClientPathsWithMethod,
  type FetchResponse,
  type HeadersOptions,
  type MaybeOptionalInit,
  type Middleware,
  type ParseAs,
  type QuerySerializer,
  type QuerySerializerOptions,
  type Client as RawClient,
  type ClientOptions as RawClientOptions,
} from 'openapi-fetch';
import { _byId, _encoding, _route } from './_routes.js';
import { _createAuth, type TokenProvider, type UnauthorizedHandler } from './auth.js';
import { HttpError } from './errors.js';
import type { components, operations, paths } from './generated/openapi.js';
import type { OperationId } from './generated/routes.js';
import { parseEventStream } from './sse.js';

// ---------------------------------------------------------------------------------------------
// Types

type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
type MediaType = `${string}/${string}`;
type RequiredKeysOf<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
/** The init argument: optional exactly when nothing in it is required. */
type InitParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & { [key: string]: unknown })?]
    : [Init & { [key: string]: unknown }];
/** `Omit` that keeps index signatures and the declared keys next to them. */
type Without<T, K extends PropertyKey> = { [P in keyof T as P extends K ? never : P]: T[P] };
type DataOf<R> = R extends { data: infer D } ? D : never;
type ErrorOf<R> = R extends { error: infer E } ? E : never;

/**
 * The result of every request: `data` on 2xx, else `error`, an {@link HttpError} whose `body` is
 * the error body typed from the spec. Requests never throw for an HTTP status; they throw only
 * when fetch itself fails (network error, abort) or on misuse.
 */
export type ApiResult<Data, ErrorBody> =
  | { data: Data; error?: never; response: Response }
  | { data?: never; error: HttpError<ErrorBody>; response: Response };

type ResultOf<R> = ApiResult<DataOf<R>, ErrorOf<R>>;

/** A typed method of the raw style, `client.GET('/agents/{agent_id}', { params: { path } })`. */
export type ClientMethod<M extends HttpMethod> = <
  P extends ClientPathsWithMethod<RawClient<paths>, M>,
  Init extends MaybeOptionalInit<paths[P], M>,
>(
  url: P,
  ...init: InitParam<Init>
) => Promise<ResultOf<FetchResponse<paths[P][M] & Record<string | number, any>, Init, MediaType>>>;

type Op<Id extends OperationId> = operations[Id];
type Content<O> = O extends { requestBody?: infer B }
  ? NonNullable<B> extends { content: infer C }
    ? C
    : never
  : never;
/** Multipart bodies also take Blobs where the spec says `string` (`format: binary`), or a FormData. */
type MultipartValue<T> = {
  [K in keyof T]: T[K] extends string | undefined
    ? T[K] | Blob
    : T[K] extends readonly (infer E)[] | undefined
      ? readonly (E | Blob)[]
      : T[K];
};
type BodyValue<C> = 'multipart/form-data' extends keyof C
  ? MultipartValue<C[keyof C]> | FormData
  : C[keyof C];
type BodyOption<O> = [Content<O>] extends [never]
  ? { body?: never }
  : O extends { requestBody: unknown }
    ? { body: BodyValue<Content<O>> }
    : { body?: BodyValue<Content<O>> };
type ParamsOf<O> = O extends { parameters: infer P } ? P : {};

/** Per-request options besides parameters and body. */
export interface RequestOptions extends Omit<RequestInit, 'body' | 'headers' | 'method'> {
  headers?: HeadersOptions;
  /** How to read a 2xx body: `json` (default), `text`, `blob`, `arrayBuffer` or `stream`. */
  parseAs?: ParseAs;
  querySerializer?: QuerySerializer<unknown> | QuerySerializerOptions;
  /** Replaces the automatic JSON / form / multipart encoding. */
  bodySerializer?: (body: any) => any;
  /** Per-request openapi-fetch middleware, run after the client's. */
  middleware?: Middleware[];
}

/**
 * The flat init of {@link AgentOSClient.call}: `{ path, query, header, cookie }` as the operation
 * declares them, `body` typed from its request body, and {@link RequestOptions}.
 */
export type CallInit<Id extends OperationId> = ParamsOf<Op<Id>> & BodyOption<Op<Id>> & RequestOptions;

/** The result of `call(operationId, init)`. */
export type CallResult<Id extends OperationId, Init = {}> = ResultOf<
  FetchResponse<Op<Id> & Record<string | number, any>, Init, MediaType>
>;

/** Operations that answer `text/event-stream`. */
export type StreamOperationId = {
  [K in OperationId]: Op<K> extends { responses: { 200: { content: infer C } } }
    ? 'text/event-stream' extends keyof C
      ? K
      : never
    : never;
}[OperationId];

type Schemas = components['schemas'];

/** Event names of agent runs (the `event` field), an open set. */
export type AgentRunEventName =
  | 'RunStarted'
  | 'RunContent'
  | 'RunContentCompleted'
  | 'RunIntermediateContent'
  | 'RunCompleted'
  | 'RunError'
  | 'RunCancelled'
  | 'RunPaused'
  | 'RunContinued'
  | 'PreHookStarted'
  | 'PreHookCompleted'
  | 'PostHookStarted'
  | 'PostHookCompleted'
  | 'ToolCallStarted'
  | 'ToolCallCompleted'
  | 'ToolCallError'
  | 'ReasoningStarted'
  | 'ReasoningStep'
  | 'ReasoningContentDelta'
  | 'ReasoningCompleted'
  | 'MemoryUpdateStarted'
  | 'MemoryUpdateCompleted'
  | 'SessionSummaryStarted'
  | 'SessionSummaryCompleted'
  | 'ParserModelResponseStarted'
  | 'ParserModelResponseCompleted'
  | 'OutputModelResponseStarted'
  | 'OutputModelResponseCompleted'
  | 'ModelRequestStarted'
  | 'ModelRequestCompleted'
  | 'CompressionStarted'
  | 'CompressionCompleted'
  | 'FollowupsStarted'
  | 'FollowupsCompleted'
  | 'CustomEvent';

/** Event names of team runs: the agent names with a `Team` prefix, the task events, `CustomEvent`. */
export type TeamRunEventName =
  | `Team${Exclude<AgentRunEventName, 'CustomEvent'>}`
  | 'TeamTaskIterationStarted'
  | 'TeamTaskIterationCompleted'
  | 'TeamTaskStateUpdated'
  | 'TeamTaskCreated'
  | 'TeamTaskUpdated'
  | 'CustomEvent';

/** Event names of workflow runs. */
export type WorkflowRunEventName =
  | 'WorkflowStarted'
  | 'WorkflowCompleted'
  | 'WorkflowPaused'
  | 'WorkflowCancelled'
  | 'WorkflowError'
  | 'WorkflowAgentStarted'
  | 'WorkflowAgentCompleted'
  | 'StepStarted'
  | 'StepCompleted'
  | 'StepPaused'
  | 'StepContinued'
  | 'StepExecutorPaused'
  | 'StepExecutorContinued'
  | 'StepOutputReview'
  | 'StepError'
  | 'LoopExecutionStarted'
  | 'LoopIterationStarted'
  | 'LoopIterationCompleted'
  | 'LoopExecutionCompleted'
  | 'ParallelExecutionStarted'
  | 'ParallelExecutionCompleted'
  | 'ConditionExecutionStarted'
  | 'ConditionExecutionCompleted'
  | 'ConditionPaused'
  | 'RouterExecutionStarted'
  | 'RouterExecutionCompleted'
  | 'RouterPaused'
  | 'StepsExecutionStarted'
  | 'StepsExecutionCompleted'
  | 'StepOutput'
  | 'WorkflowRunOutput'
  | 'CustomEvent';

/** Meta frames of a resumed stream. */
export type ResumeEventName = 'replay' | 'catch_up' | 'subscribed' | 'error';

/**
 * One event of a run stream: the spec's `RunEvent` (`event`, `run_id`, `content`, `event_index`, …)
 * with `event` narrowed to the known names (open set: servers may add events).
 */
export type AgentOSEvent<Name extends string = string> = Without<Schemas['RunEvent'], 'event'> & {
  event: Name | (string & {});
};

/** Spec form fields, all optional (servers apply defaults), `stream` reserved to the helper. */
type Loose<T> = Partial<Without<T, 'stream' | 'files'>> & { stream?: never };
/** Input of an agent run: the spec's form fields (snake_case), `files` as Blobs. */
export type AgentRunInput = Loose<Schemas['CreateAgentRunRequest']> & {
  message: string;
  files?: readonly Blob[];
};
/** Input of a team run. */
export type TeamRunInput = Loose<Schemas['CreateTeamRunRequest']> & {
  message: string;
  files?: readonly Blob[];
};
/** Input of a workflow run. */
export type WorkflowRunInput = Loose<Schemas['CreateWorkflowRunRequest']> & { message: string };
/** Input of `continue…Run`. */
export type ContinueAgentRunInput = Loose<Schemas['ContinueAgentRunRequest']>;
export type ContinueTeamRunInput = Loose<Schemas['ContinueTeamRunRequest']>;
export type ContinueWorkflowRunInput = Loose<Schemas['ContinueWorkflowRunRequest']>;
/** Input of `resume…Run`: `last_event_index` (the last `event_index` received) and `session_id`. */
export type ResumeRunInput = Partial<Schemas['ResumeRunRequest']>;

/** Options of the stream helpers. */
export interface StreamOptions {
  /** Aborts the request and ends the iteration with the signal's reason (an `AbortError`). */
  signal?: AbortSignal;
  headers?: HeadersOptions;
}

/** Options of {@link createAgentOSClient}. */
export interface AgentOSClientOptions extends Omit<RawClientOptions, 'baseUrl' | 'fetch'> {
  /** Absolute URL of the AgentOS, with any path prefix, e.g. `https://os.example.com` (a relative URL works in browsers only). */
  baseUrl: string;
  /** A fixed bearer token. Mutually exclusive with `getToken`. */
  token?: string;
  /** Supplies the token before each secured request (may be async); `{ forceRefresh: true }` after a 401. */
  getToken?: TokenProvider;
  /** Called once per burst of 401s instead of `getToken({ forceRefresh: true })`; returns the new token. */
  onUnauthorized?: UnauthorizedHandler;
  /** The fetch to send with. Default: `globalThis.fetch`, looked up at each request (so msw set up later still applies). */
  fetch?: (request: Request) => Promise<Response>;
}

/** A typed AgentOS client. Create it with {@link createAgentOSClient}. */
export interface AgentOSClient {
  GET: ClientMethod<'get'>;
  PUT: ClientMethod<'put'>;
  POST: ClientMethod<'post'>;
  DELETE: ClientMethod<'delete'>;
  PATCH: ClientMethod<'patch'>;
  HEAD: ClientMethod<'head'>;
  OPTIONS: ClientMethod<'options'>;
  /**
   * Calls an operation by its `operationId`, with flat parameters.
   * @example const { data, error } = await client.call('getAgent', { path: { agent_id: 'a1' } });
   */
  call<Id extends OperationId, Init extends CallInit<Id>>(
    operationId: Id,
    ...init: InitParam<Init>
  ): Promise<CallResult<Id, Init>>;
  /**
   * Calls a streaming operation and returns its events as `data` (errors as values, like `call`).
   * @example
   * const { data, error } = await client.stream('resumeAgentRun', { path: { agent_id, run_id }, body: { last_event_index: 3 } });
   * if (data) for await (const ev of data) console.log(ev.event);
   */
  stream<Id extends StreamOperationId, Init extends CallInit<Id>>(
    operationId: Id,
    ...init: InitParam<Init>
  ): Promise<ApiResult<AsyncGenerator<AgentOSEvent>, ErrorOf<CallResult<Id>>>>;
  /**
   * Runs an agent and yields its events. Throws the {@link HttpError} when the server refuses the run
   * (e.g. 403), since an iterator has no other channel; errors after the start arrive as `RunError` events.
   * @example for await (const ev of client.streamAgentRun('a1', { message: 'hi' })) if (ev.event === 'RunContent') out += ev.content;
   */
  streamAgentRun(
    agentId: string,
    input: AgentRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<AgentRunEventName>>;
  /** Continues a paused agent run as a stream. */
  continueAgentRun(
    agentId: string,
    runId: string,
    input: ContinueAgentRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<AgentRunEventName>>;
  /** Reconnects to a background agent run's stream after `last_event_index`. */
  resumeAgentRun(
    agentId: string,
    runId: string,
    input?: ResumeRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<AgentRunEventName | ResumeEventName>>;
  /** Runs a team and yields its events (member-agent events interleaved). */
  streamTeamRun(
    teamId: string,
    input: TeamRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<TeamRunEventName | AgentRunEventName>>;
  continueTeamRun(
    teamId: string,
    runId: string,
    input: ContinueTeamRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<TeamRunEventName | AgentRunEventName>>;
  resumeTeamRun(
    teamId: string,
    runId: string,
    input?: ResumeRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<TeamRunEventName | AgentRunEventName | ResumeEventName>>;
  /** Runs a workflow and yields its events. */
  streamWorkflowRun(
    workflowId: string,
    input: WorkflowRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<WorkflowRunEventName>>;
  continueWorkflowRun(
    workflowId: string,
    runId: string,
    input: ContinueWorkflowRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<WorkflowRunEventName>>;
  resumeWorkflowRun(
    workflowId: string,
    runId: string,
    input?: ResumeRunInput,
    options?: StreamOptions,
  ): AsyncGenerator<AgentOSEvent<WorkflowRunEventName | ResumeEventName>>;
  /** Registers openapi-fetch middleware (runs after the token middleware). */
  use(...middleware: Middleware[]): void;
  eject(...middleware: Middleware[]): void;
  /** The underlying openapi-fetch client: tokens and refresh apply, errors are the plain parsed bodies. */
  readonly raw: RawClient<paths>;
}

// ---------------------------------------------------------------------------------------------
// Runtime

const FORM = 'application/x-www-form-urlencoded';

/** Encodes a plain object as form fields: Blobs as files, objects as JSON, arrays of scalars repeated. */
function encodeForm(body: any, multipart: boolean): FormData | string {
  if (body instanceof FormData) return body;
  const out: any = multipart ? new FormData() : new URLSearchParams();
  const put = (k: string, v: unknown) =>
    v != null && out.append(k, v instanceof Blob ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const [k, v] of body instanceof URLSearchParams ? body : Object.entries(body)) {
    if (Array.isArray(v) && v.every((x) => x instanceof Blob || typeof x !== 'object'))
      for (const x of v) put(k, x);
    else put(k, v);
  }
  return multipart ? out : out.toString();
}

const hasBlob = (body: object) =>
  Object.values(body).some(
    (v) => v instanceof Blob || (Array.isArray(v) && v.some((x) => x instanceof Blob)),
  );

async function* toEvents(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<AgentOSEvent> {
  for await (const frame of parseEventStream(body, signal)) {
    let v: any;
    try {
      v = JSON.parse(frame.data);
    } catch {
      v = undefined;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) v = { content: v ?? frame.data };
    if (typeof v.event !== 'string') v.event = frame.event;
    yield v;
  }
}

/**
 * Creates a typed AgentOS client.
 * @param options `baseUrl` (required, absolute in Node), `token` or `getToken`, `onUnauthorized`, `fetch`,
 *   and any openapi-fetch client option (`headers`, `querySerializer`, …)
 * @throws {TypeError} when `baseUrl` is missing, when both `token` and `getToken` are given, or when
 *   `getToken`/`onUnauthorized`/`fetch` is not a function
 * @example
 * const client = createAgentOSClient({ baseUrl: 'http://localhost:7777', getToken: () => session.accessToken });
 * const { data, error } = await client.GET('/agents/{agent_id}', { params: { path: { agent_id: 'a1' } } });
 * if (error) console.log(error.status, error.code, error.requiredScopes);
 */
export function createAgentOSClient(options: AgentOSClientOptions): AgentOSClient {
  const { baseUrl, token, getToken, onUnauthorized, fetch, ...rest } =
    options ?? ({} as AgentOSClientOptions);
  const fail = (what: string) => {
    throw new TypeError(`createAgentOSClient: ${what}`);
  };
  if (!baseUrl || typeof baseUrl !== 'string')
    fail('"baseUrl" must be the AgentOS URL, e.g. "http://localhost:7777"');
  if (token !== undefined && (getToken !== undefined || typeof token !== 'string'))
    fail('"token" must be a string, without "getToken"');
  for (const [k, f] of Object.entries({ getToken, onUnauthorized, fetch })) {
    if (f !== undefined && typeof f !== 'function') fail(`"${k}" must be a function`);
  }

  const auth = _createAuth(
    { token, getToken, onUnauthorized, fetch },
    (method, path) => _route(method, path)?.public === true,
  );
  const raw = createClient<paths>({ ...rest, baseUrl, fetch: auth.fetch });
  raw.use(auth.middleware);

  async function send(method: string, path: string, init: any = {}): Promise<any> {
    const route = _route(method, path);
    const enc = route ? _encoding(route.operationId) : 'json';
    const { body } = init;
    if (enc !== 'json' && body != null && typeof body === 'object' && !init.bodySerializer) {
      const multipart = enc === 'multipart' || body instanceof FormData || hasBlob(body);
      const encoded = encodeForm(body, multipart);
      init = { ...init, bodySerializer: () => encoded };
      if (!multipart)
        init.params = { ...init.params, header: { ...init.params?.header, 'Content-Type': FORM } };
    }
    const { data, error, response } = await raw.request(method as 'get', path as never, init);
    if (response.ok) return { data, response };
    // openapi-fetch gives '' for an empty body without Content-Length.
    return {
      error: new HttpError(response, error === '' ? undefined : error, auth.sent.has(response)),
      response,
    };
  }

  function call(operationId: string, init: any = {}) {
    const route = _byId.get(operationId);
    if (!route) throw new TypeError(`call: unknown operationId "${operationId}"`);
    const { path, query, header, cookie, ...rest } = init;
    return send(route.method, route.path, { ...rest, params: { path, query, header, cookie } });
  }

  async function stream(operationId: string, init: any = {}) {
    // Accept goes with the header parameters, leaving `headers` (maybe a Headers object) as given.
    const r = await call(operationId, {
      ...init,
      parseAs: 'stream',
      header: { Accept: 'text/event-stream', ...init.header },
    });
    return r.error ? r : { data: toEvents(r.data, init.signal), response: r.response };
  }

  async function* iterate(
    operationId: string,
    path: object,
    body: object | undefined,
    o: StreamOptions = {},
    flag?: boolean,
  ) {
    const { data, error } = await stream(operationId, {
      ...o,
      path,
      body: flag ? { ...body, stream: true } : body,
    });
    if (error) throw error;
    yield* data;
  }

  const client: any = { call, stream, raw, use: raw.use, eject: raw.eject };
  for (const m of ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) {
    client[m] = (url: string, init?: any) => send(m, url, init);
  }
  // streamAgentRun → createAgentRun { agent_id }, continueTeamRun → continueTeamRun { team_id, run_id }, …
  for (const kind of ['Agent', 'Team', 'Workflow']) {
    const id = `${kind.toLowerCase()}_id`;
    client[`stream${kind}Run`] = (a: string, input: object, o?: StreamOptions) =>
      iterate(`create${kind}Run`, { [id]: a }, input, o, true);
    client[`continue${kind}Run`] = (a: string, run_id: string, input: object, o?: StreamOptions) =>
      iterate(`continue${kind}Run`, { [id]: a, run_id }, input, o, true);
    client[`resume${kind}Run`] = (a: string, run_id: string, input?: object, o?: StreamOptions) =>
      iterate(`resume${kind}Run`, { [id]: a, run_id }, input, o);
  }
  return client;
}
