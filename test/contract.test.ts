import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import {
  type ConsoleAdapter,
  consoleThreadKey,
  createConsoleAdapter,
  parseConsoleThreadKey,
} from '../adapters/console/index.js';
import { discordThreadKey, parseDiscordThreadKey } from '../adapters/discord/index.js';
import { parseSlackThreadKey, slackThreadKey } from '../adapters/slack/index.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import { adapterContract, type ContractDriver } from './adapterContract.js';
import { agentLine, DiscordSession, visibleText } from './discordHarness.js';
import { BOT_USER_ID as DISCORD_BOT_ID, FakeDiscord, GUILD_ID, TEXT_CHANNEL_ID } from './fakes/discordServer.js';
import { BOT_ID, BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { type FakeOpenAI, tempDir, testConfig, waitFor } from './harness.js';
import { CHANNEL, mentionEvent, messageEvent, postTs, SlackSession, threadMessages } from './slackHarness.js';

/** What the person sees of one console reply: the text after the `[Agent]` label, without the echoed question. */
function consoleReply(printed: string): string {
  const lines = printed.split('\n').filter((line) => !line.startsWith('you> ') && !line.startsWith('  '));
  return lines
    .join('\n')
    .replace(/^\[[^\]]+\] /, '')
    .trim();
}

async function consoleDriver(openai: FakeOpenAI): Promise<ContractDriver> {
  const data = tempDir();
  const config = testConfig({ OPENAI_BASE_URL: openai.baseURL, DATA_DIR: data.dir });
  const log = createLogger({ level: 'silent' });
  const provider = new OpenAIProvider({
    apiKey: 'sk-test-key',
    baseURL: openai.baseURL,
    maxRetries: 0,
    timeoutMs: 10_000,
  });
  const app = createApp(config, log, { provider, store: createStore(config.store, log) });
  const chats = new Map<string, { adapter: ConsoleAdapter; printed: () => string; replies: string[] }>();
  const say = async (thread: string, text: string) => {
    const chat = chats.get(thread)!;
    const before = chat.printed().length;
    await chat.adapter.send(text);
    const reply = consoleReply(chat.printed().slice(before));
    if (reply !== '') chat.replies.push(reply);
  };
  return {
    app,
    async startConversation(text) {
      const output = new PassThrough();
      let printed = '';
      output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
      const adapter = createConsoleAdapter({ input: new PassThrough(), output, threadId: randomUUID() }, app.service);
      chats.set(adapter.thread, { adapter, printed: () => printed, replies: [] });
      await say(adapter.thread, text);
      return adapter.thread;
    },
    continueConversation: say,
    replies: (thread) => chats.get(thread)?.replies ?? [],
    roundTrip: (thread) => {
      const id = parseConsoleThreadKey(thread);
      return id === undefined ? undefined : consoleThreadKey(id);
    },
    idle: () => app.service.drain(),
    stop: async () => {
      await app.close();
      data.remove();
    },
  };
}

async function slackDriver(openai: FakeOpenAI): Promise<ContractDriver> {
  const data = tempDir();
  const slack = await new FakeSlack().start();
  const session = await SlackSession.start(slack, openai, { dataDir: data.dir });
  let last: Record<string, unknown> | undefined;
  const replies = (thread: string) => {
    const ref = parseSlackThreadKey(thread)!;
    return threadMessages(slack, ref.channel, ref.threadTs).map((m) => m.text);
  };
  const deliverAndWait = async (thread: string, event: Record<string, unknown>) => {
    const before = replies(thread).length;
    last = event;
    await session.deliver(event);
    const ref = parseSlackThreadKey(thread)!;
    await waitFor(
      () => threadMessages(slack, ref.channel, ref.threadTs)[before]?.blocks,
      `reply ${before + 1} in ${thread}`,
    );
    await session.idle();
  };
  return {
    app: session.app,
    async startConversation(text) {
      const ts = postTs();
      const thread = slackThreadKey({ team: TEAM_ID, channel: CHANNEL, threadTs: ts });
      await deliverAndWait(thread, mentionEvent(`<@${BOT_USER_ID}> ${text}`, { ts }));
      return thread;
    },
    continueConversation: (thread, text) =>
      deliverAndWait(thread, messageEvent(text, { threadTs: parseSlackThreadKey(thread)!.threadTs })),
    async redeliverLast() {
      if (last) await session.deliver(last, { retryNum: 1 });
    },
    async ownMessage(thread, text) {
      await session.deliver(
        messageEvent(text, {
          threadTs: parseSlackThreadKey(thread)!.threadTs,
          user: BOT_USER_ID,
          extra: { bot_id: BOT_ID },
        }),
      );
    },
    replies,
    roundTrip: (thread) => {
      const ref = parseSlackThreadKey(thread);
      return ref && slackThreadKey(ref);
    },
    idle: () => session.idle(),
    stop: async () => {
      await session.stop();
      await slack.close();
      data.remove();
    },
  };
}

async function discordDriver(openai: FakeOpenAI): Promise<ContractDriver> {
  const data = tempDir();
  const discord = await new FakeDiscord().start();
  const session = await DiscordSession.start(discord, openai, { dataDir: data.dir });
  await discord.waitForReady();
  let last: { channelId: string; content: string; id: string } | undefined;
  const replies = (thread: string) =>
    discord
      .messagesIn(parseDiscordThreadKey(thread)!.channel)
      .filter((m) => agentLine(m.content))
      .map((m) => visibleText(m.content));
  const waitForReply = async (thread: string, count: number) => {
    await waitFor(() => replies(thread).length >= count, `reply ${count} in ${thread}`);
    await session.idle();
  };
  return {
    app: session.app,
    async startConversation(text) {
      const posted = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: text, mentionsBot: true });
      const started = await waitFor(() => discord.threads().find((t) => t.startedFrom === posted.id), 'the thread');
      const thread = discordThreadKey({ guild: GUILD_ID, channel: started.id });
      await waitForReply(thread, 1);
      return thread;
    },
    async continueConversation(thread, text) {
      const before = replies(thread).length;
      const channelId = parseDiscordThreadKey(thread)!.channel;
      const posted = discord.userMessage({ channelId, content: text });
      last = { channelId, content: text, id: posted.id };
      await waitForReply(thread, before + 1);
    },
    async redeliverLast() {
      if (last) discord.userMessage({ ...last });
    },
    async ownMessage(thread, text) {
      discord.userMessage({
        channelId: parseDiscordThreadKey(thread)!.channel,
        content: text,
        authorId: DISCORD_BOT_ID,
        bot: true,
      });
    },
    replies,
    roundTrip: (thread) => {
      const ref = parseDiscordThreadKey(thread);
      return ref && discordThreadKey(ref);
    },
    idle: () => session.idle(),
    stop: async () => {
      await session.stop();
      await discord.close();
      data.remove();
    },
  };
}

adapterContract('console', consoleDriver, { receiveOwnMessages: false });
adapterContract('slack', slackDriver, { receiveOwnMessages: true });
adapterContract('discord', discordDriver, { receiveOwnMessages: true });
