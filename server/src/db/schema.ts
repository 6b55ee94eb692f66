/**
 * Typed description of every table, for Kysely. Column names are the snake_case field names of
 * the API (spec/agentos.openapi.yaml) wherever a column backs a field.
 *
 * Conventions:
 * - timestamps are `timestamptz` and read as `Date`;
 * - JSON is `jsonb`, read as the parsed value and written as `JsonText` (see `json()` in util.ts);
 * - ids are `text`;
 * - `int8` is read as a JS number (both drivers are configured so), `date` as `YYYY-MM-DD`.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON-serialisable value as handlers hold it (unknown-typed objects included). */
export type JsonLike = unknown;

/** JSON text produced by `json()`; the only thing a `jsonb` column accepts on write. */
export type JsonText = string & { readonly __jsonText: unique symbol };

/** A nullable `jsonb` column: reads `T | null`, writes `JsonText | null`. */
export type Json<T = JsonValue> = ColumnType<T | null, JsonText | null | undefined, JsonText | null>;
/** A `jsonb NOT NULL DEFAULT ...` column. */
export type JsonDefault<T = JsonValue> = ColumnType<T, JsonText | undefined, JsonText>;

/** `timestamptz NOT NULL DEFAULT now()`. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A nullable `timestamptz`. */
export type Timestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A `timestamptz NOT NULL` without a default. */
export type TimestampNotNull = ColumnType<Date, Date | string, Date | string>;

export type EntityType = 'agent' | 'team' | 'workflow';

// ------------------------------------------------------------------------------------ sessions

