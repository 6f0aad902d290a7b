import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import type { ThreadState } from '../src/conversation/threadState.js';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { createLogger } from '../src/log.js';
import { estimateHistoryTokens, SUMMARY_MAX_CHARS } from '../src/orchestrator/compaction.js';
import { BUDGET_SPENT_REPLY } from '../src/orchestrator/turnRunner.js';
import type { TelemetryEvent } from '../src/telemetry.js';
import type { FakeReply, RecordedRequest } from './fakes/openaiServer.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir, toolMessages, waitFor } from './harness.js';

const THREAD = 'console:local';
const USAGE = { prompt: 100, completion: 10 };
const today = () => new Date().toISOString().slice(0, 10);
const systemOf = (request: RecordedRequest) =>
  request.body.messages[0]?.role === 'system' ? (request.body.messages[0].content ?? '') : '';
const isSummaryRequest = (request: RecordedRequest) => /running summary/.test(systemOf(request));

describe('bounded context with the offline engine', () => {
  test('a 30-message thread keeps a small history, a bounded summary and its facts; "cancel it" still finds the order', async () => {
    const data = tempDir();
    const budget = 300;
    const chat = await ConsoleSession.offline({
      DATA_DIR: data.dir,
      CONTEXT_TOKEN_BUDGET: String(budget),
      CONTEXT_KEEP_MESSAGES: '4',
    });
    // The order id is only ever written in the first message.
    const later = [
      'thanks',
      'what can you do',
      'hello',
      'how do I reset my password',
      'what plans do you have',
      'my app crashes on startup',
      'thanks a lot',
    ];
    const sent = ['where is my order ORD-1001?', ...Array.from({ length: 29 }, (_, i) => later[i % later.length]!)];
    let firstSummary: string | null = null;
    for (const text of sent) {
      await chat.chat.send(text);
      const state = await chat.state();
      firstSummary ??= state.summary;
      // Compaction runs before a turn, so a turn's own messages come on top of the budget, and the earlier turn it
      // keeps whole can be a knowledge-base answer too (two in a row are about 4× this small budget); it never keeps growing.
      assert.ok(
        estimateHistoryTokens(state.history) <= 5 * budget,
        `history of ${estimateHistoryTokens(state.history)} tokens after "${text}"`,
      );
      // At most the kept window (a whole earlier turn) plus this turn; uncompacted, 30 turns would be over 100 messages.
      assert.ok(state.history.length <= 16, `history of ${state.history.length} messages after "${text}"`);
    }
    assert.ok(firstSummary, 'compaction happened');
    assert.match(
      firstSummary,
      /Customer: "where is my order ORD-1001\?"/,
      'the first summary records the first message',
    );
    const state = await chat.state();
    assert.ok(
      state.summary && state.summary.length <= SUMMARY_MAX_CHARS,
      `summary of ${state.summary?.length} characters`,
    );
    assert.match(
      state.summary,
      /^- \(earlier parts of the conversation omitted\)/,
      'a long summary says that it dropped its oldest lines',
    );
    assert.match(
      state.summary,
      /Customer: "(thanks|what can you do|hello|how do I reset my password|what plans do you have|my app crashes on startup|thanks a lot)"/,
    );
    assert.ok(!JSON.stringify(state.history).includes('ORD-1001'), 'the order id has left history');
    assert.equal(state.facts.order_id?.value, 'ORD-1001', 'the fact sheet still has it');

    // ORD-1001 has shipped, so the answer is the refusal, which names the order found through the facts.
    await chat.chat.send('cancel it');
    assert.match(
      chat.text.slice(chat.text.lastIndexOf('you> cancel it')),
      /\[Orders\] I couldn't cancel order ORD-1001: The order has already shipped/,
    );
    await chat.close();
    data.remove();
  });
});

