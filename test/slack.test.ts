import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { boltLogger } from '../adapters/slack/index.js';
import { createLogger } from '../src/log.js';
import { blockActionsPayload, deliverEvent, eventEnvelope } from './fakes/slackDelivery.js';
import { BOT_ID, BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { ORDER_ANSWER, scriptOrderLookup, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import {
  askForApproval,
  botMessages,
  buttonValue,
  CHANNEL,
  CUSTOMER,
  contextText,
  DM_CHANNEL,
  mentionEvent,
  messageEvent,
  OTHER_USER,
  postTs,
  SIGNING_SECRET,
  SlackSession,
  threadMessages,
} from './slackHarness.js';

describe('Slack adapter (HTTP Events API)', () => {
  let slack: FakeSlack;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: SlackSession;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    data = tempDir();
    session = await SlackSession.start(slack, openai, { dataDir: data.dir });
  });
  afterEach(async () => {
    await session.stop();
    await slack.close();
    data.remove();
  });

  test('a mention gets a streamed reply in a thread under it, naming the agent', async () => {
    scriptOrderLookup(openai);
    const ts = await session.mention(`<@${BOT_USER_ID}> where is my order ORD-1001?`);
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[0]?.blocks, 'the finished reply');
    await session.idle();
    const [reply, ...more] = threadMessages(slack, CHANNEL, ts);
    assert.equal(more.length, 0, 'one reply');
    assert.equal(reply!.via, 'stream');
    assert.equal(reply!.text, ORDER_ANSWER);
    assert.match(contextText(reply), /Orders/);
    const start = slack.callsTo('chat.startStream')[0]!;
    assert.equal(start.args.recipient_team_id, TEAM_ID);
    assert.equal(start.args.recipient_user_id, CUSTOMER);
    assert.equal(
      openai.requests[0]!.body.messages.at(-1)!.content,
      'where is my order ORD-1001?',
      'the mention is stripped',
    );
    const state = await session.app.service.loadState(`slack:${TEAM_ID}:${CHANNEL}:${ts}`);
    assert.equal(state.activeAgent, 'orders');
  });

  test('a follow-up in the thread is answered without a mention; other threads are left alone', async () => {
    scriptOrderLookup(openai);
    const ts = await session.mention(`<@${BOT_USER_ID}> where is my order ORD-1001?`);
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[0]?.blocks, 'the first reply');
    await session.idle();
    const unrelated = postTs();
    await session.message('lunch anyone?', { threadTs: unrelated, ts: postTs() });
    await session.message('just chatting at the top level');
    openai.script({ text: 'It left our warehouse on 2026-11-20.' });
    await session.message('when did it leave the warehouse?', { threadTs: ts });
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[1]?.blocks, 'the follow-up reply');
    await session.idle();
    assert.equal(openai.requests.length, 4, 'three model calls for the first question, one for the follow-up');
    assert.match(openai.requests[3]!.body.messages[0]!.content ?? '', /Orders/, 'the specialist answers the follow-up');
    assert.equal(threadMessages(slack, CHANNEL, unrelated).length, 0);
    assert.equal(botMessages(slack).length, 2);
  });

  test('a DM is a conversation; the reply goes in a thread under the message', async () => {
    scriptOrderLookup(openai);
    const ts = await session.message('where is my order ORD-1001?', { channel: DM_CHANNEL });
    await waitFor(() => threadMessages(slack, DM_CHANNEL, ts)[0]?.blocks, 'the DM reply');
    await session.idle();
    assert.equal(threadMessages(slack, DM_CHANNEL, ts)[0]!.text, ORDER_ANSWER);
    assert.equal((await session.app.service.loadState(`slack:${TEAM_ID}:${DM_CHANNEL}:${ts}`)).activeAgent, 'orders');
  });

  test('files with no text are answered with what arrived and that they cannot be opened, not as a "hello"', async () => {
    const files = [
      { id: 'F0SCREEN01', name: 'screenshot.png', mimetype: 'image/png' },
      { id: 'F0INVOICE1', name: 'invoice.pdf', mimetype: 'application/pdf' },
    ];
    const ts = await session.message('', { channel: DM_CHANNEL, extra: { subtype: 'file_share', files } });
    const reply = await waitFor(() => threadMessages(slack, DM_CHANNEL, ts)[0], 'the reply');
    await session.idle();
    assert.match(
      reply.text,
      /^Thanks, I got 2 files \(screenshot\.png, invoice\.pdf\), but I can't open files or images yet\./,
    );
    assert.equal(openai.requests.length, 0, 'no model call');
  });

  test('retries and the double app_mention + message delivery produce exactly one reply', async () => {
    scriptOrderLookup(openai);
    const ts = postTs();
    const text = `<@${BOT_USER_ID}> where is my order ORD-1001?`;
    const mention = { type: 'app_mention', channel: CHANNEL, user: CUSTOMER, text, ts, event_ts: ts };
    await session.deliver(mention, { eventId: 'Ev0MENTION01' });
    await session.deliver(messageEvent(text, { ts }), { eventId: 'Ev0MESSAGE01' });
    await session.deliver(mention, { eventId: 'Ev0MENTION01', retryNum: 1 });
    await session.deliver(mention, { eventId: 'Ev0MENTION01', retryNum: 2 });
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[0]?.blocks, 'the reply');
    await session.idle();
    assert.equal(threadMessages(slack, CHANNEL, ts).length, 1);
    assert.equal(openai.requests.length, 3, 'one turn');

    // A reply in the thread that mentions the bot: both events reach the conversation, one answer.
    openai.script({ text: 'It is on its way.' });
    const followUp = postTs();
    const again = `<@${BOT_USER_ID}> any news?`;
    await session.deliver(messageEvent(again, { ts: followUp, threadTs: ts }));
    await session.deliver({ ...mentionEvent(again, { ts: followUp, threadTs: ts }) });
    await session.deliver(messageEvent(again, { ts: followUp, threadTs: ts }), { retryNum: 1 });
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[1]?.blocks, 'the follow-up reply');
    await session.idle();
    assert.equal(threadMessages(slack, CHANNEL, ts).length, 2);
    assert.equal(openai.requests.length, 4);
  });

  test('a stream that fails midway continues as a posted message with only the rest: nothing twice', async () => {
    const text = Array.from({ length: 20 }, (_, i) => `Sentence number ${i + 1} of a long answer.`).join(' ');
    slack.respondOnce('chat.appendStream', { body: { ok: false, error: 'internal_error' } });
    // The model holds the end back until the second chunk's append has been tried: the failure comes midway, while
    // text is still to come (text left when the reply finishes would ride on the stop instead).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    openai.script({ text, chunkChars: 300, gate, gateAfterChunk: 1 });
    const ts = await session.mention(`<@${BOT_USER_ID}> explain`);
    await slack.waitForCall('chat.appendStream');
    release();
    await session.idle();
    const messages = threadMessages(slack, CHANNEL, ts);
    assert.deepEqual(
      messages.map((m) => m.via),
      ['stream', 'post'],
    );
    assert.equal(slack.callsTo('chat.stopStream').length, 1, 'the broken stream was ended');
    const visible = (messages[0]!.text + messages[1]!.text).replace(/\s+/g, '');
    assert.equal(visible, text.replace(/\s+/g, ''), 'every word shown once');
    assert.match(contextText(messages[1]), /Triage/);
    // A transient error does not turn streaming off for the channel.
    openai.script({ text: 'Short one.' });
    await session.message('and?', { threadTs: ts });
    await session.idle();
    assert.equal(threadMessages(slack, CHANNEL, ts).at(-1)!.via, 'stream');
  });

  test('after a message is refused as too long, a shorter retry in the thread is answered', async () => {
    await session.stop();
    session = await SlackSession.start(slack, openai, { dataDir: data.dir, env: { MAX_MESSAGE_CHARS: '40' } });
    const ts = await session.mention(
      `<@${BOT_USER_ID}> ${'this is a very long message that goes on and on '.repeat(3)}`,
    );
    await session.idle();
    assert.match(threadMessages(slack, CHANNEL, ts)[0]?.text ?? '', /too long/);
    openai.script({ text: 'Thanks, that I can answer.' });
    await session.message('short version', { threadTs: ts });
    await session.idle();
    assert.equal(threadMessages(slack, CHANNEL, ts)[1]?.text, 'Thanks, that I can answer.');
  });

  test('events are acked at once, while the turn is still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    openai.script({ text: 'Sorry for the wait, here it is.', gate });
    const ts = postTs();
    const status = await session.deliver(messageEvent('a slow question', { channel: DM_CHANNEL, ts }));
    assert.equal(status, 200);
    await waitFor(() => openai.requests.length === 1, 'the model call to start');
    assert.equal(threadMessages(slack, DM_CHANNEL, ts)[0]?.blocks, undefined, 'acked before the reply is finished');
    release();
    await waitFor(() => threadMessages(slack, DM_CHANNEL, ts)[0]?.blocks, 'the reply');
    await session.idle();
  });

  test('forged, unsigned, stale and future-dated requests get 401 and are not processed', async () => {
    const body = eventEnvelope(messageEvent('where is my order ORD-1001?', { channel: DM_CHANNEL }));
    const now = Math.floor(Date.now() / 1000);
    const forged = await deliverEvent(session.eventsUrl, body, { signingSecret: 'not-the-secret' });
    const unsigned = await deliverEvent(session.eventsUrl, body, { signingSecret: SIGNING_SECRET, unsigned: true });
    const stale = await deliverEvent(session.eventsUrl, body, {
      signingSecret: SIGNING_SECRET,
      timestampSec: now - 6 * 60,
    });
    // Correctly signed, but dated six minutes ahead: a replay with a forged clock.
    const future = await deliverEvent(session.eventsUrl, body, {
      signingSecret: SIGNING_SECRET,
      timestampSec: now + 6 * 60,
    });
    assert.deepEqual([forged.status, unsigned.status, stale.status, future.status], [401, 401, 401, 401]);
    await session.idle();
    assert.equal(openai.requests.length, 0);
    assert.equal(botMessages(slack).length, 0);
  });

  test('the bot ignores itself, other bots, edits and joins', async () => {
    const thread = postTs();
    openai.script({ text: 'Hello! How can I help?' });
    const first = await session.mention(`<@${BOT_USER_ID}> hi`, { ts: thread });
    await waitFor(() => threadMessages(slack, CHANNEL, first)[0]?.blocks, 'the greeting');
    await session.message('I am the bot', { threadTs: thread, user: BOT_USER_ID, extra: { bot_id: BOT_ID } });
    await session.message('beep', { threadTs: thread, user: 'U0OTHERBOT1', extra: { bot_id: 'B0OTHERBOT1' } });
    await session.message('', {
      threadTs: thread,
      extra: {
        subtype: 'message_changed',
        hidden: true,
        user: undefined,
        message: { type: 'message', user: CUSTOMER, text: 'edited', ts: thread },
      },
    });
    await session.message('<@U0CUSTOMER1> has joined the channel', {
      threadTs: thread,
      extra: { subtype: 'channel_join' },
    });
    await session.idle();
    assert.equal(openai.requests.length, 1);
    assert.equal(threadMessages(slack, CHANNEL, thread).length, 1);
  });

  test('when Slack refuses native streaming, the reply is posted, updated, split at the limit and labelled', async () => {
    slack.respondAlways('chat.startStream', { body: { ok: false, error: 'not_allowed' } });
    const long = Array.from(
      { length: 40 },
      (_, i) => `Paragraph ${i + 1}: ${'details about your order and its shipment. '.repeat(4)}`,
    ).join('\n\n');
    openai.script({ text: `**Good news**: see [tracking](https://example.test/track).\n\n${long}`, chunkChars: 400 });
    const started = Date.now();
    const ts = await session.mention(`<@${BOT_USER_ID}> tell me everything about ORD-1001`);
    await session.idle();
    const messages = threadMessages(slack, CHANNEL, ts);
    assert.ok(messages.length >= 3, `a ${long.length}-character reply needs several messages, got ${messages.length}`);
    assert.ok(messages.every((m) => m.via === 'post' && m.text.length <= 3000));
    assert.match(messages[0]!.text, /\*Good news\*/, 'markdown bold became mrkdwn bold');
    assert.match(messages[0]!.text, /<https:\/\/example\.test\/track\|tracking>/, 'links became mrkdwn links');
    assert.match(messages.map((m) => m.text).join('\n'), /Paragraph 40:/, 'nothing was lost');
    assert.match(contextText(messages.at(-1)), /Triage/);
    // Throttled: the first message is edited at most once per elapsed second, plus the final edit.
    const firstTs = messages[0]!.ts;
    const edits = slack.callsTo('chat.update').filter((c) => c.args.ts === firstTs).length;
    assert.ok(edits <= Math.ceil((Date.now() - started) / 1000) + 1, `${edits} edits of one message`);
    // The next reply in that channel does not try to stream again.
    const before = slack.callsTo('chat.startStream').length;
    openai.script({ text: 'Anything else?' });
    await session.message('thanks', { threadTs: ts });
    await session.idle();
    assert.equal(slack.callsTo('chat.startStream').length, before);
    assert.equal(threadMessages(slack, CHANNEL, ts).at(-1)!.text, 'Anything else?');
  });

  test('a very long streamed reply continues in a new streamed message at the size limit', async () => {
    const long = Array.from(
      { length: 300 },
      (_, i) => `Line ${i + 1}: ${'all the details you asked for. '.repeat(3)}`,
    ).join('\n');
    openai.script({ text: long, chunkChars: 500 });
    const ts = await session.mention(`<@${BOT_USER_ID}> tell me everything`);
    await session.idle();
    const messages = threadMessages(slack, CHANNEL, ts);
    assert.ok(
      messages.length >= 3,
      `a ${long.length}-character reply needs several streamed messages, got ${messages.length}`,
    );
    assert.ok(messages.every((m) => m.via === 'stream' && m.text.length <= 12_000));
    assert.equal(messages.map((m) => m.text).join(''), long, 'nothing lost or repeated');
    assert.match(contextText(messages.at(-1)), /Triage/);
  });

  test('a 429 from Slack is waited out (Retry-After) and the reply still arrives', async () => {
    slack.respondAlways('chat.startStream', { body: { ok: false, error: 'not_allowed' } });
    slack.respondOnce('chat.postMessage', { status: 429, headers: { 'retry-after': '1' } });
    openai.script({ text: 'Here is your answer.' });
    const ts = await session.mention(`<@${BOT_USER_ID}> question`);
    await session.idle();
    assert.equal(slack.callsTo('chat.postMessage').length, 2, 'one refused, one retried');
    assert.equal(threadMessages(slack, CHANNEL, ts)[0]?.text, 'Here is your answer.');
  });

  test('a model failure posts a short apology in the thread and logs the cause', async () => {
    await session.stop();
    let logged = '';
    const destination = new Writable({
      write: (chunk, _enc, done) => {
        logged += String(chunk);
        done();
      },
    });
    const log = createLogger({ level: 'info', destination });
    session = await SlackSession.start(slack, openai, { dataDir: data.dir, log });
    openai.script({ status: 500, error: 'upstream exploded' });
    const ts = await session.mention(`<@${BOT_USER_ID}> where is my order ORD-1001?`);
    await session.idle();
    const [reply, ...more] = threadMessages(slack, CHANNEL, ts);
    assert.equal(more.length, 0);
    assert.match(reply?.text ?? '', /^Sorry, I can't reach my language model/);
    const failure = logged.split('\n').find((line) => line.includes('"turn.failed"'));
    assert.match(failure ?? '', /500/, 'the cause is logged');
    assert.doesNotMatch(logged, /xoxb-test-token/, 'the bot token never reaches the logs');
    assert.doesNotMatch(logged, /where is my order ORD-1001/, "the customer's conversation stays out of the logs");
  });

  test("at debug level Bolt's own debug lines reach the log, without the token; at info they do not", async () => {
    const logs = { debug: '', info: '' };
    for (const level of ['debug', 'info'] as const) {
      await session.stop();
      const destination = new Writable({
        write: (chunk, _enc, done) => {
          logs[level] += String(chunk);
          done();
        },
      });
      session = await SlackSession.start(slack, openai, {
        dataDir: data.dir,
        log: createLogger({ level, destination }),
      });
      openai.script({ text: 'Happy to help.' });
      await session.mention(`<@${BOT_USER_ID}> hello there`);
      await session.idle();
    }
    const boltLines = (logged: string) => logged.split('\n').filter((line) => line.includes('"slack.bolt"'));
    assert.ok(boltLines(logs.debug).length > 0, "Bolt's debug lines are logged at debug level");
    assert.deepEqual(boltLines(logs.info), [], 'and not at info');
    assert.doesNotMatch(logs.debug, /xoxb-test-token/, 'the bot token never reaches the logs');
    // Below debug, a line is not even formatted: Bolt and its clients say several per event and per call.
    let formatted = 0;
    const part = { toJSON: () => `formatted ${++formatted}` };
    boltLogger(createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, done) => done() }) })).debug(
      'a part:',
      part,
    );
    assert.equal(formatted, 0);
  });
});

