import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { leanFetch } from '../ops/leanFetch.js';
import {
  type ChatMessage,
  ModelError,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type TextDeltaListener,
  type ToolCall,
} from './types.js';

export interface OpenAIProviderOptions {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  maxRetries: number;
  timeoutMs: number;
}

/** Local servers (Ollama, vLLM, LM Studio) accept any key; the SDK insists on one being present. */
const PLACEHOLDER_API_KEY = 'not-needed';

function toWire(system: string, messages: ChatMessage[]): ChatCompletionMessageParam[] {
  const wire: ChatCompletionMessageParam[] = [{ role: 'system', content: system }];
  for (const m of messages) {
    if (m.role === 'assistant') {
      // `agent` is our bookkeeping, not part of the wire format.
      wire.push(
        m.tool_calls?.length
          ? { role: 'assistant', content: m.content, tool_calls: m.tool_calls }
          : { role: 'assistant', content: m.content ?? '' },
      );
    } else if (m.role === 'user') {
      wire.push({ role: 'user', content: m.content });
    } else {
      wire.push(m);
    }
  }
  return wire;
}

function toModelError(err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return new ModelError('timeout', 'the model did not answer in time');
  if (err instanceof OpenAI.APIUserAbortError) return new ModelError('timeout', 'the model call was aborted');
  if (err instanceof OpenAI.APIConnectionError)
    return new ModelError('unavailable', `cannot reach the model server: ${err.message}`);
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const retryAfter = err.headers?.get('retry-after');
    const retryAfterMs = retryAfter && /^\d+(\.\d+)?$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
    if (status === 429)
      return new ModelError('rate_limited', 'the model server is rate limiting us', status, retryAfterMs);
    if (status === 401 || status === 403)
      return new ModelError('auth', 'the model server refused our credentials', status);
    if (status !== undefined && status >= 400 && status < 500)
      return new ModelError('bad_request', `the model server rejected the request: ${err.message}`, status);
    return new ModelError('unavailable', `the model server failed: ${err.message}`, status);
  }
  return new ModelError('unavailable', err instanceof Error ? err.message : String(err));
}

/** Any OpenAI-compatible Chat Completions endpoint, always streamed so text reaches the user as it is produced. */
export class OpenAIProvider implements ModelProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(options: OpenAIProviderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey ?? PLACEHOLDER_API_KEY,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs,
      fetch: leanFetch(),
    });
  }

  /** Vectors for `texts` from the endpoint's `/embeddings`, in input order. */
  async embed(model: string, texts: string[]): Promise<number[][]> {
    const response = await this.client.embeddings.create({ model, input: texts, encoding_format: 'float' });
    return [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  }

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    const tools: ChatCompletionTool[] = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    let text = '';
    const calls = new Map<number, ToolCall>();
    const usage = { promptTokens: 0, completionTokens: 0 };
    try {
      const stream = await this.client.chat.completions.create({
        model: request.model,
        messages: toWire(request.system, request.messages),
        ...(tools.length ? { tools } : {}),
        ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        if (chunk.usage) {
          usage.promptTokens = chunk.usage.prompt_tokens;
          usage.completionTokens = chunk.usage.completion_tokens;
        }
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) {
          text += delta.content;
          onTextDelta?.(delta.content);
        }
        for (const part of delta.tool_calls ?? []) {
          const existing = calls.get(part.index);
          if (existing) {
            existing.function.arguments += part.function?.arguments ?? '';
            if (part.function?.name && !existing.function.name) existing.function.name = part.function.name;
          } else {
            calls.set(part.index, {
              id: part.id ?? `call_${part.index}`,
              type: 'function',
              function: { name: part.function?.name ?? '', arguments: part.function?.arguments ?? '' },
            });
          }
        }
      }
    } catch (err) {
      throw toModelError(err);
    }
    const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return { text, toolCalls, usage };
  }
}
