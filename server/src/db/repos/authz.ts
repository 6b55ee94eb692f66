/**
 * Managed roles (contract.md §9.1, feature `authz`): roles with their allow/deny grants, the role
 * each subject holds, and the change trail of both (`GET /authz/audit`). Rules about what may be
 * written (slugs, scopes, configured roles, the shared subject/role namespace) are the handlers';
 * these functions store what they are given.
 */
import type { AuthzAuditRow, AuthzRoleRow } from '../schema.js';
import { type Db, inTransaction, json, likeEscape, newId, pageOf } from '../util.js';

export type Effect = 'allow' | 'deny';
export interface ScopeEntry {
  scope: string;
  effect: Effect;
}

export interface NewRole {
  slug: string;
  name?: string | null;
  description?: string | null;
  is_default?: boolean;
  scopes?: readonly ScopeEntry[];
  now: Date;
}

/** Every stored role, by slug. */
export async function listRoles(db: Db): Promise<AuthzRoleRow[]> {
  return db.selectFrom('authz_roles').selectAll().orderBy('slug').execute();
}

export async function getRole(db: Db, slug: string): Promise<AuthzRoleRow | undefined> {
  return db.selectFrom('authz_roles').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** Stores a new role; a taken slug throws a unique violation. A default role clears the others' flag. */
export async function createRole(db: Db, r: NewRole): Promise<AuthzRoleRow> {
  return inTransaction(db, async (trx) => {
    if (r.is_default) await trx.updateTable('authz_roles').set({ is_default: false }).execute();
    return trx
      .insertInto('authz_roles')
      .values({
        slug: r.slug,
        name: r.name ?? null,
        description: r.description ?? null,
        is_default: r.is_default ?? false,
        scopes: json([...(r.scopes ?? [])])!,
        created_at: r.now,
        updated_at: r.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Updates the metadata given (undefined leaves a field); undefined when there is no such role. */
export async function updateRole(
  db: Db,
  slug: string,
  patch: { name?: string | null; description?: string | null; is_default?: boolean; now: Date },
): Promise<AuthzRoleRow | undefined> {
  return inTransaction(db, async (trx) => {
    if (patch.is_default) {
      await trx.updateTable('authz_roles').set({ is_default: false }).where('slug', '!=', slug).execute();
    }
    return trx
      .updateTable('authz_roles')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.is_default !== undefined ? { is_default: patch.is_default } : {}),
        updated_at: patch.now,
      })
      .where('slug', '=', slug)
      .returningAll()
      .executeTakeFirst();
  });
}

/** Replaces a role's grants; undefined when there is no such role. */
export async function setRoleScopes(
  db: Db,
  slug: string,
  scopes: readonly ScopeEntry[],
  now: Date,
): Promise<AuthzRoleRow | undefined> {
  return db
    .updateTable('authz_roles')
    .set({ scopes: json([...scopes])!, updated_at: now })
    .where('slug', '=', slug)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes a role and every assignment of it; answers whether it existed. */
export async function deleteRole(db: Db, slug: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('authz_subject_roles').where('role', '=', slug).execute();
    const r = await trx.deleteFrom('authz_roles').where('slug', '=', slug).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  });
}

/** The roles a subject holds (stored assignments), oldest first. */
export async function rolesOf(db: Db, subject: string): Promise<string[]> {
  const rows = await db
    .selectFrom('authz_subject_roles')
    .select('role')
    .where('subject', '=', subject)
    .orderBy('created_at')
    .orderBy('role')
    .execute();
  return rows.map((r) => r.role);
}

/** The roles of several subjects at once. */
export async function rolesOfMany(db: Db, subjects: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(subjects.map((s) => [s, []]));
  if (subjects.length === 0) return out;
  const rows = await db
    .selectFrom('authz_subject_roles')
    .select(['subject', 'role'])
    .where('subject', 'in', [...subjects])
    .orderBy('created_at')
    .orderBy('role')
    .execute();
  for (const r of rows) out.get(r.subject)?.push(r.role);
  return out;
}

/** Every subject holding an assignment of `role`. */
export async function holdersOf(db: Db, role: string): Promise<string[]> {
  const rows = await db
    .selectFrom('authz_subject_roles')
    .select('subject')
    .where('role', '=', role)
    .execute();
  return rows.map((r) => r.subject);
}

/** Gives the subject this role, replacing any other it held (one role per subject, as agno). */
export async function assignRole(db: Db, subject: string, role: string, now: Date): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .deleteFrom('authz_subject_roles')
      .where('subject', '=', subject)
      .where('role', '!=', role)
      .execute();
    await trx
      .insertInto('authz_subject_roles')
      .values({ subject, role, created_at: now })
      .onConflict((oc) => oc.columns(['subject', 'role']).doNothing())
      .execute();
  });
}

