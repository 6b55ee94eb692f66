/**
 * @module The `/users` operations (feature `users`, AgentOS 3.1's user directory; contract.md
 * §9.4): who the users are (the token `sub`, provisioned on first sight by the auth layer), their
 * role merged in, directory metrics, and the `disabled` kill-switch that refuses a subject on every
 * request. Shapes are agno 3.1.10's (`get_users_router`). Who may call is the route table's
 * (`agent_os:admin`); a disabled admin is refused by the auth layer before reaching here.
 */
import type { ManagedRoles } from '../auth/managed-roles.js';
import { isReservedSubject } from '../auth/verify.js';
import { epochSeconds } from '../db/index.js';
import { authz, users } from '../db/repos/index.js';
import type { AuthzUserRow } from '../db/schema.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { createLockoutGuard } from './authz.js';
import { pageMeta, pageRequest, startTimer } from './pagination.js';
import { fail } from './wire.js';

export type UserOperations =
  | 'listUsers'
  | 'createUser'
  | 'getUserMetrics'
  | 'getUser'
  | 'updateUser'
  | 'deleteUser';

export interface UserHandlerOptions {
  readonly managed: ManagedRoles;
  /** Roles are managed (feature `authz`): each user's role is merged in, and metrics count them. */
  readonly withRoles: boolean;
}

const MAX_LIMIT = 100;
const DAY_MS = 86_400_000;

/**
 * Creates the `/users` handlers.
 */
