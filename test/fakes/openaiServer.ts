import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim, so tests can send malformed JSON. */
  arguments?: string | Record<string, unknown>;
  id?: string;
}

export type FakeReply =
  | {
      text?: string;
      toolCalls?: FakeToolCall[];
      usage?: { prompt: number; completion: number };
      /** Characters per streamed text chunk. */
      chunkChars?: number;
      /** Streaming pauses after a text chunk (the first, or the one `gateAfterChunk` numbers) until this settles. */
      gate?: Promise<unknown>;
      /** Which text chunk, counted from 0, the gate pauses after. */
      gateAfterChunk?: number;
    }
  | { status: number; error?: string; headers?: Record<string, string> };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    stream?: boolean;
    messages: Array<{
      role: string;
      content: string | null;
      tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
      tool_call_id?: string;
    }>;
    tools?: Array<{ type: string; function: { name: string; description?: string; parameters: unknown } }>;
    stream_options?: { include_usage?: boolean };
  };
}

export type Responder = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

const DEFAULT_CHUNK_CHARS = 6;

/** Dimensions of the fake `/embeddings` vectors. */
export const FAKE_EMBEDDING_DIMENSIONS = 64;

/**
 * Words the fake embedding model treats as one meaning, so a test can show hybrid search finding a passage by
 * meaning that keyword search misses ("bill" for "invoice").
 */
const FAKE_SYNONYMS: Record<string, string> = { bill: 'invoice', bills: 'invoice', invoices: 'invoice' };

/**
 * A deterministic stand-in for an embedding model: each word (lower case, synonyms folded) hashed into one of
 * FAKE_EMBEDDING_DIMENSIONS dimensions. Texts sharing words point the same way; nothing else about them does.
 */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(FAKE_EMBEDDING_DIMENSIONS).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) {
    const word = FAKE_SYNONYMS[raw] ?? raw;
    let hash = 2166136261;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
    vector[(hash >>> 0) % FAKE_EMBEDDING_DIMENSIONS]! += 1;
  }
  return vector;
}

export interface EmbeddingRequest {
  model: string;
  input: string[];
}

/** An OpenAI-compatible Chat Completions server on 127.0.0.1:0, scripted per test, recording every request. */
export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  /** Every `/embeddings` request, in order. */
  readonly embeddingRequests: EmbeddingRequest[] = [];
  /** While set, `/embeddings` answers with this HTTP status instead of vectors. */
  embeddingsStatus: number | undefined;
  private readonly queue: Array<FakeReply | Responder> = [];
  private fallback: Responder | undefined;
  private server: Server | undefined;
  private port = 0;
  private sequence = 0;
  /** Milliseconds the server spent deciding replies (for benchmarks that subtract server time). */
  serverMs = 0;

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Replies used once each, in order. */
  script(...replies: Array<FakeReply | Responder>): this {
    this.queue.push(...replies);
    return this;
  }

  /** Forgets the script, the fallback and the recorded requests. */
  reset(): this {
    this.queue.length = 0;
    this.requests.length = 0;
    this.embeddingRequests.length = 0;
    this.embeddingsStatus = undefined;
    this.fallback = undefined;
    return this;
  }

  /** Replies still scripted but not yet used. */
  get unusedReplies(): number {
    return this.queue.length;
  }

  /** Used whenever the script is empty. */
  respondWith(responder: Responder): this {
    this.fallback = responder;
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private embeddings(chunks: Buffer[], res: ServerResponse): void {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: string | string[] };
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    this.embeddingRequests.push({ model: body.model, input });
    if (this.embeddingsStatus !== undefined) {
      res.writeHead(this.embeddingsStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'fake embeddings failure', type: 'fake_error', code: null } }));
      return;
    }
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text) }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 0, total_tokens: 0 } }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST' && req.url?.endsWith('/embeddings')) return this.embeddings(chunks, res);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const request: RecordedRequest = {
      path: req.url,
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
    };
    this.requests.push(request);
    const started = performance.now();
    const next = this.queue.shift() ?? this.fallback;
    const reply: FakeReply =
      next === undefined
        ? { status: 500, error: 'fake openai: no scripted reply left' }
        : typeof next === 'function'
          ? await next(request)
          : next;
    this.serverMs += performance.now() - started;
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          error: { message: reply.error ?? `fake error ${reply.status}`, type: 'fake_error', code: null },
        }),
      );
      return;
    }
    const id = `chatcmpl-${++this.sequence}`;
    const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `call_${this.sequence}_${i}`,
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
    }));
    const usage = reply.usage ?? {
      prompt: Math.ceil(JSON.stringify(request.body.messages).length / 4),
      completion: Math.ceil((reply.text ?? '').length / 4) + toolCalls.length * 10,
    };
    const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    if (request.body.stream) {
      await this.stream(res, request, id, reply, toolCalls, usage, finishReason);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.body.model,
        choices: [
          {
            index: 0,
            finish_reason: finishReason,
            message: {
              role: 'assistant',
              content: reply.text ?? null,
              ...(toolCalls.length
                ? {
                    tool_calls: toolCalls.map((c) => ({
                      id: c.id,
                      type: 'function',
                      function: { name: c.name, arguments: c.arguments },
                    })),
                  }
                : {}),
            },
          },
        ],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
        },
      }),
    );
  }

  private async stream(
    res: ServerResponse,
    request: RecordedRequest,
    id: string,
    reply: Extract<FakeReply, { text?: string }>,
    toolCalls: Array<{ id: string; name: string; arguments: string }>,
    usage: { prompt: number; completion: number },
    finishReason: string,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = {
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: request.body.model,
    };
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    send({ role: 'assistant', content: '' });
    const text = reply.text ?? '';
    const size = reply.chunkChars ?? DEFAULT_CHUNK_CHARS;
    for (let i = 0; i < text.length; i += size) {
      send({ content: text.slice(i, i + size) });
      if (i === (reply.gateAfterChunk ?? 0) * size && reply.gate) await reply.gate;
    }
    toolCalls.forEach((call, index) => {
      send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
      const half = Math.ceil(call.arguments.length / 2);
      for (const part of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        if (part) send({ tool_calls: [{ index, function: { arguments: part } }] });
      }
    });
    send({}, finishReason);
    if (request.body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }
}

/** Polls until `check` returns a truthy value; fails with `what` after the deadline. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  deadlineMs = 10_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
