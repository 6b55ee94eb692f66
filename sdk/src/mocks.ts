/**
 * @module @agentos/sdk/mocks: msw 2 request handlers generated from the spec, enforcing bearer
 * tokens and scopes like a real AgentOS (401/403 with `WWW-Authenticate`). Needs `msw` (and `jose`
 * when tokens are verified) installed next to the SDK.
 *
 * @example
 * import { setupServer } from 'msw/node';
 * import { createMockHandlers } from '@agentos/sdk/mocks';
 * const server = setupServer(...createMockHandlers({ baseUrl: 'http://localhost:7777', ... }));
 */
export * from './generated/mocks.js';
