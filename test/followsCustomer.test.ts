import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsoleSession } from './harness.js';

/**
 * Each conversation failure an outside review found in the zero-key bot, in the reviewers' own words: what the
 * customer wrote, and what a good reply does instead of what the bot did.
 */

/** The tools called since `from` in the console's output. */
function toolsSince(chat: ConsoleSession, from: number): string[] {
  return [...chat.text.slice(from).matchAll(/^ {2}· (\w+) \{/gm)].map((m) => m[1]!);
}

async function say(chat: ConsoleSession, text: string) {
  const from = chat.text.length;
  const outcome = await chat.chat.send(text);
  return { ...outcome, tools: toolsSince(chat, from), escalated: /New escalation/.test(chat.text.slice(from)) };
}

describe('the offline bot follows the customer', () => {
  test('a request after "ok" or "thanks" is a request, not a thank-you', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await say(chat, 'what is on invoice INV-2001');
    const other = await say(chat, 'ok and what about INV-2003');
    assert.doesNotMatch(other.reply, /welcome/i);
    assert.deepEqual(other.tools, ['lookup_invoice']);
    // INV-2003 is another customer's: asked for the email on it, shown nothing.
    assert.match(other.reply, /^To look up invoice INV-2003, what's the email address on the invoice\?/);
    const tech = await ConsoleSession.offlineForTest();
    await say(tech, 'how do i export my data');
    const export_ = await say(tech, 'thanks, and how long does the export take?');
    assert.doesNotMatch(export_.reply, /welcome/i);
    assert.match(export_.reply, /24 hours/);
  });

  test('small talk gets a friendly decline, never "You\'re welcome" and never a person', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await say(chat, 'where is ORD-1001');
    for (const text of ['lol ok. do you like pizza', 'write me a poem', 'tell me a joke']) {
      const reply = await say(chat, text);
      assert.equal(reply.agent, 'Triage', text);
      assert.match(reply.reply, /^Sorry, I can't help with that here: I'm the support assistant/, text);
      assert.equal(reply.escalated, false, text);
    }
  });

  test('"thx" is a thank-you and "so what now" a next step: neither repeats the last look-up', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const status = await say(chat, 'where is ORD-1001');
    const thanks = await say(chat, 'thx');
    assert.match(thanks.reply, /^You're welcome!/);
    assert.deepEqual(thanks.tools, []);
    const next = await say(chat, 'so what now');
    assert.notEqual(next.reply, status.reply);
    assert.deepEqual(next.tools, []);
    assert.match(
      next.reply,
      /^From here I can help with order status, delivery and tracking, cancellations and returns/,
    );
    assert.match(next.reply, /Would you like me to bring in a person from our support team\?$/);
  });

  test('an article that did not help is not quoted again: a person is offered, and "yes" brings one in', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const article = await say(chat, 'my 2fa code doesnt work');
    assert.match(article.reply, /^From our help article "Two-factor authentication/);
    const again = await say(chat, 'i dont have the backup codes either');
    assert.doesNotMatch(again.reply, /From our help article/);
    assert.match(again.reply, /Would you like me to bring in a person from our support team\?$/);
    const yes = await say(chat, 'yes');
    assert.equal(yes.escalated, true);
  });

  test('the actual complaint gets the matching help: a double charge, a parcel that never came, a return', async () => {
    const maya = await ConsoleSession.offlineForTest();
    const twice = await say(maya, 'i was charged twice for INV-2001');
    assert.match(
      twice.reply,
      /is paid on 2026-11-01\.\n\nOur records show INV-2001 as paid on 2026-11-01\. If your statement shows a second charge/,
    );
    assert.match(twice.reply, /refund a duplicate\. Would you like me to bring in a person/);
    // ORD-1003 is Sam's: played as Sam, the order shows as delivered.
    const sam = await ConsoleSession.offlineForTest({ CONSOLE_USER_EMAIL: 'sam.ortiz@example.com' });
    const missing = await say(sam, 'ORD-1003 says delivered but i never got it');
    assert.match(missing.reply, /was delivered on 2026-11-03/);
    assert.match(missing.reply, /Sorry it hasn't reached you\..*USPS can say where it was left/s);
    assert.match(
      missing.reply,
      /a person from our team can look into it with USPS\. Would you like me to bring in a person/,
    );
    const ret = await say(sam, 'so how do i return it then');
    assert.match(ret.reply, /return/i);
    assert.match(ret.reply, /30 days/);
    assert.doesNotMatch(ret.reply, /was delivered on/);
  });

  test('an offer of a person is honoured: "A person can review exceptions." then "yes" brings one in', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const refused = await say(chat, 'refund INV-2001');
    assert.match(refused.reply, /A person can review exceptions\. Would you like me to bring in a person/);
    const yes = await say(chat, 'yes');
    assert.equal(yes.escalated, true);
    assert.doesNotMatch(yes.reply, /what can I help you with/);
  });

  test('a new topic leaves the current specialist: a password reset in an Orders conversation', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await say(chat, 'where is ORD-1001');
    const reset = await say(chat, 'ok can you reset my password');
    assert.equal(reset.agent, 'Technical Support');
    assert.deepEqual(reset.tools, ['search_knowledge_base']);
    assert.match(reset.reply, /^From our help article "Resetting a forgotten password"/);
  });

  test('"wrong password" gets the password article; "it\'s not working" gets a clarifying question', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const wrong = await say(chat, 'cant log in, says wrong password');
    assert.match(wrong.reply, /^From our help article "Resetting a forgotten password"/);
    const vague = await ConsoleSession.offlineForTest();
    const unclear = await say(vague, "it's not working");
    assert.equal(unclear.agent, 'Triage');
    assert.match(unclear.reply, /^Sorry, I'm not sure I understood\..*Which of these is it about\?/s);
  });

  test('order ids as customers write them, and a corrected id replaces the wrong one', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const hash = await say(chat, 'whats the status of order #1002');
    assert.match(hash.reply, /^Order ORD-1002 is being prepared/);
    const wrong = await say(chat, 'where is ORD-9999');
    assert.match(wrong.reply, /^I couldn't find an order ORD-9999/);
    const corrected = await say(chat, 'sorry my order number is 1003');
    // ORD-1003 is another customer's, so the bot asks for its email: about ORD-1003, no longer ORD-9999.
    assert.match(corrected.reply, /^To look up order ORD-1003, what's the email address on the order\?/);
    const bare = await say(chat, 'order 1004');
    assert.match(bare.reply, /^Order ORD-1004 is waiting for payment/);
  });

  test('a number inside a request is not an id: "cancel it but keep 1006" asks about the order in the thread', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await say(chat, 'where is ORD-1002');
    const cancel = await say(chat, 'cancel it but keep 1006');
    assert.match(cancel.reply, /^Cancel order ORD-1002\?/);
    await say(chat, 'no');
    for (const text of ['I paid 1499 for it', 'how long does delivery take to 90210?', 'I want to order 500 units']) {
      const reply = await say(chat, text);
      assert.doesNotMatch(reply.reply, /ORD-(?:1499|90210|500)\b/, text);
    }
  });

  test('only a clear yes right after the offer brings a person in: not "ok", not "no thanks, I dont need a person"', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const refused = await say(chat, 'refund INV-2001');
    assert.match(refused.reply, /Would you like me to bring in a person from our support team\?$/);
    const ok = await say(chat, 'ok');
    assert.equal(ok.escalated, false);
    await say(chat, 'refund INV-2001');
    const no = await say(chat, 'no thanks, I dont need a person');
    assert.equal(no.escalated, false);
    assert.match(no.reply, /^Alright\./);
    // Declining a person is not declining everything: the rest of the message is still the request.
    const rest = await say(chat, "I don't want a person, just tell me the status of ORD-1002");
    assert.equal(rest.escalated, false);
    assert.match(rest.reply, /ORD-1002 is being prepared/);
  });

  test('a question is not filed as a bug report, and "tried it, works now" is not a failure', async () => {
    const chat = await ConsoleSession.offlineForTest();
    await say(chat, 'app closes right after i hit log in');
    const version = await say(chat, 'what version fixes it?');
    assert.deepEqual(version.tools, ['search_knowledge_base']);
    assert.match(version.reply, /4\.2\.1/);
    const works = await say(chat, 'tried it, works now');
    assert.doesNotMatch(works.reply, /didn't solve/);
  });
});
