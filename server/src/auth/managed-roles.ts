/**
 * @module Managed roles and the user directory as the auth layer sees them (contract.md §9.1,
 * §9.4): roles stored in the database next to the configured ones, the role each subject holds, and
 * each subject's directory entry, read through storage ports (this layer never imports the
 * database) and cached. Every change made through `/authz` or `/users` calls `invalidate()`, so it
 * takes effect on this instance's next request; other instances sharing the database see it once
 * their cache entries expire (`ttlMs`, default 5 s).
 */
import { type CompiledRoles, compileRoles, parseScope, type RoleDefinition } from '@agentos/core';
import type { Logger } from 'pino';

/** A role stored in the database, as the storage port answers it. */
export interface StoredRole {
  readonly slug: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** The storage port of managed roles. */
export interface RoleStorePort {
  /** Every stored role. */
  roles(): Promise<readonly StoredRole[]>;
  /** The roles stored for a subject. */
  rolesOf(subject: string): Promise<readonly string[]>;
}

/** The claims a directory entry is provisioned from. */
export interface DirectoryProfile {
  readonly email: string | null;
  readonly name: string | null;
}

/** The storage port of the user directory. */
export interface DirectoryPort {
  /**
   * The subject's entry, created from the profile when unknown (with the default role, when one is
   * flagged and the subject holds none): whether it is disabled.
   */
  provision(subject: string, profile: DirectoryProfile): Promise<{ readonly disabled: boolean }>;
}

export interface ManagedRolesOptions {
  /** The configured roles (read-only through the API). */
  readonly configured: Readonly<Record<string, RoleDefinition | readonly string[]>>;
  readonly adminScope: string;
  /** Stored roles and assignments (feature `authz`); without it only configured roles apply. */
  readonly store?: RoleStorePort | undefined;
  /** The user directory (feature `users`). */
  readonly directory?: DirectoryPort | undefined;
  readonly logger?: Logger | undefined;
  /** How long a cached read is used (default 5000 ms; 0 reads the store on every request). */
  readonly ttlMs?: number | undefined;
}

export interface ManagedRoles {
  /** Whether roles are in force: configured roles exist, or the role store is on (feature `authz`). */
  readonly inForce: boolean;
  /**
   * The roles when they never change (no role store): configured roles only, and no subject holds a
   * stored assignment. Null with a role store (read `roles()` and `assigned()`).
   */
  readonly fixed: CompiledRoles | null;
  /** Whether a user directory is configured (`disabled()` answers null without one). */
  readonly hasDirectory: boolean;
  /** Configured and stored roles, compiled (configured win on a shared name). @throws when the store fails */
  roles(): Promise<CompiledRoles>;
  /** The roles held by a subject through stored assignments. @throws when the store fails */
  assigned(subject: string): Promise<readonly string[]>;
  /** Whether a subject is disabled, provisioning it on first sight; null without a directory. @throws when the directory fails */
  disabled(subject: string, profile: DirectoryProfile): Promise<boolean | null>;
  /** Drops every cached read (call after any change of roles, assignments or users). */
  invalidate(): void;
}

interface Entry<T> {
  readonly value: Promise<T>;
  readonly at: number;
}

/** At most this many subjects are cached (the oldest entry goes first). */
const MAX_SUBJECTS = 10_000;

/**
 * Creates the cached view.
 * @example const managed = createManagedRoles({ configured: config.auth.roles, adminScope, store })
 */
export function createManagedRoles(options: ManagedRolesOptions): ManagedRoles {
  const { configured, adminScope, store, directory, logger } = options;
  const ttl = options.ttlMs ?? 5000;
  const configuredNames = Object.keys(configured);
  const fixed = compileRoles(configured, { adminScope });
  const inForce = configuredNames.length > 0 || store !== undefined;
  let generation = 0;
  let compiled: (Entry<CompiledRoles> & { generation: number }) | null = null;
  const assignments = new Map<string, Entry<readonly string[]>>();
  const enabled = new Map<string, number>();

  const fresh = (at: number) => ttl > 0 && Date.now() - at < ttl;

  function remember<T>(map: Map<string, Entry<T>>, key: string, value: Promise<T>): Promise<T> {
    if (map.size >= MAX_SUBJECTS) map.delete(map.keys().next().value!);
    const entry = { value, at: Date.now() };
    map.set(key, entry);
    // A failed read is never cached: the next request asks the store again.
    value.catch(() => {
      if (map.get(key) === entry) map.delete(key);
    });
    return value;
  }

  async function load(): Promise<CompiledRoles> {
    const stored = store ? await store.roles() : [];
    const defs: Record<string, RoleDefinition | readonly string[]> = {};
    for (const r of stored) {
      // A stored grant that no longer parses (written before a rule, or by hand) grants nothing;
      // it never makes every request fail.
      const ok = (s: string) => parseScope(s, { adminScope }).kind !== 'unknown';
      const bad = [...r.allow, ...r.deny].filter((s) => !ok(s));
      if (bad.length > 0)
        logger?.warn({ role: r.slug, scopes: bad }, 'stored role: unparsable grants ignored');
      defs[r.slug] = { allow: r.allow.filter(ok), deny: r.deny.filter(ok) };
    }
    const dynamic = compileRoles(defs, { adminScope });
    return {
      // `size > 0` is what puts roles in force in core's resolver: on with the store, even empty.
      size: inForce ? Math.max(1, fixed.size + dynamic.size) : 0,
      get: (name) => fixed.get(name) ?? dynamic.get(name),
    };
  }

  return {
    inForce,
    fixed: store ? null : fixed,
    hasDirectory: directory !== undefined,
    roles() {
      if (!store) return Promise.resolve(fixed);
      if (compiled && compiled.generation === generation && fresh(compiled.at)) return compiled.value;
      const entry = { value: load(), at: Date.now(), generation };
      compiled = entry;
      entry.value.catch(() => {
        if (compiled === entry) compiled = null;
      });
      return entry.value;
    },
    assigned(subject) {
      if (!store) return Promise.resolve([]);
      const hit = assignments.get(subject);
      if (hit && fresh(hit.at)) return hit.value;
      return remember(assignments, subject, store.rolesOf(subject));
    },
    async disabled(subject, profile) {
      if (!directory) return null;
      // Only "enabled" is cached: a disabled subject is read again (and stays refused) until enabled.
      const at = enabled.get(subject);
      if (at !== undefined && fresh(at)) return false;
      const { disabled } = await directory.provision(subject, profile);
      if (!disabled) {
        if (enabled.size >= MAX_SUBJECTS) enabled.delete(enabled.keys().next().value!);
        enabled.set(subject, Date.now());
      } else enabled.delete(subject);
      return disabled;
    },
    invalidate() {
      generation++;
      compiled = null;
      assignments.clear();
      enabled.clear();
    },
  };
}