describe('bounded context with a model', () => {
  const fake = suiteFakeOpenAI();

  const SUMMARY = '- The customer asked about X.';
  const question = (n: number) =>
    `Question ${n}: my parcel has still not arrived and I would like to know what is going on with it, and when it will come. `
      .repeat(2)
      .trim();

  /** Answers normal turns with text; `summary` answers the compaction request. */
  function respond(summary: FakeReply): void {
    let answers = 0;
    fake.respondWith((request) => (isSummaryRequest(request) ? summary : { text: `Answer ${++answers}.` }));
  }

  test('older turns are folded into a model-written summary that the next reply request carries', async () => {
    const data = tempDir();
    respond({ text: SUMMARY });
    const chat = ConsoleSession.openai(fake, {
      DATA_DIR: data.dir,
      CONTEXT_TOKEN_BUDGET: '200',
      CONTEXT_KEEP_MESSAGES: '2',
    });
    // Three turns of about 60 estimated tokens per question pass the budget of 200.
    for (let n = 1; n <= 3; n++) await chat.chat.send(question(n));
    const at = fake.requests.findIndex(isSummaryRequest);
    assert.equal(at, 2, 'the summary is asked for at the start of the third turn, before its reply');
    const asked = fake.requests[at]!.body.messages.at(-1)!.content ?? '';
    assert.ok(
      asked.includes(question(1)) && asked.includes('Answer 1.'),
      `the summary request carries the older turn:\n${asked}`,
    );
    assert.ok(!asked.includes(question(2)) && !asked.includes(question(3)), 'the kept window stays verbatim');

    const next = fake.requests[at + 1]!;
    assert.ok(!isSummaryRequest(next));
    assert.match(systemOf(next), /Summary of the earlier conversation/);
    assert.ok(systemOf(next).includes(SUMMARY));
    const contents = next.body.messages.map((m) => m.content);
    assert.ok(!contents.includes(question(1)), 'the oldest customer message is no longer sent');
    assert.deepEqual(contents.slice(1), [question(2), 'Answer 2.', question(3)]);
    assert.match(chat.text, /\[Triage\] Answer 3\./);
    const state = await chat.state();
    assert.equal(state.summary, SUMMARY);
    assert.ok(!state.history.some((m) => m.content === question(1)));
    await chat.close();
    data.remove();
  });

  test('a failed summary call falls back to an extractive summary and the turn is still answered', async () => {
    const data = tempDir();
    respond({ status: 500, error: 'summary model down' });
    const chat = ConsoleSession.openai(fake, {
      DATA_DIR: data.dir,
      CONTEXT_TOKEN_BUDGET: '200',
      CONTEXT_KEEP_MESSAGES: '2',
    });
    for (let n = 1; n <= 3; n++) await chat.chat.send(question(n));
    assert.ok(fake.requests.some(isSummaryRequest), 'the summary was asked for');
    assert.match(chat.text, /\[Triage\] Answer 3\./);
    const state = await chat.state();
    assert.ok(state.summary && state.summary.trim() !== '');
    assert.ok(
      state.summary.includes('Question 1: my parcel'),
      `the extractive summary quotes the customer:\n${state.summary}`,
    );
    assert.ok(systemOf(fake.requests.at(-1)!).includes(state.summary), 'the fallback summary reaches the model');
    await chat.close();
    data.remove();
  });

  test('a long tool result is whole for the turn that produced it and cut in history afterwards', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: 'Your order ORD-1001 shipped with UPS.' },
      { text: 'It should arrive on 2026-11-24.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, TOOL_RESULT_HISTORY_CHARS: '100' });
    await chat.chat.send('Where is my order ORD-1001?');
    const full = toolMessages(fake, 2).find((r) => r.includes('1Z999AA10123456784'));
    assert.ok(full, 'the lookup result reached the model');
    assert.ok(
      full.includes('estimatedDelivery') && full.length > 100,
      'the model saw the whole result during the turn',
    );

    const lookupResult = (history: ThreadState['history']) =>
      history.flatMap((m) => (m.role === 'tool' && m.content.startsWith(full.slice(0, 40)) ? [m.content] : []))[0];
    const saved = lookupResult((await chat.state()).history);
    assert.ok(saved, 'the lookup result is in history');
    assert.ok(saved.length <= 100, `saved as ${saved.length} characters`);
    assert.ok(saved.endsWith(`[cut from ${full.length} characters]`), saved);
    assert.ok(!saved.includes('estimatedDelivery'));

    await chat.chat.send('When will it arrive?');
    assert.equal(fake.requests.length, 4);
    const results = toolMessages(fake, 3);
    assert.ok(results.includes(saved), 'the next turn sends the cut result');
    assert.ok(!results.some((r) => r.includes('1Z999AA10123456784')));
    assert.equal(lookupResult((await chat.state()).history), saved, 'a result cut once is not cut again');
    await chat.close();
    data.remove();
  });

  test('usage from the API is counted per thread, per agent and per day', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }], usage: USAGE },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }], usage: USAGE },
      { text: 'Your order ORD-1001 shipped with UPS.', usage: USAGE },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    await chat.chat.send('Where is my order ORD-1001?');
    const { usage } = await chat.state();
    assert.deepEqual(usage.total, { promptTokens: 300, completionTokens: 30, calls: 3 });
    assert.deepEqual(usage.byAgent.triage, { promptTokens: 100, completionTokens: 10, calls: 1 });
    assert.deepEqual(usage.byAgent.orders, { promptTokens: 200, completionTokens: 20, calls: 2 });
    assert.deepEqual(usage.today, { day: today(), tokens: 330 });
    await chat.close();
    data.remove();
  });

  test('a thread over its daily token budget gets a clear reply without a model call; other threads are unaffected', async () => {
    const data = tempDir();
    const exhausted: TelemetryEvent[] = [];
    fake.script({ text: 'First answer.', usage: USAGE }, { text: 'Second answer.', usage: USAGE });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, THREAD_DAILY_TOKEN_BUDGET: '150' });
    chat.app.telemetry.on('budget.exhausted', (e) => exhausted.push(e));
    assert.equal((await chat.chat.send('first question')).reply, 'First answer.');
    assert.equal(
      (await chat.chat.send('second question')).reply,
      'Second answer.',
      '110 tokens spent is under the budget',
    );
    assert.equal((await chat.state()).usage.today.tokens, 220);
    assert.equal(fake.requests.length, 2);

    const third = await chat.chat.send('third question');
    assert.equal(third.reply, BUDGET_SPENT_REPLY);
    assert.ok(chat.text.includes(BUDGET_SPENT_REPLY));
    assert.equal(fake.requests.length, 2, 'no model call once the budget is spent');
    assert.deepEqual(exhausted, [
      { type: 'budget.exhausted', thread: THREAD, tokens: 220, budget: 150, action: 'reply' },
    ]);
    const state = await chat.state();
    assert.equal(state.history.at(-2)?.content, 'third question');
    assert.equal(state.escalation, null);

    fake.script({ text: 'Hello from another thread.', usage: USAGE });
    const other = await chat.app.service.handle({
      id: 'other-1',
      thread: 'console:other',
      userId: 'someone-else',
      text: 'hello',
    });
    assert.equal(other.reply, 'Hello from another thread.');
    assert.equal(fake.requests.length, 3);
    await chat.close();
    data.remove();
  });

  test('with THREAD_BUDGET_ACTION=escalate the spent thread goes to staff instead', async () => {
    const data = tempDir();
    fake.script(
      { text: 'First answer.', usage: USAGE },
      { text: 'Second answer.', usage: USAGE },
      { text: '- Customer asked three questions.' },
    );
    const chat = ConsoleSession.openai(fake, {
      DATA_DIR: data.dir,
      THREAD_DAILY_TOKEN_BUDGET: '150',
      THREAD_BUDGET_ACTION: 'escalate',
    });
    await chat.chat.send('first question');
    await chat.chat.send('second question');
    const third = await chat.chat.send('third question');
    assert.equal(third.reply, ESCALATED_REPLY);
    const state = await chat.state();
    assert.ok(state.escalation, 'the thread is escalated');
    assert.match(state.escalation.reason, /daily allowance/);
    assert.match(chat.text, /\[staff\] ┌ New escalation \(normal\), opened by Triage \(bot\)/);
    // The only model call after the budget ran out is the staff card's hand-over summary, not an answer.
    const afterBudget = fake.requests.slice(2);
    assert.equal(afterBudget.length, 1);
    assert.match(systemOf(afterBudget[0]!), /hand-over notes/);
    await chat.close();
    data.remove();
  });

  test('the telemetry stream reports a turn flow to typed hooks and to the log; a throwing hook breaks nothing', async () => {
    const data = tempDir();
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => done(void lines.push(JSON.parse(String(chunk)) as Record<string, unknown>)),
    });
    const chat = ConsoleSession.openai(
      fake,
      { DATA_DIR: data.dir },
      { log: createLogger({ level: 'debug', destination: sink }) },
    );
    const events: TelemetryEvent[] = [];
    const toolCalls: string[] = [];
    chat.app.telemetry.on(() => {
      throw new Error('a broken hook');
    });
    chat.app.telemetry.on((event) => events.push(event));
    chat.app.telemetry.on('tool.call', (event) => toolCalls.push(`${event.tool}:${event.ok}`));

    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }], usage: USAGE },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1002' } }], usage: USAGE },
      { text: 'Done: ORD-1002 is cancelled.', usage: USAGE },
      {
        toolCalls: [
          { name: 'escalate_to_human', arguments: { reason: 'The customer wants a person.', urgency: 'normal' } },
        ],
        usage: USAGE,
      },
      { text: '- Cancelled ORD-1002; wants a person.' },
    );
    await chat.chat.send('please cancel ORD-1002');
    await chat.chat.send('yes');
    await chat.chat.send('I want to talk to a person');
    assert.match(chat.text, /\[Orders\] Cancel order ORD-1002\?/);
    assert.match(chat.text, /\[Orders\] Done: ORD-1002 is cancelled\./, 'the reply is shown despite the throwing hook');
    assert.ok(chat.text.includes(ESCALATED_REPLY));
    await waitFor(() => events.some((e) => e.type === 'escalation'), 'the escalation event');

    const of = <T extends TelemetryEvent['type']>(type: T) =>
      events.filter((e): e is Extract<TelemetryEvent, { type: T }> => e.type === type);
    assert.equal(of('turn.start').length, 3);
    assert.equal(of('turn.end').length, 3);
    assert.ok(of('model.call').some((e) => e.agent === 'triage' && e.purpose === 'reply' && e.promptTokens === 100));
    assert.ok(of('model.call').some((e) => e.agent === 'orders' && e.completionTokens === 10));
    assert.deepEqual(
      of('tool.call').map((e) => [e.tool, e.agent, e.ok]),
      [['cancel_order', 'orders', true]],
    );
    assert.deepEqual(toolCalls, ['cancel_order:true'], 'the typed hook sees only tool calls');
    assert.deepEqual(
      of('handoff').map((e) => [e.from, e.to]),
      [['triage', 'orders']],
    );
    assert.deepEqual(
      of('approval').map((e) => [e.tool, e.decision]),
      [
        ['cancel_order', 'requested'],
        ['cancel_order', 'approve'],
      ],
    );
    assert.deepEqual(
      of('escalation').map((e) => e.event),
      ['opened'],
    );
    const kinds = new Set(events.map((e) => e.type));
    for (const kind of [
      'turn.start',
      'model.call',
      'tool.call',
      'handoff',
      'approval',
      'escalation',
      'turn.end',
    ] as const)
      assert.ok(kinds.has(kind), kind);
    assert.ok(
      events.every((e) => e.thread === THREAD),
      'every event names the console thread',
    );
    // Order within the first turn: it starts, calls the model, and ends.
    const firstEnd = events.findIndex((e) => e.type === 'turn.end');
    assert.equal(events[0]?.type, 'turn.start');
    assert.ok(events.slice(0, firstEnd).some((e) => e.type === 'model.call'));

    const logged = lines.find((l) => l.msg === 'tool.call');
    assert.ok(logged, `a tool.call log line; got ${lines.map((l) => l.msg).join(', ')}`);
    assert.equal(logged.tool, 'cancel_order');
    assert.equal(logged.thread, THREAD);
    assert.equal(logged.ok, true);
    // Per-turn detail is debug (pino level 20); a turn's info line (30) is turn.end, with its model calls.
    const PINO_DEBUG = 20;
    const PINO_INFO = 30;
    assert.equal(logged.level, PINO_DEBUG);
    assert.ok(lines.filter((l) => l.msg === 'model.call').every((l) => l.level === PINO_DEBUG));
    const ends = lines.filter((l) => l.msg === 'turn.end');
    assert.ok(ends.length > 0 && ends.every((l) => l.level === PINO_INFO && typeof l.modelCalls === 'number'));
    await chat.close();
    data.remove();
  });
});
