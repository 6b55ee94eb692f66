/**
 * Service accounts: personal access tokens (`agno_pat_…`) stored as their SHA-256 only (made and
 * hashed by auth/service-accounts.ts).
 * One active (unrevoked) account per name; revoking frees the name for a new token, which gets a
 * principal of its own.
 */
import type { ServiceAccountRow } from '../schema.js';
import {
  type Db,
  json,
  newId,
  order,
  type Page,
  type PageOptions,
  pageOf,
  paging,
  sortColumn,
} from '../util.js';

export interface NewServiceAccount {
  id?: string;
  name: string;
  /** The token's first characters, shown in lists (never enough to use it). */
  token_prefix: string;
  /** Hex SHA-256 of the token (`hashToken` of auth/service-accounts.ts): the plaintext is never stored. */
  token_sha256: string;
  scopes: readonly string[];
  user_id?: string | null;
  created_by?: string | null;
  /** Default: the database's time. */
  created_at?: Date;
  expires_at?: Date | null;
}

/**
 * Stores a new account. An active account with the same name throws a unique violation (409);
 * so does a token whose hash exists (never in practice).
 */
export async function create(db: Db, a: NewServiceAccount): Promise<ServiceAccountRow> {
  const id = a.id ?? newId();
  // Principals are unique forever (contract.md §8.7): a name used before, even by a revoked
  // account, gets a principal of its own, so the new account never inherits the old one's rows.
  const used = await db
    .selectFrom('service_accounts')
    .select('id')
    .where('name', '=', a.name)
    .executeTakeFirst();
  return db
    .insertInto('service_accounts')
    .values({
      id,
      name: a.name,
      principal: used ? `sa:${a.name}.${id}` : `sa:${a.name}`,
      user_id: a.user_id ?? null,
      token_prefix: a.token_prefix,
      token_sha256: a.token_sha256,
      scopes: json([...a.scopes])!,
      created_by: a.created_by ?? null,
      expires_at: a.expires_at ?? null,
      ...(a.created_at ? { created_at: a.created_at } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function get(db: Db, id: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The active (unrevoked) account with this name. */
export async function getActiveByName(db: Db, name: string): Promise<ServiceAccountRow | undefined> {
  return db
    .selectFrom('service_accounts')
    .selectAll()
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** The account whose requests carry this principal (`sa:<name>` or `sa:<name>.<id>`). */
export async function getByPrincipal(db: Db, principal: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('principal', '=', principal).executeTakeFirst();
}

/** The account whose token hashes to `sha256` (revoked or expired ones included). */
export async function findByTokenHash(db: Db, sha256: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('token_sha256', '=', sha256).executeTakeFirst();
}

export const SERVICE_ACCOUNT_SORT_COLUMNS = ['created_at', 'name', 'expires_at', 'last_used_at'] as const;

export async function list(
  db: Db,
  opts: PageOptions & {
    includeRevoked?: boolean;
    sortBy?: string;
    sortOrder?: string;
    /** Under isolation: the caller's own accounts and the workspace-level ones (no owner). */
    visibleTo?: string | undefined;
  } = {},
): Promise<Page<ServiceAccountRow>> {
  const { limit, offset } = paging(opts);
  const visibleTo = opts.visibleTo;
  const base = db
    .selectFrom('service_accounts')
    .$if(opts.includeRevoked === false, (q) => q.where('revoked_at', 'is', null))
    .$if(visibleTo !== undefined, (q) =>
      q.where((eb) => eb.or([eb('user_id', '=', visibleTo as string), eb('user_id', 'is', null)])),
    );
  const sortBy = sortColumn(opts.sortBy, SERVICE_ACCOUNT_SORT_COLUMNS, 'created_at');
  return pageOf(base, (q) => q.selectAll().orderBy(sortBy, order(opts.sortOrder)).orderBy('id'), {
    limit,
    offset,
  });
}

/** Records a use of the token. */
export async function touch(db: Db, id: string, at: Date = new Date()): Promise<void> {
  await db.updateTable('service_accounts').set({ last_used_at: at }).where('id', '=', id).execute();
}

/**
 * Revokes an account (idempotent: an already revoked account keeps its first `revoked_at`).
 * Answers the row, or undefined if no account has this id.
 */
export async function revoke(
  db: Db,
  id: string,
  at: Date = new Date(),
): Promise<ServiceAccountRow | undefined> {
  return db
    .updateTable('service_accounts')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * The storage port of the auth layer's service-account verifier (`ServiceAccountStore` in
 * auth/service-account-verifier.ts, matched structurally: storage does not import auth).
 */
export function createServiceAccountStore(db: Db): {
  findByTokenHash(sha256: string): Promise<ServiceAccountRow | undefined>;
  touch(id: string, at: Date): Promise<void>;
} {
  return {
    findByTokenHash: (sha256) => findByTokenHash(db, sha256),
    touch: (id, at) => touch(db, id, at),
  };
}
