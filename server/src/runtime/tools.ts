/**
 * @module Tools an agent can call: a small built-in set, and the tools an entity declares in its
 * config (`tools: [{ name, description?, requiresConfirmation?, handler?, result?, parameters?,
 * approval? }]`), mapped onto the built-ins or onto a fixed answer.
 *
 * Tools never hold state of their own: whatever they change lives in the run's own
 * `session_state` (contract.md §6, request isolation), passed in the call context.
 */

/** A JSON Schema object (the subset tools use). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema & { description?: string }>;
  required?: string[];
  description?: string;
  [key: string]: unknown;
}

/** What a tool sees while it runs. */
export interface ToolContext {
  /** The run's own session state (mutable, a per-run copy). */
  readonly sessionState: Record<string, unknown>;
  readonly dependencies: Readonly<Record<string, unknown>>;
  readonly runId: string;
  readonly sessionId: string;
  readonly userId: string | null;
  now(): Date;
}

export type ToolHandler = (args: Record<string, unknown>, context: ToolContext) => string | Promise<string>;

/** A built-in tool. */
export interface BuiltinTool {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
  readonly handler: ToolHandler;
}

/** A tool as an agent runs it. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
  /** Pause the run before calling it (human confirmation, contract.md §7). */
  readonly requiresConfirmation: boolean;
  /** `required`: the pause creates a blocking approval; `none`: only the user's confirmation. */
  readonly approval: 'required' | 'none';
  readonly handler: ToolHandler;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

function num(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`argument "${name}" must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** The built-in tools, by name. */
export const BUILTIN_TOOLS: Readonly<Record<string, BuiltinTool>> = Object.freeze({
  echo: {
    name: 'echo',
    description: 'Answers its text unchanged.',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    handler: (args) => str(args.text),
  },
  add: {
    name: 'add',
    description: 'Adds two numbers.',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
    handler: (args) => String(num(args.a, 'a') + num(args.b, 'b')),
  },
  lookup_order: {
    name: 'lookup_order',
    description: 'Looks up an order by id.',
    parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    handler: (args) => {
      const id = str(args.order_id);
      // Deterministic: the status depends on the id only.
      const statuses = ['processing', 'shipped', 'delivered'];
      let h = 0;
      for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      return JSON.stringify({ order_id: id, status: statuses[h % statuses.length], items: (h % 3) + 1 });
    },
  },
  remember: {
    name: 'remember',
    description: 'Stores a note in the session state (`notes`).',
    parameters: { type: 'object', properties: { note: { type: 'string' } }, required: ['note'] },
    handler: (args, ctx) => {
      const notes = Array.isArray(ctx.sessionState.notes) ? (ctx.sessionState.notes as unknown[]) : [];
      notes.push(str(args.note));
      ctx.sessionState.notes = notes;
      return `Remembered: ${str(args.note)} (${notes.length} note${notes.length === 1 ? '' : 's'})`;
    },
  },
  get_state: {
    name: 'get_state',
    description: 'Reads the session state, or one key of it.',
    parameters: { type: 'object', properties: { key: { type: 'string' } } },
    handler: (args, ctx) => {
      const key = str(args.key);
      return JSON.stringify(key ? (ctx.sessionState[key] ?? null) : ctx.sessionState);
    },
  },
  current_time: {
    name: 'current_time',
    description: 'The current time (ISO 8601, UTC).',
    parameters: { type: 'object', properties: {} },
    handler: (_args, ctx) => ctx.now().toISOString(),
  },
  fail: {
    name: 'fail',
    description: 'Always fails (to exercise tool errors).',
    parameters: { type: 'object', properties: { message: { type: 'string' } } },
    handler: (args) => {
      throw new Error(str(args.message) || 'tool failed');
    },
  },
});

/** A declared tool that maps to no built-in: answers `result`, or its name and arguments. */
function staticHandler(name: string, result: unknown): ToolHandler {
  return (args) => (result !== undefined ? str(result) : JSON.stringify({ tool: name, args, status: 'ok' }));
}

/**
 * Turns an entity's `tools` config into runnable tools.
 * Each entry is a built-in's name, or `{ name, description?, requiresConfirmation?, handler?,
 * result?, parameters?, approval? }`: `handler` names the built-in to run (default: the built-in of
 * the same name, else a fixed answer `result`, else `{"tool","args","status":"ok"}`).
 * @throws {Error} on an entry that is neither, or a `handler` that is not a built-in
 */
export function compileTools(raw: unknown, where: string): ToolSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where}.tools must be a list, got ${JSON.stringify(raw)}`);
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const at = `${where}.tools[${i}]`;
    const t = typeof entry === 'string' ? { name: entry } : entry;
    if (typeof t !== 'object' || t === null || typeof (t as { name?: unknown }).name !== 'string') {
      throw new Error(`${at} must be a tool name or { name, ... }, got ${JSON.stringify(entry)}`);
    }
    const o = t as Record<string, unknown>;
    const name = o.name as string;
    if (seen.has(name)) throw new Error(`${at}: duplicate tool name "${name}"`);
    seen.add(name);
    const handlerName = typeof o.handler === 'string' ? o.handler : undefined;
    if (handlerName !== undefined && !BUILTIN_TOOLS[handlerName]) {
      throw new Error(
        `${at}.handler "${handlerName}" is not a built-in tool (one of: ${Object.keys(BUILTIN_TOOLS).join(', ')})`,
      );
    }
    const builtin = BUILTIN_TOOLS[handlerName ?? name];
    const approval = o.approval === 'none' || o.approval === false ? 'none' : 'required';
    return {
      name,
      description:
        typeof o.description === 'string' ? o.description : (builtin?.description ?? `The ${name} tool.`),
      parameters:
        typeof o.parameters === 'object' && o.parameters !== null
          ? (o.parameters as JsonSchema)
          : (builtin?.parameters ?? { type: 'object', properties: {} }),
      requiresConfirmation: o.requiresConfirmation === true || o.requires_confirmation === true,
      approval,
      handler: builtin ? builtin.handler : staticHandler(name, o.result),
    };
  });
}
