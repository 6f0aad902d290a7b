import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createAgentRegistry } from '../agents/registry.js';
import { goodbyeReply, offTopicReply } from '../src/model/offline/replies.js';
import { IntentRouter } from '../src/orchestrator/intentRouter.js';
import { ConsoleSession } from './harness.js';

/** The specialist's id, or the route's kind ('thanks', 'off_topic', …) when it is not a specialist. */
async function routedTo(router: IntentRouter, text: string): Promise<string> {
  const { route } = await router.route(text);
  return route.kind === 'agent' ? route.agent.id : route.kind;
}

describe('offline routing: sign-in problems are Technical Support', () => {
  test('"my password reset email never arrives" is answered by Technical Support from the password article, not asked for an order id', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const outcome = await chat.chat.send('my password reset email never arrives');
    assert.equal(outcome.agent, 'Technical Support');
    assert.match(outcome.reply, /From our help article "Resetting a forgotten password"/);
    assert.doesNotMatch(outcome.reply, /order id/i);
    assert.match(chat.text, /↪ Triage → Technical Support/);
  });

  test('reset, 2FA and sign-in emails that never arrive route to Technical Support; an order confirmation stays with Orders', async () => {
    const router = await IntentRouter.train(createAgentRegistry());
    const expected: Array<[string, string]> = [
      ['my 2FA code never arrives', 'technical_support'],
      ['the login email never arrives', 'technical_support'],
      ['I asked for a new password but the email never came', 'technical_support'],
      ['my order confirmation email never arrived', 'orders'],
    ];
    for (const [text, agent] of expected) {
      assert.equal(await routedTo(router, text), agent, text);
    }
  });
});

describe('offline goodbyes', () => {
  test('"bye", "thanks, bye", "goodbye" and "that\'s all" get a closing reply from triage, not a question', async () => {
    const chat = await ConsoleSession.offlineForTest();
    for (const text of ['bye', 'thanks, bye', "that's all, bye", 'goodbye', "cool that's all I needed"]) {
      const outcome = await chat.chat.send(text);
      assert.equal(outcome.agent, 'Triage', text);
      assert.equal(outcome.reply, goodbyeReply(), text);
      assert.doesNotMatch(outcome.reply, /\?/, text);
    }
    assert.equal((await chat.state()).escalation, null, 'a goodbye is not a request for a person');
  });

  test('a specialist that owns the thread answers thanks with "anything else?" and a goodbye with a closing reply', async () => {
    const chat = await ConsoleSession.offlineForTest();
    assert.equal((await chat.chat.send("where's my order ORD-1001")).agent, 'Orders');
    assert.match((await chat.chat.send('thank you')).reply, /^You're welcome! Is there anything else/);
    const bye = await chat.chat.send('thanks, bye');
    assert.equal(bye.agent, 'Orders');
    assert.equal(bye.reply, goodbyeReply());
  });
});

describe('offline routing: small talk around a request', () => {
  let router: IntentRouter;
  before(async () => {
    router = await IntentRouter.train(createAgentRegistry());
  });

  test('a greeting in front of a request routes the request', async () => {
    const expected: Array<[string, string]> = [
      ['hey, my parcel is late', 'orders'],
      ['hi, my invoice is wrong', 'billing'],
      ["good morning, I can't log in", 'technical_support'],
    ];
    for (const [text, agent] of expected) {
      assert.equal(await routedTo(router, text), agent, text);
    }
  });

  test('thanks that mention what was solved are still thanks; goodbye words without a closing phrase do not make a goodbye', async () => {
    for (const text of ['thanks, I found it', "I can't thank you enough", 'no thanks, bye']) {
      const { route } = await router.route(text);
      assert.ok(route.kind === 'thanks' || route.kind === 'goodbye', `${text} → ${route.kind}`);
    }
    // A closing reply to a complaint or a deletion request would dismiss the customer.
    const notGoodbyes = [
      'I have to take the day off to wait for a delivery',
      'I have to go out now, can you hurry',
      'not good enough. not good enough at all',
      'is that all you can do?',
      'I want my account and all my data removed for good',
    ];
    for (const text of notGoodbyes) {
      assert.notEqual(await routedTo(router, text), 'goodbye', text);
    }
  });
});

describe('offline routing: messages about something else', () => {
  test('a question none of the agents is for is off topic, though its function words look like an order question', async () => {
    const router = await IntentRouter.train(createAgentRegistry());
    for (const text of [
      'what is the weather like today?',
      'what is the capital of France',
      'is it going to rain',
      'who is the president',
      'my cat is sick',
    ]) {
      assert.equal(await routedTo(router, text), 'off_topic', text);
    }
    // The same sentence shapes about a topic of ours still reach the specialist; a complaint still reaches a person.
    const expected: Array<[string, string]> = [
      ['what is the status of ORD-1002?', 'orders'],
      ['is it going to arrive today', 'orders'],
      ['what is on my invoice INV-2001', 'billing'],
      ["I'm furious", 'human'],
    ];
    for (const [text, kind] of expected) {
      assert.equal(await routedTo(router, text), kind, text);
    }
    // A word of any specialist's makes a message ours, even when the classifier's guess is another specialist.
    for (const text of ['the box was damaged', 'my mouse arrived broken', 'it is bob@example.com']) {
      assert.notEqual(await routedTo(router, text), 'off_topic', text);
    }
  });

  test('triage says what it is for instead of handing off; a specialist with the thread keeps it for follow-ups', async () => {
    const chat = await ConsoleSession.offlineForTest();
    const specialists = IntentRouter.specialistsOf(chat.app.agents);
    const weather = await chat.chat.send('what is the weather like today?');
    assert.equal(weather.agent, 'Triage');
    assert.equal(weather.reply, offTopicReply(specialists));
    assert.equal((await chat.state()).activeAgent, 'triage');
    assert.equal((await chat.chat.send("where's my order ORD-1001")).agent, 'Orders');
    for (const text of ['still nothing', 'and when will it arrive?']) {
      const followUp = await chat.chat.send(text);
      assert.equal(followUp.agent, 'Orders', text);
      assert.match(followUp.reply, /ORD-1001 has shipped/, text);
    }
  });
});

describe('offline engine: help-article answers', () => {
  test('Technical Support offers a bug report after an article; Billing, which cannot file one, does not', async () => {
    const tech = await ConsoleSession.offlineForTest();
    const crash = await tech.chat.send('the app crashes when I log in');
    assert.equal(crash.agent, 'Technical Support');
    assert.match(crash.reply, /I can file a bug report for our engineers\.$/);
    const billing = await ConsoleSession.offlineForTest();
    const plans = await billing.chat.send('what plans do you have?');
    assert.equal(plans.agent, 'Billing');
    assert.match(plans.reply, /^From our help article "Billing, plans and invoices"/);
    assert.doesNotMatch(plans.reply, /bug report/, 'Billing cannot file one');
  });
});
