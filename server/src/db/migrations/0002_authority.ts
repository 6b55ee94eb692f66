/**
 * Object-level authority (contract.md §8): the owner of a schedule and the scopes it held when it
 * last authorized the schedule's target (a fired schedule re-checks them), and a service-account
 * principal that is unique forever (a name minted again after a revocation gets a new principal,
 * so it never inherits the rows of the revoked account); the decision audit (contract.md §9.6).
 */
import { type Kysely, sql } from 'kysely';

const up_statements = [
  `ALTER TABLE schedules ADD COLUMN user_id text`,
  `ALTER TABLE schedules ADD COLUMN owner_scopes jsonb`,
  `ALTER TABLE service_accounts ADD COLUMN principal text`,
  // Existing accounts: the oldest of a name keeps `sa:<name>`, later ones get `sa:<name>.<id>`.
  `UPDATE service_accounts s SET principal = CASE
     WHEN s.id = (SELECT o.id FROM service_accounts o WHERE o.name = s.name ORDER BY o.created_at, o.id LIMIT 1)
     THEN 'sa:' || s.name ELSE 'sa:' || s.name || '.' || s.id END`,
  `ALTER TABLE service_accounts ALTER COLUMN principal SET NOT NULL`,
  `CREATE UNIQUE INDEX service_accounts_principal_idx ON service_accounts (principal)`,
  // Decision audit (contract.md §9.6): one row per allow/deny; bounded by age and count.
  `CREATE TABLE authz_decisions (
    id           text PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    action       text NOT NULL CHECK (action IN ('access.allowed', 'access.denied')),
    principal    text,
    target       text NOT NULL,
    operation_id text,
    required     jsonb NOT NULL DEFAULT '[]'::jsonb,
    scopes       jsonb NOT NULL DEFAULT '[]'::jsonb,
    reason       text,
    token_ref    text
  )`,
  `CREATE INDEX authz_decisions_created_idx ON authz_decisions (created_at)`,
];

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS authz_decisions').execute(db);
  await sql.raw('DROP INDEX IF EXISTS service_accounts_principal_idx').execute(db);
  await sql.raw('ALTER TABLE service_accounts DROP COLUMN IF EXISTS principal').execute(db);
  await sql.raw('ALTER TABLE schedules DROP COLUMN IF EXISTS owner_scopes').execute(db);
  await sql.raw('ALTER TABLE schedules DROP COLUMN IF EXISTS user_id').execute(db);
}
