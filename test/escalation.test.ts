import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { BOT_BACK_REPLY, STAFF_ONLY_REPLY } from '../src/escalation/desk.js';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { FakeDiscord, GUILD_ID, STAFF_CHANNEL_ID, STAFF_ROLE_ID, STAFF_USER_ID, TEXT_CHANNEL_ID, CUSTOMER_ID as DISCORD_CUSTOMER } from './fakes/discordServer.js';
import { BOT_USER_ID, FakeSlack, type SlackCall } from './fakes/slackServer.js';
import { ConsoleSession, FakeOpenAI, tempDir, waitFor } from './harness.js';
import { CUSTOMER_NAME, DISCORD_BOT_USER_ID, EscalationBench, slackThread, STAFF_CHANNEL, STAFF_NAME, STAFF_USER } from './escalationHarness.js';
import { botMessages, CHANNEL, CUSTOMER, OTHER_USER, threadMessages } from './slackHarness.js';
import { visibleText } from './discordHarness.js';

const REASON = 'The customer wants a refund exception that only staff can grant';
const MODEL_SUMMARY = '- Wants a refund exception for order ORD-1001, delivered 40 days ago';

/** The model escalates, then writes the staff summary. */
function scriptEscalation(openai: FakeOpenAI, urgency = 'high'): void {
  openai.script({ toolCalls: [{ name: 'escalate_to_human', arguments: { reason: REASON, urgency } }] }, { text: MODEL_SUMMARY });
}

function cardPost(slack: FakeSlack): SlackCall | undefined {
  return slack
    .callsTo('chat.postMessage')
    .find((call) => call.args.channel === STAFF_CHANNEL && call.args.thread_ts === undefined && (call.response as { ok?: boolean }).ok === true);
}

function cardTs(slack: FakeSlack): string {
  return String((cardPost(slack)!.response as { ts: string }).ts);
}

