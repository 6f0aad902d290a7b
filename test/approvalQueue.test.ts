import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONSOLE_STAFF } from '../adapters/console/staffSide.js';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { APPROVAL_QUEUED, APPROVAL_SKIPPED_FOR_STAFF } from '../src/orchestrator/protocol.js';
import { BUDGET_SPENT_REPLY } from '../src/orchestrator/turnRunner.js';
import { blockActionsPayload } from './fakes/slackDelivery.js';
import { BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir, toolMessages, waitFor } from './harness.js';
import { approvalMessage, buttonValue, CHANNEL, CUSTOMER, SlackSession, threadMessages } from './slackHarness.js';

const ASK_1002 = /Cancel order ORD-1002\? Reply "yes" to go ahead or "no" to leave it as it is\./;
const ASK_1006 = /Cancel order ORD-1006\? Reply "yes" to go ahead or "no" to leave it as it is\./;
const cancelled = async (chat: ConsoleSession, order: string) =>
  (await chat.app.store.records.get<{ status: string }>(`order:${order}`))?.status === 'cancelled';

describe('several actions to confirm in one message', () => {
  const fake = suiteFakeOpenAI();

  /** Triage → Orders, which asks to cancel both orders in one response. */
  async function askToCancelBoth(env: Record<string, string> = {}): Promise<ConsoleSession> {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      {
        toolCalls: [
          { name: 'cancel_order', arguments: { order_id: 'ORD-1002' } },
          { name: 'cancel_order', arguments: { order_id: 'ORD-1006' } },
        ],
      },
    );
    const chat = ConsoleSession.openaiForTest(fake, env);
    const outcome = await chat.chat.send('cancel ORD-1002 and ORD-1006 please');
    assert.match(outcome.reply, ASK_1002);
    assert.doesNotMatch(outcome.reply, ASK_1006, 'one question at a time');
    return chat;
  }

  /** Triage → Orders, which asks to cancel `order` on a call that spends the thread's whole daily budget. */
  async function askOverBudget(order: string): Promise<ConsoleSession> {
    const usage = { prompt: 100, completion: 10 };
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }], usage },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: order } }], usage },
    );
    const chat = ConsoleSession.openaiForTest(fake, { THREAD_DAILY_TOKEN_BUDGET: '150' });
    assert.match((await chat.chat.send(`cancel ${order} please`)).reply, new RegExp(`Cancel order ${order}\\?`));
    assert.ok((await chat.state()).usage.today.tokens >= 150, 'the budget is spent');
    return chat;
  }

  test('the second is asked right after the first is answered, with the model told it is queued; "no" to it runs nothing', async () => {
    const chat = await askToCancelBoth();
    assert.equal(fake.requests.length, 2, 'no model call after the question');
    const asked = await chat.state();
    assert.equal(asked.pendingApproval?.question, 'Cancel order ORD-1002?');
    assert.deepEqual(
      asked.queuedApprovals.map((q) => q.input),
      [{ order_id: 'ORD-1006' }],
    );
    assert.ok(
      asked.history.some((m) => m.role === 'tool' && m.content === APPROVAL_QUEUED),
      'the queued call has its result, so the history stays valid',
    );

    fake.script({ text: 'Done: ORD-1002 is cancelled.' });
    const first = await chat.chat.send('yes');
    assert.equal(first.reply.split('\n\n')[0], 'Done: ORD-1002 is cancelled.');
    assert.match(first.reply, ASK_1006);
    assert.ok(await cancelled(chat, 'ORD-1002'));
    assert.equal(await cancelled(chat, 'ORD-1006'), false, 'asked, not done');
    const system = fake.requests.at(-1)!.body.messages[0]!.content ?? '';
    assert.match(
      system,
      /Asked right after your reply, one at a time \(do not ask them yourself\): "Cancel order ORD-1006\?"/,
    );
    const next = await chat.state();
    assert.equal(next.pendingApproval?.question, 'Cancel order ORD-1006?');
    assert.deepEqual(next.queuedApprovals, []);

    fake.script({ text: 'Okay, ORD-1006 stays as it is.' });
    const second = await chat.chat.send('no');
    assert.equal(second.reply, 'Okay, ORD-1006 stays as it is.');
    assert.match(toolMessages(fake, 3).at(-1)!, /The user declined\. cancel_order was not run\./);
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
    const done = await chat.state();
    assert.equal(done.pendingApproval, null);
    assert.deepEqual(done.queuedApprovals, []);
  });

  test('a new request instead of an answer is answered, and the question is put again; nothing is dropped', async () => {
    const chat = await askToCancelBoth();
    fake.script({ text: 'Sure, what is the new address?' });
    const outcome = await chat.chat.send('actually, can I change the delivery address instead?');
    assert.match(outcome.reply, /^Sure, what is the new address\?\n\nBefore that is done, I still need your answer: /);
    assert.ok(
      outcome.reply.trimEnd().endsWith('Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.'),
      outcome.reply,
    );
    const system = fake.requests.at(-1)!.body.messages[0]!.content ?? '';
    assert.match(
      system,
      /Waiting for console-user to confirm: "Cancel order ORD-1002\?" Their latest message is not a clear yes or no/,
    );
    assert.equal(
      fake.requests.at(-1)!.body.messages.at(-1)!.content,
      'actually, can I change the delivery address instead?',
    );
    const state = await chat.state();
    assert.equal(state.pendingApproval?.question, 'Cancel order ORD-1002?');
    assert.equal(state.pendingApproval?.reminders, 1);
    assert.deepEqual(
      state.queuedApprovals.map((q) => q.input),
      [{ order_id: 'ORD-1006' }],
    );
    assert.equal(await cancelled(chat, 'ORD-1002'), false);
    // The answer, when it comes, is still taken.
    fake.script({ text: 'Done: ORD-1002 is cancelled.' });
    assert.match((await chat.chat.send('yes')).reply, ASK_1006);
    assert.ok(await cancelled(chat, 'ORD-1002'));
  });

  test('a question passed by reply after reply is let go, undone, with the actions behind it; the model reads that neither ran', async () => {
    const chat = await askToCancelBoth();
    for (const [i, text] of ['where is ORD-1001?', 'and when does it arrive?'].entries()) {
      fake.script({ text: `Answer ${i}.` });
      assert.match((await chat.chat.send(text)).reply, ASK_1002);
    }
    fake.script({ text: 'It ships with UPS.' });
    const outcome = await chat.chat.send('which carrier is it?');
    assert.equal(
      outcome.reply,
      'It ships with UPS.\n\nI\'ve left this undone, since it wasn\'t answered: "Cancel order ORD-1002?" Just ask again if you still want it.',
    );
    const messages = fake.requests.at(-1)!.body.messages;
    const notRun = messages.filter(
      (m) => m.role === 'tool' && /^Not run: the user did not confirm/.test(m.content ?? ''),
    );
    assert.equal(notRun.length, 2);
    const state = await chat.state();
    assert.equal(state.pendingApproval, null);
    assert.deepEqual(state.queuedApprovals, []);
    assert.equal(await cancelled(chat, 'ORD-1002'), false);
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
  });

  test('the model asking again for a queued action does not get it asked twice', async () => {
    const chat = await askToCancelBoth();
    // After the first is done, the model itself asks for the second: it becomes the question, and leaves the queue.
    // The same action with an argument added (a reason): still the same question, so it is not asked twice.
    fake.script({
      toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1006', reason: 'no longer needed' } }],
    });
    const outcome = await chat.chat.send('yes');
    assert.equal(outcome.reply.match(/Cancel order ORD-1006\?/g)?.length, 1);
    const state = await chat.state();
    assert.equal(state.pendingApproval?.question, 'Cancel order ORD-1006?');
    assert.deepEqual(state.queuedApprovals, []);
  });

  test('a second "yes" sent with the first does not confirm the question it crossed: that question is put again', async () => {
    const chat = await askToCancelBoth();
    fake.script({ text: 'Done: ORD-1002 is cancelled.' });
    // Both sent before either is answered, as a double send on a chat platform.
    const [first, second] = await Promise.all([chat.chat.send('yes'), chat.chat.send('yes')]);
    assert.match(first.reply, /Done: ORD-1002 is cancelled\./);
    assert.match(
      second.reply,
      /^Just to be sure, since your message crossed with my question: Cancel order ORD-1006\?/,
    );
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
    assert.equal(fake.requests.length, 3, 'no model call for the crossed yes');
    fake.script({ text: 'Done: ORD-1006 is cancelled too.' });
    assert.equal((await chat.chat.send('yes')).reply, 'Done: ORD-1006 is cancelled too.');
    assert.ok(await cancelled(chat, 'ORD-1006'));
  });

  test("another person's new message drops only their own actions: one queued by someone else is asked of them next", async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1002' } }] },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    assert.match((await chat.chat.send('cancel ORD-1002 please')).reply, ASK_1002);
    // A colleague in the same thread asks for another cancellation while the customer's question waits.
    fake.script(
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1006' } }] },
      { text: "I'll ask you about ORD-1006 once the question above is answered." },
    );
    // The colleague's address is on ORD-1006 too (a shared account), so it is theirs to cancel.
    const colleague = await chat.app.service.handle({
      id: 'colleague-1',
      thread: chat.chat.thread,
      userId: 'colleague',
      verifiedEmail: 'maya.chen@example.com',
      text: 'also cancel ORD-1006',
    });
    assert.match(colleague.reply, /once the question above is answered/);
    assert.equal((await chat.state()).queuedApprovals[0]?.requestedBy, 'colleague');
    // The customer moves on instead of answering, reply after reply: once their question is let go (with their own
    // queued actions), the colleague's is asked of the colleague.
    for (const text of ['can I change the delivery address instead?', 'to 1 Main St', 'is that done?']) {
      fake.script({ text: 'Noted.' });
      await chat.chat.send(text);
    }
    const moved = await chat.state();
    assert.equal(
      moved.history.filter((m) => m.role === 'assistant' && m.content?.includes('Cancel order ORD-1006?')).length,
      1,
    );
    const state = await chat.state();
    assert.equal(state.pendingApproval?.requestedBy, 'colleague');
    assert.deepEqual(state.queuedApprovals, []);
  });

  test('actions queued behind a question a failed turn never put are dropped as not confirmed, not asked out of the blue', async () => {
    const chat = await askToCancelBoth();
    // "yes" runs the first cancellation; the model call after it fails, so the turn ends without the next question.
    fake.script({ status: 500, error: 'upstream exploded' });
    const failed = await chat.chat.send('yes');
    assert.equal(failed.status, 'failed');
    assert.ok(await cancelled(chat, 'ORD-1002'), 'what ran before the failure is kept');
    const orphaned = await chat.state();
    assert.equal(orphaned.pendingApproval, null);
    assert.equal(orphaned.queuedApprovals.length, 1);
    fake.script({ text: 'Hello again! How can I help?' });
    const next = await chat.chat.send('hello?');
    assert.equal(next.reply, 'Hello again! How can I help?');
    assert.doesNotMatch(next.reply, ASK_1006);
    const notRun = toolMessages(fake, fake.requests.length - 1).filter((m) =>
      /^Not run: the user did not confirm cancel_order/.test(m),
    );
    assert.equal(notRun.length, 1, 'the model reads that the queued cancellation did not run');
    assert.deepEqual((await chat.state()).queuedApprovals, []);
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
  });

  test('a "yes" to a question the bot asked is honoured with the daily budget spent; a new request is not', async () => {
    const chat = await askOverBudget('ORD-1002');

    fake.script({ text: 'Done: ORD-1002 is cancelled.', usage: { prompt: 100, completion: 10 } });
    const yes = await chat.chat.send('yes');
    assert.equal(yes.reply, 'Done: ORD-1002 is cancelled.');
    assert.ok(await cancelled(chat, 'ORD-1002'));

    const calls = fake.requests.length;
    const more = await chat.chat.send('and where is ORD-1001?');
    assert.equal(more.reply, BUDGET_SPENT_REPLY);
    assert.equal(fake.requests.length, calls, 'no model call for a new request over the budget');
  });

  test('a "no" is honoured over the budget too, and nothing runs', async () => {
    const chat = await askOverBudget('ORD-1006');
    fake.script({ text: 'Okay, ORD-1006 stays as it is.' });
    assert.equal((await chat.chat.send('no')).reply, 'Okay, ORD-1006 stays as it is.');
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
    assert.equal((await chat.state()).pendingApproval, null);
  });

  test('an action to confirm in the same response as a hand-over to staff is not put to the customer', async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      {
        toolCalls: [
          { name: 'cancel_order', arguments: { order_id: 'ORD-1002' } },
          {
            name: 'escalate_to_human',
            arguments: { reason: 'Customer wants a person to handle the cancellation', urgency: 'normal' },
          },
        ],
      },
      { text: '- Customer wants ORD-1002 cancelled by a person.' },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    const outcome = await chat.chat.send('cancel ORD-1002, and I want a human to do it');
    assert.equal(outcome.reply, ESCALATED_REPLY);
    assert.doesNotMatch(chat.text, /Reply "yes" to go ahead/);
    const state = await chat.state();
    assert.ok(state.escalation, 'escalated');
    assert.equal(state.pendingApproval, null);
    assert.ok(state.history.some((m) => m.role === 'tool' && m.content === APPROVAL_SKIPPED_FOR_STAFF));
    assert.equal(await cancelled(chat, 'ORD-1002'), false);
  });

  test('staff taking the thread by hand (!escalate) drop the question and the actions queued behind it; a "yes" then goes to staff', async () => {
    const chat = await askToCancelBoth();
    fake.script({ text: '- Customer asked to cancel ORD-1002 and ORD-1006.' });
    assert.equal(
      (await chat.app.desk.escalateByHand(chat.chat.thread, CONSOLE_STAFF, 'VIP, handle personally')).status,
      'escalated',
    );
    const state = await chat.state();
    assert.ok(state.escalation);
    assert.equal(state.pendingApproval, null);
    assert.deepEqual(state.queuedApprovals, []);
    const yes = await chat.chat.send('yes');
    assert.equal(yes.status, 'relayed');
    assert.equal(await cancelled(chat, 'ORD-1002'), false);
    assert.equal(await cancelled(chat, 'ORD-1006'), false);
  });
});

