/**
 * Repositories: typed queries per area, each taking the Kysely handle (`Db`) first. Data objects
 * are snake_case (the columns); options are camelCase. User-owned areas take an optional
 * `userId` that restricts reads and writes to that user's rows (user isolation is decided by the
 * handler, which passes the id or not).
 *
 *   import { sessions, runs } from '../db/repos/index.js';
 *   const { rows, total } = await sessions.list(db, { userId, type: 'agent', limit: 20, page: 1 });
 */
export * as approvals from './approvals.js';
export * as authz from './authz.js';
export * as components from './components.js';
export * as decisions from './decisions.js';
export * as evals from './evals.js';
export * as knowledge from './knowledge.js';
export * as learnings from './learnings.js';
export * as memories from './memories.js';
export * as metrics from './metrics.js';
export * as runs from './runs.js';
export * as schedules from './schedules.js';
export * as serviceAccounts from './service-accounts.js';
export * as sessions from './sessions.js';
export * as traces from './traces.js';
export * as users from './users.js';
