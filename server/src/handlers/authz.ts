/**
 * @module The `/authz` operations (feature `authz`, AgentOS 3.1's managed roles; contract.md §9):
 * roles and their allow/deny grants, the role each subject holds, the scope catalogue, and the two
 * audit trails (role changes, and the recorded decisions). Shapes are agno 3.1.10's
 * (`agno/os/authz/admin_router.py`), so agno's client and UI read them.
 *
 * Who may call is decided by the route table (`x-required-scopes: agent_os:admin`), not here.
 * Configured roles (`authorizationConfig.roles`) are listed and assignable but read-only: a change
 * answers 409 naming the configuration. Every change invalidates the auth layer's cache, so it
 * takes effect on the next request.
 */
import { parseScope } from '@agentos/core';
import type { ManagedRoles } from '../auth/managed-roles.js';
import { isReservedSubject } from '../auth/verify.js';
import { epochSeconds, isUniqueViolation } from '../db/index.js';
import type { Effect, ScopeEntry } from '../db/repos/authz.js';
import { authz, decisions, users } from '../db/repos/index.js';
import type { AuthzRoleRow } from '../db/schema.js';
import { routes } from '../generated/routes.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { pageMeta, pageRequest, startTimer } from './pagination.js';
import { fail } from './wire.js';

export type AuthzOperations =
  | 'listRoles'
  | 'createRole'
  | 'getRole'
  | 'updateRole'
  | 'deleteRole'
  | 'patchRoleScopes'
  | 'replaceRoleScopes'
  | 'listAuthzScopes'
  | 'listSubjectRoles'
  | 'assignSubjectRole'
  | 'revokeSubjectRole'
  | 'listAuthzAudit'
  | 'listAuthzDecisions';

export interface AuthzHandlerOptions {
  /** The auth layer's cached view: invalidated on every change. */
  readonly managed: ManagedRoles;
  /** Whether decisions are recorded (`decisionAudit`): `GET /authz/decisions` answers 404 otherwise, as agno. */
  readonly decisionAudit: boolean;
}

/** Audit trails read at most this many rows a page (agno: `le=1000`); roles and users 100. */
const MAX_AUDIT_LIMIT = 1000;
const MAX_LIMIT = 100;

/** `agents:*:read` → namespace `agents`, sub_namespace `*`, permission `read` (agno `_parse_scope`). */
function splitScope(raw: string): { namespace: string; sub_namespace: string | null; permission: string } {
  const parts = raw.split(':');
  if (parts.length === 2) return { namespace: parts[0]!, sub_namespace: null, permission: parts[1]! };
  if (parts.length >= 3) {
    return {
      namespace: parts[0]!,
      sub_namespace: parts.slice(1, -1).join(':'),
      permission: parts[parts.length - 1]!,
    };
  }
  return { namespace: parts[0] || 'unknown', sub_namespace: null, permission: 'unknown' };
}

function scopeSchema(e: ScopeEntry) {
  return { id: null, raw: e.scope, ...splitScope(e.scope), value: e.effect };
}

/** A role as agno's `RoleSchema`. */
function roleSchema(r: {
  slug: string;
  name: string | null;
  description: string | null;
  is_default: boolean;
  created_at: Date | null;
  updated_at: Date | null;
  scopes: readonly ScopeEntry[];
}) {
  return {
    slug: r.slug,
    name: r.name || r.slug,
    description: r.description,
    is_default: r.is_default,
    created_at: epochSeconds(r.created_at),
    updated_at: epochSeconds(r.updated_at),
    scopes: r.scopes.map(scopeSchema),
  };
}

function entriesOf(row: AuthzRoleRow): ScopeEntry[] {
  return (Array.isArray(row.scopes) ? row.scopes : []).map((e) => ({
    scope: e.scope,
    effect: e.effect === 'deny' ? 'deny' : 'allow',
  }));
}

/**
 * Creates the `/authz` handlers.
 * @param options the auth layer's cache and whether decisions are recorded
 */
