/**
 * The user directory (contract.md §9.4, feature `users`): subjects by id (the token `sub`), an
 * optional email and name, and the `disabled` kill-switch. No credentials are stored.
 */
import { sql } from 'kysely';
import type { AuthzUserRow } from '../schema.js';
import { type Db, likeEscape, pageOf, toCount } from '../util.js';

/** Sort fields of `GET /users` (agno `USER_SORT_FIELDS`). */
export const USER_SORT_FIELDS = ['created_at', 'updated_at', 'id', 'email', 'name'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

export async function get(db: Db, id: string): Promise<AuthzUserRow | undefined> {
  return db.selectFrom('authz_users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Creates the user, or updates the email and name given (undefined or null leaves them, as agno's
 * upsert); answers the row and whether it was created.
 */
export async function upsert(
  db: Db,
  u: { id: string; email?: string | null | undefined; name?: string | null | undefined; now: Date },
): Promise<{ row: AuthzUserRow; created: boolean }> {
  const existing = await get(db, u.id);
  if (existing) {
    if ((u.email ?? null) === null && (u.name ?? null) === null) return { row: existing, created: false };
    const row = await db
      .updateTable('authz_users')
      .set({
        ...(u.email != null ? { email: u.email } : {}),
        ...(u.name != null ? { name: u.name } : {}),
        updated_at: u.now,
      })
      .where('id', '=', u.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row, created: false };
  }
  const inserted = await db
    .insertInto('authz_users')
    .values({ id: u.id, email: u.email ?? null, name: u.name ?? null, created_at: u.now, updated_at: u.now })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  // Two first requests of one subject at once: the other one created it.
  if (!inserted) return { row: (await get(db, u.id))!, created: false };
  return { row: inserted, created: true };
}

export async function setDisabled(
  db: Db,
  id: string,
  disabled: boolean,
  now: Date,
): Promise<AuthzUserRow | undefined> {
  return db
    .updateTable('authz_users')
    .set({ disabled, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function remove(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('authz_users').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface UserQuery {
  limit: number;
  offset: number;
  includeDisabled: boolean;
  search?: string | undefined;
  sortBy: UserSortField;
  order: 'asc' | 'desc';
}

/** A page of users and the number matching (`search`: case-insensitive substring of id, email, name). */
export async function list(db: Db, q: UserQuery): Promise<{ rows: AuthzUserRow[]; total: number }> {
  let base = db.selectFrom('authz_users');
  if (!q.includeDisabled) base = base.where('disabled', '=', false);
  if (q.search) {
    const like = `%${likeEscape(q.search)}%`;
    base = base.where((eb) =>
      eb.or([eb('id', 'ilike', like), eb('email', 'ilike', like), eb('name', 'ilike', like)]),
    );
  }
  return pageOf(base, (b) => b.selectAll().orderBy(q.sortBy, q.order).orderBy('id', q.order), {
    limit: q.limit,
    offset: q.offset,
  });
}

/** Every user id (metrics by role). */
export async function ids(db: Db): Promise<string[]> {
  return (await db.selectFrom('authz_users').select('id').execute()).map((r) => r.id);
}

/** Users in total and disabled. */
export async function countByStatus(db: Db): Promise<{ total: number; disabled: number }> {
  const r = await db
    .selectFrom('authz_users')
    .select((eb) => [
      eb.fn.countAll().as('total'),
      eb.fn.count('id').filterWhere('disabled', '=', true).as('disabled'),
    ])
    .executeTakeFirstOrThrow();
  return { total: toCount(r.total), disabled: toCount(r.disabled) };
}

/** Users created per UTC day in `[from, before)`, oldest first. */
export async function createdByDay(
  db: Db,
  range: { from?: Date | undefined; before?: Date | undefined },
): Promise<{ date: string; count: number }[]> {
  let q = db.selectFrom('authz_users');
  if (range.from) q = q.where('created_at', '>=', range.from);
  if (range.before) q = q.where('created_at', '<', range.before);
  const day = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const rows = await q
    .select([day.as('date'), (eb) => eb.fn.countAll().as('n')])
    .groupBy(day)
    .orderBy(day)
    .execute();
  return rows.map((r) => ({ date: r.date, count: toCount(r.n) }));
}

/**
 * The auth layer's directory port (auth/managed-roles.ts) over this database: an unknown subject
 * is created from its profile and, when a stored role is flagged default and the subject holds
 * none, given it once (as agno). A subject named like a role is never provisioned.
 * @param roleNames the configured role names (stored ones are read from the database)
 */
export function createDirectory(
  db: () => Db,
  options: { roleNames: readonly string[]; now: () => Date; withRoles: boolean },
): {
  provision(
    subject: string,
    profile: { email: string | null; name: string | null },
  ): Promise<{ disabled: boolean }>;
} {
  const configured = new Set(options.roleNames);
  return {
    async provision(subject, profile) {
      const known = await get(db(), subject);
      if (known) return { disabled: known.disabled };
      if (configured.has(subject)) return { disabled: false };
      const role = options.withRoles
        ? await db().selectFrom('authz_roles').select(['slug', 'is_default']).orderBy('slug').execute()
        : [];
      if (role.some((r) => r.slug === subject)) return { disabled: false };
      const now = options.now();
      const { row, created } = await upsert(db(), { id: subject, ...profile, now });
      const def = role.find((r) => r.is_default);
      if (created && def) {
        const held = await db()
          .selectFrom('authz_subject_roles')
          .select('role')
          .where('subject', '=', subject)
          .executeTakeFirst();
        if (!held) {
          await db()
            .insertInto('authz_subject_roles')
            .values({ subject, role: def.slug, created_at: now })
            .onConflict((oc) => oc.columns(['subject', 'role']).doNothing())
            .execute();
        }
      }
      return { disabled: row.disabled };
    },
  };
}
