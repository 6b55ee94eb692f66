/**
 * @module The `/queue` surface of an AgentOS without a durable queue (agno 3.x): every method answers
 * 503 naming the switch, as agno's disabled-feature router does. This server has no durable job
 * queue, so the `/queue/jobs` and `/queue/stats` operations (feature `queue`) are not served.
 */
import type { Handlers } from '../generated/server.js';
import { fail } from './wire.js';

export type QueueHandlers = Pick<
  Handlers,
  | 'getQueueUnavailable'
  | 'postQueueUnavailable'
  | 'putQueueUnavailable'
  | 'patchQueueUnavailable'
  | 'deleteQueueUnavailable'
>;

/** agno's `_get_disabled_feature_router("/queue", "Queue", "queue=QueueConfig(durable=True)")` detail. */
export const QUEUE_UNAVAILABLE =
  'Queue not available: pass a `queue=QueueConfig(durable=True)` to AgentOS to enable this feature.';

const unavailable = (): never => fail(503, QUEUE_UNAVAILABLE);

/** Creates the handlers of the disabled `/queue` surface. */
export function createQueueHandlers(): QueueHandlers {
  return {
    getQueueUnavailable: unavailable,
    postQueueUnavailable: unavailable,
    putQueueUnavailable: unavailable,
    patchQueueUnavailable: unavailable,
    deleteQueueUnavailable: unavailable,
  };
}