export function createAuthzHandlers(
  ctx: ServerContext,
  options: AuthzHandlerOptions,
): Pick<Handlers, AuthzOperations> {
  const db = ctx.database.db;
  const adminScope = ctx.config.auth.adminScope;
  const { managed } = options;

  /** Configured roles as `ScopeEntry` lists (read-only). */
  const configured = configuredEntries(ctx);
  const configuredRole = (slug: string) => {
    const scopes = configured.get(slug);
    return scopes
      ? roleSchema({
          slug,
          name: null,
          description: null,
          is_default: false,
          created_at: null,
          updated_at: null,
          scopes,
        })
      : undefined;
  };
  const readOnly = (slug: string): never =>
    fail(
      409,
      `Role '${slug}' is defined in the server configuration (authorizationConfig.roles) and is read-only ` +
        'through this API; change the configuration to change it.',
    );

  async function roleOr404(slug: string) {
    const conf = configuredRole(slug);
    if (conf) return conf;
    const row = await authz.getRole(db, slug);
    if (!row) fail(404, `Role '${slug}' not found`);
    return roleSchema({ ...row, scopes: entriesOf(row) });
  }

  async function storedOr404(slug: string): Promise<AuthzRoleRow> {
    if (configured.has(slug)) readOnly(slug);
    const row = await authz.getRole(db, slug);
    if (!row) fail(404, `Role '${slug}' not found`);
    return row;
  }

  /**
   * Normalises and checks grants as agno does on write: a scope of the grammar (contract.md §2),
   * no `*` action or resource, effect `allow` or `deny`, no deny of the admin scope (it would lock
   * every holder out of administration). Deny wins within one list.
   * @throws 422 naming the entry
   */
  function normalise(items: readonly unknown[]): ScopeEntry[] {
    const out = new Map<string, ScopeEntry>();
    for (const item of items) {
      const raw = typeof item === 'string' ? item : (item as { scope?: unknown }).scope;
      const effectRaw =
        typeof item === 'string' ? 'allow' : ((item as { effect?: unknown }).effect ?? 'allow');
      if (typeof raw !== 'string' || raw === '')
        fail(422, `Unrecognised scope entry: ${JSON.stringify(item)}`);
      const effect = String(effectRaw).toLowerCase();
      if (effect !== 'allow' && effect !== 'deny') {
        fail(422, `scope effect must be 'allow' or 'deny', got ${JSON.stringify(effectRaw)}`);
      }
      const p = parseScope(raw, { adminScope });
      if (p.kind === 'unknown' || (p.kind !== 'admin' && (p.action === '*' || p.resource === '*'))) {
        fail(
          422,
          `${JSON.stringify(raw)} is not a grantable scope: use the admin scope, "resource:action", ` +
            '"resource:<id>:action" or "resource:*:action" (no "*" resource or action)',
        );
      }
      if (p.kind === 'admin' && effect === 'deny') {
        fail(
          422,
          `A deny on '${adminScope}' is refused: deny overrides, so it would lock every holder of the role ` +
            'out of administration. Remove the allow instead.',
        );
      }
      const prev = out.get(raw);
      if (!prev || effect === 'deny') out.set(raw, { scope: raw, effect: effect as Effect });
    }
    return [...out.values()];
  }

  const confersAdmin = (entries: readonly ScopeEntry[]) =>
    entries.some((e) => e.scope === adminScope && e.effect === 'allow');

  function refuseAdminDefault(slug: string): never {
    return fail(
      409,
      `Refused: role '${slug}' confers '${adminScope}' and cannot be the default role. The default is ` +
        'granted to every provisioned user, so this would make every valid token an administrator. Flag a ' +
        'non-admin role as the default and assign admin explicitly.',
    );
  }

  const refuseLockout = createLockoutGuard(ctx);

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

  const roleOf = async (subject: string) => (await authz.rolesOf(db, subject))[0] ?? null;
  const actorOf = (caller: { userId: string | null }) => caller.userId;

  return {
    async listRoles({ query }) {
      const p = pageRequest(query.page, Math.min(query.limit ?? 20, MAX_LIMIT));
      const stored = (await authz.listRoles(db)).map((r) => roleSchema({ ...r, scopes: entriesOf(r) }));
      const all = [...[...configured.keys()].map((s) => configuredRole(s)!), ...stored].sort((a, b) =>
        a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0,
      );
      return {
        status: 200,
        body: { data: all.slice(p.offset, p.offset + p.limit), meta: pageMeta(p, all.length) },
      };
    },

    async createRole({ body, caller }) {
      const slug = body.slug;
      if (/\s/.test(slug))
        fail(400, `Role slug '${slug}' contains whitespace; use '-' or '_' between words.`);
      if (slug.includes('/'))
        fail(400, `Role slug '${slug}' contains '/', which cannot be addressed by /authz/roles/{slug}.`);
      if (configured.has(slug))
        fail(409, `Role '${slug}' already exists (defined in the server configuration)`);
      if ((await users.get(db, slug)) || (await authz.hasAssignments(db, slug))) {
        fail(
          409,
          `Refused: '${slug}' is an existing user id, so it cannot also be a role. Subjects and roles share one ` +
            'namespace. Pick another slug.',
        );
      }
      let row: AuthzRoleRow;
      try {
        row = await authz.createRole(db, {
          slug,
          name: body.name ?? null,
          description: body.description ?? null,
          is_default: body.is_default ?? false,
          now: ctx.now(),
        });
      } catch (e) {
        if (isUniqueViolation(e)) fail(409, `Role '${slug}' already exists`);
        throw e;
      }
      const role = roleSchema({ ...row, scopes: entriesOf(row) });
      await change(actorOf(caller), 'role.created', slug, null, role);
      return { status: 201, body: role };
    },

    async getRole({ path }) {
      return { status: 200, body: await roleOr404(path.slug) };
    },

    async updateRole({ path, body, caller }) {
      const before = await storedOr404(path.slug);
      if (body.is_default === true && confersAdmin(entriesOf(before))) refuseAdminDefault(path.slug);
      const row = await authz.updateRole(db, path.slug, {
        ...(body.name !== undefined && body.name !== null ? { name: body.name } : {}),
        ...(body.description !== undefined && body.description !== null
          ? { description: body.description }
          : {}),
        ...(body.is_default !== undefined && body.is_default !== null ? { is_default: body.is_default } : {}),
        now: ctx.now(),
      });
      if (!row) fail(404, `Role '${path.slug}' not found`);
      const role = roleSchema({ ...row, scopes: entriesOf(row) });
      await change(
        actorOf(caller),
        'role.updated',
        path.slug,
        roleSchema({ ...before, scopes: entriesOf(before) }),
        role,
      );
      return { status: 200, body: role };
    },

    async deleteRole({ path, caller }) {
      const before = await storedOr404(path.slug);
      await refuseLockout((_, confers) => confers.delete(path.slug));
      await authz.deleteRole(db, path.slug);
      await change(
        actorOf(caller),
        'role.deleted',
        path.slug,
        roleSchema({ ...before, scopes: entriesOf(before) }),
        null,
      );
      return { status: 200, body: { slug: path.slug, deleted: true } };
    },

    async replaceRoleScopes({ path, body, caller }) {
      const before = await storedOr404(path.slug);
      const scopes = normalise(body.scopes);
      if (before.is_default && confersAdmin(scopes)) refuseAdminDefault(path.slug);
      await refuseLockout((_, confers) => confers.set(path.slug, confersAdmin(scopes)));
      const row = (await authz.setRoleScopes(db, path.slug, scopes, ctx.now()))!;
      await change(actorOf(caller), 'role.set_scopes', path.slug, entriesOf(before), entriesOf(row));
      return { status: 200, body: entriesOf(row).map(scopeSchema) };
    },

    async patchRoleScopes({ path, body, caller }) {
      const before = await storedOr404(path.slug);
      const upsert = normalise(body.upsert ?? []);
      const remove = new Set(normalise(body.remove ?? []).map((e) => e.scope));
      const next = new Map(entriesOf(before).map((e) => [e.scope, e] as const));
      for (const s of remove) next.delete(s);
      for (const e of upsert) next.set(e.scope, e);
      const scopes = [...next.values()];
      if (before.is_default && confersAdmin(scopes)) refuseAdminDefault(path.slug);
      await refuseLockout((_, confers) => confers.set(path.slug, confersAdmin(scopes)));
      const row = (await authz.setRoleScopes(db, path.slug, scopes, ctx.now()))!;
      await change(actorOf(caller), 'role.set_scopes', path.slug, entriesOf(before), entriesOf(row));
      return { status: 200, body: roleSchema({ ...row, scopes: entriesOf(row) }) };
    },

    async listAuthzScopes() {
      // agno: the route→scope map's scopes plus the admin scope, sorted.
      const raws = new Set<string>([adminScope]);
      for (const r of routes) for (const s of r.scopes) raws.add(s);
      return {
        status: 200,
        body: [...raws].sort().map((raw) => {
          const s = splitScope(raw);
          return s.sub_namespace === null
            ? { raw, namespace: s.namespace, permission: s.permission }
            : { raw, ...s };
        }),
      };
    },

    async listSubjectRoles({ path }) {
      return { status: 200, body: { subject: path.subject, role: await roleOf(path.subject) } };
    },

    async assignSubjectRole({ path, body, caller }) {
      const subject = path.subject;
      const role = body.role;
      await roleOr404(role);
      if (subject === '' || subject !== subject.trim()) {
        fail(400, `Subject '${subject}' must be a non-empty string with no surrounding whitespace.`);
      }
      if (isReservedSubject(subject)) {
        fail(
          400,
          `'${subject}' is a reserved server principal and cannot hold a role. Service accounts carry their ` +
            "scopes on the token; the scheduler runs as the schedule's owner.",
        );
      }
      if (configured.has(subject) || (await authz.getRole(db, subject))) {
        fail(
          400,
          `'${subject}' is a role, not a user, so it cannot be assigned a role. Did you swap the arguments?`,
        );
      }
      const before = await authz.rolesOf(db, subject);
      await refuseLockout((assigned) => assigned.set(subject, new Set([role])));
      await authz.assignRole(db, subject, role, ctx.now());
      await change(actorOf(caller), 'user.assigned', subject, before, [role]);
      return { status: 200, body: { subject, role: await roleOf(subject) } };
    },

    async revokeSubjectRole({ path, caller }) {
      const before = await authz.rolesOf(db, path.subject);
      await refuseLockout((assigned) => assigned.get(path.subject)?.delete(path.role));
      if (await authz.unassignRole(db, path.subject, path.role)) {
        await change(
          actorOf(caller),
          'user.unassigned',
          path.subject,
          before,
          await authz.rolesOf(db, path.subject),
        );
      }
      return { status: 200, body: { subject: path.subject, role: await roleOf(path.subject) } };
    },

    async listAuthzAudit({ query }) {
      const { p, started, q } = auditQuery(query);
      const { rows, total } = await authz.listChanges(db, q);
      return {
        status: 200,
        body: {
          data: rows.map((r) => ({
            created_at: epochSeconds(r.created_at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
          })),
          meta: pageMeta(p, total, started),
        },
      };
    },

    async listAuthzDecisions({ query }) {
      if (!options.decisionAudit) fail(404, 'Decision audit is not enabled');
      const { p, started, q } = auditQuery(query);
      const { rows, total } = await decisions.page(db, q);
      return {
        status: 200,
        body: {
          // agno's `read_decisions` shape; `metadata.token` is the token reference, never the token.
          data: rows.map((r) => ({
            id: r.id,
            created_at: epochSeconds(r.created_at),
            actor: r.principal,
            action: r.action,
            target: r.target,
            operation_id: r.operation_id,
            reason: r.reason,
            metadata: { required: r.required, token: r.token_ref, scopes: r.scopes },
          })),
          meta: pageMeta(p, total, started),
        },
      };
    },
  };
}

/** The configured roles (`authorizationConfig.roles`) as `ScopeEntry` lists. */
function configuredEntries(ctx: ServerContext): Map<string, ScopeEntry[]> {
  const configured = new Map<string, ScopeEntry[]>();
  for (const [name, def] of Object.entries(ctx.config.auth.roles)) {
    const { allow = [], deny = [] } = Array.isArray(def)
      ? { allow: def as readonly string[] }
      : (def as { allow?: readonly string[]; deny?: readonly string[] });
    configured.set(name, [
      ...allow.map((scope) => ({ scope, effect: 'allow' as const })),
      ...deny.map((scope) => ({ scope, effect: 'deny' as const })),
    ]);
  }
  return configured;
}

/**
 * agno's last-admin guard: a change that would leave no subject holding a role that allows the
 * admin scope, when one holds it now, is refused (409), since nothing but database surgery (or a
 * configured admin role named by the roles claim) would repair it. A store with no admin holder yet
 * is never blocked, so bootstrapping works. The returned function takes the change, applied to a copy
 * of the assignments and of each role's admin flag.
 */
export function createLockoutGuard(
  ctx: ServerContext,
): (mutate: (assigned: Map<string, Set<string>>, confers: Map<string, boolean>) => void) => Promise<void> {
  const db = ctx.database.db;
  const adminScope = ctx.config.auth.adminScope;
  const configured = configuredEntries(ctx);
  const confersAdmin = (entries: readonly ScopeEntry[]) =>
    entries.some((e) => e.scope === adminScope && e.effect === 'allow');
  return async function refuseLockout(mutate) {
    const assigned = new Map<string, Set<string>>();
    for (const a of await authz.allAssignments(db)) {
      const set = assigned.get(a.subject) ?? new Set<string>();
      set.add(a.role);
      assigned.set(a.subject, set);
    }
    const confers = new Map<string, boolean>();
    for (const [name, entries] of configured) confers.set(name, confersAdmin(entries));
    for (const r of await authz.listRoles(db)) {
      if (!configured.has(r.slug)) confers.set(r.slug, confersAdmin(entriesOf(r)));
    }
    const holders = () =>
      [...assigned.values()].filter((roles) => [...roles].some((r) => confers.get(r) === true)).length;
    if (holders() === 0) return;
    mutate(assigned, confers);
    if (holders() === 0) {
      fail(
        409,
        `Refused: this change would leave no subject holding a role that confers '${adminScope}', so nobody ` +
          'could administer authorization afterwards. Grant another subject an admin role first.',
      );
    }
  };
}

/** `sort_by` of the audit trails: one of agno's `AUDIT_SORT_FIELDS`, else 422 as agno. */
function auditSort(v: unknown): (typeof authz.AUDIT_SORT_FIELDS)[number] {
  const s = typeof v === 'string' ? v : 'created_at';
  if (!(authz.AUDIT_SORT_FIELDS as readonly string[]).includes(s)) {
    fail(422, `sort_by must be one of ${JSON.stringify(authz.AUDIT_SORT_FIELDS)}`);
  }
  return s as (typeof authz.AUDIT_SORT_FIELDS)[number];
}

/** The page and filter of the two audit reads (`GET /authz/audit`, `GET /authz/decisions`). */
function auditQuery(query: {
  page?: number | undefined;
  limit?: number | undefined;
  search?: string | undefined;
  sort_by?: string | undefined;
  sort_order?: string | undefined;
}) {
  const p = pageRequest(query.page, Math.min(query.limit ?? 100, MAX_AUDIT_LIMIT));
  const q = {
    limit: p.limit,
    offset: p.offset,
    search: query.search || undefined,
    sortBy: auditSort(query.sort_by),
    order: query.sort_order === 'asc' ? ('asc' as const) : ('desc' as const),
  };
  return { p, started: startTimer(), q };
}