/** Gives the subject this role only when it holds none (provisioning with the default role). */
export async function assignIfNone(db: Db, subject: string, role: string, now: Date): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const held = await trx
      .selectFrom('authz_subject_roles')
      .select('role')
      .where('subject', '=', subject)
      .executeTakeFirst();
    if (held) return false;
    await trx
      .insertInto('authz_subject_roles')
      .values({ subject, role, created_at: now })
      .onConflict((oc) => oc.columns(['subject', 'role']).doNothing())
      .execute();
    return true;
  });
}

/** Takes a role from a subject; answers whether it was held. */
export async function unassignRole(db: Db, subject: string, role: string): Promise<boolean> {
  const r = await db
    .deleteFrom('authz_subject_roles')
    .where('subject', '=', subject)
    .where('role', '=', role)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Whether any subject holds an assignment (of any role) named `subject`. */
export async function hasAssignments(db: Db, subject: string): Promise<boolean> {
  const r = await db
    .selectFrom('authz_subject_roles')
    .select('subject')
    .where('subject', '=', subject)
    .executeTakeFirst();
  return r !== undefined;
}

// ------------------------------------------------------------------------------- change trail

export interface NewChange {
  actor: string | null;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  now: Date;
}

/** Records one change (role, assignment or directory user). */
export async function recordChange(db: Db, c: NewChange): Promise<void> {
  await db
    .insertInto('authz_audit')
    .values({
      id: newId(),
      created_at: c.now,
      actor: c.actor,
      action: c.action,
      target: c.target,
      before: json(c.before),
      after: json(c.after),
    })
    .execute();
}

/** The columns the audit trails sort and search on (agno `AUDIT_SORT_FIELDS`). */
export const AUDIT_SORT_FIELDS = ['created_at', 'actor', 'action', 'target'] as const;
export type AuditSortField = (typeof AUDIT_SORT_FIELDS)[number];

export interface AuditQuery {
  limit: number;
  offset: number;
  search?: string | undefined;
  sortBy: AuditSortField;
  order: 'asc' | 'desc';
}

/** A page of the change trail and the number of matching rows. */
export async function listChanges(db: Db, q: AuditQuery): Promise<{ rows: AuthzAuditRow[]; total: number }> {
  let base = db.selectFrom('authz_audit');
  if (q.search) {
    const like = `%${likeEscape(q.search)}%`;
    base = base.where((eb) =>
      eb.or([eb('actor', 'ilike', like), eb('action', 'ilike', like), eb('target', 'ilike', like)]),
    );
  }
  return pageOf(base, (b) => b.selectAll().orderBy(q.sortBy, q.order).orderBy('id', q.order), {
    limit: q.limit,
    offset: q.offset,
  });
}

/** The auth layer's role-store port (auth/managed-roles.ts) over this database. */
export function createRoleStore(db: () => Db): {
  roles(): Promise<{ slug: string; allow: string[]; deny: string[] }[]>;
  rolesOf(subject: string): Promise<string[]>;
} {
  return {
    async roles() {
      return (await listRoles(db())).map((r) => {
        const entries = Array.isArray(r.scopes) ? r.scopes : [];
        return {
          slug: r.slug,
          allow: entries.filter((e) => e.effect !== 'deny').map((e) => e.scope),
          deny: entries.filter((e) => e.effect === 'deny').map((e) => e.scope),
        };
      });
    },
    rolesOf: (subject) => rolesOf(db(), subject),
  };
}

/** Every assignment (the last-admin guard reads them all; one row per subject through the API). */
export async function allAssignments(db: Db): Promise<{ subject: string; role: string }[]> {
  return db.selectFrom('authz_subject_roles').select(['subject', 'role']).execute();
}
