import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createApp, createModel } from '../src/main.js';
import type { ChatMessage } from '../src/model/types.js';
import { DELEGATE_FAILED, DELEGATE_FAILED_REPLY, mergeDelegateAnswers } from '../src/orchestrator/protocol.js';
import { answerOpenCalls, TURN_STOPPED_RESULT } from '../src/orchestrator/toolRound.js';
import type { FakeReply, RecordedRequest, Responder } from './fakes/openaiServer.js';
import {
  ConsoleSession,
  type FakeOpenAI,
  suiteFakeOpenAI,
  systemPrompt,
  tempDir,
  toolMessages,
  toolNames,
  waitFor,
} from './harness.js';

/** Which agent (or aside) a recorded request was made for, read from its system prompt. */
function agentOf(request: RecordedRequest): string {
  const system = request.body.messages[0]?.role === 'system' ? (request.body.messages[0].content ?? '') : '';
  if (/front desk/.test(system)) return 'triage';
  if (/Orders specialist/.test(system)) return 'orders';
  if (/Technical Support specialist/.test(system)) return 'technical_support';
  if (/Billing specialist/.test(system)) return 'billing';
  if (/hand-over notes/.test(system)) return 'summary';
  return 'unknown';
}

/** One part of a message with several requests: the specialist triage asks, what it asks, and the specialist's replies in order. */
interface Part {
  agent: string;
  request: string;
  replies: Array<FakeReply | Responder>;
}

/** A request of the part's own sub-run: that specialist, with the part's request as the first (and only) user message. */
function inSubRun(request: RecordedRequest, part: Part): boolean {
  const first = request.body.messages[1];
  return agentOf(request) === part.agent && first?.role === 'user' && first.content === part.request;
}

function subRunIndices(fake: FakeOpenAI, part: Part): number[] {
  return fake.requests.flatMap((r, i) => (inSubRun(r, part) ? [i] : []));
}

const MEET_DEADLINE_MS = 5_000;

/**
 * Triage asks every part's specialist in one response and then merges; each sub-run replies by its step (the
 * assistant messages in its own context), whatever order the sub-runs' requests arrive in. With `meet`, each
 * sub-run's first request is held until every sub-run's first request has reached the fake: that only happens
 * when they run side by side; if they do not, the wait gives up at the deadline and `timedOut` says so.
 */
function fanOutResponder(
  fake: FakeOpenAI,
  parts: Part[],
  merged: string,
  options: { meet?: boolean; otherwise?: Responder } = {},
) {
  let timedOut = false;
  const responder: Responder = async (request) => {
    const messages = request.body.messages;
    const last = messages.at(-1)!;
    if (agentOf(request) === 'triage' && last.role === 'user') {
      return { toolCalls: parts.map((p) => ({ name: `ask_${p.agent}`, arguments: { request: p.request } })) };
    }
    const asked = [...messages]
      .reverse()
      .find((m) => m.role === 'assistant')
      ?.tool_calls?.some((c) => c.function.name.startsWith('ask_'));
    if (agentOf(request) === 'triage' && last.role === 'tool' && asked) return { text: merged };
    const part = parts.find((p) => inSubRun(request, p));
    if (!part)
      return options.otherwise
        ? options.otherwise(request)
        : { status: 500, error: `unexpected request for ${agentOf(request)}` };
    const step = messages.filter((m) => m.role === 'assistant').length;
    if (step === 0 && options.meet) {
      await waitFor(
        () => parts.every((p) => fake.requests.some((r) => inSubRun(r, p))),
        'every sub-run to start',
        MEET_DEADLINE_MS,
      ).catch(() => {
        timedOut = true;
      });
    }
    const reply = part.replies[step] ?? { status: 500, error: `no reply ${step} for ${part.agent}` };
    return typeof reply === 'function' ? reply(request) : reply;
  };
  return { responder, timedOut: () => timedOut };
}

