import { createDiscordAdapter, type DiscordAdapter } from '../adapters/discord/index.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger, type Logger } from '../src/log.js';
import { type App, createApp, escalationDeps } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import type { FakeDiscord } from './fakes/discordServer.js';
import { type FakeOpenAI, TEST_REPLY_RETRY_DELAYS_MS, testConfig } from './harness.js';

export interface DiscordSessionOptions {
  env?: Record<string, string>;
  dataDir: string;
  log?: Logger;
  /** REST calls under way from which replies stop showing text early (the adapter's default otherwise). */
  backedUpRestCalls?: number;
}

/** The bot wired as `npm start` wires it with a Discord token, against a fake Discord and a fake model. */
export class DiscordSession {
  readonly app: App;
  readonly adapter: DiscordAdapter;

  private constructor(
    readonly discord: FakeDiscord,
    readonly openai: FakeOpenAI,
    options: DiscordSessionOptions,
  ) {
    const log = options.log ?? createLogger({ level: 'silent' });
    const config = testConfig({
      OPENAI_BASE_URL: openai.baseURL,
      DISCORD_BOT_TOKEN: 'discord-test-token',
      DISCORD_API_URL: discord.apiUrl,
      DATA_DIR: options.dataDir,
      ...options.env,
    });
    const provider = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: openai.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    });
    this.app = createApp(config, log, { provider, store: createStore(config.store, log) });
    this.adapter = createDiscordAdapter(config.platforms.discord!, this.app.service, {
      log,
      escalation: escalationDeps(config, this.app.desk, 'discord'),
      replyRetryDelaysMs: TEST_REPLY_RETRY_DELAYS_MS,
      backedUpRestCalls: options.backedUpRestCalls,
    });
  }

  static async start(
    discord: FakeDiscord,
    openai: FakeOpenAI,
    options: DiscordSessionOptions,
  ): Promise<DiscordSession> {
    const session = new DiscordSession(discord, openai, options);
    await session.adapter.start();
    return session;
  }

  idle(): Promise<void> {
    return this.adapter.idle();
  }

  async stop(): Promise<void> {
    await this.adapter.stop();
    await this.app.close();
  }
}

/** What a person sees of a bot message: its text without the quiet agent line. */
export function visibleText(content: string): string {
  return content.replace(/\n-# [^\n]*$/, '');
}

export function agentLine(content: string | undefined): string | undefined {
  return /\n-# ([^\n]*)$/.exec(content ?? '')?.[1];
}
