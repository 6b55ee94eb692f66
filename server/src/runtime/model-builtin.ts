/**
 * @module The built-in deterministic model: no network, the same conversation always gives the
 * same answer, so runs, tool calls and confirmations can be exercised end to end.
 *
 * Rules, applied to the conversation since the last user message:
 * 1. No tool result yet and the message asks for tools → tool calls:
 *    - `use tool <name> [args]` (several separated by `;` or new lines); `args` is a JSON object,
 *      or words given to the tool's parameters in order (a single string parameter takes the rest);
 *    - a JSON directive anywhere in the message: `{"tool": "<name>", "args": {...}}` or
 *      `{"tool_calls": [{"tool": "<name>", "args": {...}}, ...]}`.
 *    Only tools the agent has are called; others are ignored.
 * 2. Otherwise the answer `<speaker> received: <message>`, followed by one line per tool result
 *    (`<tool>: <result>`, or `<tool> was not run: <note>` for a rejected call) and one line per
 *    team member answer (`- <member>: <answer>`).
 * The answer is streamed in `chunks` deltas (default 3), `delayMs` apart (default 0).
 * Token counts are word counts: input = words of every message, output = words of the answer.
 */
import { RunCancelledSignal } from './errors.js';
import type { Model, ModelRequest, ModelResponse, ModelToolCall, ModelToolDefinition } from './model.js';

export interface BuiltinModelOptions {
  /** Number of content deltas (default 3). */
  readonly chunks?: number | undefined;
  /** Delay before each delta (ms, default 0). */
  readonly delayMs?: number | undefined;
}

/** A tool call the built-in model was asked for (`use tool …` or a JSON directive). */
export interface ToolDirective {
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/** Marker the engine puts in the tool message of a rejected call. */
export const REJECTED_PREFIX = 'Tool call rejected';

const words = (s: string | null | undefined): number => (s ? s.split(/\s+/).filter(Boolean).length : 0);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new RunCancelledSignal());
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RunCancelledSignal());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first balanced `{...}` of a text that parses as JSON, if any. */
function findJsonObject(text: string): Record<string, unknown> | undefined {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          const v = JSON.parse(text.slice(start, i + 1)) as unknown;
          if (isObject(v)) return v;
        } catch {
          // not JSON: try the next `{`
        }
        break;
      }
    }
  }
  return undefined;
}

/** Arguments from the text after `use tool <name>`, mapped onto the tool's parameters. */
function parseArgs(rest: string, tool: ModelToolDefinition | undefined): Record<string, unknown> {
  const text = rest.trim();
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as unknown;
      if (isObject(v)) return v;
    } catch {
      // fall through to positional arguments
    }
  }
  if (text === '') return {};
  const props = Object.entries(tool?.parameters.properties ?? {});
  if (props.length === 0) return { input: text };
  if (props.length === 1) {
    const [name, schema] = props[0]!;
    return { [name]: schema.type === 'number' || schema.type === 'integer' ? Number(text) : text };
  }
  const tokens = text.split(/\s+/);
  const args: Record<string, unknown> = {};
  props.forEach(([name, schema], i) => {
    const last = i === props.length - 1;
    const token = last ? tokens.slice(i).join(' ') : tokens[i];
    if (token === undefined || token === '') return;
    args[name] = schema.type === 'number' || schema.type === 'integer' ? Number(token) : token;
  });
  return args;
}

/**
 * The tool calls a message asks for (see the module rules), limited to `tools`.
 * @example parseToolDirectives('use tool add 2 3', [addTool]) // [{ name: 'add', args: { a: 2, b: 3 } }]
 */
export function parseToolDirectives(text: string, tools: readonly ModelToolDefinition[]): ToolDirective[] {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const out: ToolDirective[] = [];
  const json = findJsonObject(text);
  if (json) {
    const list = Array.isArray(json.tool_calls) ? json.tool_calls : [json];
    for (const entry of list) {
      if (!isObject(entry)) continue;
      const name =
        typeof entry.tool === 'string' ? entry.tool : typeof entry.name === 'string' ? entry.name : '';
      const args = isObject(entry.args) ? entry.args : isObject(entry.arguments) ? entry.arguments : {};
      if (byName.has(name)) out.push({ name, args });
    }
    if (out.length > 0) return out;
  }
  for (const m of text.matchAll(/\buse tool\s+([\w.-]+)([^;\n]*)/gi)) {
    const name = m[1]!;
    const tool = byName.get(name);
    if (tool) out.push({ name, args: parseArgs(m[2] ?? '', tool) });
  }
  return out;
}

/** Splits a text into at most `n` pieces on word boundaries (the pieces join back to the text). */
export function splitChunks(text: string, n: number): string[] {
  const parts = text.split(/(?<=\s)/);
  const count = Math.max(1, Math.min(n, parts.length));
  const size = Math.ceil(parts.length / count);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += size) out.push(parts.slice(i, i + size).join(''));
  return out;
}

/**
 * Creates the built-in model.
 * @param options `chunks` (default 3) and `delayMs` (default 0) of the streamed answer
 */
export function createBuiltinModel(options: BuiltinModelOptions = {}): Model {
  const chunks = Math.max(1, Math.floor(options.chunks ?? 3));
  const delayMs = Math.max(0, options.delayMs ?? 0);
  return {
    id: 'builtin',
    provider: 'builtin',
    className: 'BuiltinModel',
    async invoke(request: ModelRequest): Promise<ModelResponse> {
      const { messages } = request;
      let lastUser = -1;
      for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i]!.role === 'user') {
          lastUser = i;
          break;
        }
      }
      const userText = lastUser === -1 ? '' : (messages[lastUser]!.content ?? '');
      const after = lastUser === -1 ? [] : messages.slice(lastUser + 1);
      const toolResults = after.filter((m) => m.role === 'tool');
      const input_tokens = messages.reduce((n, m) => n + words(m.content), 0);

      if (toolResults.length === 0 && after.every((m) => !m.toolCalls?.length)) {
        const directives = parseToolDirectives(userText, request.tools);
        if (directives.length > 0) {
          // Ids are numbered over the conversation so that the same conversation gives the same ids.
          const previous = messages.reduce((n, m) => n + (m.toolCalls?.length ?? 0), 0);
          const toolCalls: ModelToolCall[] = directives.map((d, i) => ({
            id: `call_${previous + i + 1}`,
            name: d.name,
            arguments: d.args,
          }));
          const output_tokens = toolCalls.length;
          return {
            content: null,
            toolCalls,
            usage: { input_tokens, output_tokens, total_tokens: input_tokens + output_tokens },
            streamed: false,
          };
        }
      }

      const lines = [`${request.speaker} received: ${userText}`];
      for (const t of toolResults) {
        const content = t.content ?? '';
        if (content.startsWith(REJECTED_PREFIX)) lines.push(`${t.name ?? 'tool'} was not run: ${content}`);
        else lines.push(`${t.name ?? 'tool'}: ${content}`);
      }
      for (const m of request.memberResponses ?? []) lines.push(`- ${m.name}: ${m.content}`);
      const content = lines.join('\n');
      let streamed = false;
      if (request.onDelta) {
        for (const piece of splitChunks(content, chunks)) {
          if (delayMs > 0) await sleep(delayMs, request.signal);
          else if (request.signal.aborted) throw new RunCancelledSignal();
          await request.onDelta(piece);
        }
        streamed = true;
      }
      const output_tokens = words(content);
      return {
        content,
        toolCalls: [],
        usage: { input_tokens, output_tokens, total_tokens: input_tokens + output_tokens },
        streamed,
      };
    },
  };
}
