import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ConsoleSession, FakeOpenAI, tempDir, toolMessages } from './harness.js';

describe('approvals', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await new FakeOpenAI().start();
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  /** Triage → Orders → cancel_order: the turn ends with the confirmation question. */
  async function askToCancel(dataDir: string, orderId: string): Promise<ConsoleSession> {
    fake.script({ toolCalls: [{ name: 'transfer_to_orders' }] }, { toolCalls: [{ name: 'cancel_order', arguments: { order_id: orderId } }] });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: dataDir });
    chat.type(`please cancel ${orderId}`);
    await chat.end();
    return chat;
  }

  test('approve after a restart runs the tool with the stored arguments', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    assert.equal(fake.requests.length, 2, 'the tool did not run, and no further model call was made');
    assert.match(asking.text, /\[Orders\] Cancel order ORD-1002\? Reply "yes" to confirm or "no" to cancel\./);
    const pending = (await asking.state()).pendingApproval;
    assert.equal(pending?.tool, 'cancel_order');
    assert.deepEqual(pending?.input, { order_id: 'ORD-1002' });
    assert.equal(pending?.requestedBy, 'console-user');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined, 'nothing was cancelled yet');
    await asking.close();

    fake.script({ text: 'Done: ORD-1002 is cancelled and 108.00 will be refunded.' });
    const restarted = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
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

  test('approving the cancellation of a shipped order gets a refusal from the tool', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1001');
    fake.script({ text: 'ORD-1001 has shipped, so it cannot be cancelled; you can return it.' });
    const outcome = await asking.chat.send('yes');
    assert.match(outcome.reply, /cannot be cancelled/);
    await asking.close();
    const result = toolMessages(fake, 2).at(-1)!;
    assert.match(result, /"cancelled":false/);
    assert.match(result, /already shipped/);
    data.remove();
  });

  test('only the requesting user can approve; another user\'s "yes" is an ordinary message', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    fake.script({ text: 'Waiting for the person who asked to confirm.' });
    const other = await asking.app.service.handle({ id: 'other-1', thread: asking.chat.thread, userId: 'someone-else', text: 'yes' });
    assert.equal(other.status, 'answered');
    const state = await asking.state();
    assert.equal(state.pendingApproval?.requestedBy, 'console-user', 'the approval is still pending');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined);
    await asking.close();
    data.remove();
  });

  test('a new request instead of yes/no leaves the action undone and is answered normally', async () => {
    const data = tempDir();
    const asking = await askToCancel(data.dir, 'ORD-1002');
    fake.script({ text: 'Sure, what is the new address?' });
    const outcome = await asking.chat.send('actually, can I change the delivery address instead?');
    assert.equal(outcome.reply, 'Sure, what is the new address?');
    const messages = fake.requests[2]!.body.messages;
    assert.match(messages.at(-2)!.content ?? '', /Not run: the user did not confirm cancel_order/);
    assert.equal(messages.at(-1)!.content, 'actually, can I change the delivery address instead?');
    assert.equal(await asking.app.store.records.get('order:ORD-1002'), undefined);
    await asking.close();
    data.remove();
  });
});
