/**
 * @module The run-time shape of the configured agents, teams and workflows.
 *
 * What the engine reads from an `EntityConfig` (besides `id`, `name`, `description`, `model`):
 *
 * - every entity: `instructions?: string` (a system message), `session_state?: object` (the
 *   default session state), `builtinModel?: { chunks?: number, delayMs?: number }` (the built-in
 *   model's streaming);
 * - agents: `tools?: (string | { name, description?, requiresConfirmation?, handler?, result?,
 *   parameters?, approval?: "required" | "none" })[]` (see `tools.ts`);
 * - teams: `members?: (agentId | { id } | inline agent config)[]`, run in order, then the team's
 *   own model answers (alone when there are no members);
 * - workflows: `steps?: ({ name, agent | team, requiresConfirmation?, confirmationMessage?,
 *   onReject?: "skip" | "cancel" } | agentId)[]`, run in order, each step's input being the
 *   previous step's output (the first gets the workflow input; without steps the workflow answers
 *   its input). `agent`/`team` is an id of a configured agent/team, or an inline config.
 *
 * Each run compiles its own copy (`structuredClone` of the config, contract.md §6): nothing a run
 * changes is seen by another run.
 */
import type { AgentOSConfig, EntityConfig } from '../config/options.js';
import { RunRuntimeError } from './errors.js';
import { type ModelRef, parseModelRef } from './model.js';
import { compileTools, type ToolSpec } from './tools.js';
import type { EntityKind } from './types.js';

export interface BuiltinSettings {
  readonly chunks?: number | undefined;
  readonly delayMs?: number | undefined;
}

interface Common {
  readonly id: string;
  readonly name: string;
  readonly instructions: string | null;
  readonly model: ModelRef;
  readonly builtin: BuiltinSettings;
  readonly sessionState: Record<string, unknown>;
}

export interface AgentSpec extends Common {
  readonly kind: 'agent';
  readonly tools: readonly ToolSpec[];
}

export interface TeamSpec extends Common {
  readonly kind: 'team';
  readonly members: readonly AgentSpec[];
}

export interface StepSpec {
  readonly name: string;
  readonly index: number;
  /** Stable per workflow and position. */
  readonly stepId: string;
  readonly executor: AgentSpec | TeamSpec;
  readonly requiresConfirmation: boolean;
  readonly confirmationMessage: string | null;
  readonly onReject: 'skip' | 'cancel';
}

export interface WorkflowSpec {
  readonly kind: 'workflow';
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly sessionState: Record<string, unknown>;
  readonly steps: readonly StepSpec[];
}

export type EntitySpec = AgentSpec | TeamSpec | WorkflowSpec;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string): never {
  throw new RunRuntimeError('ERR_RUN_ENTITY_INVALID', message);
}

function common(e: EntityConfig, where: string): Common {
  const b = e.builtinModel;
  if (b !== undefined && !isObject(b))
    invalid(`${where}.builtinModel must be an object { chunks?, delayMs? }`);
  const state = e.session_state ?? e.sessionState;
  if (state !== undefined && !isObject(state)) invalid(`${where}.session_state must be an object`);
  return {
    id: e.id,
    name: typeof e.name === 'string' && e.name ? e.name : e.id,
    instructions: typeof e.instructions === 'string' ? e.instructions : null,
    model: parseModelRef(e.model),
    builtin: {
      chunks: typeof b?.chunks === 'number' ? b.chunks : undefined,
      delayMs: typeof b?.delayMs === 'number' ? b.delayMs : undefined,
    },
    sessionState: isObject(state) ? state : {},
  };
}

/** The list of configured entities of a kind. */
export function entitiesOf(config: AgentOSConfig, kind: EntityKind): readonly EntityConfig[] {
  return kind === 'agent' ? config.agents : kind === 'team' ? config.teams : config.workflows;
}

/** The configured entity, or undefined. */
export function findEntity(config: AgentOSConfig, kind: EntityKind, id: string): EntityConfig | undefined {
  return entitiesOf(config, kind).find((e) => e.id === id);
}

function compileAgentConfig(e: EntityConfig, where: string): AgentSpec {
  let tools: ToolSpec[];
  try {
    tools = compileTools(e.tools, where);
  } catch (err) {
    invalid((err as Error).message);
  }
  return { kind: 'agent', ...common(e, where), tools };
}

/** A reference (`"id"`, `{ id }`, `{ agent: "id" }`) to a configured agent, or an inline agent. */
function resolveAgentRef(config: AgentOSConfig, ref: unknown, where: string): AgentSpec {
  if (typeof ref === 'string') {
    const found = config.agents.find((a) => a.id === ref);
    if (!found) invalid(`${where} names agent "${ref}", which is not configured`);
    return compileAgentConfig(structuredClone(found), `agents.${ref}`);
  }
  if (isObject(ref)) {
    if (typeof ref.agent === 'string') return resolveAgentRef(config, ref.agent, where);
    if (typeof ref.id === 'string') {
      const keys = Object.keys(ref);
      const found = config.agents.find((a) => a.id === ref.id);
      if (found && keys.length === 1) return compileAgentConfig(structuredClone(found), `agents.${ref.id}`);
      return compileAgentConfig(ref as EntityConfig, where);
    }
  }
  invalid(`${where} must be an agent id or an agent config { id, ... }, got ${JSON.stringify(ref)}`);
}