const TWO_INTENTS = 'cancel order ORD-1002, and also the app keeps logging me out';
const TECH_ANSWER = 'Update the app and sign in again; that stops the repeated logouts.';
const MERGED =
  'Orders will cancel ORD-1002 once you confirm, and Technical Support suggests updating the app and signing in again.';
const cancelPart: Part = {
  agent: 'orders',
  request: 'cancel order ORD-1002',
  replies: [{ toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1002' } }] }],
};
const logoutPart: Part = {
  agent: 'technical_support',
  request: 'the app keeps logging me out',
  replies: [
    { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'logged out repeatedly' } }] },
    { text: TECH_ANSWER },
  ],
};

const LOOKUPS = 'where is ORD-1001, and also what is on invoice INV-2001';
const orderPart: Part = {
  agent: 'orders',
  request: 'where is ORD-1001',
  replies: [
    { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
    { text: 'ORD-1001 has shipped with UPS.' },
  ],
};
const invoicePart = (answer: string): Part => ({
  agent: 'billing',
  request: 'what is on invoice INV-2001',
  replies: [{ toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-2001' } }] }, { text: answer }],
});

describe('fan-out: one message, several specialists', () => {
  const fake = suiteFakeOpenAI();

  test('triage consults Orders and Technical Support side by side, each in its own context; the cancel question follows the merge; "yes" reaches Orders', async () => {
    const data = tempDir();
    const { responder, timedOut } = fanOutResponder(fake, [cancelPart, logoutPart], MERGED, {
      meet: true,
      otherwise: (request) =>
        agentOf(request) === 'orders' && request.body.messages.at(-1)?.role === 'tool'
          ? { text: 'Done: ORD-1002 is cancelled.' }
          : { status: 500, error: 'unexpected' },
    });
    fake.respondWith(responder);
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type(TWO_INTENTS);
    await chat.end();

    assert.equal(
      timedOut(),
      false,
      'both sub-runs had sent their first request before either got an answer: they ran side by side',
    );
    assert.deepEqual(
      toolNames(fake, 0)
        .filter((n) => n.startsWith('ask_'))
        .sort(),
      ['ask_billing', 'ask_orders', 'ask_technical_support'],
    );
    const orders = subRunIndices(fake, cancelPart);
    const tech = subRunIndices(fake, logoutPart);
    assert.equal(orders.length, 1, 'Orders stopped at the confirmation');
    assert.equal(tech.length, 2);
    for (const first of [orders[0]!, tech[0]!]) {
      const messages = fake.requests[first]!.body.messages;
      assert.deepEqual(
        messages.map((m) => m.role),
        ['system', 'user'],
        'a sub-run sees only its own part, not the thread',
      );
      assert.ok(!messages.some((m) => m.content === TWO_INTENTS));
    }
    assert.deepEqual(
      fake.requests[tech[1]!]!.body.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'tool'],
    );
    // A consulted specialist can neither hand off, consult further nor escalate.
    assert.deepEqual(toolNames(fake, orders[0]!).sort(), [
      'cancel_order',
      'lookup_order',
      'note_fact',
      'search_knowledge_base',
    ]);
    assert.deepEqual(toolNames(fake, tech[0]!).sort(), ['create_bug_report', 'note_fact', 'search_knowledge_base']);

    const merge = fake.requests.findIndex((r, i) => i > 0 && agentOf(r) === 'triage');
    const answers = toolMessages(fake, merge).map(
      (m) => JSON.parse(m) as { agent: string; answer: string; waiting_for_confirmation?: string },
    );
    assert.deepEqual(
      answers.map((a) => a.agent),
      ['Orders', 'Technical Support'],
      'answers come back in the order asked',
    );
    assert.equal(answers[0]!.waiting_for_confirmation, 'Cancel order ORD-1002?');
    assert.equal(answers[1]!.answer, TECH_ANSWER);

    assert.match(chat.text, new RegExp(`\\[Triage\\] ${MERGED.replace(/[.?]/g, '\\$&')}`));
    assert.ok(
      !chat.text.includes(TECH_ANSWER),
      "a specialist's answer reaches the customer through the merged reply only",
    );
    const question = chat.text.indexOf('Cancel order ORD-1002? Reply "yes" to go ahead');
    assert.ok(
      question > chat.text.indexOf(MERGED),
      `the confirmation question follows the merged reply:\n${chat.text}`,
    );
    const state = await chat.state();
    assert.equal(state.activeAgent, 'orders', 'the agent waiting for confirmation owns the thread');
    assert.equal(state.pendingApproval?.agent, 'orders');
    assert.equal(state.pendingApproval?.tool, 'cancel_order');
    assert.equal(await chat.app.store.records.get('order:ORD-1002'), undefined, 'nothing cancelled yet');

    const next = fake.requests.length;
    const done = await chat.chat.send('yes');
    assert.match(systemPrompt(fake, next), /Orders specialist/);
    assert.match(toolMessages(fake, next).at(-1)!, /"cancelled":true/);
    assert.match(done.reply, /Done: ORD-1002 is cancelled\./);
    assert.match(chat.text, /\[Orders\] Done: ORD-1002 is cancelled\./);
    assert.equal((await chat.app.store.records.get<{ status: string }>('order:ORD-1002'))?.status, 'cancelled');
    await chat.close();
    data.remove();
  });

  test('when no specialist leaves anything open, triage keeps the thread; facts written in sub-runs reach the thread', async () => {
    const data = tempDir();
    const merged = 'ORD-1001 has shipped with UPS, and invoice INV-2001 is paid.';
    fake.respondWith(fanOutResponder(fake, [orderPart, invoicePart('INV-2001 is paid.')], merged).responder);
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    const outcome = await chat.chat.send(LOOKUPS);
    assert.equal(outcome.reply, merged);
    assert.ok(!chat.text.includes('↪'), 'no handoff');
    const state = await chat.state();
    assert.equal(state.activeAgent, 'triage');
    assert.equal(state.pendingApproval, null);
    assert.equal(state.facts.order_id?.value, 'ORD-1001');
    assert.equal(state.facts.order_id?.by, 'orders/lookup_order');
    assert.equal(state.facts.invoice_id?.by, 'billing/lookup_invoice');
    await chat.close();
    data.remove();
  });

  test('what a consulted specialist says before calling a tool is part of its answer to triage', async () => {
    const data = tempDir();
    const saying: Part = {
      ...orderPart,
      replies: [
        { text: 'ORD-1001 is yours.', toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
        orderPart.replies[1]!,
      ],
    };
    fake.respondWith(fanOutResponder(fake, [saying, invoicePart('INV-2001 is paid.')], 'Both done.').responder);
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    await chat.chat.send(LOOKUPS);
    const merge = fake.requests.findIndex((r) => agentOf(r) === 'triage' && r.body.messages.at(-1)?.role === 'tool');
    const answers = toolMessages(fake, merge).join('\n');
    assert.match(answers, /ORD-1001 is yours\.\\n\\nORD-1001 has shipped with UPS\./, answers);
    await chat.close();
    data.remove();
  });

  test('a specialist that answers with a question keeps the thread, so the follow-up goes to it', async () => {
    const data = tempDir();
    const merged = 'ORD-1001 has shipped with UPS. Billing asks: would you like a copy of INV-2001 by email?';
    const { responder } = fanOutResponder(
      fake,
      [orderPart, invoicePart('INV-2001 is paid. Would you like a copy by email?')],
      merged,
      {
        otherwise: () => ({ text: 'Sent.' }),
      },
    );
    fake.respondWith(responder);
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    await chat.chat.send(LOOKUPS);
    assert.equal(
      (await chat.state()).activeAgent,
      'billing',
      'the first answer ending in a question owns the open part',
    );
    assert.match(chat.text, /↪ Triage → Billing/);
    const next = fake.requests.length;
    await chat.chat.send('yes please');
    assert.match(systemPrompt(fake, next), /Billing specialist/);
    assert.match(
      systemPrompt(fake, next),
      /several separate requests and some are not for you, call transfer_to_triage at once/,
      'a specialist owning the thread sends a split message back',
    );
    const consulted = subRunIndices(fake, orderPart)[0]!;
    assert.ok(
      !systemPrompt(fake, consulted).includes('several separate requests'),
      'a consulted specialist has no transfers to call',
    );
    await chat.close();
    data.remove();
  });

  test('when several specialists ask a question, the one asked first keeps the thread, whichever finished first', async () => {
    const data = tempDir();
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    // Billing's reply is the last thing its sub-run waits for; a later macrotask runs after its answer is recorded.
    let billingAnswered = false;
    chat.app.telemetry.on('model.call', (e) => {
      if (e.agent === 'billing' && e.toolCalls === 0) billingAnswered = true;
    });
    let timedOut = false;
    const returns: Part = {
      agent: 'orders',
      request: 'I want to return something',
      replies: [
        async () => {
          await waitFor(() => billingAnswered, 'Billing to answer', MEET_DEADLINE_MS).catch(() => (timedOut = true));
          await new Promise((resolve) => setImmediate(resolve));
          return { text: 'Which item would you like to return?' };
        },
      ],
    };
    const invoices: Part = {
      agent: 'billing',
      request: 'and a question about an invoice',
      replies: [{ text: 'Which invoice do you mean?' }],
    };
    const merged = 'Orders asks which item you would like to return, and Billing asks which invoice you mean.';
    fake.respondWith(fanOutResponder(fake, [returns, invoices], merged).responder);
    await chat.chat.send('I want to return something, and also a question about an invoice');
    assert.equal(timedOut, false, 'Orders answered after Billing');
    assert.equal(
      (await chat.state()).activeAgent,
      'orders',
      'the first asked of the open parts, not the first to finish',
    );
    await chat.close();
    data.remove();
  });

  test("a specialist whose model fails loses neither the other's answer nor what it did; the thread's history stays valid", async () => {
    const failing: Part = {
      agent: 'technical_support',
      request: 'the app keeps logging me out',
      replies: [
        {
          toolCalls: [
            {
              name: 'create_bug_report',
              arguments: { title: 'Logged out repeatedly', description: 'The app keeps logging me out' },
            },
          ],
        },
        { status: 500, error: 'upstream failure' },
      ],
    };
    const merged = 'ORD-1001 has shipped with UPS. The logout part could not be finished; please send it again.';
    fake.respondWith(
      fanOutResponder(fake, [orderPart, failing], merged, { otherwise: () => ({ text: 'Happy to help with that.' }) })
        .responder,
    );
    const chat = ConsoleSession.openaiForTest(fake);
    const outcome = await chat.chat.send('where is ORD-1001, and also the app keeps logging me out');
    assert.equal(outcome.status, 'answered');
    assert.equal(outcome.reply, merged);

    const merge = fake.requests.findIndex((r, i) => i > 0 && agentOf(r) === 'triage');
    const answers = toolMessages(fake, merge).map(
      (m) => JSON.parse(m) as { agent: string; answer: string; error?: string; done_before_error?: string[] },
    );
    assert.equal(answers[0]!.answer, 'ORD-1001 has shipped with UPS.', "the other specialist's answer is kept");
    assert.equal(answers[1]!.answer, '');
    assert.match(answers[1]!.error ?? '', /could not finish/);
    const ticket = (await chat.state()).facts.bug_report?.value;
    assert.match(ticket ?? '', /^BUG-/, 'the ticket filed before the failure is a fact of the thread');
    assert.ok(
      answers[1]!.done_before_error?.some((r) => r.includes(ticket!)),
      'the caller is told the ticket was filed',
    );

    const next = fake.requests.length;
    await chat.chat.send('thanks, and what about my invoice?');
    const messages = fake.requests[next]!.body.messages;
    const calls = messages.flatMap((m) => m.tool_calls?.map((c) => c.id) ?? []);
    const results = new Set(messages.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : [])));
    assert.ok(calls.length > 0);
    assert.deepEqual(
      calls.filter((id) => !results.has(id)),
      [],
      'every tool call the model sees has its result',
    );
  });

  test('DELEGATION=sequential: the second specialist starts only after the first has finished; both answers are merged', async () => {
    const data = tempDir();
    const merged = 'ORD-1001 has shipped with UPS, and invoice INV-2001 is paid.';
    const billingPart = invoicePart('INV-2001 is paid.');
    fake.respondWith(fanOutResponder(fake, [orderPart, billingPart], merged).responder);
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, DELEGATION: 'sequential' });
    const outcome = await chat.chat.send(LOOKUPS);
    assert.equal(outcome.reply, merged);
    const orders = subRunIndices(fake, orderPart);
    const billing = subRunIndices(fake, billingPart);
    assert.equal(orders.length, 2);
    assert.equal(billing.length, 2);
    assert.ok(
      Math.max(...orders) < Math.min(...billing),
      `Orders' requests ${orders} all come before Billing's ${billing}`,
    );
    const merge = fake.requests.findIndex((r, i) => i > 0 && agentOf(r) === 'triage');
    assert.deepEqual(
      toolMessages(fake, merge).map((m) => (JSON.parse(m) as { agent: string }).agent),
      ['Orders', 'Billing'],
    );
    await chat.close();
    data.remove();
  });
});

