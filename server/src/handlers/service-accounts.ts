/**
 * @module Service Accounts operations: mint (`agno_pat_…`, answered once, only its SHA-256
 * stored), list (never the token or its hash), revoke (idempotent, evicts the local
 * verification cache).
 *
 * Minting rules (spec `createServiceAccount`, research agno-api.md §3 and §6): anonymous callers
 * get 401; unknown scopes and `deny` effects 400; privileged scopes (any write/delete action,
 * the admin scope, any `service_accounts` scope) 400 unless `allow_privileged_scopes`; a caller
 * without the admin scope may grant only scopes it holds itself (403); an active account with
 * the same name 409.
 */

import { compileRequirement, holdsScope, parseScope } from '@agentos/core';
import {
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_SERVICE_ACCOUNT_SCOPES,
  generateServiceAccountToken,
  randomBase62,
  type ServiceAccountVerifier,
} from '../auth/service-accounts.js';
import { epochSeconds, isUniqueViolation } from '../db/index.js';
import { serviceAccounts } from '../db/repos/index.js';
import type { ServiceAccountRow } from '../db/schema.js';
import { routes } from '../generated/routes.js';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';

type ServiceAccountOperations = 'createServiceAccount' | 'listServiceAccounts' | 'revokeServiceAccount';

export interface ServiceAccountHandlerOptions {
  /** The verifier the auth middleware uses: revoking evicts its cache entry at once. */
  readonly verifier?: ServiceAccountVerifier | undefined;
}

const DAY_MS = 86_400_000;

/** `resource:action` pairs some operation requires: the only scopes worth granting. */
const KNOWN = new Set(
  routes.flatMap((r) =>
    r.scopes.map((s) => {
      const req = compileRequirement(s);
      return req.kind === 'admin' ? '' : `${req.resource}:${req.action}`;
    }),
  ),
);

function bad<S extends 400 | 401 | 403 | 404 | 409>(status: S, detail: string) {
  return { status, body: { detail } } as const;
}

/** The read shape of one scope (`ScopeSchema`). */
function scopeSchema(raw: string, adminScope: string) {
  const p = parseScope(raw, { adminScope });
  if (p.kind === 'admin') {
    const i = raw.lastIndexOf(':');
    return {
      id: null,
      raw,
      namespace: i > 0 ? raw.slice(0, i) : raw,
      sub_namespace: null,
      permission: i > 0 ? raw.slice(i + 1) : 'admin',
      value: 'allow' as const,
    };
  }
  if (p.kind === 'unknown') {
    return { id: null, raw, namespace: raw, sub_namespace: null, permission: '', value: 'allow' as const };
  }
  return {
    id: null,
    raw,
    namespace: p.resource,
    sub_namespace: p.kind === 'global' ? null : p.kind === 'wildcard' ? '*' : p.id,
    permission: p.action,
    value: 'allow' as const,
  };
}

function toResponse(row: ServiceAccountRow, adminScope: string) {
  return {
    id: row.id,
    name: row.name,
    principal: row.principal,
    user_id: row.user_id,
    token_prefix: row.token_prefix,
    scopes: (Array.isArray(row.scopes) ? row.scopes : []).map((s) => scopeSchema(s, adminScope)),
    created_at: epochSeconds(row.created_at) ?? 0,
    expires_at: epochSeconds(row.expires_at),
    last_used_at: epochSeconds(row.last_used_at),
    revoked_at: epochSeconds(row.revoked_at),
    created_by: row.created_by,
  };
}

/**
 * Creates the Service Accounts handlers.
 * @param options `verifier`: the service-account verifier of the auth middleware (cache eviction on revoke)
 */
