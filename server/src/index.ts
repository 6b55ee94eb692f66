/**
 * @module @agentos/server: the reference AgentOS server.
 */
export { type AgentOS, type CreateAgentOSOptions, createAgentOS } from './app.js';
export * from './auth/index.js';
export * from './config/index.js';
export { createLogger, type Logger, type LoggerOptions, silentLogger } from './log.js';