describe("a failed turn's saved history", () => {
  test('every call the model made gets a result, right after the results it already has', () => {
    const call = (id: string) => ({
      id,
      type: 'function' as const,
      function: { name: 'lookup_order', arguments: '{}' },
    });
    const history: ChatMessage[] = [
      { role: 'user', content: 'two things' },
      { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] },
      { role: 'tool', tool_call_id: 'a', content: 'done' },
      { role: 'assistant', content: null, tool_calls: [call('c')] },
    ];
    answerOpenCalls(history, TURN_STOPPED_RESULT);
    assert.deepEqual(
      history.map((m) => (m.role === 'tool' ? `tool:${m.tool_call_id}` : m.role)),
      ['user', 'assistant', 'tool:a', 'tool:b', 'assistant', 'tool:c'],
    );
    assert.equal((history[3] as { content: string }).content, TURN_STOPPED_RESULT);
    answerOpenCalls(history, 'again');
    assert.equal(history.length, 6, 'a history with every call answered is left as it is');
  });

  test("the offline merge says which part could not be finished, and keeps the other's answer", () => {
    const merged = mergeDelegateAnswers([
      { agent: 'Orders', answer: 'ORD-1001 has shipped.' },
      { agent: 'Technical Support', answer: '', error: DELEGATE_FAILED },
    ]);
    assert.equal(merged, `**Orders:** ORD-1001 has shipped.\n\n**Technical Support:** ${DELEGATE_FAILED_REPLY}`);
  });
});

