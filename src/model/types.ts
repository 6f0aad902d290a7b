import { z } from 'zod';

/**
 * Conversation history in the Chat Completions wire shape. It is our own declaration (not the SDK's type)
 * because it is persisted in thread state: an SDK upgrade must not change what we have stored.
 */
export const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string(), name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    tool_calls: z.array(toolCallSchema).optional(),
    /** Which agent wrote this message; not sent to the model. */
    agent: z.string().optional(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  model: string;
  /** Agent name, for logs and for providers that route by agent. */
  agent: string;
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** What the call is for; a reply when absent. The offline engine answers each purpose its own way. */
  purpose?: 'reply' | 'review' | 'revise' | 'summary' | undefined;
  /** Ask for a JSON object (the review verdict); sent as `response_format: json_object`. */
  json?: boolean | undefined;
  /**
   * The same context as the prompt text, structured, for engines that read rather than generate: the thread's
   * facts, and for a review or a revision the draft and its sources. The OpenAI provider sends only the prompt.
   */
  context?:
    | {
        facts?: Record<string, string>;
        draft?: string;
        sources?: string[];
        issues?: string[];
        /** The confirmation question the latest message did not answer; it is put again after this reply. */
        awaitingConfirmation?: string;
      }
    | undefined;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
}

/** Called with each piece of text as the model produces it. */
export type TextDeltaListener = (delta: string) => void;

/** The one interface the orchestrator calls: the OpenAI-compatible provider and the offline engine both implement it. */
export interface ModelProvider {
  readonly name: string;
  complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse>;
}

/** `circuit_open`: the provider has been failing, so the call was not even tried (see CircuitBreaker). */
export type ModelErrorKind =
  | 'rate_limited'
  | 'unavailable'
  | 'bad_request'
  | 'auth'
  | 'timeout'
  | 'malformed'
  | 'circuit_open';

export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
