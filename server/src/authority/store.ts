/**
 * @module The storage port of the object-level authority layer, and its database implementation.
 *
 * The layer never imports repositories directly: it asks this port for the objects a path names
 * (with the fields containment compares), for the pending required approvals of a run, and for
 * the member entities a team or workflow run executes. A port that throws makes the layer fail
 * closed (503), never open.
 */
import type { AgentOSConfig } from '../config/options.js';
import type { Db } from '../db/index.js';
import { approvals, runs, schedules, serviceAccounts, sessions } from '../db/repos/index.js';
import { compileEntity, type EntitySpec } from '../runtime/entities.js';

/** The fields of a stored object that containment and targets read (`agent_id`, `user_id`, …). */
export type StoredFields = Readonly<Record<string, unknown>>;

export interface AuthorityStore {
  /** Kinds of object `find` knows (`run`, `session`, `approval`, `schedule`). */
  readonly kinds: ReadonlySet<string>;
  /** The object of `kind` with this id, or undefined when there is none. */
  find(kind: string, id: string): Promise<StoredFields | undefined>;
  /** The ids of the pending approvals of type `required` of a run. */
  pendingRequiredApprovals(runId: string): Promise<readonly string[]>;
  /** The members a run of this team or workflow executes, as run scopes' resources and ids. */
  members(resource: string, id: string): readonly { resource: string; id: string }[];
  /**
   * Records the authority of a stored object's target (a schedule): the owner is set once (the
   * creator); the scopes recorded are the owner's as of its latest create, update or enable. A
   * change by another caller (an admin) leaves both: the owner's authority is what a firing re-checks.
   */
  recordOwner(
    kind: string,
    id: string,
    owner: { userId: string | null; scopes: readonly string[] },
  ): Promise<void>;
  /**
   * The current authority of a principal that the server stores (service accounts): its scopes,
   * or `disabled` when it is revoked, expired or gone. Null for principals it does not store (JWT
   * subjects: their scopes recorded with the object stand).
   */
  principalAuthority(
    principal: string,
    now: Date,
  ): Promise<{ disabled: true } | { disabled: false; scopes: readonly string[] } | null>;
}

const ENTITY_FIELD = { agent: 'agent_id', team: 'team_id', workflow: 'workflow_id' } as const;

function membersOf(spec: EntitySpec, out: Map<string, { resource: string; id: string }>): void {
  const add = (resource: string, id: string) => out.set(`${resource}:${id}`, { resource, id });
  if (spec.kind === 'team') {
    for (const m of spec.members) add('agents', m.id);
  } else if (spec.kind === 'workflow') {
    for (const step of spec.steps) {
      const e = step.executor;
      if (e.kind === 'agent') add('agents', e.id);
      else {
        add('teams', e.id);
        membersOf(e, out);
      }
    }
  }
}

/**
 * The database implementation of the port.
 * @param db the Kysely handle (read at each call, so a test may swap the database)
 * @param config the entities, for `members`
 */
export function createDatabaseAuthorityStore(db: () => Db, config: AgentOSConfig): AuthorityStore {
  return {
    kinds: new Set(['run', 'session', 'approval', 'schedule', 'schedule_run']),
    async find(kind, id) {
      switch (kind) {
        case 'run': {
          const r = await runs.get(db(), id);
          if (!r) return undefined;
          const session = await sessions.get(db(), r.session_id);
          return {
            run_id: r.run_id,
            session_id: r.session_id,
            parent_run_id: r.parent_run_id,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            [ENTITY_FIELD[r.entity_type]]: r.entity_id,
            // The run belongs to whoever owns its session (a run never leaves its session).
            user_id: session ? session.user_id : r.user_id,
          };
        }
        case 'session': {
          const s = await sessions.get(db(), id);
          return s ? { ...s } : undefined;
        }
        case 'approval': {
          const a = await approvals.get(db(), id);
          return a ? { ...a } : undefined;
        }
        case 'schedule': {
          const s = await schedules.get(db(), id);
          return s ? { ...s } : undefined;
        }
        case 'schedule_run': {
          const r = await schedules.getRunById(db(), id);
          return r ? { ...r } : undefined;
        }
        default:
          throw new TypeError(`AuthorityStore: unknown object kind "${kind}"`);
      }
    },
    async pendingRequiredApprovals(runId) {
      const rows = await approvals.listPendingForRun(db(), runId, { approvalType: 'required' });
      return rows.map((r) => r.id);
    },
    async recordOwner(kind, id, owner) {
      if (kind !== 'schedule') throw new TypeError(`AuthorityStore: no owner for object kind "${kind}"`);
      await schedules.setOwner(db(), id, owner);
    },
    async principalAuthority(principal, now) {
      if (!principal.startsWith('sa:')) return null;
      const sa = await serviceAccounts.getByPrincipal(db(), principal);
      if (
        !sa ||
        sa.revoked_at !== null ||
        (sa.expires_at !== null && sa.expires_at.getTime() <= now.getTime())
      ) {
        return { disabled: true };
      }
      return {
        disabled: false,
        scopes: Array.isArray(sa.scopes) ? sa.scopes.filter((x) => typeof x === 'string') : [],
      };
    },
    members(resource, id) {
      const kind = resource === 'teams' ? 'team' : resource === 'workflows' ? 'workflow' : null;
      if (!kind) return [];
      let spec: EntitySpec;
      try {
        spec = compileEntity(config, kind, id);
      } catch {
        // An unknown or invalid entity runs nothing; the handler answers 404/400 for it.
        return [];
      }
      const out = new Map<string, { resource: string; id: string }>();
      membersOf(spec, out);
      return [...out.values()];
    },
  };
}