/** The escalation id the Slack card's buttons carry. */
function cardButtons(blocks: unknown): Array<{ action_id: string; value: string }> {
  const actions = (blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
  return actions?.elements ?? [];
}

/** The latest version of the card: its first post, or its last chat.update. */
function latestCard(slack: FakeSlack): string {
  const ts = cardTs(slack);
  const update = slack.callsTo('chat.update').filter((call) => call.args.ts === ts).at(-1);
  return JSON.stringify((update ?? cardPost(slack)!).args.blocks);
}

function postsIn(slack: FakeSlack, channel: string, threadTs: string): string[] {
  return slack.callsTo('chat.postMessage').filter((call) => call.args.channel === channel && call.args.thread_ts === threadTs).map((call) => String(call.args.text));
}

describe('escalation: Slack customer, Slack staff', () => {
  let slack: FakeSlack;
  let openai: FakeOpenAI;
  let data: ReturnType<typeof tempDir>;
  let bench: EscalationBench;

  before(async () => {
    openai = await new FakeOpenAI().start();
  });
  after(async () => {
    await openai.close();
  });
  beforeEach(async () => {
    openai.reset();
    slack = await new FakeSlack().start();
    slack.displayNames.set(CUSTOMER, CUSTOMER_NAME);
    data = tempDir();
    bench = await EscalationBench.start({ slack, openai, dataDir: data.dir });
  });
  afterEach(async () => {
    await bench.stop();
    await slack.close();
    data.remove();
  });

  /** A customer asks in a channel and the model escalates; returns the customer's thread ts and key. */
  async function escalate(): Promise<{ ts: string; thread: string; escalationId: string }> {
    scriptEscalation(openai);
    const ts = await bench.slackSession.mention(`<@${BOT_USER_ID}> I need a refund for ORD-1001, it arrived 40 days ago`);
    await bench.idle();
    const thread = slackThread(CHANNEL, ts);
    const escalation = (await bench.state(thread)).escalation;
    assert.ok(escalation, 'the thread is escalated');
    return { ts, thread, escalationId: escalation.id };
  }

  test('escalating tells the customer and opens a staff thread with who, where, why, urgency, a summary and buttons', async () => {
    const { ts, escalationId } = await escalate();
    const customerView = threadMessages(slack, CHANNEL, ts);
    assert.equal(customerView.length, 1);
    assert.equal(customerView[0]!.text, ESCALATED_REPLY);
    const card = JSON.stringify(cardPost(slack)!.args.blocks);
    assert.match(card, new RegExp(CUSTOMER_NAME));
    assert.match(card, /on Slack/);
    assert.ok(card.includes(`https://fake.slack.test/archives/${CHANNEL}/p${ts.replace('.', '')}`), 'links to the customer thread');
    assert.match(card, /high/);
    assert.ok(card.includes(REASON));
    assert.ok(card.includes(MODEL_SUMMARY), 'the model-written summary');
    assert.deepEqual(cardButtons(cardPost(slack)!.args.blocks).map((b) => [b.action_id, b.value]), [
      ['switchboard_escalation_claim', escalationId],
      ['switchboard_escalation_resolve', escalationId],
    ]);
    // The summary request carried the conversation.
    assert.match(JSON.stringify(openai.requests[1]!.body.messages), /I need a refund for ORD-1001/);
  });

  test('messages are relayed both ways; the bot stays quiet; !note stays internal', async () => {
    const { ts } = await escalate();
    const card = cardTs(slack);
    const modelCalls = openai.requests.length;

    await bench.slackSession.message('hello? is anyone there?', { threadTs: ts });
    await bench.idle();
    assert.deepEqual(postsIn(slack, STAFF_CHANNEL, card), [`${CUSTOMER_NAME}: hello? is anyone there?`]);
    assert.equal(threadMessages(slack, CHANNEL, ts).length, 1, 'the bot did not answer');
    assert.equal(openai.requests.length, modelCalls, 'no model call while escalated');

    const reply = await bench.staffSays(card, 'Hi Casey, I can approve that refund.');
    await bench.idle();
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), `*${STAFF_NAME}* (support team)\nHi Casey, I can approve that refund.`);
    assert.ok(slack.callsTo('reactions.add').some((c) => c.args.timestamp === reply && c.args.name === 'outbox_tray'), 'the relayed message is marked');

    const note = await bench.staffSays(card, '!note she was also double-charged, check billing');
    await bench.idle();
    assert.ok(!postsIn(slack, CHANNEL, ts).some((text) => text.includes('double-charged')), 'the note was not relayed');
    assert.ok(slack.callsTo('reactions.add').some((c) => c.args.timestamp === note && c.args.name === 'memo'), 'the note is marked as a note');
    const state = await bench.state(slackThread(CHANNEL, ts));
    assert.deepEqual(state.escalation?.relayed, { fromCustomer: 1, fromStaff: 1 });
    assert.equal(state.escalation?.claimedBy?.name, STAFF_NAME, 'answering the customer claims the escalation');
    assert.ok(!JSON.stringify(state.history).includes('double-charged'));
  });

  test('only staff-channel members can claim and resolve; claim and resolve update the card and tell the customer', async () => {
    const { ts, thread, escalationId } = await escalate();
    const card = cardTs(slack);

    await bench.pressCard(card, escalationId, 'claim', OTHER_USER);
    const refusal = await slack.waitForCall('chat.postEphemeral', (c) => c.args.user === OTHER_USER);
    assert.equal(refusal.args.text, STAFF_ONLY_REPLY);
    assert.equal((await bench.state(thread)).escalation?.claimedBy, null);

    await bench.pressCard(card, escalationId, 'claim');
    assert.deepEqual((await bench.state(thread)).escalation?.claimedBy, { id: STAFF_USER, name: STAFF_NAME });
    assert.match(latestCard(slack), /Claimed by Alex/);
    assert.deepEqual(
      cardButtons(slack.callsTo('chat.update').at(-1)!.args.blocks).map((b) => b.action_id),
      ['switchboard_escalation_resolve'],
      'Claim is gone once claimed',
    );
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), `${STAFF_NAME} from our support team has joined the conversation.`);

    await bench.pressCard(card, escalationId, 'resolve', OTHER_USER);
    assert.equal(slack.callsTo('chat.postEphemeral').filter((c) => c.args.user === OTHER_USER).length, 2);
    assert.ok((await bench.state(thread)).escalation, 'still escalated after a refused resolve');

    await bench.pressCard(card, escalationId, 'resolve');
    const state = await bench.state(thread);
    assert.equal(state.escalation, null);
    assert.equal(state.escalations.length, 1);
    assert.equal(state.escalations[0]!.resolvedBy.name, STAFF_NAME);
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), BOT_BACK_REPLY);
    assert.match(latestCard(slack), /Resolved by Alex/);
    assert.deepEqual(cardButtons(slack.callsTo('chat.update').at(-1)!.args.blocks), [], 'no buttons once resolved');

    // A second press on the old card is answered, not acted on.
    await bench.pressCard(card, escalationId, 'resolve');
    const stale = await slack.waitForCall('chat.postEphemeral', (c) => c.args.user === STAFF_USER);
    assert.match(String(stale.args.text), /already resolved/);
  });

  test('after resolve, the bot answers again and knows what staff said', async () => {
    const { ts, escalationId } = await escalate();
    const card = cardTs(slack);
    await bench.staffSays(card, 'Refund approved as a one-off: 129.00 back to your card within 5 days.');
    await bench.staffSays(card, '!note approved by the team lead');
    await bench.idle();
    await bench.pressCard(card, escalationId, 'resolve');

    openai.script({ text: 'As Alex said, the refund of 129.00 is on its way.' });
    const before = openai.requests.length;
    await bench.slackSession.message('when will I get the money?', { threadTs: ts });
    await bench.idle();
    assert.equal(openai.requests.length, before + 1, 'the bot answered');
    const sent = JSON.stringify(openai.requests.at(-1)!.body.messages);
    assert.ok(sent.includes('Alex (support team): Refund approved as a one-off'), 'the staff message is in the model context');
    assert.match(sent, /resolved the escalation/);
    assert.ok(!sent.includes('approved by the team lead'), 'internal notes never reach the model');
    assert.equal(threadMessages(slack, CHANNEL, ts).at(-1)!.text, 'As Alex said, the refund of 129.00 is on its way.');
  });

  test('one reminder, mentioning the configured group, when nobody claims within ESCALATION_REMIND_AFTER', async () => {
    await bench.stop();
    bench = await EscalationBench.start({ slack, openai, dataDir: data.dir, env: { ESCALATION_REMIND_AFTER: '10m', ESCALATION_REMIND_MENTION: 'S0SUPPORT01' } });
    await escalate();
    const card = cardTs(slack);
    const now = Date.now();
    await bench.app.desk.sweep(now);
    assert.equal(postsIn(slack, STAFF_CHANNEL, card).length, 0, 'no reminder before the delay');
    await bench.app.desk.sweep(now + 11 * 60_000);
    await bench.app.desk.sweep(now + 30 * 60_000);
    const reminders = postsIn(slack, STAFF_CHANNEL, card);
    assert.equal(reminders.length, 1, 'exactly one reminder');
    assert.match(reminders[0]!, /^<!subteam\^S0SUPPORT01> Reminder: this escalation \(high\) has waited 11 min/);
  });

  test('a claimed escalation gets no reminder', async () => {
    const { escalationId } = await escalate();
    const card = cardTs(slack);
    await bench.pressCard(card, escalationId, 'claim');
    const before = postsIn(slack, STAFF_CHANNEL, card).length;
    await bench.app.desk.sweep(Date.now() + 60 * 60_000);
    assert.equal(postsIn(slack, STAFF_CHANNEL, card).length, before);
  });

  test('a restart mid-escalation (a new process on the same store) keeps relaying both ways and can resolve', async () => {
    const { ts, thread, escalationId } = await escalate();
    const card = cardTs(slack);
    await bench.pressCard(card, escalationId, 'claim');
    await bench.stop();
    bench = await EscalationBench.start({ slack, openai, dataDir: data.dir });

    await bench.staffSays(card, 'Still here after the deploy: refund is approved.');
    await bench.slackSession.message('great, thank you!', { threadTs: ts });
    await bench.idle();
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), `*${STAFF_NAME}* (support team)\nStill here after the deploy: refund is approved.`);
    assert.equal(postsIn(slack, STAFF_CHANNEL, card).at(-1), `${CUSTOMER_NAME}: great, thank you!`);
    await bench.pressCard(card, escalationId, 'resolve');
    assert.equal((await bench.state(thread)).escalation, null);
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), BOT_BACK_REPLY);
  });

  test('a card that fails to post is retried by the sweep with a fresh summary, past a thread whose state is unreadable', async () => {
    slack.respondOnce('chat.postMessage', { body: { ok: false, error: 'channel_not_found' } });
    const { ts, thread } = await escalate();
    assert.equal((await bench.state(thread)).escalation?.staffThread, null, 'no staff thread yet');
    await bench.slackSession.message('are you still there?', { threadTs: ts });
    await bench.idle();
    assert.equal(threadMessages(slack, CHANNEL, ts).length, 1, 'the bot stays quiet while escalated');

    // An unreadable thread ahead of it in the sweep's list must not stop the sweep.
    const broken = slackThread(CHANNEL, '1710009999.000100');
    await bench.app.store.threads.set(broken, { schemaVersion: 99 });
    const open = (await bench.app.store.records.get<string[]>('escalation:open')) ?? [];
    await bench.app.store.records.set('escalation:open', [broken, ...open]);

    openai.script({ text: '- Wants a refund; has asked twice' });
    await bench.app.desk.sweep();
    const card = JSON.stringify(cardPost(slack)?.args.blocks);
    assert.ok(card.includes('Wants a refund; has asked twice'), 'the summary was written again at the retry');
    assert.match(JSON.stringify(openai.requests.at(-1)!.body.messages), /are you still there\?/);
    assert.ok((await bench.state(thread)).escalation?.staffThread);
  });

  test('!note variants stay internal; other ! commands are not relayed', async () => {
    const { ts } = await escalate();
    const card = cardTs(slack);
    for (const text of ['!note: check the refund policy', '!notes for later', '!NOTE shouting', '!claim']) await bench.staffSays(card, text);
    await bench.idle();
    assert.equal(postsIn(slack, CHANNEL, ts).length, 0, 'nothing reached the customer');
    const told = slack.callsTo('chat.postEphemeral').filter((c) => c.args.user === STAFF_USER).map((c) => String(c.args.text));
    assert.equal(told.length, 1);
    assert.match(told[0]!, /^Not sent to the customer: messages starting with ! are commands/);
  });

  test('a staff member types !escalate in a customer thread; a customer typing it is just answered', async () => {
    openai.script({ text: 'Order ORD-1001 has shipped.' });
    const ts = await bench.slackSession.mention(`<@${BOT_USER_ID}> where is ORD-1001?`);
    await bench.idle();
    const thread = slackThread(CHANNEL, ts);

    openai.script({ text: 'I can help with that here.' });
    await bench.slackSession.message('!escalate please', { threadTs: ts });
    await bench.idle();
    assert.equal((await bench.state(thread)).escalation, null, 'a customer cannot escalate by command');

    openai.script({ text: MODEL_SUMMARY });
    await bench.slackSession.message('!escalate VIP customer, handle personally', { threadTs: ts, user: STAFF_USER });
    await bench.idle();
    const escalation = (await bench.state(thread)).escalation;
    assert.equal(escalation?.reason, 'VIP customer, handle personally');
    assert.deepEqual(escalation?.openedBy, { staff: { id: STAFF_USER, name: STAFF_NAME } });
    assert.equal(escalation?.customer.id, CUSTOMER, 'the customer is the person who started the thread');
    assert.equal(postsIn(slack, CHANNEL, ts).at(-1), ESCALATED_REPLY);
    assert.match(JSON.stringify(cardPost(slack)!.args.blocks), /Alex \(by hand\)/);
  });
});