function compileTeamConfig(config: AgentOSConfig, e: EntityConfig, where: string): TeamSpec {
  // A team without members is allowed: its leader answers alone.
  const members = e.members ?? [];
  if (!Array.isArray(members)) invalid(`${where}.members must be a list of agent ids or agent configs`);
  return {
    kind: 'team',
    ...common(e, where),
    members: members.map((m, i) => resolveAgentRef(config, m, `${where}.members[${i}]`)),
  };
}

function resolveTeamRef(config: AgentOSConfig, ref: unknown, where: string): TeamSpec {
  if (typeof ref === 'string') {
    const found = config.teams.find((t) => t.id === ref);
    if (!found) invalid(`${where} names team "${ref}", which is not configured`);
    return compileTeamConfig(config, structuredClone(found), `teams.${ref}`);
  }
  if (isObject(ref) && typeof ref.id === 'string') {
    const found = config.teams.find((t) => t.id === ref.id);
    if (found && Object.keys(ref).length === 1) {
      return compileTeamConfig(config, structuredClone(found), `teams.${ref.id}`);
    }
    return compileTeamConfig(config, ref as EntityConfig, where);
  }
  invalid(`${where} must be a team id or a team config { id, members, ... }, got ${JSON.stringify(ref)}`);
}

function compileWorkflowConfig(config: AgentOSConfig, e: EntityConfig, where: string): WorkflowSpec {
  // A workflow without steps is allowed: it answers its input.
  const steps = e.steps ?? [];
  if (!Array.isArray(steps)) invalid(`${where}.steps must be a list of { name, agent | team }`);
  const state = e.session_state ?? e.sessionState;
  return {
    kind: 'workflow',
    id: e.id,
    name: typeof e.name === 'string' && e.name ? e.name : e.id,
    description: typeof e.description === 'string' ? e.description : null,
    sessionState: isObject(state) ? state : {},
    steps: steps.map((raw, index): StepSpec => {
      const at = `${where}.steps[${index}]`;
      const s = typeof raw === 'string' ? { name: raw, agent: raw } : raw;
      if (!isObject(s)) invalid(`${at} must be { name, agent | team }, got ${JSON.stringify(raw)}`);
      const executor =
        s.team !== undefined
          ? resolveTeamRef(config, s.team, `${at}.team`)
          : s.agent !== undefined
            ? resolveAgentRef(config, s.agent, `${at}.agent`)
            : invalid(`${at} needs an "agent" or a "team"`);
      const name = typeof s.name === 'string' && s.name ? s.name : `step_${index + 1}`;
      const onReject = s.onReject ?? s.on_reject;
      return {
        name,
        index,
        stepId: `${e.id}:${index}:${name}`,
        executor,
        requiresConfirmation: s.requiresConfirmation === true || s.requires_confirmation === true,
        confirmationMessage:
          typeof s.confirmationMessage === 'string'
            ? s.confirmationMessage
            : typeof s.confirmation_message === 'string'
              ? s.confirmation_message
              : null,
        onReject: onReject === 'skip' ? 'skip' : 'cancel',
      };
    }),
  };
}

/**
 * Compiles a fresh, private copy of a configured entity for one run.
 * @throws {RunRuntimeError} `ERR_RUN_ENTITY_NOT_FOUND`, `ERR_RUN_ENTITY_INVALID`
 */
export function compileEntity(config: AgentOSConfig, kind: EntityKind, id: string): EntitySpec {
  const found = findEntity(config, kind, id);
  if (!found) {
    const label = kind === 'agent' ? 'Agent' : kind === 'team' ? 'Team' : 'Workflow';
    throw new RunRuntimeError('ERR_RUN_ENTITY_NOT_FOUND', `${label} not found`);
  }
  const copy = structuredClone(found);
  const where = `${kind}s.${id}`;
  if (kind === 'agent') return compileAgentConfig(copy, where);
  if (kind === 'team') return compileTeamConfig(config, copy, where);
  return compileWorkflowConfig(config, copy, where);
}

/** Problems of the configured teams and workflows (and agent tools), for a warning at start. */
export function checkEntities(config: AgentOSConfig): string[] {
  const problems: string[] = [];
  for (const kind of ['agent', 'team', 'workflow'] as const) {
    for (const e of entitiesOf(config, kind)) {
      try {
        compileEntity(config, kind, e.id);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  return problems;
}
