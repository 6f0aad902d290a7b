import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { App } from '../src/main.js';
import { FakeOpenAI } from './harness.js';

/** What the contract needs from an adapter under test: post as a person, read what the bot showed. */
export interface ContractDriver {
  readonly app: App;
  /** A person starts a conversation; resolves with its thread key once the reply is shown. */
  startConversation(text: string): Promise<string>;
  /** A person writes again in that conversation; resolves once the reply is shown. */
  continueConversation(thread: string, text: string): Promise<void>;
  /** The platform delivers the last inbound message again (a retry). Absent where a platform never redelivers. */
  redeliverLast?(): Promise<void>;
  /** The bot's own message comes back as an inbound event. Absent where that cannot happen. */
  ownMessage?(thread: string, text: string): Promise<void>;
  /** Replies the person sees in the conversation, oldest first. */
  replies(thread: string): string[];
  /** The thread key → the platform's address → the thread key again. */
  roundTrip(thread: string): string | undefined;
  /** Waits until everything delivered so far has been handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The behaviour every adapter must show; each adapter's test file runs it with its own driver. */
export function adapterContract(
  name: string,
  makeDriver: (openai: FakeOpenAI) => Promise<ContractDriver>,
  can: { receiveOwnMessages: boolean },
): void {
  describe(`adapter contract: ${name}`, () => {
    let openai: FakeOpenAI;
    let driver: ContractDriver;

    beforeEach(async () => {
      openai = await new FakeOpenAI().start();
      driver = await makeDriver(openai);
    });
    afterEach(async () => {
      await driver.stop();
      await openai.close();
    });

    test('thread ids round-trip, and the conversation continues under the same key', async () => {
      openai.script({ text: 'First answer.' }, { text: 'Second answer.' });
      const thread = await driver.startConversation('first question');
      assert.equal(driver.roundTrip(thread), thread);
      await driver.continueConversation(thread, 'second question');
      const state = await driver.app.service.loadState(thread);
      const said = state.history.filter((m) => m.role === 'user').map((m) => m.content);
      assert.deepEqual(said, ['first question', 'second question']);
      assert.deepEqual(driver.replies(thread), ['First answer.', 'Second answer.']);
    });

    test('exactly one reply per inbound message', async () => {
      openai.script({ text: 'One.' }, { text: 'Two.' }, { text: 'Three (must not be used).' });
      const thread = await driver.startConversation('hello');
      await driver.continueConversation(thread, 'and again');
      if (driver.redeliverLast) {
        await driver.redeliverLast();
        await driver.idle();
      }
      assert.deepEqual(driver.replies(thread), ['One.', 'Two.']);
      assert.equal(openai.requests.length, 2);
    });

    // Decided up front: a test skipped from inside would skip this file's afterEach on Node 20, leaking the fakes.
    const selfSkip = can.receiveOwnMessages ? false : `${name} never receives its own output as input`;
    test('the bot never answers itself', { skip: selfSkip }, async () => {
      assert.ok(driver.ownMessage, 'a driver that can receive its own messages delivers one');
      openai.script({ text: 'Hello!' }, { text: 'Yes, still here.' });
      const thread = await driver.startConversation('hi');
      await driver.ownMessage!(thread, 'Hello!');
      // A person's message after it: once that is answered, the bot's own message has surely been seen and skipped.
      await driver.continueConversation(thread, 'still there?');
      assert.deepEqual(driver.replies(thread), ['Hello!', 'Yes, still here.']);
      assert.equal(openai.requests.length, 2);
      const said = (await driver.app.service.loadState(thread)).history
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
      assert.deepEqual(said, ['hi', 'still there?']);
    });

    test('a failed turn becomes a short apology', async () => {
      openai.script({ status: 500, error: 'the model is down' });
      const thread = await driver.startConversation('where is my order ORD-1001?');
      const [reply, ...more] = driver.replies(thread);
      assert.equal(more.length, 0);
      assert.match(reply ?? '', /^Sorry, I can't reach my language model right now/);
    });
  });
}
