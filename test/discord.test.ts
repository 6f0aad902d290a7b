import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { discordThreadKey } from '../adapters/discord/index.js';
import { createLogger } from '../src/log.js';
import { agentLine, DiscordSession, visibleText } from './discordHarness.js';
import {
  APPLICATION_ID,
  BOT_USER_ID,
  CUSTOMER_ID,
  DM_CHANNEL_ID,
  FakeDiscord,
  GUILD_ID,
  OTHER_CHANNEL_ID,
  OTHER_USER_ID,
  rateLimitResponse,
  TEXT_CHANNEL_ID,
} from './fakes/discordServer.js';
import { ORDER_ANSWER, scriptOrderLookup, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';

/** The bot's finished messages in a channel (the ones carrying the agent line, and approval questions). */
function replies(discord: FakeDiscord, channelId: string) {
  return discord.messagesIn(channelId).filter((m) => !(m.flags && m.flags & 128));
}

describe('Discord adapter', () => {
  let discord: FakeDiscord;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: DiscordSession;

  beforeEach(async () => {
    discord = await new FakeDiscord().start();
    data = tempDir();
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir });
    await discord.waitForReady();
  });
  afterEach(async () => {
    await session.stop();
    await discord.close();
    data.remove();
  });

  async function reply(channelId: string, index = 0) {
    // Finished replies carry the agent line; that also leaves out anything posted as the bot by the test itself.
    return waitFor(
      () => replies(discord, channelId).filter((m) => agentLine(m.content))[index],
      `reply ${index + 1} in ${channelId}`,
    );
  }

  test('a mention starts a thread named after it, and the reply goes into it', async () => {
    scriptOrderLookup(openai);
    const posted = discord.userMessage({
      channelId: TEXT_CHANNEL_ID,
      content: 'where is my order ORD-1001?',
      mentionsBot: true,
    });
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    assert.equal(thread.parentId, TEXT_CHANNEL_ID);
    assert.equal(thread.startedFrom, posted.id);
    assert.equal(thread.name, 'where is my order ORD-1001?');
    const message = await reply(thread.id);
    await session.idle();
    assert.equal(visibleText(message.content), ORDER_ANSWER);
    assert.equal(agentLine(message.content), 'Orders');
    assert.equal(replies(discord, TEXT_CHANNEL_ID).length, 0, 'nothing in the channel itself');
    assert.equal(
      (await session.app.service.loadState(discordThreadKey({ guild: GUILD_ID, channel: thread.id }))).activeAgent,
      'orders',
    );
  });

  test('an answer slow to start shows "is typing…" until its first words', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    openai.script(async () => {
      await gate;
      return { text: 'Let me look into that for you.' };
    });
    discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'my app keeps crashing', mentionsBot: true });
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    const typing = new RegExp(`/channels/${thread.id}/typing`);
    await waitFor(() => discord.callsTo('POST', typing)[0], 'typing while the model has said nothing');
    release();
    await reply(thread.id);
    await session.idle();
    assert.equal(discord.callsTo('POST', typing).length, 1, 'shown once: the words came before it ran out');
  });

  test('a follow-up in the thread needs no mention; threads the bot did not start need one', async () => {
    scriptOrderLookup(openai);
    discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'where is my order ORD-1001?', mentionsBot: true });
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    await reply(thread.id);
    await session.idle();
    openai.script({ text: 'It left our warehouse on 2026-11-20.' });
    discord.userMessage({ channelId: thread.id, content: 'when did it leave?' });
    const second = await reply(thread.id, 1);
    await session.idle();
    assert.equal(visibleText(second.content), 'It left our warehouse on 2026-11-20.');
    assert.match(openai.requests[3]!.body.messages[0]!.content ?? '', /Orders/);
    assert.equal(discord.threads().length, 1, 'no new thread for a follow-up');
  });

  test('a DM is a conversation', async () => {
    scriptOrderLookup(openai);
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'where is my order ORD-1001?' });
    const message = await reply(DM_CHANNEL_ID);
    await session.idle();
    assert.equal(visibleText(message.content), ORDER_ANSWER);
    assert.equal(
      (await session.app.service.loadState(discordThreadKey({ guild: '@me', channel: DM_CHANNEL_ID }))).activeAgent,
      'orders',
    );
  });

  test('an image with no text is answered with what arrived and that it cannot be opened, not as a "hello"', async () => {
    discord.userMessage({
      channelId: DM_CHANNEL_ID,
      content: '',
      attachments: [{ filename: 'screenshot.png', contentType: 'image/png' }],
    });
    const message = await reply(DM_CHANNEL_ID);
    await session.idle();
    assert.match(
      visibleText(message.content),
      /^Thanks, I got the image screenshot\.png, but I can't open files or images yet\./,
    );
    assert.equal(openai.requests.length, 0, 'no model call');
    const state = await session.app.service.loadState(discordThreadKey({ guild: '@me', channel: DM_CHANNEL_ID }));
    assert.equal(state.history[0]?.content, '[sent the image screenshot.png, with no text]');
  });

  test('a 5,000-character reply is split at 2,000 on line breaks, with code fences intact', async () => {
    const code = Array.from({ length: 90 }, (_, i) => `const line${i} = compute(${i}); // step ${i}`).join('\n');
    const prose = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} explains one more detail of the fix.`).join(
      '\n\n',
    );
    const text = `${prose}\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat should do it.`;
    assert.ok(text.length > 5_000, `${text.length} characters`);
    openai.script({ text, chunkChars: 300 });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'how do I fix it?' });
    await waitFor(() => replies(discord, DM_CHANNEL_ID).find((m) => agentLine(m.content)), 'the last piece');
    await session.idle();
    const pieces = replies(discord, DM_CHANNEL_ID).map((m) => m.content);
    assert.ok(pieces.length >= 3, `${pieces.length} messages`);
    for (const piece of pieces) {
      assert.ok(piece.length <= 2_000, `a piece of ${piece.length} characters`);
      assert.equal((piece.match(/```/g)?.length ?? 0) % 2, 0, `an open code fence in:\n${piece.slice(-200)}`);
    }
    const joined = pieces
      .map(visibleText)
      .join('\n')
      .replace(/```(ts)?\n?/g, '')
      .replace(/\s+/g, '');
    assert.equal(joined, text.replace(/```(ts)?\n?/g, '').replace(/\s+/g, ''), 'every character arrives once');
  });

  test('the reply is posted early and edited as text arrives; a rate-limited edit still ends with the final text', async () => {
    discord.respondOnce('PATCH', /\/channels\/\d+\/messages\/\d+/, rateLimitResponse(0.2));
    openai.script(
      { text: 'One moment, let me check that order.', toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: ` ${ORDER_ANSWER}`, chunkChars: 5 },
    );
    const started = Date.now();
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'where is my order ORD-1001?' });
    const message = await reply(DM_CHANNEL_ID);
    await session.idle();
    assert.equal(visibleText(message.content), `One moment, let me check that order. ${ORDER_ANSWER}`);
    assert.equal(agentLine(message.content), 'Orders');
    const first = discord.callsTo('POST', /\/channels\/\d+\/messages$/)[0]!;
    assert.doesNotMatch(
      String((first.body as { content?: string }).content),
      /UPS/,
      'posted before the answer was complete',
    );
    const patches = discord.callsTo('PATCH', new RegExp(`/messages/${message.id}$`));
    assert.ok(
      patches.some((c) => c.status === 429),
      'an edit was rate limited',
    );
    const edits = patches.filter((c) => c.status === 200).length;
    assert.ok(edits >= 1 && edits <= Math.ceil((Date.now() - started) / 1000) + 1, `${edits} edits`);
  });

  /**
   * A session whose replies count one call under way as backed up, with one: the first customer's answer pauses
   * after its first words, and Discord holds their early post, as a backed-up queue would. Then a second customer
   * asks, and their answer pauses after its first words too, which are held back.
   */
  async function backedUpQueue() {
    await session.stop();
    const logged: string[] = [];
    const destination = new Writable({
      write: (chunk, _enc, done) => {
        logged.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: 'debug', destination });
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir, log, backedUpRestCalls: 1 });
    await discord.waitForReady();
    const paused = () => {
      let resume!: () => void;
      const gate = new Promise<void>((resolve) => (resume = resolve));
      return { gate, resume };
    };
    const held = discord.holdNext('POST', new RegExp(`/channels/${DM_CHANNEL_ID}/messages$`));
    const first = paused();
    openai.script({ text: 'Your order is on its way; it left on Monday.', chunkChars: 6, gate: first.gate });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'where is my order?' });
    await held.arrived;
    const second = paused();
    openai.script({ text: 'Your invoice is paid; nothing more is due.', chunkChars: 6, gate: second.gate });
    discord.userMessage({ channelId: OTHER_DM, content: 'is my invoice paid?', authorId: OTHER_USER_ID, guild: false });
    await waitFor(() => logged.some((line) => line.includes('"discord.reply_held_back"')), 'the early post held back');
    return { held, first, second };
  }
  const OTHER_DM = '1500000000000000002';
  const postsIn = (channel: string) => discord.callsTo('POST', new RegExp(`/channels/${channel}/messages$`));
  const editsIn = (channel: string) => discord.callsTo('PATCH', new RegExp(`/channels/${channel}/messages/`));

  test('while REST calls are backed up, an answer skips its early post and goes out once, finished', async () => {
    const { held, first, second } = await backedUpQueue();
    second.resume();
    const answer = await reply(OTHER_DM);
    assert.equal(visibleText(answer.content), 'Your invoice is paid; nothing more is due.');
    assert.equal(postsIn(OTHER_DM).length, 1, 'posted once');
    assert.equal(editsIn(OTHER_DM).length, 0, 'never edited');
    // Once the queue moves, the first answer finishes as usual: its early post, then the edit that ends it.
    held.release();
    first.resume();
    const done = await reply(DM_CHANNEL_ID);
    await session.idle();
    assert.equal(visibleText(done.content), 'Your order is on its way; it left on Monday.');
    assert.equal(editsIn(DM_CHANNEL_ID).length, 1);
  });

  test('held-back words are shown once the queue drains, even before any more text comes', async () => {
    const { held, first, second } = await backedUpQueue();
    held.release();
    // The second answer is still paused after its first words: they go out on the next look at the queue.
    const early = await waitFor(() => postsIn(OTHER_DM)[0], 'the early post after the queue drained');
    assert.equal((early.body as { content?: string }).content, 'Your i');
    second.resume();
    first.resume();
    const answer = await reply(OTHER_DM);
    await session.idle();
    assert.equal(visibleText(answer.content), 'Your invoice is paid; nothing more is due.');
    assert.equal(postsIn(OTHER_DM).length, 1, 'one message, edited into the answer');
    assert.equal(editsIn(OTHER_DM).length, 1);
  });

  test('a duplicate MESSAGE_CREATE (after a restart, when discord.js has no cache) gets one reply', async () => {
    openai.script({ text: 'Hello there!' });
    const first = discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'hi' });
    await reply(DM_CHANNEL_ID);
    await session.idle();
    await session.stop();
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir });
    await discord.waitForReady();
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'hi', id: first.id });
    openai.script({ text: 'Second message answered.' });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'and now?' });
    await reply(DM_CHANNEL_ID, 1);
    await session.idle();
    assert.equal(openai.requests.length, 2, 'the duplicate ran no turn');
    assert.deepEqual(
      replies(discord, DM_CHANNEL_ID).map((m) => visibleText(m.content)),
      ['Hello there!', 'Second message answered.'],
    );
  });

  test('a duplicate channel mention, after discord.js has forgotten it, is refused before any call to Discord', async () => {
    openai.script({ text: 'Hello there!' });
    const first = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'hi', mentionsBot: true });
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    await reply(thread.id);
    await session.idle();
    // A fresh client has no message cache: only our own dedupe can recognise the redelivery.
    await session.stop();
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir });
    await discord.waitForReady();
    const callsBefore = discord.calls.length;
    discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'hi', mentionsBot: true, id: first.id });
    openai.script({ text: 'Another question answered.' });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'and a DM' });
    await reply(DM_CHANNEL_ID);
    await session.idle();
    const threadStarts = discord.callsTo('POST', /\/messages\/\d+\/threads$/);
    assert.equal(threadStarts.length, 1, 'the thread was started once');
    assert.deepEqual(
      discord.calls
        .slice(callsBefore)
        .filter((c) => c.status >= 400)
        .map((c) => `${c.method} ${c.path} ${c.status}`),
      [],
      'no refused call',
    );
    assert.deepEqual(
      discord.calls
        .slice(callsBefore)
        .filter((c) => c.path.includes(thread.id))
        .map((c) => `${c.method} ${c.path}`),
      [],
      'nothing touched the thread again',
    );
    assert.equal(replies(discord, thread.id).length, 1);
    assert.equal(openai.requests.length, 2, 'the duplicate ran no turn');
  });

  test('a mention whose thread could not be started waits in the inbox; the next pass starts the thread and answers', async () => {
    const before = discord.threads().length;
    discord.failNext('POST', /\/messages\/\d+\/threads$/, 1, {
      status: 403,
      body: { code: 50013, message: 'Missing Permissions' },
    });
    openai.script({ text: 'Hello from the thread.' });
    const mention = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'hello again', mentionsBot: true });
    await waitFor(
      () => discord.callsTo('POST', /\/messages\/\d+\/threads$/).some((c) => c.status === 403),
      'the refused thread start',
    );
    await session.idle();
    assert.equal(discord.threads().length, before, 'no thread yet');
    assert.equal(openai.requests.length, 0, 'no turn ran');
    await session.app.service.recover();
    const thread = await waitFor(
      () => discord.threads().find((t) => t.id === mention.id),
      'the thread, with the message id',
    );
    assert.equal(visibleText((await reply(thread.id)).content), 'Hello from the thread.');
    await session.idle();
    assert.equal(openai.requests.length, 1);
  });

  test('approval buttons: someone else gets an ephemeral note; the requester confirms and the outcome replaces the buttons', async () => {
    openai.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1002' } }] },
    );
    discord.userMessage({
      channelId: TEXT_CHANNEL_ID,
      content: 'please cancel ORD-1002, my email is maya.chen@example.com',
      mentionsBot: true,
    });
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    const question = await waitFor(
      () =>
        discord
          .messagesIn(thread.id)
          .find((m) => JSON.stringify(m.components).includes('switchboard:approval:confirm')),
      'the buttons',
    );
    await session.idle();
    const confirmId = JSON.stringify(question.components).match(/switchboard:approval:confirm:[\w-]+/)![0];

    discord.pressButton({ channelId: thread.id, messageId: question.id, customId: confirmId, userId: OTHER_USER_ID });
    const note = await discord.waitForCall('POST', /\/webhooks\/\d+\/[^/]+$/);
    await session.idle();
    assert.equal((note.body as { flags?: number }).flags, 64, 'ephemeral');
    assert.match(String((note.body as { content?: string }).content), /Only the person who made this request/);
    assert.equal(openai.requests.length, 2);

    // A restart between the question and the answer: the pending approval and the buttons still work.
    await session.stop();
    session = await DiscordSession.start(discord, openai, { dataDir: data.dir });
    await discord.waitForReady();
    openai.script({ text: 'Done: ORD-1002 is cancelled.' });
    discord.pressButton({ channelId: thread.id, messageId: question.id, customId: confirmId, userId: CUSTOMER_ID });
    await waitFor(
      () => discord.messagesIn(thread.id).find((m) => m.content.includes('is cancelled') && agentLine(m.content)),
      'the reply',
    );
    await session.idle();
    const updated = discord.messagesIn(thread.id).find((m) => m.id === question.id)!;
    assert.deepEqual(updated.components, [], 'the buttons are gone');
    assert.match(updated.content, new RegExp(`Confirmed by <@${CUSTOMER_ID}>`));
    const state = await session.app.service.loadState(discordThreadKey({ guild: GUILD_ID, channel: thread.id }));
    assert.equal(state.pendingApproval, null);
    assert.ok(
      discord.callsTo('POST', /\/interactions\/\d+\/[^/]+\/callback/).length >= 2,
      'each press was acknowledged over REST',
    );
  });

  test('the bot ignores itself and other bots', async () => {
    openai.script({ text: 'Hi!' }, { text: 'Only you.' });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'hello' });
    await reply(DM_CHANNEL_ID);
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'I am the bot', authorId: BOT_USER_ID, bot: true });
    discord.userMessage({
      channelId: TEXT_CHANNEL_ID,
      content: 'beep',
      authorId: '1400000000000000099',
      bot: true,
      mentionsBot: true,
    });
    discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'anyone there?' });
    await reply(DM_CHANNEL_ID, 1);
    await session.idle();
    assert.equal(openai.requests.length, 2);
    assert.equal(discord.threads().length, 0);
  });

  test('/support is registered and opens a thread, with a deferred reply inside the 3 s window', async () => {
    await session.stop();
    session = await DiscordSession.start(discord, openai, {
      dataDir: data.dir,
      env: { DISCORD_APPLICATION_ID: APPLICATION_ID },
    });
    await discord.waitForReady();
    const registered = await discord.waitForCall('PUT', new RegExp(`/applications/${APPLICATION_ID}/commands`));
    assert.equal((registered.body as Array<{ name: string }>)[0]?.name, 'support');
    scriptOrderLookup(openai);
    discord.slashCommand({ channelId: TEXT_CHANNEL_ID, userId: CUSTOMER_ID, question: 'where is my order ORD-1001?' });
    const callback = await discord.waitForCall('POST', /\/interactions\/\d+\/[^/]+\/callback/);
    assert.equal((callback.body as { type?: number }).type, 5, 'deferred');
    const thread = await waitFor(() => discord.threads()[0], 'the thread');
    assert.equal(thread.name, 'where is my order ORD-1001?');
    const message = await reply(thread.id);
    await session.idle();
    assert.equal(visibleText(message.content), ORDER_ANSWER);
  });

  test('in threads it did not start the bot needs a mention; DISCORD_ALLOWED_CHANNELS limits where it answers', async () => {
    await session.stop();
    session = await DiscordSession.start(discord, openai, {
      dataDir: data.dir,
      env: { DISCORD_ALLOWED_CHANNELS: TEXT_CHANNEL_ID },
    });
    await discord.waitForReady();
    discord.userMessage({ channelId: OTHER_CHANNEL_ID, content: 'help?', mentionsBot: true });
    openai.script({ text: 'Happy to help.' }, { text: 'Still here.' });
    const posted = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'help?', mentionsBot: true });
    const thread = await waitFor(() => discord.threads().find((t) => t.startedFrom === posted.id), 'the thread');
    await reply(thread.id);
    discord.userMessage({ channelId: thread.id, content: 'thanks!' });
    await reply(thread.id, 1);
    // A thread a person started is not a conversation until the bot is mentioned in it.
    const created = await fetch(`${discord.apiUrl}/v10/channels/${TEXT_CHANNEL_ID}/threads`, {
      method: 'POST',
      headers: { authorization: 'Bot someone-else', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'team chat', type: 11 }),
    });
    const humanThread = ((await created.json()) as { id: string }).id;
    openai.script({ text: 'You called?' });
    discord.userMessage({ channelId: humanThread, content: 'just chatting among ourselves' });
    discord.userMessage({ channelId: humanThread, content: 'can you check ORD-1001?', mentionsBot: true });
    await reply(humanThread);
    await session.idle();
    assert.equal(
      discord.threads().filter((t) => t.parentId === OTHER_CHANNEL_ID).length,
      0,
      'no thread outside the allowlist',
    );
    assert.equal(openai.requests.length, 3, 'the chatter and the other channel ran no turn');
    assert.equal(openai.requests[2]!.body.messages.filter((m) => m.role === 'user').length, 1);
  });
});
