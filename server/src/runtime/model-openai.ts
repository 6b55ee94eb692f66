/**
 * @module The OpenAI-compatible model adapter: `POST {baseUrl}/chat/completions` with `fetch`,
 * non-streaming (the engine sends the answer as one content event). Works with any server that
 * speaks the Chat Completions API (OpenAI, Azure-style proxies, vLLM, Ollama, LiteLLM, ...).
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { ModelProviderError } from './errors.js';
import type {
  Model,
  ModelMessage,
  ModelRequest,
  ModelResponse,
  ModelToolCall,
  OpenAIProviderOptions,
} from './model.js';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
}

function toChatMessage(m: ModelMessage): ChatMessage {
  if (m.role === 'tool') return { role: 'tool', content: m.content ?? '', tool_call_id: m.toolCallId ?? '' };
  const out: ChatMessage = { role: m.role, content: m.content };
  if (m.toolCalls && m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
  }
  return out;
}

function parseArguments(raw: unknown): Record<string, unknown> {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Creates an OpenAI-compatible chat model.
 * @param id the model id sent as `model` (e.g. `gpt-4o-mini`)
 * @param options `baseUrl` (default `https://api.openai.com/v1`), `apiKey`, `timeoutMs` (default 60000)
 * @param fetchImpl the fetch to use (default `globalThis.fetch`)
 */
export function createOpenAIModel(
  id: string,
  options: OpenAIProviderOptions = {},
  fetchImpl: typeof fetch = globalThis.fetch,
): Model {
  const baseUrl = (options.baseUrl ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    id,
    provider: 'OpenAI',
    className: 'OpenAIChat',
    async invoke(request: ModelRequest): Promise<ModelResponse> {
      if (!options.apiKey) {
        throw new ModelProviderError(
          `Model "openai:${id}" needs an API key: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server).`,
        );
      }
      const messages = request.messages.map(toChatMessage);
      if (request.memberResponses && request.memberResponses.length > 0) {
        const lines = request.memberResponses.map((m) => `- ${m.name}: ${m.content}`).join('\n');
        messages.push({
          role: 'system',
          content: `Your team members answered:\n${lines}\nWrite the team's answer to the user.`,
        });
      }
      const body: Record<string, unknown> = { model: id, messages };
      if (request.tools.length > 0) {
        body.tools = request.tools.map((t) => ({
          type: 'function',
          function: { name: t.name, description: t.description, parameters: t.parameters },
        }));
      }
      let res: Response;
      try {
        res = await fetchImpl(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
          body: JSON.stringify(body),
          signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (e) {
        if (request.signal.aborted) throw e;
        throw new ModelProviderError(`OpenAI request failed: ${(e as Error).message}`, null, { cause: e });
      }
      const text = await res.text();
      if (!res.ok) {
        let detail = text.slice(0, 300);
        try {
          const j = JSON.parse(text) as { error?: { message?: string } };
          if (j.error?.message) detail = j.error.message;
        } catch {
          // keep the raw text
        }
        throw new ModelProviderError(`OpenAI answered ${res.status}: ${detail}`, res.status);
      }
      let json: {
        choices?: { message?: { content?: string | null; tool_calls?: unknown[] } }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
      };
      try {
        json = JSON.parse(text) as typeof json;
      } catch (e) {
        throw new ModelProviderError('OpenAI answered a body that is not JSON', res.status, { cause: e });
      }
      const message = json.choices?.[0]?.message;
      if (!message) throw new ModelProviderError('OpenAI answered no choices', res.status);
      const toolCalls: ModelToolCall[] = [];
      for (const raw of message.tool_calls ?? []) {
        const c = raw as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
        if (typeof c.function?.name !== 'string') continue;
        toolCalls.push({
          id: typeof c.id === 'string' ? c.id : `call_${toolCalls.length + 1}`,
          name: c.function.name,
          arguments: parseArguments(c.function.arguments),
        });
      }
      const input_tokens = json.usage?.prompt_tokens ?? 0;
      const output_tokens = json.usage?.completion_tokens ?? 0;
      return {
        content: typeof message.content === 'string' ? message.content : null,
        toolCalls,
        usage: {
          input_tokens,
          output_tokens,
          total_tokens: json.usage?.total_tokens ?? input_tokens + output_tokens,
        },
        streamed: false,
      };
    },
  };
}