describe('offline engine: several orders in one message', () => {
  test('"where are ORD-1001 and ORD-1003?" looks up both and answers both, each only to its owner', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const outcome = await chat.chat.send('where are my orders ORD-1001 and ORD-1003?');
    assert.match(outcome.reply, /ORD-1001 has shipped with UPS/);
    // ORD-1003 is another customer's: only the question for its email, nothing about it.
    assert.match(outcome.reply, /To look up order ORD-1003, what's the email address on the order\?/);
    assert.doesNotMatch(outcome.reply, /delivered|Ergonomic mouse|sam\.ortiz/);
    assert.ok(outcome.reply.indexOf('ORD-1001') < outcome.reply.indexOf('ORD-1003'), 'in the order asked');
    const both = await chat.chat.send('sam.ortiz@example.com');
    assert.match(both.reply, /ORD-1003 was delivered on 2026-11-03/);
  });

  test('"cancel ORD-1002 and ORD-1006" asks about each in turn and cancels what was confirmed', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const asked = await chat.chat.send('please cancel order ORD-1002 and order ORD-1006');
    assert.match(asked.reply, ASK_1002);
    assert.doesNotMatch(asked.reply, /ORD-1006/);
    const first = await chat.chat.send('yes');
    assert.match(first.reply, /Done: order ORD-1002 is cancelled/);
    assert.match(first.reply, ASK_1006);
    const second = await chat.chat.send('yes');
    assert.match(second.reply, /Done: order ORD-1006 is cancelled/);
    assert.ok(await cancelled(chat, 'ORD-1002'));
    assert.ok(await cancelled(chat, 'ORD-1006'));
    const state = await chat.state();
    assert.equal(state.pendingApproval, null);
    assert.deepEqual(state.queuedApprovals, []);
  });
});

