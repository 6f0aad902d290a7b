import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, beforeEach } from 'node:test';
import { type ConsoleAdapter, createConsoleAdapter } from '../adapters/console/index.js';
import { type Config, loadConfig } from '../src/config.js';
import { createStore } from '../src/conversation/store.js';
import type { ThreadState } from '../src/conversation/threadState.js';
import { createLogger, type Logger } from '../src/log.js';
import { type App, consoleIdentity, createApp, createModel } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import type { ModelProvider } from '../src/model/types.js';
import type { IntentRouter } from '../src/orchestrator/intentRouter.js';
import { FakeOpenAI, waitFor } from './fakes/openaiServer.js';

export { FakeOpenAI, waitFor };

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** REPLY_RETRY_DELAYS_MS for tests: as many tries, without the production pauses. */
export const TEST_REPLY_RETRY_DELAYS_MS: readonly number[] = [10, 10, 10];

/**
 * A fake model server for the enclosing `describe`: started before its tests, emptied of scripts, fallbacks and
 * recorded requests before each one, and closed after them.
 */
export function suiteFakeOpenAI(): FakeOpenAI {
  const fake = new FakeOpenAI();
  before(() => fake.start());
  beforeEach(() => fake.reset());
  after(() => fake.close());
  return fake;
}

/** A logger whose JSON lines are kept, parsed, to read what was logged. */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

/** Writes a config file (switchboard.yaml's format) into `dir` and returns its path. */
export function writeConfigFile(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Scripted model conversations predate grounded answers, so their replies go out unreviewed and unchecked unless a
 * test asks (REVIEWED_AGENTS, CHECKED_AGENTS); the offline sessions keep the agent pack's own settings.
 */
export function testConfig(env: Record<string, string>): Config {
  return loadConfig({
    OPENAI_API_KEY: 'sk-test-key',
    OPENAI_MAX_RETRIES: '0',
    REVIEWED_AGENTS: 'none',
    CHECKED_AGENTS: 'none',
    ...env,
  });
}

export interface SessionOptions {
  namespace?: string;
  router?: IntentRouter;
  log?: Logger;
}

/** A console chat wired exactly as `npm start` wires it, with the output captured. */
export class ConsoleSession {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  text = '';
  readonly app: App;
  readonly chat: ConsoleAdapter;
  private running: Promise<void> | undefined;

  constructor(config: Config, provider: ModelProvider, options: SessionOptions = {}) {
    const log = options.log ?? createLogger({ level: 'silent' });
    this.app = createApp(config, log, {
      provider,
      store: createStore({ ...config.store, namespace: options.namespace }, log),
      router: options.router,
    });
    this.chat = createConsoleAdapter(
      {
        input: this.input,
        output: this.output,
        desk: this.app.desk,
        memory: this.app.store.records,
        identity: consoleIdentity(config),
      },
      this.app.service,
    );
    this.output.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }

  /** The offline engine, built as `npm start` builds it with no keys. */
  static async offline(env: Record<string, string>): Promise<ConsoleSession> {
    const config = loadConfig({ MODEL_PROVIDER: 'offline', ...env });
    const { provider } = await createModel(config, createLogger({ level: 'silent' }));
    return new ConsoleSession(config, provider);
  }

  static openai(fake: FakeOpenAI, env: Record<string, string>, options: SessionOptions = {}): ConsoleSession {
    const config = testConfig({ OPENAI_BASE_URL: fake.baseURL, ...env });
    const provider = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: fake.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    });
    return new ConsoleSession(config, provider, options);
  }

  /** openai() on a fresh data directory, closed and removed after the calling test. */
  static openaiForTest(fake: FakeOpenAI, env: Record<string, string> = {}): ConsoleSession {
    const data = tempDir();
    return ConsoleSession.cleanedUpAfterTest(ConsoleSession.openai(fake, { DATA_DIR: data.dir, ...env }), data);
  }

  /** offline() on a fresh data directory, closed and removed after the calling test. */
  static async offlineForTest(env: Record<string, string> = {}): Promise<ConsoleSession> {
    const data = tempDir();
    return ConsoleSession.cleanedUpAfterTest(await ConsoleSession.offline({ DATA_DIR: data.dir, ...env }), data);
  }

  private static cleanedUpAfterTest(chat: ConsoleSession, data: { remove(): void }): ConsoleSession {
    after(async () => {
      await chat.close();
      data.remove();
    });
    return chat;
  }

  /** Types a line into the chat (as a person or a pipe would). */
  type(line: string): void {
    this.running ??= this.chat.run();
    this.input.write(`${line}\n`);
  }

  /** Ends the input and waits for every reply. */
  async end(): Promise<void> {
    this.running ??= this.chat.run();
    this.input.end();
    await this.running;
  }

  /** Closes the store, as a stopping process does; a new session on the same data is a restart. */
  async close(): Promise<void> {
    await this.app.close();
  }

  async state(): Promise<ThreadState> {
    return this.app.service.loadState(this.chat.thread);
  }

  waitForText(fragment: string): Promise<boolean> {
    return waitFor(
      () => this.text.includes(fragment),
      `console output to contain ${JSON.stringify(fragment)}; got:\n${this.text}`,
    );
  }
}

/** The system prompt of a recorded request tells which agent the model was called for. */
export function systemPrompt(fake: FakeOpenAI, index: number): string {
  const message = fake.requests[index]?.body.messages[0];
  return message?.role === 'system' ? (message.content ?? '') : '';
}

export function toolNames(fake: FakeOpenAI, index: number): string[] {
  return (fake.requests[index]?.body.tools ?? []).map((t) => t.function.name);
}

export function toolMessages(fake: FakeOpenAI, index: number): string[] {
  return (fake.requests[index]?.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

/** The answer of the standard scenario: triage → transfer_to_orders → lookup_order → this text, streamed in small pieces. */
export const ORDER_ANSWER = 'Your order ORD-1001 shipped with UPS and arrives on 2026-11-24.';

export function scriptOrderLookup(openai: FakeOpenAI): void {
  openai.script(
    { toolCalls: [{ name: 'transfer_to_orders' }] },
    { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
    { text: ORDER_ANSWER, chunkChars: 7 },
  );
}
