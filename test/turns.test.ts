import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsoleSession, suiteFakeOpenAI, systemPrompt, tempDir, toolMessages, toolNames, waitFor } from './harness.js';

describe('a turn through the console adapter', () => {
  const fake = suiteFakeOpenAI();

  test('triage hands to Orders, which looks the order up and answers; a restart continues with Orders', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: 'Your order ORD-1001 shipped with UPS, tracking 1Z999AA10123456784.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('Where is my order ORD-1001?');
    await chat.end();
    await chat.close();

    assert.equal(fake.requests.length, 3);
    assert.match(systemPrompt(fake, 0), /front desk/);
    assert.ok(toolNames(fake, 0).includes('transfer_to_orders'));
    assert.match(systemPrompt(fake, 1), /Orders specialist/);
    // Every agent can hand the conversation to people (the console plays the staff channel).
    assert.deepEqual(toolNames(fake, 1).sort(), [
      'cancel_order',
      'escalate_to_human',
      'lookup_order',
      'note_fact',
      'search_knowledge_base',
      'transfer_to_triage',
    ]);
    // The real tool ran on the shipped demo data, and its result went back to the model.
    const results = toolMessages(fake, 2);
    assert.ok(
      results.some((r) => r.includes('1Z999AA10123456784') && r.includes('"status":"shipped"')),
      results.join('\n'),
    );
    assert.match(chat.text, /↪ Triage → Orders/);
    assert.match(chat.text, /· lookup_order \{"order_id":"ORD-1001"\}/);
    assert.match(chat.text, /\[Orders\] Your order ORD-1001 shipped with UPS/);

    const restarted = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    assert.equal((await restarted.state()).activeAgent, 'orders');
    fake.script({ text: 'It should arrive on 2026-11-24.' });
    restarted.type('When will it arrive?');
    await restarted.end();
    assert.equal(fake.requests.length, 4);
    assert.match(systemPrompt(fake, 3), /Orders specialist/, 'the next message goes straight to the specialist');
    const history = fake.requests[3]!.body.messages.map((m) => m.content);
    assert.ok(history.includes('Where is my order ORD-1001?'), 'history survived the restart');
    assert.match(restarted.text, /\[Orders\] It should arrive on 2026-11-24\./);
    await restarted.close();
    data.remove();
  });

  test('text streams to the adapter in pieces, before the model has finished', async () => {
    const data = tempDir();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.script({ text: 'Hello! I can help with orders, technical problems and billing.', chunkChars: 6, gate });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('hi');
    await chat.waitForText('[Triage] Hello!');
    assert.ok(!chat.text.includes('billing'), 'the rest of the reply has not been sent by the model yet');
    release();
    await chat.end();
    assert.match(chat.text, /\[Triage\] Hello! I can help with orders, technical problems and billing\./);
    await chat.close();
    data.remove();
  });

  test('a message sent mid-turn is answered after that turn, in order', async () => {
    const data = tempDir();
    const before = fake.requests.length;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.script(
      async () => {
        await held;
        return { text: 'First answer.' };
      },
      { text: 'Second answer.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('first question');
    await waitFor(() => fake.requests.length === before + 1, 'the first model call');
    // Sent as a chat platform sends it, at once (piped console lines wait for the reply before them).
    const second = chat.chat.send('second question');
    await waitFor(() => chat.app.service.queued(chat.chat.thread) === 2, 'the second message to be queued');
    assert.equal(fake.requests.length, before + 1, 'the second message waits for the running turn');
    release();
    await second;
    await chat.end();
    assert.equal(fake.requests.length, before + 2);
    const sent = fake.requests[before + 1]!.body.messages.map((m) => `${m.role}:${m.content}`);
    assert.deepEqual(sent.slice(1), ['user:first question', 'assistant:First answer.', 'user:second question']);
    assert.ok(chat.text.indexOf('First answer.') < chat.text.indexOf('Second answer.'));
    await chat.close();
    data.remove();
  });

  test('invalid arguments, malformed JSON and unknown tools become tool results the model corrects', async () => {
    const data = tempDir();
    const start = fake.requests.length;
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      {
        toolCalls: [
          { name: 'lookup_order', arguments: '{"order_id": "ORD-10' },
          { name: 'lookup_order', arguments: { order_id: 'banana' } },
          { name: 'delete_all_orders', arguments: {} },
        ],
      },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ord1002' } }] },
      { text: 'ORD-1002 is being processed.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('status of my order 1002?');
    await chat.end();
    const errors = toolMessages(fake, start + 2).slice(1);
    assert.equal(errors.length, 3);
    assert.match(errors[0]!, /not valid JSON/);
    assert.match(errors[1]!, /Invalid arguments for lookup_order: .*order id looks like ORD-1001/s);
    assert.match(errors[2]!, /no tool named "delete_all_orders".*lookup_order, cancel_order/);
    const final = toolMessages(fake, start + 3);
    assert.ok(final.at(-1)!.includes('"id":"ORD-1002"'), 'the corrected call ran (ids are normalised)');
    assert.match(chat.text, /\[Orders\] ORD-1002 is being processed\./);
    await chat.close();
    data.remove();
  });

  test('a completion with both text and tool calls shows the text and runs the tools', async () => {
    const data = tempDir();
    const start = fake.requests.length;
    fake.script(
      { text: 'Let me pass you to Orders.', toolCalls: [{ name: 'transfer_to_orders' }] },
      {
        text: 'Checking now.',
        toolCalls: [
          { name: 'lookup_order', arguments: { order_id: 'ORD-1001' } },
          { name: 'lookup_order', arguments: { order_id: 'ORD-1002' } },
        ],
      },
      { text: 'Both found.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('check ORD-1001 and ORD-1002');
    await chat.end();
    assert.match(chat.text, /\[Triage\] Let me pass you to Orders\./);
    assert.match(chat.text, /\[Orders\] Checking now\./);
    const results = toolMessages(fake, start + 2);
    assert.ok(results.some((r) => r.includes('"id":"ORD-1001"')) && results.some((r) => r.includes('"id":"ORD-1002"')));
    await chat.close();
    data.remove();
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters is the point.
const RAW_CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('the terminal shows control characters, never acts on them', () => {
  test('an escape sequence, a bell and a backspace in a piped line are echoed as their codes', async () => {
    const chat = await ConsoleSession.offlineForTest();
    // Would clear the screen, retitle the window, ring the bell and rub out a letter if written raw.
    chat.type('where is ORD-1001? \u001b[2J\u001b]0;pwned\u0007 thanks\bX \u009b31m');
    await chat.end();
    assert.match(chat.text, /you> where is ORD-1001\? \\x1b\[2J\\x1b\]0;pwned\\x07 thanks\\x08X \\x9b31m\n/);
    assert.doesNotMatch(chat.text, RAW_CONTROL_CHARACTER, 'no raw control character reached the terminal');
    assert.match(chat.text, /\[Orders\] Order ORD-1001 has shipped/);
  });
});

describe('turn limits', () => {
  const fake = suiteFakeOpenAI();

  test('a misroute is corrected: Orders hands back to Triage, which picks Billing, and Billing answers', async () => {
    const data = tempDir();
    fake.reset();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'transfer_to_triage' }] },
      { toolCalls: [{ name: 'transfer_to_billing' }] },
      { text: 'Your last invoice was for 29.00 USD.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('what was my last bill?');
    await chat.end();
    assert.equal(fake.requests.length, 4);
    assert.match(chat.text, /↪ Triage → Orders\n {2}↪ Orders → Triage\n {2}↪ Triage → Billing/);
    assert.match(chat.text, /\[Billing\] Your last invoice was for 29\.00 USD\./);
    assert.doesNotMatch(chat.text, /I want to get you to the right place/);
    assert.equal((await chat.state()).activeAgent, 'billing');
    await chat.close();
    data.remove();
  });

  test('a handoff cycle (Triage → Orders → Triage → Orders) ends with a clarifying question', async () => {
    const data = tempDir();
    fake.reset();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'transfer_to_triage' }] },
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { text: 'should never be requested' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('hmm, about that thing');
    await chat.end();
    assert.equal(fake.requests.length, 3, 'no ping-pong: the loop stops at the cycle');
    assert.equal(fake.unusedReplies, 1);
    assert.match(
      chat.text,
      /\[Triage\] I want to get you to the right place\. .*Orders, Technical Support or Billing\?/,
    );
    const state = await chat.state();
    assert.equal(state.activeAgent, 'triage');
    const last = state.history.at(-2);
    assert.ok(
      last?.role === 'tool' &&
        /Transfer refused: transfer loop \(triage → orders → triage → orders\)/.test(last.content),
      'the refused transfer has a tool result',
    );
    await chat.close();
    data.remove();
  });

  test('the handoff cap ends the turn with a clarifying question', async () => {
    const data = tempDir();
    fake.reset();
    fake.script({ toolCalls: [{ name: 'transfer_to_orders' }] }, { toolCalls: [{ name: 'transfer_to_triage' }] });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, MAX_HANDOFFS_PER_TURN: '1' });
    chat.type('something');
    await chat.end();
    assert.equal(fake.requests.length, 2);
    assert.match(chat.text, /Could you tell me a little more/);
    const state = await chat.state();
    assert.ok(state.history.some((m) => m.role === 'tool' && /too many transfers/.test(m.content)));
    await chat.close();
    data.remove();
  });

  test('the model-call cap ends the turn with a clear message', async () => {
    const data = tempDir();
    fake.reset();
    fake.respondWith(() => ({ toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'login' } }] }));
    fake.script({ toolCalls: [{ name: 'transfer_to_technical_support' }] });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, MAX_MODEL_CALLS_PER_TURN: '4' });
    chat.type('login broken');
    await chat.end();
    assert.equal(fake.requests.length, 4);
    assert.match(chat.text, /\[Technical Support\] Sorry, I couldn't finish that in a reasonable number of steps/);
    await chat.close();
    data.remove();
  });
});
