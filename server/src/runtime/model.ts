/**
 * @module The model interface of the run engine, and which model an entity runs on.
 *
 * `model` unset, `builtin`, `builtin:<anything>` or any provider other than OpenAI → the built-in
 * deterministic model (no network). `openai:<model>` (or `{ id, provider: "openai" }`, any case)
 * → the OpenAI-compatible adapter, configured by `ModelProviderOptions.openai` (the entry point
 * reads `OPENAI_BASE_URL` / `OPENAI_API_KEY` with `modelProvidersFromEnv`).
 */
import type { JsonSchema } from './tools.js';

export interface ModelToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

export interface ModelMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string | null;
  readonly toolCalls?: readonly ModelToolCall[] | undefined;
  readonly toolCallId?: string | undefined;
  /** The tool name of a tool message. */
  readonly name?: string | undefined;
}

export interface ModelToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

export interface ModelRequest {
  /** The name of the agent or team speaking (the built-in model quotes it). */
  readonly speaker: string;
  readonly messages: readonly ModelMessage[];
  readonly tools: readonly ModelToolDefinition[];
  /** Answers of team members, for a team leader's final answer. */
  readonly memberResponses?: readonly { readonly name: string; readonly content: string }[] | undefined;
  readonly signal: AbortSignal;
  /** Receives content deltas as they are produced (streaming models). */
  readonly onDelta?: ((delta: string) => void | Promise<void>) | undefined;
}

export interface ModelUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
}

export interface ModelResponse {
  readonly content: string | null;
  readonly toolCalls: readonly ModelToolCall[];
  readonly usage: ModelUsage;
  /** True when the content was delivered through `onDelta`. */
  readonly streamed: boolean;
}

export interface Model {
  /** The model id (`RunOutput.model`). */
  readonly id: string;
  /** The provider (`RunOutput.model_provider`). */
  readonly provider: string;
  /** The span name prefix of its calls (`OpenAIChat.invoke`). */
  readonly className: string;
  invoke(request: ModelRequest): Promise<ModelResponse>;
}

/** Where the OpenAI-compatible adapter sends its requests. */
export interface OpenAIProviderOptions {
  /** Default `https://api.openai.com/v1`. */
  readonly baseUrl?: string | undefined;
  readonly apiKey?: string | undefined;
  /** Request timeout (ms, default 60000). */
  readonly timeoutMs?: number | undefined;
}

/** Model providers, resolved once at the entry point. */
export interface ModelProviderOptions {
  readonly openai?: OpenAIProviderOptions | undefined;
  /** The fetch to use (tests inject one; default `globalThis.fetch`). */
  readonly fetch?: typeof fetch | undefined;
}

/**
 * Reads the model provider settings from an environment (the entry point calls this, nothing
 * below it reads `process.env`).
 * @example createRunRuntime({ ..., models: modelProvidersFromEnv(process.env) })
 */
export function modelProvidersFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ModelProviderOptions {
  const baseUrl = env.OPENAI_BASE_URL?.trim() || undefined;
  const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
  return { openai: { baseUrl, apiKey } };
}

/** Which model an entity runs on. */
export interface ModelRef {
  readonly provider: 'builtin' | 'openai';
  readonly id: string;
}

/** Resolves an entity's `model` config (a string `provider:id`, an id, or `{ id, provider }`). */
export function parseModelRef(model: unknown): ModelRef {
  let provider: string | undefined;
  let id: string | undefined;
  if (typeof model === 'string') {
    const i = model.indexOf(':');
    if (i === -1) id = model;
    else {
      provider = model.slice(0, i);
      id = model.slice(i + 1);
    }
  } else if (typeof model === 'object' && model !== null) {
    const m = model as { id?: unknown; provider?: unknown };
    if (typeof m.id === 'string') id = m.id;
    if (typeof m.provider === 'string') provider = m.provider;
  }
  if (provider !== undefined && /^openai$/i.test(provider) && id) return { provider: 'openai', id };
  return { provider: 'builtin', id: 'builtin' };
}