/** The approval question message (the one with Confirm/Cancel buttons) in a thread. */
describe('Slack with a session per test', () => {
  let slack: FakeSlack;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    data = tempDir();
  });
  afterEach(async () => {
    await slack.close();
    data.remove();
  });

  describe('approvals', () => {
    const askToCancel = (session: SlackSession) =>
      askForApproval(
        session,
        slack,
        openai,
        { name: 'cancel_order', arguments: { order_id: 'ORD-1002' } },
        `<@${BOT_USER_ID}> please cancel ORD-1002`,
      );

    test('buttons: a press by someone else gets an ephemeral note; the requester confirms, across a restart', async () => {
      let session = await SlackSession.start(slack, openai, { dataDir: data.dir });
      const { ts, question } = await askToCancel(session);
      assert.match(question.text, /Cancel order ORD-1002\?/);
      assert.equal(openai.requests.length, 2, 'the tool did not run yet');
      const thread = `slack:${TEAM_ID}:${CHANNEL}:${ts}`;
      assert.equal((await session.app.service.loadState(thread)).pendingApproval?.requestedBy, CUSTOMER);

      // Someone else presses Confirm: only they are told no; nothing runs.
      const value = buttonValue(question);
      await session.press(
        blockActionsPayload({
          userId: OTHER_USER,
          channel: CHANNEL,
          messageTs: question.ts,
          threadTs: ts,
          actionId: 'switchboard_approval_confirm',
          value,
        }),
      );
      const note = await slack.waitForCall('chat.postEphemeral');
      await session.idle();
      assert.equal(note.args.user, OTHER_USER);
      assert.match(String(note.args.text), /Only the person who made this request/);
      assert.equal(openai.requests.length, 2);
      assert.ok((await session.app.service.loadState(thread)).pendingApproval, 'still waiting for the requester');

      // Restart, then the requester confirms.
      await session.stop();
      session = await SlackSession.start(slack, openai, { dataDir: data.dir });
      openai.script({ text: 'Done: ORD-1002 is cancelled.' });
      const press = blockActionsPayload({
        userId: CUSTOMER,
        channel: CHANNEL,
        messageTs: question.ts,
        threadTs: ts,
        actionId: 'switchboard_approval_confirm',
        value,
      });
      (press.message as Record<string, unknown>).blocks = question.blocks;
      assert.equal(await session.press(press), 200);
      await waitFor(
        () => threadMessages(slack, CHANNEL, ts).find((m) => m.text.includes('is cancelled'))?.blocks,
        'the confirmation reply',
      );
      await session.idle();
      const toolResult = openai.requests[2]!.body.messages.find(
        (m) => m.role === 'tool' && m.tool_call_id?.startsWith('approved_'),
      );
      assert.match(toolResult?.content ?? '', /cancelled/);
      const state = await session.app.service.loadState(thread);
      assert.equal(state.pendingApproval, null);
      const updated = threadMessages(slack, CHANNEL, ts).find((m) => m.ts === question.ts)!;
      assert.doesNotMatch(JSON.stringify(updated.blocks), /switchboard_approval_confirm/, 'the buttons are gone');
      assert.match(contextText(updated), new RegExp(`Confirmed by <@${CUSTOMER}>`));
      await session.stop();
    });

    test('Cancel declines; a second press on an answered question is only told so', async () => {
      const session = await SlackSession.start(slack, openai, { dataDir: data.dir });
      const { ts, question } = await askToCancel(session);
      openai.script({ text: 'OK, I left ORD-1002 as it is.' });
      const value = buttonValue(question);
      await session.press(
        blockActionsPayload({
          userId: CUSTOMER,
          channel: CHANNEL,
          messageTs: question.ts,
          threadTs: ts,
          actionId: 'switchboard_approval_cancel',
          value,
        }),
      );
      await waitFor(
        () => threadMessages(slack, CHANNEL, ts).find((m) => m.text.includes('left ORD-1002'))?.blocks,
        'the reply',
      );
      await session.idle();
      assert.match(openai.requests[2]!.body.messages.at(-1)!.content ?? '', /declined/);
      assert.match(contextText(threadMessages(slack, CHANNEL, ts).find((m) => m.ts === question.ts)), /Cancelled by/);
      await session.press(
        blockActionsPayload({
          userId: CUSTOMER,
          channel: CHANNEL,
          messageTs: question.ts,
          threadTs: ts,
          actionId: 'switchboard_approval_confirm',
          value,
        }),
      );
      const note = await slack.waitForCall('chat.postEphemeral');
      await session.idle();
      assert.match(String(note.args.text), /already been answered/);
      assert.equal(openai.requests.length, 3, 'the late press ran nothing');
      await session.stop();
    });
  });

  describe('assistant pane, Socket Mode and the channel allowlist', () => {
    test('over Socket Mode, a new assistant thread gets suggested prompts, then a status per step, a title and a reply', async () => {
      const session = await SlackSession.start(slack, openai, { dataDir: data.dir, mode: 'socket' });
      const threadTs = postTs();
      await session.deliver({
        type: 'assistant_thread_started',
        assistant_thread: {
          user_id: CUSTOMER,
          context: { channel_id: CHANNEL, team_id: TEAM_ID },
          channel_id: DM_CHANNEL,
          thread_ts: threadTs,
        },
        event_ts: threadTs,
      });
      const prompts = await slack.waitForCall('assistant.threads.setSuggestedPrompts');
      assert.equal(prompts.args.channel_id, DM_CHANNEL);
      assert.equal(prompts.args.thread_ts, threadTs);
      assert.ok(Array.isArray(prompts.args.prompts) && prompts.args.prompts.length > 0);

      scriptOrderLookup(openai);
      const asked = await session.message('where is my order ORD-1001?', { channel: DM_CHANNEL, threadTs });
      await waitFor(() => threadMessages(slack, DM_CHANNEL, threadTs)[0]?.blocks, 'the reply');
      await session.idle();
      assert.equal(threadMessages(slack, DM_CHANNEL, threadTs)[0]!.text, ORDER_ANSWER);
      const statuses = slack.callsTo('assistant.threads.setStatus').map((c) => c.args.status);
      assert.ok(statuses.includes('is looking up your order…'), `statuses: ${JSON.stringify(statuses)}`);
      assert.equal(slack.callsTo('assistant.threads.setTitle')[0]?.args.title, 'where is my order ORD-1001?');
      assert.ok(slack.acks.length >= 2, 'every envelope was acked');
      // A redelivery after the reply starts no turn, so no "is thinking…" is left hanging.
      const statusCalls = slack.callsTo('assistant.threads.setStatus').length;
      const modelCalls = openai.requests.length;
      await session.deliver(messageEvent('where is my order ORD-1001?', { channel: DM_CHANNEL, threadTs, ts: asked }), {
        retryNum: 1,
      });
      await session.idle();
      assert.equal(openai.requests.length, modelCalls);
      assert.equal(slack.callsTo('assistant.threads.setStatus').length, statusCalls);
      await session.stop();
    });

    test('with SLACK_ALLOWED_CHANNELS, mentions elsewhere are ignored; DMs still work', async () => {
      const session = await SlackSession.start(slack, openai, {
        dataDir: data.dir,
        env: { SLACK_ALLOWED_CHANNELS: 'C0ALLOWED01, C0ALLOWED02' },
      });
      openai.script({ text: 'Hi from the allowed channel.' }, { text: 'Hi in your DMs.' });
      await session.mention(`<@${BOT_USER_ID}> hello`);
      const allowed = await session.mention(`<@${BOT_USER_ID}> hello`, { channel: 'C0ALLOWED02' });
      await waitFor(() => threadMessages(slack, 'C0ALLOWED02', allowed)[0]?.blocks, 'the reply in the allowed channel');
      const dm = await session.message('hello', { channel: DM_CHANNEL });
      await waitFor(() => threadMessages(slack, DM_CHANNEL, dm)[0]?.blocks, 'the DM reply');
      await session.idle();
      assert.equal(threadMessages(slack, 'C0ALLOWED02', allowed)[0]?.text, 'Hi from the allowed channel.');
      assert.equal(botMessages(slack).filter((m) => m.channel === CHANNEL).length, 0);
      assert.equal(openai.requests.length, 2);
      await session.stop();
    });
  });
});