describe('escalation: Discord customer, Slack staff', () => {
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let openai: FakeOpenAI;
  let data: ReturnType<typeof tempDir>;
  let bench: EscalationBench;

  before(async () => {
    openai = await new FakeOpenAI().start();
    slack = await new FakeSlack().start();
    discord = await new FakeDiscord().start();
    data = tempDir();
    bench = await EscalationBench.start({ slack, discord, openai, dataDir: data.dir });
    await discord.waitForReady();
  });
  after(async () => {
    await bench.stop();
    await discord.close();
    await slack.close();
    await openai.close();
    data.remove();
  });

  test('a Discord thread escalates to the Slack staff channel, relays both ways, and comes back on resolve', async () => {
    scriptEscalation(openai, 'urgent');
    const asked = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'I was charged twice, I want a person', mentionsBot: true });
    await waitFor(() => discord.threads().some((t) => t.startedFrom === asked.id), 'the customer thread');
    const customerThread = discord.threads().find((t) => t.startedFrom === asked.id)!.id;
    await bench.idle();
    await waitFor(() => cardPost(slack), 'the card in the Slack staff channel');
    const card = JSON.stringify(cardPost(slack)!.args.blocks);
    assert.match(card, /on Discord/);
    assert.ok(card.includes(`https://discord.com/channels/${GUILD_ID}/${customerThread}`), 'links to the Discord thread');
    assert.match(card, /urgent/);
    assert.equal(visibleText(discord.messagesIn(customerThread).at(-1)!.content), ESCALATED_REPLY);

    discord.userMessage({ channelId: customerThread, content: 'the second charge is 129.00' });
    await waitFor(() => postsIn(slack, STAFF_CHANNEL, cardTs(slack)).length === 1, 'the relay to Slack');
    assert.match(postsIn(slack, STAFF_CHANNEL, cardTs(slack))[0]!, /: the second charge is 129\.00$/);

    await bench.staffSays(cardTs(slack), 'Refunding the duplicate charge now.');
    await waitFor(() => discord.messagesIn(customerThread).some((m) => m.content.includes('Refunding the duplicate charge')), 'the relay to Discord');
    assert.equal(discord.messagesIn(customerThread).at(-1)!.content, `**${STAFF_NAME}** (support team)\nRefunding the duplicate charge now.`);

    const escalationId = (await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation!.id;
    await bench.pressCard(cardTs(slack), escalationId, 'resolve');
    await waitFor(() => discord.messagesIn(customerThread).some((m) => m.content === BOT_BACK_REPLY), 'the bot-is-back message on Discord');
    assert.equal((await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation, null);
    assert.equal(discord.messagesIn(customerThread).filter((m) => m.content.includes('Refunding')).length, 1, 'relayed once');
    void DISCORD_CUSTOMER;
  });
});

