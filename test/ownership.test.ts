import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createModel } from '../src/main.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir, toolMessages, waitFor } from './harness.js';
import { CHANNEL, CUSTOMER, SlackSession, threadMessages } from './slackHarness.js';

/** What ORD-1003 (Sam's) would give away: its status, carrier, item, total and Sam's email. */
const ORD_1003_DETAILS = /delivered|USPS|9400111899223197428490|Ergonomic mouse|59\.00|sam\.ortiz/i;
const ASK_FOR_1003 = "To look up order ORD-1003, what's the email address on the order? I need it to check it's yours.";

describe('whose data: the offline engine in the terminal (playing the demo customer, Maya)', () => {
  test("another customer's order: the bot asks for the email on it and tells nothing else, until the right one is given", async () => {
    const chat = await ConsoleSession.offlineForTest();
    const asked = await chat.chat.send('where is ORD-1003?');
    assert.equal(asked.reply, ASK_FOR_1003);
    const wrong = await chat.chat.send('maya.chen@gmail.com');
    assert.equal(
      wrong.reply,
      "That email address isn't the one on order ORD-1003. What's the email address on the order?",
    );
    const right = await chat.chat.send('sam.ortiz@example.com');
    assert.match(right.reply, /^Order ORD-1003 was delivered on 2026-11-03 with USPS/);
    // Before the right address, nothing of the order reached the screen, the state's facts or the history's replies.
    const before = chat.text.slice(0, chat.text.indexOf('you> sam.ortiz@example.com'));
    assert.doesNotMatch(before, ORD_1003_DETAILS);
  });

  test('an order that does not exist may be called unknown; her own orders are shown without asking', async () => {
    const chat = await ConsoleSession.offlineForTest();
    assert.match((await chat.chat.send('where is ORD-9999?')).reply, /^I couldn't find an order ORD-9999/);
    assert.match((await chat.chat.send('where is ORD-1001?')).reply, /^Order ORD-1001 has shipped with UPS/);
    assert.match(
      (await chat.chat.send('can you show me invoice INV-2001')).reply,
      /^Invoice INV-2001 \(Pro \(monthly\)/,
    );
    assert.match(
      (await chat.chat.send('and invoice INV-2003?')).reply,
      /^To look up invoice INV-2003, what's the email address on the invoice\?/,
    );
  });

  test("cancelling someone else's order asks for the email first: no confirmation question, nothing cancelled", async () => {
    const chat = await ConsoleSession.offlineForTest();
    const asked = await chat.chat.send('please cancel ORD-1007');
    assert.equal(
      asked.reply,
      "To cancel order ORD-1007, what's the email address on the order? I need it to check it's yours.",
    );
    assert.equal((await chat.state()).pendingApproval, null);
    const checked = await chat.chat.send('li.wei@example.com');
    assert.match(checked.reply, /^I couldn't cancel order ORD-1007: The order has already shipped/);
    assert.equal(await chat.app.store.records.get('order:ORD-1007'), undefined);
  });

  test('one conversation cannot try address after address: past three, none is checked and a person is offered', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await chat.chat.send('where is ORD-1005?');
    for (const guess of ['a@example.com', 'b@example.com']) await chat.chat.send(guess);
    const third = await chat.chat.send('c@example.com');
    assert.match(third.reply, /^I can't check any more email addresses in this conversation/);
    const right = await chat.chat.send('noah.k@example.com');
    assert.match(right.reply, /^I can't check any more email addresses/);
    assert.doesNotMatch(chat.text, /Laptop dock|cancelled on|149\.00/);
  });

  test('no log line and no escalation card carries another customer’s details', async () => {
    const logged = new PassThrough();
    let logs = '';
    logged.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    const data = tempDir();
    const config = loadConfig({ MODEL_PROVIDER: 'offline', DATA_DIR: data.dir });
    const log = createLogger({ level: 'debug', destination: logged });
    const chat = new ConsoleSession(config, (await createModel(config, log)).provider, { log });
    try {
      await chat.chat.send('where is ORD-1003? and cancel ORD-1005');
      await chat.chat.send('this is unacceptable, get me a manager');
      assert.match(chat.text, /\[staff\]/, 'the escalation card was printed');
      assert.doesNotMatch(chat.text, ORD_1003_DETAILS);
      assert.doesNotMatch(chat.text, /noah\.k|Laptop dock/);
      assert.match(logs, /"msg":"turn\.end"/, 'debug logs were captured');
      assert.doesNotMatch(logs, ORD_1003_DETAILS);
      assert.doesNotMatch(logs, /noah\.k|Laptop dock/);
    } finally {
      await chat.close();
      data.remove();
    }
  });
});

describe('whose data: with a model', () => {
  const fake = suiteFakeOpenAI();

  test("the model is given no detail of someone else's order, only what to ask for", async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1003' } }] },
      { text: "To look up ORD-1003, what's the email address on the order?" },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1003' } }] },
      { text: 'ORD-1003 was delivered on 3 November.' },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    await chat.chat.send('where is ORD-1003?');
    const withheld = toolMessages(fake, 2).at(-1)!;
    assert.match(withheld, /"identity_required":true/);
    assert.match(withheld, /ask for the email address on order ORD-1003/);
    assert.doesNotMatch(withheld, ORD_1003_DETAILS);
    assert.doesNotMatch(
      JSON.stringify(fake.requests.map((r) => r.body.messages)),
      ORD_1003_DETAILS,
      'not in any prompt either',
    );
    assert.equal((await chat.state()).facts.customer_email?.value, undefined, 'no email noted from an order not shown');
    await chat.chat.send("it's sam.ortiz@example.com");
    assert.match(toolMessages(fake, 4).at(-1)!, /"status":"delivered"/);
  });
});

describe('whose data: Slack', () => {
  const openai = suiteFakeOpenAI();

  /** A customer whose Slack profile has `emails` asks about ORD-1001 (Maya's); what the lookup gave the model. */
  async function lookUp(emails: Map<string, string>): Promise<string> {
    const slack = await new FakeSlack().start();
    for (const [user, email] of emails) slack.emails.set(user, email);
    const data = tempDir();
    const session = await SlackSession.start(slack, openai, { dataDir: data.dir });
    try {
      openai.script(
        { toolCalls: [{ name: 'transfer_to_orders' }] },
        { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
        { text: 'Here is what I found.' },
      );
      const ts = await session.mention(`<@${BOT_USER_ID}> where is ORD-1001?`);
      await waitFor(
        () => threadMessages(slack, CHANNEL, ts).find((m) => m.text.includes('Here is what I found')),
        'the reply',
      );
      await session.idle();
      assert.ok(
        slack.calls.some((c) => c.method === 'users.info' && c.args.user === CUSTOMER),
        'the profile was looked up',
      );
      return toolMessages(openai, 2).at(-1)!;
    } finally {
      await session.stop();
      await slack.close();
      data.remove();
    }
  }

  test('with users:read.email, the verified profile email shows the customer their own order without asking', async () => {
    assert.match(
      await lookUp(new Map([[CUSTOMER, 'Maya.Chen@example.com']])),
      /"found":true.*"tracking":"1Z999AA10123456784"/,
    );
  });

  test('without the scope (no email in the profile), or with another address, the order is withheld', async () => {
    assert.match(await lookUp(new Map([[CUSTOMER, '']])), /"identity_required":true/);
    const other = await lookUp(new Map([[CUSTOMER, 'sam.ortiz@example.com']]));
    assert.match(other, /"identity_required":true/);
    assert.doesNotMatch(other, /UPS|keyboard|maya/i);
  });
});
