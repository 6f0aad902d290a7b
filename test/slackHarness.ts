import { createSlackAdapter, type SlackAdapter } from '../adapters/slack/index.js';
import { DEMO_CUSTOMER } from '../agents/demoCustomer.js';
import { suggestedPrompts } from '../agents/registry.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger, type Logger } from '../src/log.js';
import { type App, createApp, escalationDeps } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import { deliverAction, deliverEvent, eventEnvelope } from './fakes/slackDelivery.js';
import { type FakeSlack, type SlackCall, TEAM_ID } from './fakes/slackServer.js';
import { type FakeOpenAI, TEST_REPLY_RETRY_DELAYS_MS, testConfig, waitFor } from './harness.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const CUSTOMER = 'U0CUSTOMER1';
export const OTHER_USER = 'U0OTHERUSR1';
export const CHANNEL = 'C0SUPPORT01';
export const DM_CHANNEL = 'D0DIRECT001';

let tsCounter = 0;
/** A realistic, unique message ts for an inbound post. */
export function postTs(): string {
  tsCounter += 1;
  return `1710000000.${String(tsCounter * 100).padStart(6, '0')}`;
}

export interface PostOptions {
  channel?: string;
  user?: string;
  ts?: string;
  threadTs?: string;
  channelType?: 'channel' | 'im' | 'group' | 'mpim';
  extra?: Record<string, unknown>;
}

export function messageEvent(text: string, options: PostOptions = {}): Record<string, unknown> {
  const channel = options.channel ?? CHANNEL;
  const ts = options.ts ?? postTs();
  return {
    type: 'message',
    channel,
    channel_type: options.channelType ?? (channel.startsWith('D') ? 'im' : 'channel'),
    user: options.user ?? CUSTOMER,
    text,
    ts,
    event_ts: ts,
    team: TEAM_ID,
    ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    ...options.extra,
  };
}

export function mentionEvent(text: string, options: PostOptions = {}): Record<string, unknown> {
  const { channel_type: _channelType, ...rest } = messageEvent(text, options);
  return { ...rest, type: 'app_mention' };
}

/** A message the bot shows in a thread, rebuilt from the Web API calls that wrote it. */
export interface BotMessage {
  ts: string;
  channel: string;
  threadTs: string | undefined;
  text: string;
  blocks: unknown[] | undefined;
  via: 'stream' | 'post';
}

function chunkText(args: Record<string, unknown>): string {
  const chunks = Array.isArray(args.chunks) ? (args.chunks as Array<{ type?: string; text?: string }>) : [];
  const fromChunks = chunks
    .filter((c) => c.type === 'markdown_text')
    .map((c) => c.text ?? '')
    .join('');
  return fromChunks + (typeof args.markdown_text === 'string' ? args.markdown_text : '');
}

function ok(call: SlackCall): boolean {
  return call.status === 200 && (call.response as { ok?: boolean } | undefined)?.ok === true;
}

/** Every message the bot posted (and how it reads now), in the order it was first written. */
export function botMessages(slack: FakeSlack): BotMessage[] {
  const messages: BotMessage[] = [];
  const byTs = new Map<string, BotMessage>();
  for (const call of slack.calls) {
    if (!ok(call)) continue;
    const { args } = call;
    const response = call.response as { ts?: string };
    if (call.method === 'chat.startStream' || call.method === 'chat.postMessage') {
      const message: BotMessage = {
        ts: response.ts ?? '',
        channel: String(args.channel),
        threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : undefined,
        text: call.method === 'chat.postMessage' ? String(args.text ?? '') : chunkText(args),
        blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
        via: call.method === 'chat.startStream' ? 'stream' : 'post',
      };
      messages.push(message);
      byTs.set(message.ts, message);
      continue;
    }
    const message = byTs.get(String(args.ts));
    if (!message) continue;
    if (call.method === 'chat.appendStream' || call.method === 'chat.stopStream') message.text += chunkText(args);
    if (call.method === 'chat.update') message.text = String(args.text ?? '');
    if ((call.method === 'chat.stopStream' || call.method === 'chat.update') && Array.isArray(args.blocks))
      message.blocks = args.blocks;
  }
  return messages;
}

export function threadMessages(slack: FakeSlack, channel: string, threadTs: string): BotMessage[] {
  return botMessages(slack).filter((m) => m.channel === channel && m.threadTs === threadTs);
}

/** The text of every context block of a message (where the agent's name shows). */
export function contextText(message: BotMessage | undefined): string {
  return (message?.blocks ?? [])
    .filter(
      (b): b is { type: 'context'; elements: Array<{ text?: string }> } => (b as { type?: string }).type === 'context',
    )
    .flatMap((b) => b.elements.map((e) => e.text ?? ''))
    .join(' ');
}

/** The bot's message in the thread that carries confirmation buttons (the first, when there are several). */
export function approvalMessage(
  slack: FakeSlack,
  channel: string,
  threadTs: string,
  containing = '',
): BotMessage | undefined {
  return threadMessages(slack, channel, threadTs).find(
    (m) => JSON.stringify(m.blocks ?? []).includes('switchboard_approval_confirm') && m.text.includes(containing),
  );
}