export function createUserHandlers(
  ctx: ServerContext,
  options: UserHandlerOptions,
): Pick<Handlers, UserOperations> {
  const db = ctx.database.db;
  const { managed, withRoles } = options;
  const configuredRoles = new Set(Object.keys(ctx.config.auth.roles));
  const refuseLockout = createLockoutGuard(ctx);

  async function roleNames(): Promise<Map<string, string>> {
    const out = new Map<string, string>([...configuredRoles].map((r) => [r, r]));
    if (withRoles) for (const r of await authz.listRoles(db)) out.set(r.slug, r.name || r.slug);
    return out;
  }

  async function view(rows: readonly AuthzUserRow[]) {
    const held = withRoles
      ? await authz.rolesOfMany(
          db,
          rows.map((r) => r.id),
        )
      : new Map<string, string[]>();
    const names = withRoles ? await roleNames() : new Map<string, string>();
    return rows.map((u) => {
      const role = held.get(u.id)?.[0] ?? null;
      return {
        id: u.id,
        email: u.email,
        name: u.name,
        status: u.disabled ? 'disabled' : 'active',
        disabled: u.disabled,
        role_slug: role,
        role_name: role === null ? null : (names.get(role) ?? role),
        created_at: epochSeconds(u.created_at),
        updated_at: epochSeconds(u.updated_at),
      };
    });
  }
  const one = async (row: AuthzUserRow) => (await view([row]))[0]!;

  /** agno `_refuse_non_user_id`: reserved principals and role names are never directory users. */
  async function refuseNonUser(id: string): Promise<void> {
    if (isReservedSubject(id)) {
      fail(
        422,
        `'${id}' is a system-reserved principal, not a directory user. Service accounts and system identities ` +
          'are never stored in the directory, so disabling them here would have no effect; revoke the credential instead.',
      );
    }
    if (configuredRoles.has(id) || (withRoles && (await authz.getRole(db, id)))) {
      fail(
        422,
        `'${id}' is a role, not a user. Subjects and roles share one namespace; use an opaque id (an email, say) for the person.`,
      );
    }
  }

  async function change(
    actor: string | null,
    action: string,
    target: string,
    before: unknown,
    after: unknown,
  ) {
    await authz.recordChange(db, { actor, action, target, before, after, now: ctx.now() });
    managed.invalidate();
  }

  return {
    async listUsers({ query }) {
      const p = pageRequest(query.page, Math.min(query.limit ?? 20, MAX_LIMIT));
      const sortBy = query.sort_by ?? 'created_at';
      if (!(users.USER_SORT_FIELDS as readonly string[]).includes(sortBy)) {
        fail(422, `sort_by must be one of ${JSON.stringify(users.USER_SORT_FIELDS)}`);
      }
      const started = startTimer();
      const { rows, total } = await users.list(db, {
        limit: p.limit,
        offset: p.offset,
        includeDisabled: query.include_disabled !== false,
        search: query.search || undefined,
        sortBy: sortBy as users.UserSortField,
        order: query.sort_order === 'asc' ? 'asc' : 'desc',
      });
      return { status: 200, body: { data: await view(rows), meta: pageMeta(p, total, started) } };
    },

    async createUser({ body, caller }) {
      await refuseNonUser(body.id);
      const { row, created } = await users.upsert(db, {
        id: body.id,
        email: body.email,
        name: body.name,
        now: ctx.now(),
      });
      const after = await one(row);
      await change(caller.userId, created ? 'user.created' : 'user.updated', body.id, null, after);
      return { status: 200, body: after };
    },

    async getUserMetrics({ query }) {
      const from = query.starting_date ? new Date(`${query.starting_date}T00:00:00Z`) : undefined;
      const to = query.ending_date ? new Date(`${query.ending_date}T00:00:00Z`) : undefined;
      if ((from && Number.isNaN(from.getTime())) || (to && Number.isNaN(to.getTime()))) {
        fail(422, 'starting_date and ending_date must be dates (YYYY-MM-DD)');
      }
      if (from && to && from > to) fail(422, 'starting_date must be on or before ending_date');
      const status = await users.countByStatus(db);
      const created = await users.createdByDay(db, {
        from,
        before: to ? new Date(to.getTime() + DAY_MS) : undefined,
      });
      let byRole: { role_slug: string; role_name: string; count: number }[] | null = null;
      let withoutRole: number | null = null;
      if (withRoles) {
        const held = await authz.rolesOfMany(db, await users.ids(db));
        const names = await roleNames();
        const counts = new Map<string, number>();
        withoutRole = 0;
        for (const roles of held.values()) {
          if (roles.length === 0) withoutRole++;
          for (const r of roles) counts.set(r, (counts.get(r) ?? 0) + 1);
        }
        byRole = [...counts.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([role, count]) => ({ role_slug: role, role_name: names.get(role) ?? role, count }));
      }
      return {
        status: 200,
        body: {
          total: status.total,
          active: status.total - status.disabled,
          disabled: status.disabled,
          without_role: withoutRole,
          created_per_day: created,
          by_role: byRole,
        },
      };
    },

    async getUser({ path }) {
      const row = await users.get(db, path.user_id);
      if (!row) fail(404, `User '${path.user_id}' not found`);
      return { status: 200, body: await one(row) };
    },

    async updateUser({ path, body, caller }) {
      const id = path.user_id;
      const existing = await users.get(db, id);
      // PATCH creates an unknown id (as agno), so it gets POST's checks.
      if (!existing) await refuseNonUser(id);
      const before = existing ? await one(existing) : null;
      let { row } = await users.upsert(db, { id, email: body.email, name: body.name, now: ctx.now() });
      if (typeof body.disabled === 'boolean' && body.disabled !== row.disabled) {
        row = (await users.setDisabled(db, id, body.disabled, ctx.now()))!;
      }
      const after = await one(row);
      const action =
        before && before.disabled !== after.disabled
          ? after.disabled
            ? 'user.disabled'
            : 'user.enabled'
          : before
            ? 'user.updated'
            : 'user.created';
      await change(caller.userId, action, id, before, after);
      return { status: 200, body: after };
    },

    async deleteUser({ path, caller }) {
      const id = path.user_id;
      const existing = await users.get(db, id);
      const before = existing ? await one(existing) : null;
      // A complete removal: the user's roles go too, or a deleted (disabled) user's still-valid
      // token would regain its old access through the surviving assignment (as agno).
      const roles = withRoles ? await authz.rolesOf(db, id) : [];
      // Deleting the last admin would lock the directory and roles APIs: refused before anything goes.
      if (roles.length > 0) await refuseLockout((assigned) => assigned.delete(id));
      for (const r of roles) await authz.unassignRole(db, id, r);
      const deleted = await users.remove(db, id);
      if (deleted || roles.length > 0) {
        await change(caller.userId, 'user.deleted', id, before, null);
      }
      return { status: 200, body: { id, deleted } };
    },
  };
}
