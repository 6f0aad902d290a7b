import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { CONSOLE_HELP, WITH_STAFF_NOTICE } from '../adapters/console/index.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { BOT_BACK_REPLY } from '../src/escalation/desk.js';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { STAFF_ONLY_REPLY } from '../src/escalation/staffCommands.js';
import {
  CUSTOMER_NAME,
  cardButtons,
  cardPost,
  cardTs,
  EscalationBench,
  latestCard,
  MODEL_SUMMARY,
  postsIn,
  REASON,
  STAFF_CHANNEL,
  STAFF_NAME,
  STAFF_USER,
  SUMMARY_USAGE,
  scriptEscalation,
  slackThread,
} from './escalationHarness.js';
import { STAFF_CHANNEL_ID } from './fakes/discordServer.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir } from './harness.js';
import { CHANNEL, CUSTOMER, OTHER_USER, threadMessages } from './slackHarness.js';

describe('escalation: Slack customer, Slack staff', () => {
  let slack: FakeSlack;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let bench: EscalationBench;

  beforeEach(async () => {
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
    const ts = await bench.slackSession.mention(
      `<@${BOT_USER_ID}> I need a refund for ORD-1001, it arrived 40 days ago`,
    );
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
    assert.ok(
      card.includes(`https://fake.slack.test/archives/${CHANNEL}/p${ts.replace('.', '')}`),
      'links to the customer thread',
    );
    assert.match(card, /high/);
    assert.ok(card.includes(REASON));
    assert.ok(card.includes(MODEL_SUMMARY), 'the model-written summary');
    assert.deepEqual(
      cardButtons(cardPost(slack)!.args.blocks).map((b) => [b.action_id, b.value]),
      [
        ['switchboard_escalation_claim', escalationId],
        ['switchboard_escalation_resolve', escalationId],
      ],
    );
    // The summary request carried the conversation.
    assert.match(JSON.stringify(openai.requests[1]!.body.messages), /I need a refund for ORD-1001/);
    // Its tokens count against the thread like the agents' own.
    const { usage } = await bench.state(slackThread(CHANNEL, ts));
    assert.deepEqual(usage.byAgent.escalation_summary, {
      promptTokens: SUMMARY_USAGE.prompt,
      completionTokens: SUMMARY_USAGE.completion,
      calls: 1,
    });
    assert.equal(usage.total.calls, 2);
    const agentTokens = usage.byAgent.triage!.promptTokens + usage.byAgent.triage!.completionTokens;
    assert.equal(usage.today.tokens, agentTokens + SUMMARY_USAGE.prompt + SUMMARY_USAGE.completion);
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
    assert.equal(
      postsIn(slack, CHANNEL, ts).at(-1),
      `*${STAFF_NAME}* (support team)\nHi Casey, I can approve that refund.`,
    );
    assert.ok(
      slack.callsTo('reactions.add').some((c) => c.args.timestamp === reply && c.args.name === 'outbox_tray'),
      'the relayed message is marked',
    );

    const note = await bench.staffSays(card, '!note she was also double-charged, check billing');
    await bench.idle();
    assert.ok(!postsIn(slack, CHANNEL, ts).some((text) => text.includes('double-charged')), 'the note was not relayed');
    assert.ok(
      slack.callsTo('reactions.add').some((c) => c.args.timestamp === note && c.args.name === 'memo'),
      'the note is marked as a note',
    );
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
    assert.equal(
      postsIn(slack, CHANNEL, ts).at(-1),
      `${STAFF_NAME} from our support team has joined the conversation.`,
    );

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
    assert.ok(
      sent.includes('Alex (support team): Refund approved as a one-off'),
      'the staff message is in the model context',
    );
    assert.match(sent, /resolved the escalation/);
    assert.ok(!sent.includes('approved by the team lead'), 'internal notes never reach the model');
    assert.equal(threadMessages(slack, CHANNEL, ts).at(-1)!.text, 'As Alex said, the refund of 129.00 is on its way.');
  });

  test('one reminder, mentioning the configured group, when nobody claims within ESCALATION_REMIND_AFTER', async () => {
    await bench.stop();
    bench = await EscalationBench.start({
      slack,
      openai,
      dataDir: data.dir,
      env: { ESCALATION_REMIND_AFTER: '10m', ESCALATION_REMIND_MENTION: 'S0SUPPORT01' },
    });
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
    assert.equal(
      postsIn(slack, CHANNEL, ts).at(-1),
      `*${STAFF_NAME}* (support team)\nStill here after the deploy: refund is approved.`,
    );
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

    // An unreadable thread ahead of it in the sweep's list (the SQLite set lists by name) must not stop the sweep.
    const broken = slackThread(CHANNEL, '1000000000.000100');
    await bench.app.store.threads.set(broken, { schemaVersion: 99 });
    await bench.app.store.sets.add('escalation:open', broken);
    assert.equal((await bench.app.store.sets.members('escalation:open'))[0], broken);

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
    for (const text of ['!note: check the refund policy', '!notes for later', '!NOTE shouting', '!claim'])
      await bench.staffSays(card, text);
    await bench.idle();
    assert.equal(postsIn(slack, CHANNEL, ts).length, 0, 'nothing reached the customer');
    const told = slack
      .callsTo('chat.postEphemeral')
      .filter((c) => c.args.user === STAFF_USER)
      .map((c) => String(c.args.text));
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

describe('escalation configuration and console', () => {
  test('a Discord staff channel needs the staff role; a bad channel is refused with a clear message', () => {
    assert.throws(
      () => loadConfig({ DISCORD_BOT_TOKEN: 't', ESCALATION_CHANNEL: `discord:${STAFF_CHANNEL_ID}` }),
      (err: unknown) => err instanceof ConfigError && /DISCORD_STAFF_ROLE_ID/.test(err.message),
    );
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
    const back = text.indexOf(BOT_BACK_REPLY);
    assert.ok(back >= 0 && back < text.indexOf("You're welcome"), 'the bot answers again after resolve');
    await chat.close();
    data.remove();
  });

  test('console: a restarted chat that is with staff says so; /new starts a conversation the next restart continues', async () => {
    const data = tempDir();
    const sessions: ConsoleSession[] = [];
    after(async () => {
      for (const session of sessions) await session.close();
      data.remove();
    });
    const start = async () => {
      const session = await ConsoleSession.offline({ DATA_DIR: data.dir });
      sessions.push(session);
      return session;
    };

    const first = await start();
    first.type('I want to talk to a person');
    await first.end();
    assert.match(first.text, /\[staff\] ┌ New escalation/);
    assert.ok(!first.text.includes(WITH_STAFF_NOTICE), 'no notice while the conversation was with the bot at start');
    await first.close();

    const second = await start();
    second.type('hello?');
    second.type('/help');
    second.type('/new');
    second.type('where is my order ORD-1001?');
    await second.end();
    const text = second.text;
    const notice = text.indexOf(WITH_STAFF_NOTICE);
    assert.ok(notice >= 0 && notice < text.indexOf('you> hello?'), `the notice comes first; got:\n${text}`);
    assert.match(text, /\[staff\] you: hello\?/, 'the message went to staff');
    assert.ok(text.includes(CONSOLE_HELP));
    const fresh = second.chat.thread;
    assert.match(fresh, /^console:local-/);
    assert.match(text, /\[Orders\] Order ORD-1001 has shipped/, 'the bot answers in the new conversation');
    assert.equal(
      (await second.app.service.loadState('console:local')).escalation?.relayed.fromCustomer,
      1,
      'the old conversation is kept, still with staff',
    );
    assert.equal((await second.state()).activeAgent, 'orders');
    await second.close();

    const third = await start();
    third.type('thanks');
    await third.end();
    assert.equal(third.chat.thread, fresh, 'a restart continues the conversation /new started');
    assert.ok(!third.text.includes(WITH_STAFF_NOTICE));
    assert.match(third.text, /\[Orders\] You're welcome/);
  });
});