describe('fan-out with the offline engine', () => {
  test('two requests get an Orders and a Technical Support section, then the cancel question; "yes" cancels', async () => {
    const data = tempDir();
    const chat = await ConsoleSession.offline({ DATA_DIR: data.dir });
    const asked = await chat.chat.send(TWO_INTENTS);
    assert.match(asked.reply, /\*\*Orders:\*\* /);
    assert.match(asked.reply, /\*\*Technical Support:\*\* .*help article/s);
    assert.ok(
      asked.reply.indexOf('**Orders:**') < asked.reply.indexOf('**Technical Support:**'),
      'in the order written',
    );
    assert.ok(
      asked.reply.trimEnd().endsWith('Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.'),
      asked.reply,
    );
    assert.equal((await chat.state()).activeAgent, 'orders');
    const done = await chat.chat.send('yes');
    assert.match(done.reply, /^Done: order ORD-1002 is cancelled/);
    assert.match(chat.text, /\[Orders\] Done: order ORD-1002 is cancelled/);
    assert.equal((await chat.app.store.records.get<{ status: string }>('order:ORD-1002'))?.status, 'cancelled');
    await chat.close();
    data.remove();
  });

  test('several requests to a specialist that owns the thread go back to triage and are all answered', async () => {
    const chat = await ConsoleSession.offlineForTest();
    assert.equal((await chat.chat.send('where is my order ORD-1002?')).agent, 'Orders');
    const asked = await chat.chat.send('please cancel it, and also the app keeps logging me out');
    assert.match(chat.text, /↪ Orders → Triage/);
    assert.match(
      asked.reply,
      /\*\*Technical Support:\*\* .*help article/s,
      'the part for another specialist is answered, not dropped',
    );
    assert.ok(
      asked.reply.trimEnd().endsWith('Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.'),
      asked.reply,
    );
    assert.match((await chat.chat.send('yes')).reply, /^Done: order ORD-1002 is cancelled/);
  });

  test('two actions that both need confirmation: the first is asked, the second is asked once it is answered', async () => {
    const chat = await ConsoleSession.offlineForTest();
    // Paid today, so within the refund window whatever the date: a refund that would be refused is not asked about.
    await chat.app.store.records.set('invoice:INV-2001', { paidAt: new Date().toISOString().slice(0, 10) });
    const asked = await chat.chat.send('cancel order ORD-1002, and also I want a refund for invoice INV-2001');
    assert.match(
      asked.reply,
      /\*\*Billing:\*\* That needs your confirmation too: I'll ask once you've answered the question below\./,
    );
    assert.doesNotMatch(asked.reply, /Not run/);
    assert.ok(
      asked.reply.trimEnd().endsWith('Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.'),
      asked.reply,
    );
    const first = await chat.chat.send('yes');
    assert.match(first.reply, /Done: order ORD-1002 is cancelled/);
    assert.ok(
      first.reply
        .trimEnd()
        .endsWith('Refund invoice INV-2001 in full? Reply "yes" to go ahead or "no" to leave it as it is.'),
      first.reply,
    );
    assert.equal(first.agent, 'Billing', 'the specialist whose question it is asks it, and keeps the thread');
    assert.match(chat.text, /\[Billing\] Refund invoice INV-2001 in full\?/);
    const second = await chat.chat.send('yes');
    assert.match(second.reply, /Done: invoice INV-2001 is refunded/);
  });

  test('without a staff channel, a consulted specialist answers its part instead of trying to hand back to triage', async () => {
    // No adapter attaches a staff room, so nobody is offered escalate_to_human and "a person" is just words here.
    const data = tempDir();
    const config = loadConfig({ MODEL_PROVIDER: 'offline', DATA_DIR: data.dir });
    const log = createLogger({ level: 'silent' });
    const app = createApp(config, log, { provider: (await createModel(config, log)).provider });
    after(async () => {
      await app.close();
      data.remove();
    });
    const outcome = await app.service.handle({
      id: 'm-1',
      thread: 'console:no-staff',
      userId: 'u-1',
      verifiedEmail: 'maya.chen@example.com',
      text: 'ORD-1001. also I want to talk to a real person right now please, a human agent, plus I cannot log in',
    });
    // Before, Orders kept calling transfer_to_triage, which it was not offered, until the step limit.
    assert.match(outcome.reply, /\*\*Orders:\*\* Order ORD-1001 has shipped/);
    assert.match(outcome.reply, /\*\*Technical Support:\*\* .*help article/s);
  });

  test('a message about one thing is not split', async () => {
    const data = tempDir();
    const chat = await ConsoleSession.offline({ DATA_DIR: data.dir });
    const outcome = await chat.chat.send('where is my order ORD-1001 and when will it arrive');
    assert.equal(outcome.agent, 'Orders');
    assert.ok(!outcome.reply.includes('**Orders:**'), outcome.reply);
    assert.match(outcome.reply, /Order ORD-1001 has shipped with UPS/);
    assert.match(chat.text, /↪ Triage → Orders/);
    await chat.close();
    data.remove();
  });
});