describe('Slack: actions queued for confirmation', () => {
  const openai = suiteFakeOpenAI();

  test('each question gets its own buttons, and the second is posted once the first is confirmed', async () => {
    const slack = await new FakeSlack().start();
    const data = tempDir();
    const session = await SlackSession.start(slack, openai, { dataDir: data.dir });
    try {
      openai.script(
        { toolCalls: [{ name: 'transfer_to_orders' }] },
        {
          toolCalls: [
            { name: 'cancel_order', arguments: { order_id: 'ORD-1002' } },
            { name: 'cancel_order', arguments: { order_id: 'ORD-1006' } },
          ],
        },
      );
      const ts = await session.mention(`<@${BOT_USER_ID}> cancel ORD-1002 and ORD-1006`);
      const first = await waitFor(() => approvalMessage(slack, CHANNEL, ts, 'ORD-1002'), 'the first question');
      await session.idle();
      assert.equal(approvalMessage(slack, CHANNEL, ts, 'ORD-1006'), undefined, 'one question at a time');

      openai.script({ text: 'Done: ORD-1002 is cancelled.' });
      const press = (message: typeof first) =>
        blockActionsPayload({
          userId: CUSTOMER,
          channel: CHANNEL,
          messageTs: message.ts,
          threadTs: ts,
          actionId: 'switchboard_approval_confirm',
          value: buttonValue(message),
        });
      assert.equal(await session.press(press(first)), 200);
      const second = await waitFor(
        () => approvalMessage(slack, CHANNEL, ts, 'ORD-1006'),
        'the second question, with its own buttons',
      );
      await session.idle();
      assert.ok(threadMessages(slack, CHANNEL, ts).some((m) => m.text.includes('ORD-1002 is cancelled')));
      assert.notEqual(buttonValue(second), buttonValue(first));

      openai.script({ text: 'Done: ORD-1006 is cancelled too.' });
      assert.equal(await session.press(press(second)), 200);
      await waitFor(
        () => threadMessages(slack, CHANNEL, ts).find((m) => m.text.includes('ORD-1006 is cancelled too')),
        'the last reply',
      );
      await session.idle();
      const state = await session.app.service.loadState(`slack:${TEAM_ID}:${CHANNEL}:${ts}`);
      assert.equal(state.pendingApproval, null);
      assert.deepEqual(state.queuedApprovals, []);
      assert.equal((await session.app.store.records.get<{ status: string }>('order:ORD-1006'))?.status, 'cancelled');
    } finally {
      await session.stop();
      await slack.close();
      data.remove();
    }
  });
});