export interface SessionsTable {
  session_id: string;
  session_type: EntityType;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  user_id: string | null;
  session_name: string | null;
  session_state: Json<JsonObject>;
  /** Other stored session data (the workflow `session_data`, ...). */
  session_data: Json<JsonObject>;
  /** The agent / team / workflow as stored with the session. */
  agent_data: Json<JsonObject>;
  team_data: Json<JsonObject>;
  workflow_data: Json<JsonObject>;
  metadata: Json<JsonObject>;
  /** `SessionSummary {summary, topics, updated_at}`. */
  summary: Json<JsonObject>;
  /** Aggregated metrics of the session's runs (token counts, ...). */
  metrics: Json<JsonObject>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

// ---------------------------------------------------------------------------------------- runs

export type RunStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'PAUSED'
  | 'CANCELLED'
  | 'ERROR'
  | 'REGENERATED';

export interface RunsTable {
  run_id: string;
  session_id: string;
  parent_run_id: string | null;
  /** `agent`, `team` or `workflow`; with `entity_id` the agent_id / team_id / workflow_id. */
  entity_type: EntityType;
  entity_id: string;
  user_id: string | null;
  status: ColumnType<string, string | undefined, string>;
  /** The run input (`run_input`: the message, or a structured input). */
  input: Json;
  /** The run's output content (string or object). */
  content: Json;
  content_type: string | null;
  /** The whole run output as the API answers it (`RunOutput.to_dict()`). */
  output: Json<JsonObject>;
  metrics: Json<JsonObject>;
  /** Pending human-in-the-loop requirements of a paused run. */
  requirements: Json;
  /** Number of events appended so far = the next `event_index`. */
  event_count: Generated<number>;
  background: ColumnType<boolean, boolean | undefined, boolean>;
  /** The server instance executing the run (background runs, cross-instance resume). */
  instance_id: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface RunEventsTable {
  run_id: string;
  /** 0-based, gapless, in append order per run. */
  event_index: number;
  /** The event name (`RunContent`, `TeamToolCallStarted`, ...). */
  event: string;
  data: Json;
  created_at: CreatedAt;
}

/** Cancel intents: stored even for runs this instance (or any) does not know yet. */
export interface RunCancellationsTable {
  run_id: string;
  session_id: string | null;
  requested_by: string | null;
  created_at: CreatedAt;
}

// ------------------------------------------------------------------------------------ memories

export interface MemoriesTable {
  memory_id: string;
  memory: string;
  topics: JsonDefault<string[]>;
  /** The input the memory was derived from, if any. */
  input: string | null;
  user_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

// ----------------------------------------------------------------------------------- learnings

export interface LearningsTable {
  learning_id: string;
  learning_type: string;
  namespace: string | null;
  user_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  session_id: string | null;
  entity_id: string | null;
  entity_type: string | null;
  content: JsonDefault<JsonObject>;
  metadata: Json<JsonObject>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

// ----------------------------------------------------------------------------------- knowledge

export type ContentStatus = 'processing' | 'completed' | 'failed';

export interface KnowledgeContentsTable {
  id: string;
  knowledge_id: string;
  name: string | null;
  description: string | null;
  /** MIME type. */
  type: string | null;
  /** Size in bytes. */
  size: number | null;
  linked_to: string | null;
  metadata: Json<JsonObject>;
  access_count: Generated<number>;
  status: ColumnType<ContentStatus, ContentStatus | undefined, ContentStatus>;
  status_message: string | null;
  /** Where the content came from: `{url}`, `{config_id, path}`, `{file_name}`, reader/chunker options. */
  source: Json<JsonObject>;
  /** The owner (contract.md §5); null: a workspace-level (shared) row. */
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/** The searchable documents (chunks) of a content item; `search_vector` is generated. */
export interface KnowledgeDocumentsTable {
  id: string;
  content_id: string;
  knowledge_id: string;
  chunk_index: ColumnType<number, number | undefined, number>;
  name: string | null;
  content: string;
  meta_data: Json<JsonObject>;
  size: number | null;
  /** `tsvector GENERATED ALWAYS AS (...) STORED`: never written. */
  search_vector: ColumnType<string, never, never>;
  created_at: CreatedAt;
}

// -------------------------------------------------------------------------------------- traces

export interface TracesTable {
  trace_id: string;
  name: string;
  /** `OK`, `ERROR` or `UNSET`. */
  status: ColumnType<string, string | undefined, string>;
  start_time: TimestampNotNull;
  end_time: Timestamp;
  duration_ms: number | null;
  input: string | null;
  output: string | null;
  error: string | null;
  run_id: string | null;
  session_id: string | null;
  user_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  created_at: CreatedAt;
}

export interface SpansTable {
  span_id: string;
  trace_id: string;
  parent_span_id: string | null;
  name: string;
  /** `AGENT`, `TEAM`, `WORKFLOW`, `LLM`, `TOOL`, `CHAIN`, ... (the API's `type`). */
  span_kind: ColumnType<string, string | undefined, string>;
  status: ColumnType<string, string | undefined, string>;
  start_time: TimestampNotNull;
  end_time: Timestamp;
  duration_ms: number | null;
  input: string | null;
  output: string | null;
  error: string | null;
  step_type: string | null;
  metadata: Json<JsonObject>;
  extra_data: Json<JsonObject>;
  created_at: CreatedAt;
}

// --------------------------------------------------------------------------------------- evals

export interface EvalRunsTable {
  id: string;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  model_id: string | null;
  model_provider: string | null;
  name: string | null;
  evaluated_component_name: string | null;
  /** `accuracy`, `agent_as_judge`, `performance`, `reliability`. */
  eval_type: string;
  eval_data: Json<JsonObject>;
  eval_input: Json<JsonObject>;
  /** The creator (contract.md §5); null: visible to admins and unscoped callers only. */
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

// ------------------------------------------------------------------------------------- metrics

export interface DailyMetricsTable {
  id: string;
  /** The day, `YYYY-MM-DD` (UTC). */
  date: ColumnType<string, string, string>;
  agent_runs_count: ColumnType<number, number | undefined, number>;
  agent_sessions_count: ColumnType<number, number | undefined, number>;
  team_runs_count: ColumnType<number, number | undefined, number>;
  team_sessions_count: ColumnType<number, number | undefined, number>;
  workflow_runs_count: ColumnType<number, number | undefined, number>;
  workflow_sessions_count: ColumnType<number, number | undefined, number>;
  users_count: ColumnType<number, number | undefined, number>;
  token_metrics: JsonDefault<JsonObject>;
  model_metrics: JsonDefault<JsonValue[]>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type MetricsRefreshStatus = 'idle' | 'running' | 'completed' | 'failed';

/** Exactly one row (`id = 1`): the state of the last metrics refresh. */
export interface MetricsRefreshTable {
  id: ColumnType<number, 1 | undefined, never>;
  status: ColumnType<MetricsRefreshStatus, MetricsRefreshStatus | undefined, MetricsRefreshStatus>;
  started_at: Timestamp;
  finished_at: Timestamp;
  error: string | null;
  /** The instance running the refresh. */
  instance_id: string | null;
  updated_at: CreatedAt;
}

// ----------------------------------------------------------------------------------- schedules

export interface SchedulesTable {
  id: string;
  name: string;
  description: string | null;
  method: ColumnType<string, string | undefined, string>;
  endpoint: string;
  payload: Json;
  cron_expr: string;
  timezone: ColumnType<string, string | undefined, string>;
  timeout_seconds: ColumnType<number, number | undefined, number>;
  max_retries: ColumnType<number, number | undefined, number>;
  retry_delay_seconds: ColumnType<number, number | undefined, number>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  next_run_at: Timestamp;
  /** Set by `claimDue`: the instance that is firing the schedule, until `locked_until`. */
  claimed_by: string | null;
  locked_until: Timestamp;
  last_run_at: Timestamp;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  /** Who last authorized the schedule's target (create, update, enable); null before 0002. */
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The scopes that owner held then; a fired schedule re-checks its target against them. */
  owner_scopes: Json<string[]>;
}

export type ScheduleRunStatus = 'running' | 'success' | 'paused' | 'failed' | 'cancelled';

export interface ScheduleRunsTable {
  id: string;
  schedule_id: string;
  attempt: ColumnType<number, number | undefined, number>;
  triggered_at: Timestamp;
  completed_at: Timestamp;
  status: ColumnType<string, string | undefined, string>;
  status_code: number | null;
  run_id: string | null;
  session_id: string | null;
  error: string | null;
  input: Json;
  output: Json;
  requirements: Json;
  instance_id: string | null;
  created_at: CreatedAt;
}

// ----------------------------------------------------------------------------------- approvals

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface ApprovalsTable {
  id: string;
  run_id: string;
  session_id: string;
  status: ColumnType<ApprovalStatus, ApprovalStatus | undefined, ApprovalStatus>;
  /** `agent`, `team` or `workflow`. */
  source_type: string;
  /** `required` or `audit`. */
  approval_type: string | null;
  /** `confirmation`, `user_input` or `external_execution`. */
  pause_type: string | null;
  tool_name: string | null;
  tool_args: Json;
  expires_at: Timestamp;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  user_id: string | null;
  schedule_id: string | null;
  schedule_run_id: string | null;
  source_name: string | null;
  requirements: Json;
  context: Json;
  resolution_data: Json;
  resolved_by: string | null;
  resolved_at: Timestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

// ---------------------------------------------------------------------------- service accounts

/** One recorded authorization decision (contract.md §9.6); never the token itself. */
export interface AuthzDecisionsTable {
  id: string;
  created_at: CreatedAt;
  action: 'access.allowed' | 'access.denied';
  principal: string | null;
  /** `METHOD /path` as received, control characters removed. */
  target: string;
  operation_id: string | null;
  required: JsonDefault<string[]>;
  scopes: JsonDefault<string[]>;
  reason: string | null;
  /** The token's `jti`, else the first 12 hex digits of its SHA-256. */
  token_ref: string | null;
}

export type AuthzDecisionRow = Selectable<AuthzDecisionsTable>;

/** A role managed through `/authz` (contract.md §9.1); configured roles are not stored. */
export interface AuthzRolesTable {
  slug: string;
  name: string | null;
  description: string | null;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  /** `[{scope, effect}]`, effect `allow` or `deny`. */
  scopes: JsonDefault<{ scope: string; effect: 'allow' | 'deny' }[]>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type AuthzRoleRow = Selectable<AuthzRolesTable>;

/** Which role a subject (a token `sub`) holds; one per subject through the API. */
export interface AuthzSubjectRolesTable {
  subject: string;
  role: string;
  created_at: CreatedAt;
}

/** The change trail of roles, assignments and directory users (`GET /authz/audit`). */
export interface AuthzAuditTable {
  id: string;
  created_at: CreatedAt;
  actor: string | null;
  action: string;
  target: string;
  before: Json;
  after: Json;
}

export type AuthzAuditRow = Selectable<AuthzAuditTable>;

/** The user directory (contract.md §9.4): no credentials, a `disabled` kill-switch. */
export interface AuthzUsersTable {
  id: string;
  email: string | null;
  name: string | null;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type AuthzUserRow = Selectable<AuthzUsersTable>;

export interface ServiceAccountsTable {
  id: string;
  name: string;
  /** Subject of the caller that minted it (null for workspace accounts). */
  user_id: string | null;
  /** First 16 characters of the token, for display. */
  token_prefix: string;
  /** Hex SHA-256 of the whole token; the token itself is never stored. */
  token_sha256: string;
  /** The granted scope strings. */
  scopes: JsonDefault<string[]>;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_used_at: Timestamp;
  revoked_at: Timestamp;
  /** `sa:<name>`, or `sa:<name>.<id>` for a name used before: unique forever (contract.md §8.7). */
  principal: string;
}

// ---------------------------------------------------------------------------------- components

export interface ComponentsTable {
  component_id: string;
  component_type: EntityType;
  name: string;
  description: string | null;
  current_version: number | null;
  metadata: Json<JsonObject>;
  /** The owner (contract.md §5); null: a workspace-level (shared) row. */
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type ConfigStage = 'draft' | 'published';

export interface ComponentConfigsTable {
  component_id: string;
  version: number;
  config: JsonDefault<JsonObject>;
  label: string | null;
  stage: ColumnType<ConfigStage, ConfigStage | undefined, ConfigStage>;
  notes: string | null;
  links: Json<JsonValue[]>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

// ---------------------------------------------------------------------------------------- all

export interface Schema {
  sessions: SessionsTable;
  runs: RunsTable;
  run_events: RunEventsTable;
  run_cancellations: RunCancellationsTable;
  memories: MemoriesTable;
  learnings: LearningsTable;
  knowledge_contents: KnowledgeContentsTable;
  knowledge_documents: KnowledgeDocumentsTable;
  traces: TracesTable;
  spans: SpansTable;
  eval_runs: EvalRunsTable;
  daily_metrics: DailyMetricsTable;
  metrics_refresh: MetricsRefreshTable;
  schedules: SchedulesTable;
  schedule_runs: ScheduleRunsTable;
  approvals: ApprovalsTable;
  service_accounts: ServiceAccountsTable;
  authz_decisions: AuthzDecisionsTable;
  authz_roles: AuthzRolesTable;
  authz_subject_roles: AuthzSubjectRolesTable;
  authz_audit: AuthzAuditTable;
  authz_users: AuthzUsersTable;
  components: ComponentsTable;
  component_configs: ComponentConfigsTable;
}

export type SessionRow = Selectable<SessionsTable>;
export type RunRow = Selectable<RunsTable>;
export type RunEventRow = Selectable<RunEventsTable>;
export type RunCancellationRow = Selectable<RunCancellationsTable>;
export type MemoryRow = Selectable<MemoriesTable>;
export type LearningRow = Selectable<LearningsTable>;
export type KnowledgeContentRow = Selectable<KnowledgeContentsTable>;
export type KnowledgeDocumentRow = Omit<Selectable<KnowledgeDocumentsTable>, 'search_vector'>;
export type TraceRow = Selectable<TracesTable>;
export type SpanRow = Selectable<SpansTable>;
export type EvalRunRow = Selectable<EvalRunsTable>;
export type DailyMetricsRow = Selectable<DailyMetricsTable>;
export type MetricsRefreshRow = Selectable<MetricsRefreshTable>;
export type ScheduleRow = Selectable<SchedulesTable>;
export type ScheduleRunRow = Selectable<ScheduleRunsTable>;
export type ApprovalRow = Selectable<ApprovalsTable>;
export type ServiceAccountRow = Selectable<ServiceAccountsTable>;
export type ComponentRow = Selectable<ComponentsTable>;
export type ComponentConfigRow = Selectable<ComponentConfigsTable>;
