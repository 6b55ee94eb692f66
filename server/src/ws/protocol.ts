/**
 * @module The wire vocabulary of `GET /workflows/ws`, as the Python AgentOS speaks it (agno
 * `os/router.py` `get_websocket_router`, `os/routers/workflows/router.py`, `os/managers.py`,
 * `os/middleware/user_scope.py`). Described for clients in `spec/agentos.asyncapi.yaml`.
 */

/** The path of the workflow WebSocket. */
export const WORKFLOW_SOCKET_PATH = '/workflows/ws';

/** The actions a client sends, and the REST operation whose scopes and checks each one reuses. */
export const ACTION_OPERATIONS = {
  'start-workflow': 'createWorkflowRun',
  reconnect: 'resumeWorkflowRun',
  'continue-workflow': 'continueWorkflowRun',
} as const;

export type WorkflowAction = 'authenticate' | 'ping' | keyof typeof ACTION_OPERATIONS;

/** Error texts (agno's, word for word, except where noted). */
export const MESSAGES = {
  connectedAuth: 'Connected to AgentOS. Please authenticate to continue.',
  connectedOpen: 'Connected to AgentOS.',
  tokenRequired: 'Token is required',
  authOk: 'Authentication successful. You can now send commands.',
  jwtOk: 'JWT authentication successful.',
  serviceAccountOk: 'Service account authentication successful.',
  authRequired: (kind: 'JWT' | 'bearer token') =>
    `Authentication required. Send authenticate action with valid ${kind}.`,
  unknownAction: (action: unknown) => `Unknown action: ${String(action)}`,
  workflowIdRequired: 'workflow_id is required',
  runIdRequired: 'run_id is required',
  runIdRequiredSubscription: 'run_id is required for subscription',
  workflowIdRequiredReconnect: 'workflow_id is required to reconnect to a workflow run',
  sessionIdRequiredReconnect: 'session_id is required to reconnect to a workflow run',
  sessionIdRequired: 'session_id is required for this action',
  missingUserIdentity: 'Authenticated request is missing a user identity',
  forbiddenStart: 'Insufficient permissions to run this workflow',
  forbiddenReconnect: 'Insufficient permissions to reconnect to this workflow',
  forbiddenContinue: 'Insufficient permissions to continue this workflow',
  workflowNotFound: (id: string) => `Workflow ${id} not found`,
  runNotFound: (id: string) => `Run ${id} not found`,
  runNotFoundAnywhere: (id: string) => `Run ${id} not found in buffer or database`,
  // Ours (agno closes the socket on a frame that is not JSON).
  invalidMessage: 'Invalid message: send a JSON object with an "action"',
  tooManyRuns: 'Too many active runs on this connection',
} as const;

/** Close codes (RFC 6455 §7.4.1) the server uses. */
export const CLOSE = {
  /** The server is shutting down. */
  goingAway: 1001,
  /** A binary frame: only JSON text frames are understood. */
  unsupportedData: 1003,
  /** Too many messages, too many failed authentications, or no authentication in time. */
  policyViolation: 1008,
  /** A frame larger than `maxPayloadBytes` (sent by the `ws` library). */
  messageTooBig: 1009,
} as const;
