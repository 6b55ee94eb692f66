/**
 * @module The object-level vocabulary's fixed parts (docs/contract.md §8): the kinds of stored
 * object `x-contains` may name, and the grammars of templates, pointers and features (versions:
 * `AGENTOS_VERSION` and `compareVersions` of @agentos/core). The generator checks shapes; the lint
 * checks these against the document.
 */

/**
 * Kinds of stored object a path parameter may name in `x-contains`, with the fields the contract
 * relies on. A server maps each kind to its storage; a kind not listed here is a lint error, so a
 * new kind is added here and to docs/contract.md §8.2 together.
 */
export const OBJECT_KINDS: Readonly<Record<string, string>> = {
  run: 'a run of an agent, team or workflow (agent_id | team_id | workflow_id, session_id, user_id)',
  session: 'a session (agent_id | team_id | workflow_id, user_id)',
  approval: 'an approval (run_id, user_id)',
  schedule: 'a schedule (user_id)',
  schedule_run: 'a run of a schedule (schedule_id)',
  eval_run: 'an evaluation run (user_id)',
  component: 'a stored component (user_id)',
  knowledge_content: 'a knowledge content row (user_id)',
  memory: 'a user memory (user_id)',
  learning: 'a learning (user_id)',
  trace: 'a trace (run_id, session_id, user_id)',
  service_account: 'a service account (user_id)',
};

/** `resource:{body.field}:action`: a scope bound to a top-level request-body field. */
export const BODY_SCOPE = /^([a-z0-9_-]+):\{body\.([A-Za-z_][A-Za-z0-9_]*)\}:([a-z0-9_-]+)$/;

/** A non-empty JSON pointer (RFC 6901): `~` only as `~0` or `~1`. */
export const JSON_POINTER = /^(\/([^~/]|~[01])*)+$/;

/** `x-agentos-feature`: lowercase letters, digits and `-`, starting with a letter. */
export const FEATURE_NAME = /^[a-z][a-z0-9-]*$/;

/** A field name of a request body or stored object. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
