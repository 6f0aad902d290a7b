import { createDiscordAdapter, type DiscordAdapter } from '../adapters/discord/index.js';
import { createSlackAdapter, type SlackAdapter } from '../adapters/slack/index.js';
import { suggestedPrompts } from '../agents/registry.js';
import { createStore, type Store } from '../src/conversation/store.js';
import type { ThreadState } from '../src/conversation/threadState.js';
import { createLogger } from '../src/log.js';
import { type App, createApp, escalationDeps } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import type { FakeDiscord } from './fakes/discordServer.js';
import { blockActionsPayload } from './fakes/slackDelivery.js';
import { BOT_USER_ID, type FakeSlack, type SlackCall, TEAM_ID } from './fakes/slackServer.js';
import { type FakeOpenAI, TEST_REPLY_RETRY_DELAYS_MS, testConfig } from './harness.js';
import { SlackSession } from './slackHarness.js';

/** The Slack staff channel, and the people in it. */
export const STAFF_CHANNEL = 'C0STAFF0001';
export const STAFF_USER = 'U0STAFF0001';
export const STAFF_NAME = 'Alex';
export const CUSTOMER_NAME = 'Casey';

export interface BenchOptions {
  slack: FakeSlack;
  discord?: FakeDiscord;
  openai: FakeOpenAI;
  dataDir: string;
  /** Where staff work; Slack unless said otherwise. */
  staffChannel?: string;
  env?: Record<string, string>;
  /** Wraps the store the bot uses, to make parts of it fail. */
  wrapStore?: (store: Store) => Store;
}

/**
 * One bot process as `npm start` wires it with a Slack token (HTTP events) and optionally a Discord token, and a
 * staff channel: the setup of a team whose customers may be on either platform.
 */
export class EscalationBench {
  readonly app: App;
  readonly slackAdapter: SlackAdapter;
  readonly discordAdapter: DiscordAdapter | undefined;
  /** Delivers Slack events the way SlackSession does (signed HTTP), sharing this bench's app. */
  slackSession!: SlackSession;

  private constructor(readonly options: BenchOptions) {
    const log = createLogger({ level: 'silent' });
    const { slack, discord, openai } = options;
    const config = testConfig({
      OPENAI_BASE_URL: openai.baseURL,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: slack.apiUrl,
      SLACK_PORT: '0',
      ...(discord ? { DISCORD_BOT_TOKEN: 'discord-test-token', DISCORD_API_URL: discord.apiUrl } : {}),
      ESCALATION_CHANNEL: options.staffChannel ?? `slack:${STAFF_CHANNEL}`,
      DATA_DIR: options.dataDir,
      ...options.env,
    });
    const provider = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: openai.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    });
    const store = createStore(config.store, log);
    this.app = createApp(config, log, { provider, store: options.wrapStore?.(store) ?? store });
    this.slackAdapter = createSlackAdapter(config.platforms.slack!, this.app.service, {
      log,
      suggestedPrompts,
      retryConfig: { retries: 0 },
      replyRetryDelaysMs: TEST_REPLY_RETRY_DELAYS_MS,
      escalation: escalationDeps(config, this.app.desk, 'slack'),
    });
    this.discordAdapter = discord
      ? createDiscordAdapter(config.platforms.discord!, this.app.service, {
          log,
          escalation: escalationDeps(config, this.app.desk, 'discord'),
          replyRetryDelaysMs: TEST_REPLY_RETRY_DELAYS_MS,
        })
      : undefined;
  }

  static async start(options: BenchOptions): Promise<EscalationBench> {
    options.slack.channelMembers.set(STAFF_CHANNEL, [STAFF_USER, BOT_USER_ID]);
    options.slack.displayNames.set(STAFF_USER, STAFF_NAME);
    const bench = new EscalationBench(options);
    const { port } = await bench.slackAdapter.start();
    bench.slackSession = SlackSession.over(
      options.slack,
      options.openai,
      `http://127.0.0.1:${port}/slack/events`,
      bench.app,
      bench.slackAdapter,
    );
    await bench.discordAdapter?.start();
    bench.app.desk.start();
    return bench;
  }

  /** A Slack staff member's message in an escalation thread. */
  async staffSays(staffThreadTs: string, text: string, user = STAFF_USER): Promise<string> {
    return this.slackSession.message(text, { channel: STAFF_CHANNEL, threadTs: staffThreadTs, user });
  }

  /** A press on the Slack card's Claim or Resolve button. */
  async pressCard(cardTs: string, escalationId: string, action: 'claim' | 'resolve', user = STAFF_USER): Promise<void> {
    await this.slackSession.press(
      blockActionsPayload({
        userId: user,
        channel: STAFF_CHANNEL,
        messageTs: cardTs,
        actionId: `switchboard_escalation_${action}`,
        value: escalationId,
      }),
    );
    await this.idle();
  }

  state(thread: string): Promise<ThreadState> {
    return this.app.service.loadState(thread);
  }

  async idle(): Promise<void> {
    await Promise.all([this.slackAdapter.idle(), this.discordAdapter?.idle()]);
  }

  async stop(): Promise<void> {
    await this.slackAdapter.stop();
    await this.discordAdapter?.stop();
    await this.app.close();
  }
}

export function slackThread(channel: string, ts: string): string {
  return `slack:${TEAM_ID}:${channel}:${ts}`;
}

export const REASON = 'The customer wants a refund exception that only staff can grant';
export const MODEL_SUMMARY = '- Wants a refund exception for order ORD-1001, delivered 40 days ago';
/** What the fake bills for writing MODEL_SUMMARY. */
export const SUMMARY_USAGE = { prompt: 321, completion: 17 };

/** The model escalates, then writes the staff summary. */
export function scriptEscalation(openai: FakeOpenAI, urgency = 'high'): void {
  openai.script(
    { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: REASON, urgency } }] },
    { text: MODEL_SUMMARY, usage: SUMMARY_USAGE },
  );
}

export function cardPost(slack: FakeSlack): SlackCall | undefined {
  return slack
    .callsTo('chat.postMessage')
    .find(
      (call) =>
        call.args.channel === STAFF_CHANNEL &&
        call.args.thread_ts === undefined &&
        (call.response as { ok?: boolean }).ok === true,
    );
}

export function cardTs(slack: FakeSlack): string {
  return String((cardPost(slack)!.response as { ts: string }).ts);
}

/** The escalation id the Slack card's buttons carry. */
export function cardButtons(blocks: unknown): Array<{ action_id: string; value: string }> {
  const actions = (blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find(
    (b) => b.type === 'actions',
  );
  return actions?.elements ?? [];
}

/** The latest version of the card: its first post, or its last chat.update. */
export function latestCard(slack: FakeSlack): string {
  const ts = cardTs(slack);
  const update = slack
    .callsTo('chat.update')
    .filter((call) => call.args.ts === ts)
    .at(-1);
  return JSON.stringify((update ?? cardPost(slack)!).args.blocks);
}

export function postsIn(slack: FakeSlack, channel: string, threadTs: string): string[] {
  return slack
    .callsTo('chat.postMessage')
    .filter((call) => call.args.channel === channel && call.args.thread_ts === threadTs)
    .map((call) => String(call.args.text));
}
