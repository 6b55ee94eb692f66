/**
 * AgentOS 3.1's managed roles and user directory (contract.md §9): roles with their allow/deny
 * grants (feature `authz`), subject→role assignments, the change trail of both (`GET
 * /authz/audit`), and the user directory (feature `users`). Roles defined in the configuration are
 * not stored here (they are read-only through the API); an assignment may name either kind.
 */
import { type Kysely, sql } from 'kysely';

const up_statements = [
  `CREATE TABLE authz_roles (
    slug        text PRIMARY KEY,
    name        text,
    description text,
    is_default  boolean NOT NULL DEFAULT false,
    scopes      jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE authz_subject_roles (
    subject    text NOT NULL,
    role       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, role)
  )`,
  `CREATE INDEX authz_subject_roles_role_idx ON authz_subject_roles (role)`,
  `CREATE TABLE authz_audit (
    id         text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    actor      text,
    action     text NOT NULL,
    target     text NOT NULL,
    before     jsonb,
    after      jsonb
  )`,
  `CREATE INDEX authz_audit_created_idx ON authz_audit (created_at)`,
  `CREATE TABLE authz_users (
    id         text PRIMARY KEY,
    email      text,
    name       text,
    disabled   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX authz_users_created_idx ON authz_users (created_at)`,
];

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['authz_users', 'authz_audit', 'authz_subject_roles', 'authz_roles']) {
    await sql.raw(`DROP TABLE IF EXISTS ${t}`).execute(db);
  }
}
