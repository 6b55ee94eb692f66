/**
 * Ownership of the kinds agno 3.1 made user-owned (contract.md §5): knowledge content, components
 * and evaluation runs get a nullable, indexed `user_id`. Existing rows keep no owner: knowledge
 * content and components without one are workspace-level (shared: readable by every caller,
 * writable by admins and unscoped callers only); an evaluation run without one is visible only
 * to admins and unscoped callers under isolation.
 */
import { type Kysely, sql } from 'kysely';

const TABLES = ['knowledge_contents', 'components', 'eval_runs'] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database.
export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) {
    await sql.raw(`ALTER TABLE ${t} ADD COLUMN user_id text`).execute(db);
    await sql.raw(`CREATE INDEX ${t}_user_id_idx ON ${t} (user_id)`).execute(db);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) {
    await sql.raw(`DROP INDEX IF EXISTS ${t}_user_id_idx`).execute(db);
    await sql.raw(`ALTER TABLE ${t} DROP COLUMN IF EXISTS user_id`).execute(db);
  }
}
