import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { discordThreadKey } from '../adapters/discord/index.js';
import { slackThreadKey } from '../adapters/slack/index.js';
import { MAX_REPLY_FAILURES } from '../src/conversation/service.js';
import { createLogger, type Logger } from '../src/log.js';
import { agentLine, DiscordSession, visibleText } from './discordHarness.js';
import { FakeDiscord, GUILD_ID, TEXT_CHANNEL_ID } from './fakes/discordServer.js';
import { BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { ORDER_ANSWER, scriptOrderLookup, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import { CHANNEL, contextText, SlackSession, threadMessages } from './slackHarness.js';

/** A reply long enough to arrive in two parts: Slack posts the first part before the second streams in. */
const FIRST_PART = Array.from(
  { length: 6 },
  (_, i) => `Step ${i + 1} is to check the cable and the router lights.`,
).join(' ');
const SECOND_PART = ` ${Array.from({ length: 6 }, (_, i) => `Then step ${i + 7} is to restart the modem and wait.`).join(' ')}`;

/** The app's JSON log lines, readable by event name. */
function capturedLog(): { log: Logger; events(name: string): Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }),
  });
  const events = (name: string) =>
    lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes(`"msg":"${name}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, events };
}

/** A gate for the fake model's stream: it pauses after the first chunk until `release()`. */
function streamGate(): { gate: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
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
  const waiting = (ts: string) =>
    session.app.store.inbox.head(slackThreadKey({ team: TEAM_ID, channel: CHANNEL, threadTs: ts }));

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

  test('a reply whose post fails past every retry stays in the inbox; the next recovery pass posts the saved answer without a second turn', async () => {
    // Three dropped connections: the Web API client's first try and its two retries (the harness's retryConfig).
    slack.failNext('chat.postMessage', 3, { drop: true });
    scriptOrderLookup(openai);
    const ts = await session.mention(`<@${BOT_USER_ID}> where is my order ORD-1001?`);
    await session.idle();
    assert.deepEqual(texts(ts), [], 'nothing reached the customer yet');
    assert.ok(await waiting(ts), 'the message is still waiting');
    assert.equal(logged.events('reply.deferred').length, 1);

    await session.app.service.recover();
    assert.deepEqual(texts(ts), [ORDER_ANSWER], 'exactly one reply');
    assert.match(contextText(threadMessages(slack, CHANNEL, ts)[0]), /Orders/);
    assert.equal(
      openai.requests.length,
      3,
      'the saved answer was posted: the model (and the order look-up) did not run again',
    );
    assert.equal(await waiting(ts), undefined, 'nothing left in the inbox');
  });

  test("the thread's next message first posts the waiting reply from its saved answer, then its own: in order, one turn each", async () => {
    // Three 500s: the Web API client's first try and its two retries.
    slack.failNext('chat.postMessage', 3, { status: 500 });
    openai.script({ text: 'The first answer.' });
    const ts = await session.mention(`<@${BOT_USER_ID}> first question`);
    await session.idle();
    assert.deepEqual(texts(ts), [], 'nothing reached the customer yet');

    openai.script({ text: 'The second answer.' });
    await session.message('second question', { threadTs: ts });
    await session.idle();
    assert.deepEqual(texts(ts), ['The first answer.', 'The second answer.']);
    assert.equal(openai.requests.length, 2, 'one turn per message');
    assert.equal(await waiting(ts), undefined);
  });

  test('a reply cut off after its first message is finished in that message by the later pass, not posted twice', async () => {
    const { gate, release } = streamGate();
    openai.script({ text: FIRST_PART + SECOND_PART, chunkChars: FIRST_PART.length, gate });
    slack.respondAlways('chat.update', { status: 500 });
    const ts = await session.mention(`<@${BOT_USER_ID}> my internet is down`);
    const first = await waitFor(() => threadMessages(slack, CHANNEL, ts)[0], 'the first part of the reply');
    assert.equal(first.text, FIRST_PART);
    release();
    await session.idle();
    assert.deepEqual(texts(ts), [FIRST_PART], 'the edit that adds the rest failed');
    assert.ok(await waiting(ts), 'the message is still waiting');

    slack.respondAlways('chat.update', undefined);
    await session.app.service.recover();
    const [reply, ...more] = threadMessages(slack, CHANNEL, ts);
    assert.equal(more.length, 0, 'the first message was finished, not posted again');
    assert.equal(reply!.ts, first.ts);
    assert.equal(reply!.text, FIRST_PART + SECOND_PART);
    assert.match(contextText(reply), /Triage/);
    assert.equal(openai.requests.length, 1, 'one turn');
    assert.equal(await waiting(ts), undefined);
  });

  test('a reply Slack keeps refusing is given up after MAX_REPLY_FAILURES tries, with a log line, and the thread moves on', async () => {
    // Only the recovery passes this test makes.
    session.app.service.stopRecovery();
    slack.respondAlways('chat.postMessage', { body: { ok: false, error: 'channel_not_found' } });
    openai.script({ text: 'Here is your answer.' });
    const ts = await session.mention(`<@${BOT_USER_ID}> hello?`);
    await session.idle();
    for (let failures = 1; failures < MAX_REPLY_FAILURES - 1; failures++) {
      assert.ok(await waiting(ts), `still waiting after ${failures} failed tries`);
      await session.app.service.recover();
    }
    assert.ok(await waiting(ts), `still waiting after ${MAX_REPLY_FAILURES - 1} failed tries`);
    await session.app.service.recover();
    assert.equal(await waiting(ts), undefined, `dropped after ${MAX_REPLY_FAILURES} failed tries`);
    assert.equal(logged.events('reply.deferred').length, MAX_REPLY_FAILURES - 1);
    const [givenUp, ...again] = logged.events('reply.given_up');
    assert.equal(again.length, 0);
    assert.equal(givenUp?.failures, MAX_REPLY_FAILURES);
    assert.equal(openai.requests.length, 1, 'the turn ran once');

    slack.respondAlways('chat.postMessage', undefined);
    openai.script({ text: 'Yes, I am here.' });
    await session.message('are you there?', { threadTs: ts });
    await session.idle();
    assert.deepEqual(texts(ts), ['Yes, I am here.'], 'the next message in the thread is answered');
  });
});

describe('Discord replies that fail to post', () => {
  let discord: FakeDiscord;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: DiscordSession;
  let logged: ReturnType<typeof capturedLog>;
  const POSTS = /^\/channels\/\d+\/messages$/;
  const EDITS = /^\/channels\/\d+\/messages\/\d+$/;

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

  const contents = (channelId: string) => discord.messagesIn(channelId).map((m) => m.content);
  const waiting = (channelId: string) =>
    session.app.store.inbox.head(discordThreadKey({ guild: GUILD_ID, channel: channelId }));

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

  test('a reply whose final edit keeps failing stays in the inbox; the recovery pass finishes its first message from the saved answer, without a second turn', async () => {
    const { gate, release } = streamGate();
    openai.script({ text: FIRST_PART + SECOND_PART, chunkChars: FIRST_PART.length, gate });
    const thread = await mention('my internet is down');
    const first = await waitFor(() => discord.messagesIn(thread.id)[0], 'the first part of the reply');
    assert.equal(first.content, FIRST_PART);
    discord.respondAlways('PATCH', EDITS, { status: 500 });
    release();
    await session.idle();
    assert.deepEqual(contents(thread.id), [FIRST_PART], 'the edit that adds the rest failed');
    assert.ok(await waiting(thread.id), 'the message is still waiting');
    assert.equal(logged.events('reply.deferred').length, 1);

    discord.respondAlways('PATCH', EDITS, undefined);
    await session.app.service.recover();
    const [reply, ...more] = discord.messagesIn(thread.id);
    assert.equal(more.length, 0, 'the first message was finished, not posted again');
    assert.equal(reply!.id, first.id);
    assert.equal(visibleText(reply!.content), FIRST_PART + SECOND_PART);
    assert.equal(agentLine(reply!.content), 'Triage');
    assert.equal(openai.requests.length, 1, 'one turn');
    assert.equal(await waiting(thread.id), undefined);
  });
});
