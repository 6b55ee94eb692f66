/**
 * @module @agentos/sdk: a typed AgentOS client on openapi-fetch. Bearer tokens go on secured
 * operations only and are refreshed once on 401; HTTP errors are typed values with the RFC 6750
 * challenge parsed; runs stream as async iterators of AgentOS events; `can()` answers locally which
 * operations a caller's scopes allow. Runs in Node ≥ 20 and browsers (fetch, streams, no Node built-ins).
 *
 * @example
 * import { createAgentOSClient, can } from '@agentos/sdk';
 *
 * const client = createAgentOSClient({
 *   baseUrl: 'http://localhost:7777',
 *   getToken: ({ forceRefresh }) => auth.accessToken({ forceRefresh }),
 * });
 * const { data, error } = await client.call('getAgent', { path: { agent_id: 'research-agent' } });
 * if (error?.code === 'ERR_SCOPE_INSUFFICIENT') console.log('needs', error.requiredScopes);
 * for await (const ev of client.streamAgentRun('research-agent', { message: 'hi' })) {
 *   if (ev.event === 'RunContent') process.stdout.write(String(ev.content));
 * }
 * if (can(token, 'deleteSession', { session_id }).allowed) showDeleteButton();
 */

export type { TokenProvider, TokenRequest, UnauthorizedHandler } from './auth.js';
export {
  type CanOptions,
  can,
  canCall,
  type Permission,
  readTokenScopes,
  type ScopesOrToken,
} from './can.js';
export {
  type AgentOSClient,
  type AgentOSClientOptions,
  type AgentOSEvent,
  type AgentRunEventName,
  type AgentRunInput,
  type ApiResult,
  type CallInit,
  type CallResult,
  type ClientMethod,
  type ContinueAgentRunInput,
  type ContinueTeamRunInput,
  type ContinueWorkflowRunInput,
  createAgentOSClient,
  type RequestOptions,
  type ResumeEventName,
  type ResumeRunInput,
  type StreamOperationId,
  type StreamOptions,
  type TeamRunEventName,
  type TeamRunInput,
  type WorkflowRunEventName,
  type WorkflowRunInput,
} from './client.js';
export {
  AgentOSError,
  type BearerChallenge,
  type ChallengeError,
  HttpError,
  type HttpErrorCode,
  parseBearerChallenge,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export type { OperationId } from './generated/routes.js';
export { parseEventStream, type ServerSentEvent } from './sse.js';