describe('escalation: Discord staff channel and the staff role', () => {
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let openai: FakeOpenAI;
  let data: ReturnType<typeof tempDir>;
  let bench: EscalationBench;

  before(async () => {
    openai = await new FakeOpenAI().start();
    slack = await new FakeSlack().start();
    discord = await new FakeDiscord().start();
    data = tempDir();
    bench = await EscalationBench.start({
      slack,
      discord,
      openai,
      dataDir: data.dir,
      staffChannel: `discord:${STAFF_CHANNEL_ID}`,
      env: { DISCORD_STAFF_ROLE_ID: STAFF_ROLE_ID },
    });
    await discord.waitForReady();
  });
  after(async () => {
    await bench.stop();
    await discord.close();
    await slack.close();
    await openai.close();
    data.remove();
  });

  test('only holders of the staff role can claim, resolve or be relayed; the card and the customer follow', async () => {
    scriptEscalation(openai, 'normal');
    const asked = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: 'let me speak to a human', mentionsBot: true });
    await waitFor(() => discord.threads().some((t) => t.startedFrom === asked.id), 'the customer thread');
    const customerThread = discord.threads().find((t) => t.startedFrom === asked.id)!.id;
    await waitFor(() => discord.threads().some((t) => t.parentId === STAFF_CHANNEL_ID), 'the escalation thread');
    const staffThread = discord.threads().find((t) => t.parentId === STAFF_CHANNEL_ID)!;
    const card = () => discord.messagesIn(STAFF_CHANNEL_ID).find((m) => m.id === staffThread.startedFrom)!;
    assert.ok(card().content.includes(`**Customer:** [Casey Customer](https://discord.com/channels/${GUILD_ID}/${customerThread}) on Discord`), card().content);
    const escalationId = (await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation!.id;

    discord.pressButton({ channelId: STAFF_CHANNEL_ID, messageId: card().id, customId: `switchboard:escalation:claim:${escalationId}`, userId: DISCORD_CUSTOMER });
    await waitFor(() => discord.calls.some((c) => c.method === 'POST' && /^\/webhooks\//.test(c.path) && JSON.stringify(c.body).includes(STAFF_ONLY_REPLY)), 'the refusal');
    assert.equal((await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation?.claimedBy, null);

    discord.userMessage({ channelId: staffThread.id, content: 'I am not staff but I write here', authorId: DISCORD_CUSTOMER });
    discord.userMessage({ channelId: staffThread.id, content: 'Hello, I am taking a look.', authorId: STAFF_USER_ID });
    await waitFor(() => discord.messagesIn(customerThread).some((m) => m.content.includes('Hello, I am taking a look.')), 'the staff relay');
    await bench.idle();
    assert.ok(!discord.messagesIn(customerThread).some((m) => m.content.includes('I am not staff')), 'a non-staff message is not relayed');
    await waitFor(() => /Claimed by/.test(card().content), 'the card shows the claim');

    discord.pressButton({ channelId: STAFF_CHANNEL_ID, messageId: card().id, customId: `switchboard:escalation:resolve:${escalationId}`, userId: STAFF_USER_ID });
    await waitFor(() => discord.messagesIn(customerThread).some((m) => m.content === BOT_BACK_REPLY), 'the bot is back');
    await waitFor(() => /Resolved by/.test(card().content), 'the card shows the resolve');
    assert.deepEqual(card().components, []);
    void DISCORD_BOT_USER_ID;
  });
});

describe('escalation configuration and console', () => {
  test('a Discord staff channel needs the staff role; a bad channel is refused with a clear message', () => {
    assert.throws(() => loadConfig({ DISCORD_BOT_TOKEN: 't', ESCALATION_CHANNEL: `discord:${STAFF_CHANNEL_ID}` }), (err: unknown) => err instanceof ConfigError && /DISCORD_STAFF_ROLE_ID/.test(err.message));
    assert.throws(() => loadConfig({ ESCALATION_CHANNEL: 'slack:C0STAFF0001' }), /needs SLACK_BOT_TOKEN/);
    assert.throws(() => loadConfig({ ESCALATION_CHANNEL: '#support' }), /must be slack:<channel id>/);
    assert.throws(() => loadConfig({ ESCALATION_REMIND_AFTER: 'soon' }), /must be a duration/);
    assert.equal(loadConfig({}).escalation.remindAfterMs, 10 * 60_000);
    assert.equal(loadConfig({ ESCALATION_REMIND_AFTER: '90s' }).escalation.remindAfterMs, 90_000);
    assert.equal(loadConfig({ ESCALATION_REMIND_AFTER: '5' }).escalation.remindAfterMs, 5 * 60_000);
  });

  test('console: an escalation prints what staff would see, /staff plays staff, and the reminder timer fires once', async () => {
    const data = tempDir();
    const chat = await ConsoleSession.offline({ DATA_DIR: data.dir, ESCALATION_REMIND_AFTER: '40ms' });
    chat.app.desk.start();
    chat.type('where is my order ORD-1001?');
    chat.type('this is unacceptable, get me a manager');
    chat.type('/staff !note customer is upset');
    // Nobody claims, so the sweep timer reminds once; a staff reply would claim it.
    await chat.waitForText('[staff] @support-team Reminder');
    chat.type('/staff Sorry about that, I am checking with the carrier.');
    chat.type('/staff resolve');
    chat.type('thanks');
    await chat.end();
    const text = chat.text;
    assert.match(text, /\[staff\] ┌ New escalation \(high\), opened by Orders \(bot\)/);
    assert.match(text, /\[staff\] │ {3}- Bot actions: lookup_order \{"order_id":"ORD-1001"\}/);
    assert.match(text, /Internal note kept in the staff thread/);
    assert.match(text, /\[Staff · support team\] Sorry about that, I am checking with the carrier\./);
    assert.equal(text.split('Reminder').length - 1, 1, 'one reminder');
    assert.ok(text.indexOf(BOT_BACK_REPLY) < text.indexOf("You're welcome"), 'the bot answers again after resolve');
    await chat.close();
    data.remove();
  });
});
