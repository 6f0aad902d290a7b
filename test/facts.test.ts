import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsoleSession, suiteFakeOpenAI, systemPrompt, tempDir, toolMessages } from './harness.js';

describe('shared facts', () => {
  const fake = suiteFakeOpenAI();

  test('a lookup writes facts that Billing later sees; note_fact writes as the agent; a bad key is refused and the turn goes on', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: 'ORD-1001 has shipped with UPS.' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    await chat.chat.send('Where is my order ORD-1001?');
    let state = await chat.state();
    assert.equal(state.facts.order_id?.value, 'ORD-1001');
    assert.equal(state.facts.order_id?.by, 'orders/lookup_order');
    assert.ok(!Number.isNaN(Date.parse(state.facts.order_id?.at ?? '')), 'stamped with when');
    assert.match(state.facts.customer_email?.value ?? '', /@/);

    const start = fake.requests.length;
    fake.script(
      { toolCalls: [{ name: 'transfer_to_triage' }] },
      { toolCalls: [{ name: 'transfer_to_billing' }] },
      {
        toolCalls: [
          { name: 'note_fact', arguments: { key: 'product_serial', value: 'SN-1234' } },
          { name: 'note_fact', arguments: { key: 'Bad Key', value: 'whatever' } },
        ],
      },
      { text: 'Noted. What would you like to know about your invoice?' },
    );
    await chat.chat.send('and I have a question about my invoice');
    assert.equal(fake.requests.length, start + 4);
    assert.match(systemPrompt(fake, start + 2), /Billing specialist/);
    assert.match(
      systemPrompt(fake, start + 2),
      /Known facts[\s\S]*order_id: ORD-1001/,
      "the fact written by Orders is in Billing's prompt",
    );
    const [noted, refused] = toolMessages(fake, start + 3).slice(-2);
    assert.match(noted!, /"noted":"product_serial"/);
    assert.match(refused!, /^Error: .*note_fact/s);
    assert.match(systemPrompt(fake, start + 3), /product_serial: SN-1234/);
    assert.match(chat.text, /\[Billing\] Noted\. What would you like to know about your invoice\?/);
    state = await chat.state();
    assert.deepEqual(
      state.facts.product_serial && { value: state.facts.product_serial.value, by: state.facts.product_serial.by },
      { value: 'SN-1234', by: 'billing' },
    );
    assert.ok(
      !Object.keys(state.facts).some((key) => /bad/i.test(key)),
      `nothing written for the bad key: ${Object.keys(state.facts)}`,
    );
    assert.equal(state.facts.order_id?.by, 'orders/lookup_order', 'earlier facts are kept');
    await chat.close();
    data.remove();
  });

  test('facts reach staff: the escalation card printed in the console lists them', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      {
        toolCalls: [
          {
            name: 'escalate_to_human',
            arguments: { reason: 'Wants a refund outside the return window.', urgency: 'normal' },
          },
        ],
      },
      { text: '- Wants a refund for a shipped order' },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    chat.type('ORD-1001 arrived broken, I want a person to refund it');
    await chat.end();
    await chat.waitForText('New escalation');
    assert.match(systemPrompt(fake, 3), /hand-over notes/);
    assert.match(chat.text, /\[staff\] │ {3}- Wants a refund for a shipped order/);
    assert.match(chat.text, /\[staff\] │ {3}Known facts:/);
    assert.match(
      chat.text,
      /\[staff\] │ {3}- order_id: ORD-1001 \(orders\/lookup_order, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/,
    );
    assert.match((await chat.state()).escalation?.summary ?? '', /Known facts:[\s\S]*order_id: ORD-1001/);
    await chat.close();
    data.remove();
  });
});