export function createServiceAccountHandlers(
  ctx: ServerContext,
  options: ServiceAccountHandlerOptions = {},
): Pick<Handlers, ServiceAccountOperations> {
  const db = ctx.database.db;
  const adminScope = ctx.config.auth.adminScope;

  return {
    async createServiceAccount({ body, caller }) {
      if (!caller.authenticated) return bad(401, 'JWT authentication is required to mint a service account.');
      const items = body.scopes ?? null;
      const denied = (items ?? []).filter((i) => (i.effect ?? 'allow') !== 'allow').map((i) => i.scope);
      if (denied.length > 0) {
        return bad(400, `Service-account tokens accept only "allow" scopes; remove: ${denied.join(', ')}`);
      }
      const scopes = [...new Set(items ? items.map((i) => i.scope) : DEFAULT_SERVICE_ACCOUNT_SCOPES)];
      const invalid = scopes.filter((s) => {
        const p = parseScope(s, { adminScope });
        return p.kind === 'unknown' || (p.kind !== 'admin' && !KNOWN.has(`${p.resource}:${p.action}`));
      });
      if (invalid.length > 0) return bad(400, `Invalid scope(s): ${invalid.join(', ')}`);
      const privileged = scopes.filter((s) => {
        const p = parseScope(s, { adminScope });
        return (
          p.kind === 'admin' ||
          (p.kind !== 'unknown' &&
            (p.action === 'write' || p.action === 'delete' || p.resource === 'service_accounts'))
        );
      });
      if (privileged.length > 0 && body.allow_privileged_scopes !== true) {
        return bad(
          400,
          `Privileged scope(s) require allow_privileged_scopes=true: ${privileged.join(', ')}. ` +
            'Privileged tokens must be deliberate, never accidental.',
        );
      }
      const notHeld = scopes.filter((s) => !holdsScope(caller.grants, s, { adminScope }));
      if (notHeld.length > 0) return bad(403, `Cannot grant scope(s) you do not hold: ${notHeld.join(', ')}`);

      const conflict = `An active service account named '${body.name}' already exists. Revoke it first to rotate.`;
      if (await serviceAccounts.getActiveByName(db, body.name)) return bad(409, conflict);

      const now = ctx.now();
      const days = body.expires_in_days ?? DEFAULT_EXPIRY_DAYS;
      const { token, sha256, prefix } = generateServiceAccountToken();
      let row: ServiceAccountRow;
      try {
        row = await serviceAccounts.create(db, {
          id: `sa_${randomBase62(22)}`,
          name: body.name,
          user_id: caller.userId,
          token_prefix: prefix,
          token_sha256: sha256,
          scopes,
          created_by: caller.userId,
          created_at: now,
          expires_at: body.never_expires === true ? null : new Date(now.getTime() + days * DAY_MS),
        });
      } catch (e) {
        // Two concurrent mints of one name: the partial unique index lets one through.
        if (isUniqueViolation(e)) return bad(409, conflict);
        throw e;
      }
      ctx.logger.info(
        { serviceAccount: row.name, id: row.id, scopes, by: caller.userId },
        'service account minted',
      );
      return { status: 201, body: { ...toResponse(row, adminScope), token } };
    },

    async listServiceAccounts({ query, caller }) {
      const { rows, total } = await serviceAccounts.list(db, {
        visibleTo: caller.scopedUserId ?? undefined,
        includeRevoked: query.include_revoked !== false,
        sortBy: query.sort_by,
        sortOrder: query.sort_order,
        limit: query.limit,
        page: query.page,
      });
      const limit = query.limit ?? 20;
      return {
        status: 200,
        body: {
          data: rows.map((r) => toResponse(r, adminScope)),
          meta: { page: query.page ?? 1, limit, total_pages: Math.ceil(total / limit), total_count: total },
        },
      };
    },

    async revokeServiceAccount({ path, caller }) {
      const id = path.service_account_id;
      const now = ctx.now();
      // Under isolation (agno 3.1's scoped read, contract §5): another user's account answers the
      // same 404 as a missing one; a workspace-level account (no owner) is visible but no single
      // caller may revoke it.
      const scoped = caller.scopedUserId;
      if (scoped !== null) {
        const existing = await serviceAccounts.get(db, id);
        if (!existing || (existing.user_id !== null && existing.user_id !== scoped)) {
          return bad(404, `Service account '${id}' not found`);
        }
        if (existing.user_id === null) return bad(403, 'Cannot revoke a workspace-level service account');
      }
      // Idempotent: an already revoked account keeps its first revoked_at.
      const row = await serviceAccounts.revoke(db, id, now);
      if (!row) return bad(404, `Service account '${id}' not found`);
      if (row.revoked_at?.getTime() === now.getTime()) {
        ctx.logger.info({ serviceAccount: row.name, id, by: caller.userId }, 'service account revoked');
      }
      options.verifier?.invalidate(row.token_sha256);
      return { status: 204 };
    },
  };
}
