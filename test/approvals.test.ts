import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConsoleSession, suiteFakeOpenAI, tempDir, toolMessages } from './harness.js';

describe('approvals', () => {
  const fake = suiteFakeOpenAI();

  /** Triage → Orders → cancel_order: the turn ends with the confirmation question. */
  async function askToCancel(dataDir: string, orderId: string): Promise<ConsoleSession> {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: orderId } }] },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: dataDir });
    chat.type(`please cancel ${orderId}`);
    await chat.end();
    return chat;
  }

  test('a "yes" after a restart gets the question again first; the next "yes" runs the tool with the stored arguments', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    assert.equal(fake.requests.length, 2, 'the tool did not run, and no further model call was made');
    assert.match(
      asking.text,
      /\[Orders\] Cancel order ORD-1002\? Reply "yes" to go ahead or "no" to leave it as it is\./,
    );
    const pending = (await asking.state()).pendingApproval;
    assert.equal(pending?.tool, 'cancel_order');
    assert.deepEqual(pending?.input, { order_id: 'ORD-1002' });
    assert.equal(pending?.requestedBy, 'console-user');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined, 'nothing was cancelled yet');
    await asking.close();

    fake.script({ text: 'Done: ORD-1002 is cancelled and 108.00 will be refunded.' });
    const restarted = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    // The customer may not have the question in view after a restart (a new terminal, say): it is put again first.
    const again = await restarted.chat.send('yes');
    assert.equal(
      again.reply,
      'Just to be sure before I do anything: Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.',
    );
    assert.equal(fake.requests.length, 2, 'no model call, and nothing run');
    assert.equal(await restarted.app.store.records.get('order:ORD-1002'), undefined);
    restarted.type('yes');
    await restarted.end();
    assert.match(restarted.text, /· cancel_order \{"order_id":"ORD-1002"\}/);
    assert.match(restarted.text, /\[Orders\] Done: ORD-1002 is cancelled/);
    const result = toolMessages(fake, 2).at(-1)!;
    assert.match(result, /"cancelled":true/);
    const record = await restarted.app.store.records.get<{ status: string }>('order:ORD-1002');
    assert.equal(record?.status, 'cancelled');
    const state = await restarted.state();
    assert.equal(state.pendingApproval, null);
    assert.equal(state.activeAgent, 'orders');
    await restarted.close();
    data.remove();
  });

  test('reject after a restart tells the model and runs nothing', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1006');
    await asking.close();
    fake.script({ text: 'No problem, ORD-1006 stays as it is.' });
    const restarted = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    restarted.type('no');
    await restarted.end();
    assert.match(toolMessages(fake, 2).at(-1)!, /The user declined\. cancel_order was not run\./);
    assert.equal(await restarted.app.store.records.get('order:ORD-1006'), undefined);
    assert.match(restarted.text, /\[Orders\] No problem, ORD-1006 stays as it is\./);
    assert.equal((await restarted.state()).pendingApproval, null);
    await restarted.close();
    data.remove();
  });

  test('cancelling a shipped order is refused at once: nobody is asked to confirm what would be refused', async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'cancel_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: 'ORD-1001 has shipped, so it cannot be cancelled; you can return it.' },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    chat.type('please cancel ORD-1001');
    await chat.end();
    const result = toolMessages(fake, 2).at(-1)!;
    assert.match(result, /"cancelled":false/);
    assert.match(result, /already shipped/);
    assert.doesNotMatch(chat.text, /Cancel order ORD-1001\?/);
    assert.match(chat.text, /· cancel_order \{"order_id":"ORD-1001"\}/, 'the refused call shows as a tool call');
    assert.match(chat.text, /\[Orders\] ORD-1001 has shipped, so it cannot be cancelled/);
    const state = await chat.state();
    assert.equal(state.pendingApproval, null);
    assert.equal(state.facts.order_status?.value, 'shipped', 'the check noted what it found');
    assert.equal(await chat.app.store.records.get('order:ORD-1001'), undefined);
  });

  test('a refund that would be refused is not put to the customer: an already refunded invoice', async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_billing' }] },
      { toolCalls: [{ name: 'request_refund', arguments: { invoice_id: 'INV-2004', reason: 'charged by mistake' } }] },
      { text: 'INV-2004 was already refunded on 2026-10-09.' },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    chat.type('refund INV-2004 please, I was charged by mistake. my email is noah.k@example.com');
    await chat.end();
    assert.match(toolMessages(fake, 2).at(-1)!, /"refunded":false.*already refunded/);
    assert.doesNotMatch(chat.text, /Refund invoice INV-2004 in full\?/);
    assert.equal((await chat.state()).pendingApproval, null);
  });

  test('a refund asked for a mistyped invoice id leaves the invoice an earlier lookup noted', async () => {
    fake.script(
      { toolCalls: [{ name: 'transfer_to_billing' }] },
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-2002' } }] },
      { text: 'INV-2002 is paid.' },
      { toolCalls: [{ name: 'request_refund', arguments: { invoice_id: 'INV-9999', reason: 'charged by mistake' } }] },
      { text: 'There is no invoice INV-9999.' },
    );
    const chat = ConsoleSession.openaiForTest(fake);
    chat.type('is INV-2002 paid? it is li.wei@example.com');
    chat.type('refund INV-9999 please');
    await chat.end();
    assert.match(toolMessages(fake, 4).at(-1)!, /No invoice INV-9999 exists/);
    assert.equal((await chat.state()).facts.invoice_id?.value, 'INV-2002');
  });

  test('offline: cancelling a delivered order gets the reason at once, with no confirmation question', async () => {
    const chat = await ConsoleSession.offlineForTest({ CONSOLE_USER_EMAIL: 'sam.ortiz@example.com' });
    chat.type('please cancel ORD-1003');
    await chat.end();
    assert.match(
      chat.text,
      /\[Orders\] I couldn't cancel order ORD-1003: The order has already been delivered, so it cannot be cancelled\./,
    );
    assert.doesNotMatch(chat.text, /Cancel order ORD-1003\?/);
    assert.equal((await chat.state()).pendingApproval, null);
  });

  test('an order that ships while the confirmation waits is refused when the customer says yes', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    after(async () => {
      await asking.close();
      data.remove();
    });
    await asking.app.store.records.set('order:ORD-1002', { status: 'shipped', carrier: 'UPS', tracking: '1Z0000' });
    fake.script({ text: 'ORD-1002 shipped in the meantime, so it cannot be cancelled.' });
    const outcome = await asking.chat.send('yes');
    assert.match(outcome.reply, /cannot be cancelled/);
    const result = toolMessages(fake, 2).at(-1)!;
    assert.match(result, /"cancelled":false/);
    assert.match(result, /already shipped/);
    assert.equal(((await asking.app.store.records.get('order:ORD-1002')) as { status: string }).status, 'shipped');
  });

  test('only the requesting user can approve; another user\'s "yes" is an ordinary message', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    fake.script({ text: 'Waiting for the person who asked to confirm.' });
    const other = await asking.app.service.handle({
      id: 'other-1',
      thread: asking.chat.thread,
      userId: 'someone-else',
      text: 'yes',
    });
    assert.equal(other.status, 'answered');
    const state = await asking.state();
    assert.equal(state.pendingApproval?.requestedBy, 'console-user', 'the approval is still pending');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined);
    await asking.close();
    data.remove();
  });

  test('a new request instead of yes/no leaves the action pending: it is answered, and the question is put again', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    fake.script({ text: 'Sure, what is the new address?' });
    const outcome = await asking.chat.send('actually, can I change the delivery address instead?');
    assert.equal(
      outcome.reply,
      'Sure, what is the new address?\n\nBefore that is done, I still need your answer: Cancel order ORD-1002? Reply "yes" to go ahead or "no" to leave it as it is.',
    );
    const messages = fake.requests[2]!.body.messages;
    assert.equal(messages.at(-1)!.content, 'actually, can I change the delivery address instead?');
    assert.ok(
      !messages.some((m) => m.role === 'tool' && /^Not run: the user did not confirm/.test(m.content ?? '')),
      'nothing was closed',
    );
    assert.equal((await asking.state()).pendingApproval?.tool, 'cancel_order');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined);
    await asking.close();
    data.remove();
  });
});