/**
 * Mentions the bot with `text` while the model, after handing to Orders, asks for `call`: resolves once the
 * confirmation buttons are posted in the thread and the turn is over.
 */
export async function askForApproval(
  session: SlackSession,
  slack: FakeSlack,
  openai: FakeOpenAI,
  call: { name: string; arguments: Record<string, unknown> },
  text: string,
): Promise<{ ts: string; question: BotMessage }> {
  openai.script({ toolCalls: [{ name: 'transfer_to_orders' }] }, { toolCalls: [call] });
  const ts = await session.mention(text);
  const question = await waitFor(() => approvalMessage(slack, CHANNEL, ts), 'the approval buttons');
  await session.idle();
  return { ts, question };
}

/** The value the confirmation buttons carry (the approval id). */
export function buttonValue(message: { blocks: unknown[] | undefined } | undefined): string {
  const actions = (message?.blocks ?? []).find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: Array<{ value: string }> }
    | undefined;
  return actions!.elements[0]!.value;
}

export interface SlackSessionOptions {
  mode?: 'http' | 'socket';
  env?: Record<string, string>;
  dataDir: string;
  namespace?: string;
  log?: Logger;
}

/** The bot wired as `npm start` wires it with Slack tokens, against a fake Slack and a fake model. */
export class SlackSession {
  eventsUrl = '';

  private constructor(
    readonly slack: FakeSlack,
    readonly openai: FakeOpenAI,
    readonly mode: 'http' | 'socket',
    readonly app: App,
    readonly adapter: SlackAdapter,
  ) {}

  static async start(slack: FakeSlack, openai: FakeOpenAI, options: SlackSessionOptions): Promise<SlackSession> {
    const mode = options.mode ?? 'http';
    const log = options.log ?? createLogger({ level: 'silent' });
    // The app has users:read.email, and the customer is the demo customer who owns ORD-1001, ORD-1002 and ORD-1006.
    if (!slack.emails.has(CUSTOMER)) slack.emails.set(CUSTOMER, DEMO_CUSTOMER.email);
    const env: Record<string, string> = {
      OPENAI_BASE_URL: openai.baseURL,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: slack.apiUrl,
      SLACK_PORT: '0',
      DATA_DIR: options.dataDir,
      ...(mode === 'socket' ? { SLACK_APP_TOKEN: 'xapp-test-token' } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
      ...options.env,
    };
    const config = testConfig(env);
    const provider = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: openai.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    });
    const app = createApp(config, log, {
      provider,
      store: createStore({ ...config.store, namespace: options.namespace }, log),
    });
    // Quick retries, so a test never waits on Slack's production back-off.
    const adapter = createSlackAdapter(config.platforms.slack!, app.service, {
      log,
      suggestedPrompts,
      retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 10 },
      replyRetryDelaysMs: TEST_REPLY_RETRY_DELAYS_MS,
      escalation: escalationDeps(config, app.desk, 'slack'),
    });
    const session = new SlackSession(slack, openai, mode, app, adapter);
    const { port } = await adapter.start();
    if (mode === 'http') session.eventsUrl = `http://127.0.0.1:${port}/slack/events`;
    else await slack.waitForSocket();
    app.start();
    return session;
  }

  /** Delivers to an app and adapter wired elsewhere (HTTP mode), e.g. one that also runs Discord. */
  static over(slack: FakeSlack, openai: FakeOpenAI, eventsUrl: string, app: App, adapter: SlackAdapter): SlackSession {
    const session = new SlackSession(slack, openai, 'http', app, adapter);
    session.eventsUrl = eventsUrl;
    return session;
  }

  /** Delivers one Events API event the way this session's mode receives it; resolves once Slack would see the ack. */
  async deliver(
    event: Record<string, unknown>,
    options: { eventId?: string; retryNum?: number } = {},
  ): Promise<number> {
    const body = eventEnvelope(event, { eventId: options.eventId });
    if (this.mode === 'socket') {
      await this.slack.sendEnvelope('events_api', body, { retryAttempt: options.retryNum ?? 0 });
      return 200;
    }
    const delivered = await deliverEvent(this.eventsUrl, body, {
      signingSecret: SIGNING_SECRET,
      retryNum: options.retryNum,
    });
    return delivered.status;
  }

  /** A post that mentions the bot: Slack sends both an app_mention and a message event for it. */
  async mention(text: string, options: PostOptions = {}): Promise<string> {
    const ts = options.ts ?? postTs();
    await this.deliver(mentionEvent(text, { ...options, ts }));
    await this.deliver(messageEvent(text, { ...options, ts }));
    return ts;
  }

  async message(text: string, options: PostOptions = {}): Promise<string> {
    const ts = options.ts ?? postTs();
    await this.deliver(messageEvent(text, { ...options, ts }));
    return ts;
  }

  async press(payload: Record<string, unknown>): Promise<number> {
    if (this.mode === 'socket') {
      await this.slack.sendEnvelope('interactive', payload);
      return 200;
    }
    return (await deliverAction(this.eventsUrl, payload, { signingSecret: SIGNING_SECRET })).status;
  }

  /** Waits until every event delivered so far has been answered (or ignored). */
  async idle(): Promise<void> {
    await this.adapter.idle();
  }

  async stop(): Promise<void> {
    await this.adapter.stop();
    await this.app.close();
  }
}
