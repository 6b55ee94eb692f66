/**
 * @module Agent filesystems (agno 3.1 `/filesystem/*`). No agent of this server has a filesystem, so
 * every answer is agno's for such agents: the agent named must be readable by the caller (403, as
 * agno) and known (404), then an empty listing, or 404 "This agent does not have a filesystem" /
 * "Filesystem not found". One difference: a caller who may read no agent gets an empty listing, not
 * agno's 403.
 */
import {
  type AccessibleIds,
  accessibleIds,
  type CallerContext,
  compileGrants,
  isAccessible,
} from '@agentos/core';
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';
import { fail } from './wire.js';

export type FilesystemHandlers = Pick<
  Handlers,
  'listFilesystemFiles' | 'listFilesystemEntries' | 'getFilesystemContent' | 'searchFilesystem'
>;

const AGENTS_READ_DENIED = 'Insufficient permissions. Required scope(s): agents:read';

/** Creates the filesystem handlers. */
export function createFilesystemHandlers(ctx: ServerContext): FilesystemHandlers {
  const adminScope = ctx.config.auth.adminScope;

  /** The agent ids the caller may read (agno `get_accessible_resources`), or '*' without RBAC. */
  function readableAgents(caller: CallerContext): AccessibleIds {
    if (ctx.config.auth.mode !== 'rbac' || caller.isAdmin) return '*';
    return accessibleIds(compileGrants(caller.scopes, { adminScope }), 'agents', 'read');
  }

  /** agno `_get_global_filesystem_agent_ids`: the named agent (readable), or every readable agent. */
  function agentIds(caller: CallerContext, agentId: string | null | undefined): string[] {
    const readable = readableAgents(caller);
    if (agentId) {
      if (!isAccessible(readable, agentId)) fail(403, AGENTS_READ_DENIED);
      return [agentId];
    }
    // (differs) agno answers 403 "agents:read" when the caller may read no agent; here the listing
    // is filtered to nothing, as every filtered list of the contract (contract.md §2).
    return ctx.config.agents.map((a) => a.id).filter((id) => isAccessible(readable, id));
  }

  /** agno `_get_agent_filesystems` for an agent of this server: it has none. */
  function noFilesystem(agentId: string): never {
    if (!ctx.config.agents.some((a) => a.id === agentId)) fail(404, 'Agent not found');
    fail(404, 'This agent does not have a filesystem');
  }

  /** agno `_resolve_filesystem`: the one filesystem a browse request names; none exists here. */
  function resolveFilesystem(
    caller: CallerContext,
    agentId: string | null | undefined,
    namespace: string | null | undefined,
  ): never {
    if (!agentId && !namespace) fail(400, 'Provide a namespace, an agent_id, or both');
    agentIds(caller, agentId);
    if (agentId) noFilesystem(agentId);
    fail(404, 'Filesystem not found');
  }

  return {
    async listFilesystemFiles({ query, caller }) {
      const ids = agentIds(caller, query.agent_id);
      // A named agent is strict (its errors answer); across agents, agents without one are skipped.
      if (query.agent_id) noFilesystem(ids[0]!);
      const limit = query.limit ?? 20;
      const page = query.page ?? 1;
      return {
        status: 200,
        body: { entries: [], meta: { page, limit, total_pages: 0, total_count: 0 } },
      };
    },
    async listFilesystemEntries({ query, caller }) {
      resolveFilesystem(caller, query.agent_id, query.namespace);
    },
    async getFilesystemContent({ query, caller }) {
      resolveFilesystem(caller, query.agent_id, query.namespace);
    },
    async searchFilesystem({ query, caller }) {
      resolveFilesystem(caller, query.agent_id, query.namespace);
    },
  };
}
