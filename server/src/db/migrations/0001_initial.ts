/**
 * The initial schema. One statement per entry (PGlite's extended-protocol query runs one
 * statement at a time). Identical on PGlite and PostgreSQL.
 */
import { type Kysely, sql } from 'kysely';

const up_statements = [
  // ---------------------------------------------------------------------------- sessions
  `CREATE TABLE sessions (
    session_id    text PRIMARY KEY,
    session_type  text NOT NULL CHECK (session_type IN ('agent', 'team', 'workflow')),
    agent_id      text,
    team_id       text,
    workflow_id   text,
    user_id       text,
    session_name  text,
    session_state jsonb,
    session_data  jsonb,
    agent_data    jsonb,
    team_data     jsonb,
    workflow_data jsonb,
    metadata      jsonb,
    summary       jsonb,
    metrics       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at)`,
  `CREATE INDEX sessions_type_created_idx ON sessions (session_type, created_at)`,
  `CREATE INDEX sessions_agent_idx ON sessions (agent_id)`,
  `CREATE INDEX sessions_team_idx ON sessions (team_id)`,
  `CREATE INDEX sessions_workflow_idx ON sessions (workflow_id)`,

  // -------------------------------------------------------------------------------- runs
  `CREATE TABLE runs (
    run_id        text PRIMARY KEY,
    session_id    text NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    parent_run_id text,
    entity_type   text NOT NULL CHECK (entity_type IN ('agent', 'team', 'workflow')),
    entity_id     text NOT NULL,
    user_id       text,
    status        text NOT NULL DEFAULT 'PENDING',
    input         jsonb,
    content       jsonb,
    content_type  text,
    output        jsonb,
    metrics       jsonb,
    requirements  jsonb,
    event_count   integer NOT NULL DEFAULT 0,
    background    boolean NOT NULL DEFAULT false,
    instance_id   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX runs_session_created_idx ON runs (session_id, created_at)`,
  `CREATE INDEX runs_entity_idx ON runs (entity_type, entity_id)`,
  `CREATE INDEX runs_user_idx ON runs (user_id)`,
  `CREATE INDEX runs_parent_idx ON runs (parent_run_id)`,
  `CREATE INDEX runs_status_idx ON runs (status)`,
  `CREATE INDEX runs_created_idx ON runs (created_at)`,

  `CREATE TABLE run_events (
    run_id      text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    event_index integer NOT NULL,
    event       text NOT NULL,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, event_index)
  )`,

  `CREATE TABLE run_cancellations (
    run_id       text PRIMARY KEY,
    session_id   text,
    requested_by text,
    created_at   timestamptz NOT NULL DEFAULT now()
  )`,

  // ---------------------------------------------------------------------------- memories
  `CREATE TABLE memories (
    memory_id  text PRIMARY KEY,
    memory     text NOT NULL,
    topics     jsonb NOT NULL DEFAULT '[]'::jsonb,
    input      text,
    user_id    text,
    agent_id   text,
    team_id    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX memories_user_updated_idx ON memories (user_id, updated_at)`,
  `CREATE INDEX memories_agent_idx ON memories (agent_id)`,
  `CREATE INDEX memories_team_idx ON memories (team_id)`,
  `CREATE INDEX memories_topics_idx ON memories USING GIN (topics)`,

  // --------------------------------------------------------------------------- learnings
  `CREATE TABLE learnings (
    learning_id   text PRIMARY KEY,
    learning_type text NOT NULL,
    namespace     text,
    user_id       text,
    agent_id      text,
    team_id       text,
    session_id    text,
    entity_id     text,
    entity_type   text,
    content       jsonb NOT NULL DEFAULT '{}'::jsonb,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX learnings_user_idx ON learnings (user_id, updated_at)`,
  `CREATE INDEX learnings_type_idx ON learnings (learning_type)`,
  `CREATE INDEX learnings_agent_idx ON learnings (agent_id)`,
  `CREATE INDEX learnings_team_idx ON learnings (team_id)`,
  `CREATE INDEX learnings_session_idx ON learnings (session_id)`,
  `CREATE INDEX learnings_entity_idx ON learnings (entity_type, entity_id)`,

  // --------------------------------------------------------------------------- knowledge
  `CREATE TABLE knowledge_contents (
    id             text PRIMARY KEY,
    knowledge_id   text NOT NULL,
    name           text,
    description    text,
    type           text,
    size           bigint,
    linked_to      text,
    metadata       jsonb,
    access_count   integer NOT NULL DEFAULT 0,
    status         text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'completed', 'failed')),
    status_message text,
    source         jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX knowledge_contents_kb_created_idx ON knowledge_contents (knowledge_id, created_at)`,

  `CREATE TABLE knowledge_documents (
    id            text PRIMARY KEY,
    content_id    text NOT NULL REFERENCES knowledge_contents (id) ON DELETE CASCADE,
    knowledge_id  text NOT NULL,
    chunk_index   integer NOT NULL DEFAULT 0,
    name          text,
    content       text NOT NULL,
    meta_data     jsonb,
    size          integer,
    search_vector tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english'::regconfig, content), 'A') ||
      setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'C')
    ) STORED,
    created_at    timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX knowledge_documents_search_idx ON knowledge_documents USING GIN (search_vector)`,
  `CREATE INDEX knowledge_documents_content_idx ON knowledge_documents (content_id, chunk_index)`,
  `CREATE INDEX knowledge_documents_kb_idx ON knowledge_documents (knowledge_id)`,

  // ------------------------------------------------------------------------------ traces
  `CREATE TABLE traces (
    trace_id    text PRIMARY KEY,
    name        text NOT NULL,
    status      text NOT NULL DEFAULT 'UNSET',
    start_time  timestamptz NOT NULL,
    end_time    timestamptz,
    duration_ms bigint,
    input       text,
    output      text,
    error       text,
    run_id      text,
    session_id  text,
    user_id     text,
    agent_id    text,
    team_id     text,
    workflow_id text,
    created_at  timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX traces_start_idx ON traces (start_time)`,
  `CREATE INDEX traces_run_idx ON traces (run_id)`,
  `CREATE INDEX traces_session_idx ON traces (session_id)`,
  `CREATE INDEX traces_user_idx ON traces (user_id)`,
  `CREATE INDEX traces_agent_idx ON traces (agent_id)`,
  `CREATE INDEX traces_team_idx ON traces (team_id)`,
  `CREATE INDEX traces_workflow_idx ON traces (workflow_id)`,

  `CREATE TABLE spans (
    span_id        text PRIMARY KEY,
    trace_id       text NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    parent_span_id text,
    name           text NOT NULL,
    span_kind      text NOT NULL DEFAULT 'INTERNAL',
    status         text NOT NULL DEFAULT 'UNSET',
    start_time     timestamptz NOT NULL,
    end_time       timestamptz,
    duration_ms    bigint,
    input          text,
    output         text,
    error          text,
    step_type      text,
    metadata       jsonb,
    extra_data     jsonb,
    created_at     timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX spans_trace_start_idx ON spans (trace_id, start_time)`,
  `CREATE INDEX spans_parent_idx ON spans (parent_span_id)`,

  // ------------------------------------------------------------------------------- evals
  `CREATE TABLE eval_runs (
    id                       text PRIMARY KEY,
    agent_id                 text,
    team_id                  text,
    workflow_id              text,
    model_id                 text,
    model_provider           text,
    name                     text,
    evaluated_component_name text,
    eval_type                text NOT NULL,
    eval_data                jsonb,
    eval_input               jsonb,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX eval_runs_created_idx ON eval_runs (created_at)`,
  `CREATE INDEX eval_runs_agent_idx ON eval_runs (agent_id)`,
  `CREATE INDEX eval_runs_team_idx ON eval_runs (team_id)`,
  `CREATE INDEX eval_runs_workflow_idx ON eval_runs (workflow_id)`,
  `CREATE INDEX eval_runs_type_idx ON eval_runs (eval_type)`,

  // ----------------------------------------------------------------------------- metrics
  `CREATE TABLE daily_metrics (
    id                      text PRIMARY KEY,
    date                    date NOT NULL UNIQUE,
    agent_runs_count        integer NOT NULL DEFAULT 0,
    agent_sessions_count    integer NOT NULL DEFAULT 0,
    team_runs_count         integer NOT NULL DEFAULT 0,
    team_sessions_count     integer NOT NULL DEFAULT 0,
    workflow_runs_count     integer NOT NULL DEFAULT 0,
    workflow_sessions_count integer NOT NULL DEFAULT 0,
    users_count             integer NOT NULL DEFAULT 0,
    token_metrics           jsonb NOT NULL DEFAULT '{}'::jsonb,
    model_metrics           jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE metrics_refresh (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    status      text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'completed', 'failed')),
    started_at  timestamptz,
    finished_at timestamptz,
    error       text,
    instance_id text,
    updated_at  timestamptz NOT NULL DEFAULT now()
  )`,
  `INSERT INTO metrics_refresh (id) VALUES (1)`,

  // --------------------------------------------------------------------------- schedules
  `CREATE TABLE schedules (
    id                  text PRIMARY KEY,
    name                text NOT NULL UNIQUE,
    description         text,
    method              text NOT NULL DEFAULT 'POST',
    endpoint            text NOT NULL,
    payload             jsonb,
    cron_expr           text NOT NULL,
    timezone            text NOT NULL DEFAULT 'UTC',
    timeout_seconds     integer NOT NULL DEFAULT 3600,
    max_retries         integer NOT NULL DEFAULT 0,
    retry_delay_seconds integer NOT NULL DEFAULT 60,
    enabled             boolean NOT NULL DEFAULT true,
    next_run_at         timestamptz,
    claimed_by          text,
    locked_until        timestamptz,
    last_run_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled`,
  `CREATE INDEX schedules_created_idx ON schedules (created_at)`,

  `CREATE TABLE schedule_runs (
    id           text PRIMARY KEY,
    schedule_id  text NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    attempt      integer NOT NULL DEFAULT 1,
    triggered_at timestamptz,
    completed_at timestamptz,
    status       text NOT NULL DEFAULT 'running',
    status_code  integer,
    run_id       text,
    session_id   text,
    error        text,
    input        jsonb,
    output       jsonb,
    requirements jsonb,
    instance_id  text,
    created_at   timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX schedule_runs_schedule_created_idx ON schedule_runs (schedule_id, created_at)`,

  // --------------------------------------------------------------------------- approvals
  `CREATE TABLE approvals (
    id              text PRIMARY KEY,
    run_id          text NOT NULL,
    session_id      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    source_type     text NOT NULL,
    approval_type   text,
    pause_type      text,
    tool_name       text,
    tool_args       jsonb,
    expires_at      timestamptz,
    agent_id        text,
    team_id         text,
    workflow_id     text,
    user_id         text,
    schedule_id     text,
    schedule_run_id text,
    source_name     text,
    requirements    jsonb,
    context         jsonb,
    resolution_data jsonb,
    resolved_by     text,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz
  )`,
  `CREATE INDEX approvals_status_created_idx ON approvals (status, created_at)`,
  `CREATE INDEX approvals_user_idx ON approvals (user_id)`,
  `CREATE INDEX approvals_run_idx ON approvals (run_id)`,
  `CREATE INDEX approvals_session_idx ON approvals (session_id)`,
  `CREATE INDEX approvals_agent_idx ON approvals (agent_id)`,
  `CREATE INDEX approvals_team_idx ON approvals (team_id)`,
  `CREATE INDEX approvals_workflow_idx ON approvals (workflow_id)`,
  `CREATE INDEX approvals_schedule_idx ON approvals (schedule_id)`,

  // -------------------------------------------------------------------- service accounts
  `CREATE TABLE service_accounts (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    user_id      text,
    token_prefix text NOT NULL,
    token_sha256 text NOT NULL UNIQUE,
    scopes       jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
  )`,
  // One active account per name; a revoked name can be minted again (rotation).
  `CREATE UNIQUE INDEX service_accounts_active_name_idx ON service_accounts (name) WHERE revoked_at IS NULL`,
  `CREATE INDEX service_accounts_created_idx ON service_accounts (created_at)`,

  // -------------------------------------------------------------------------- components
  `CREATE TABLE components (
    component_id    text PRIMARY KEY,
    component_type  text NOT NULL CHECK (component_type IN ('agent', 'team', 'workflow')),
    name            text NOT NULL,
    description     text,
    current_version integer,
    metadata        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX components_type_created_idx ON components (component_type, created_at)`,

  `CREATE TABLE component_configs (
    component_id text NOT NULL REFERENCES components (component_id) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version >= 1),
    config       jsonb NOT NULL DEFAULT '{}'::jsonb,
    label        text,
    stage        text NOT NULL DEFAULT 'draft' CHECK (stage IN ('draft', 'published')),
    notes        text,
    links        jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component_id, version)
  )`,
  `CREATE UNIQUE INDEX component_configs_label_idx ON component_configs (component_id, label) WHERE label IS NOT NULL`,
];

const tables = [
  'component_configs',
  'components',
  'service_accounts',
  'approvals',
  'schedule_runs',
  'schedules',
  'metrics_refresh',
  'daily_metrics',
  'eval_runs',
  'spans',
  'traces',
  'knowledge_documents',
  'knowledge_contents',
  'learnings',
  'memories',
  'run_cancellations',
  'run_events',
  'runs',
  'sessions',
];

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of tables) await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
}
