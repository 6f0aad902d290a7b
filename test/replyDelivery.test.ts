import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { discordThreadKey } from '../adapters/discord/index.js';
import { slackThreadKey } from '../adapters/slack/index.js';
import { createLogger, type Logger } from '../src/log.js';
import { FakeDiscord, GUILD_ID, TEXT_CHANNEL_ID } from './fakes/discordServer.js';
import { BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { agentLine, DiscordSession, visibleText } from './discordHarness.js';
import { ORDER_ANSWER, scriptOrderLookup, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import { CHANNEL, contextText, SlackSession, threadMessages } from './slackHarness.js';

/** The app's JSON log lines, readable by event name. */
function capturedLog(): { log: Logger; events(name: string): Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }) });
  const events = (name: string) =>
    lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes(`"msg":"${name}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, events };
}

describe('Slack replies that fail to post', () => {
  let slack: FakeSlack;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: SlackSession;
  let logged: ReturnType<typeof capturedLog>;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    data = tempDir();
    logged = capturedLog();
    session = await SlackSession.start(slack, openai, { dataDir: data.dir, log: logged.log });
    // Posted messages rather than native streams, so the failures scripted below hit the reply itself.
    slack.respondAlways('chat.startStream', { body: { ok: false, error: 'not_allowed' } });
  });
  afterEach(async () => {
    await session.stop();
    await slack.close();
    data.remove();
  });

  const texts = (ts: string) => threadMessages(slack, CHANNEL, ts).map((m) => m.text);
  const waiting = (ts: string) => session.app.store.inbox.head(slackThreadKey({ team: TEAM_ID, channel: CHANNEL, threadTs: ts }));

  test('a post Slack answers with a transient error is tried again after a pause: one reply, one turn', async () => {
    // Slack's client retries HTTP errors itself, but not an error reported inside a 200.
    slack.failNext('chat.postMessage', 2, { body: { ok: false, error: 'internal_error' } });
    scriptOrderLookup(openai);
    const ts = await session.mention(`<@${BOT_USER_ID}> where is my order ORD-1001?`);
    await session.idle();
    assert.deepEqual(texts(ts), [ORDER_ANSWER]);
    assert.match(contextText(threadMessages(slack, CHANNEL, ts)[0]), /Orders/);
    assert.equal(slack.callsTo('chat.postMessage').length, 3, 'two refused, the third taken');
    assert.equal(openai.requests.length, 3, 'one turn');
    assert.equal(await waiting(ts), undefined, 'nothing left in the inbox');
    assert.equal(logged.events('reply.post_failed').length, 2);
  });

});

describe('Discord replies that fail to post', () => {
  let discord: FakeDiscord;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: DiscordSession;
  let logged: ReturnType<typeof capturedLog>;
  const POSTS = /^\/channels\/\d+\/messages$/;

  beforeEach(async () => {
    discord = await new FakeDiscord().start();
    data = tempDir();
    logged = capturedLog();
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir, log: logged.log });
    await discord.waitForReady();
  });
  afterEach(async () => {
    await session.stop();
    await discord.close();
    data.remove();
  });

  const waiting = (channelId: string) => session.app.store.inbox.head(discordThreadKey({ guild: GUILD_ID, channel: channelId }));

  async function mention(text: string) {
    discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: text, mentionsBot: true });
    return waitFor(() => discord.threads()[0], 'the thread');
  }

  test("a post that fails past discord.js's own retries (5xx, then a dropped connection) is tried again after a pause: one reply, one turn", async () => {
    const answer = 'The outage is over; everything is back to normal.';
    // discord.js tries a 5xx four times at once and a dropped connection once. Whether or not the reply's first
    // post while streaming got in before the final one, these failures use up the first try of the final post.
    discord.failNext('POST', POSTS, 4, { status: 500 });
    discord.failNext('POST', POSTS, 1, { drop: true });
    openai.script({ text: answer, chunkChars: answer.length });
    const thread = await mention('is the outage over?');
    await session.idle();
    const [reply, ...more] = discord.messagesIn(thread.id);
    assert.equal(more.length, 0, 'one reply');
    assert.equal(visibleText(reply?.content ?? ''), answer);
    assert.equal(agentLine(reply?.content), 'Triage');
    assert.equal(openai.requests.length, 1, 'one turn');
    assert.equal(await waiting(thread.id), undefined, 'nothing left in the inbox');
    assert.ok(logged.events('reply.post_failed').length >= 1);
  });
});
