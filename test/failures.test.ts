import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { createLogger } from '../src/log.js';
import { defineTool } from '../src/orchestrator/tool.js';
import { executeTool } from '../src/orchestrator/toolExecution.js';
import { ConsoleSession, FakeOpenAI, suiteFakeOpenAI, tempDir } from './harness.js';

describe('bad input and failing parts', () => {
  const fake = suiteFakeOpenAI();

  test('a 429 from the model gets a clear reply, keeps the thread, and the next message works', async () => {
    const data = tempDir();
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { status: 429, error: 'Rate limit reached', headers: { 'retry-after': '20' } },
    );
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    const failed = await chat.chat.send('where is ORD-1003?');
    assert.equal(failed.status, 'failed');
    assert.match(
      chat.text,
      /\[Orders\] Sorry, I'm getting too many requests right now\. Please try again in a minute\./,
    );
    const state = await chat.state();
    assert.equal(state.activeAgent, 'orders', 'the handoff that happened before the failure is kept');
    assert.equal(state.history[0]?.role === 'user' && state.history[0].content, 'where is ORD-1003?');
    fake.script({ text: 'ORD-1003 was delivered on 2026-11-03.' });
    const retried = await chat.chat.send('where is ORD-1003?');
    assert.equal(retried.status, 'answered');
    assert.match(fake.requests.at(-1)!.body.messages[0]!.content ?? '', /Orders specialist/);
    await chat.close();
    data.remove();
  });

  test('a 500 and an unreachable model server each give an apology, and the process keeps going', async () => {
    const data = tempDir();
    fake.script({ status: 500, error: 'boom' });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    const first = await chat.chat.send('hello');
    assert.match(first.reply, /can't reach my language model/);
    await chat.close();

    const down = new FakeOpenAI();
    await down.start();
    await down.close();
    const offline = ConsoleSession.openai(down, { DATA_DIR: data.dir });
    const second = await offline.chat.send('hello again');
    assert.equal(second.status, 'failed');
    assert.match(offline.text, /\[Triage\] Sorry, I can't reach my language model right now/);
    await offline.close();
    data.remove();
  });

  test('a huge message gets a clear answer without a model call and without touching the thread', async () => {
    const data = tempDir();
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, MAX_MESSAGE_CHARS: '1000' });
    const outcome = await chat.chat.send('x'.repeat(50_000));
    assert.equal(outcome.status, 'rejected');
    assert.match(chat.text, /That message is too long for me \(50000 characters; the limit is 1000\)/);
    assert.equal(fake.requests.length, 0);
    assert.equal((await chat.state()).history.length, 0);
    await chat.close();
    data.remove();
  });

  test('the same message id delivered twice is answered once', async () => {
    const data = tempDir();
    fake.script({ text: 'Hello!' });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    const message = { id: 'evt-1', thread: chat.chat.thread, userId: 'u1', text: 'hi' };
    const [a, b] = await Promise.all([chat.app.service.handle(message), chat.app.service.handle(message)]);
    assert.deepEqual([a.status, b.status].sort(), ['answered', 'duplicate']);
    assert.equal(fake.requests.length, 1);
    await chat.close();
    data.remove();
  });
});

describe('tool execution', () => {
  const context = {
    thread: 't',
    userId: 'u',
    requester: { platform: 'test', userId: 'u', givenEmails: [] },
    agent: 'a',
    log: createLogger({ level: 'silent' }),
    records: { get: async () => undefined, set: async () => {}, delete: async () => {} },
    facts: { set: () => {}, get: () => undefined },
    defaultTimeoutMs: 1_000,
  };

  test('a tool that never finishes times out into a readable result, and its signal is aborted', async () => {
    let aborted = false;
    const stuck = defineTool({
      name: 'stuck',
      description: 'never returns',
      input: z.object({}),
      timeoutMs: 50,
      run: (_input, { signal }) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    });
    const outcome = await executeTool(stuck, {}, context);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.kind, 'ToolTimeoutError');
    assert.match(outcome.content, /stuck did not finish within 50 ms/);
    assert.ok(aborted);
  });

  test('a tool that throws becomes an error result, not a crashed turn', async () => {
    const broken = defineTool({
      name: 'broken',
      description: 'throws',
      input: z.object({}),
      run: () => {
        throw new Error('database offline');
      },
    });
    const outcome = await executeTool(broken, {}, context);
    assert.deepEqual(
      [outcome.ok, outcome.kind, outcome.content],
      [false, 'ToolRunError', 'Error: broken failed: database offline'],
    );
  });

  test('long results are truncated before they reach history', async () => {
    const chatty = defineTool({
      name: 'chatty',
      description: 'long',
      input: z.object({}),
      run: () => 'a'.repeat(20_000),
    });
    const outcome = await executeTool(chatty, {}, context);
    assert.ok(outcome.content.length < 9_000);
    assert.ok(outcome.content.endsWith('[truncated]'));
  });
});
