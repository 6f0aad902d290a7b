import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { CircuitBreaker } from '../src/model/circuitBreaker.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir } from './harness.js';

describe('model provider failures', () => {
  const fake = suiteFakeOpenAI();

  test('a 429 with Retry-After is retried after the wait, and the turn succeeds', async () => {
    const data = tempDir();
    fake.script(
      { status: 429, error: 'Rate limit reached', headers: { 'retry-after': '0' } },
      { text: 'Hello! How can I help?' },
    );
    const provider = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: fake.baseURL,
      maxRetries: 2,
      timeoutMs: 10_000,
    });
    const chat = new ConsoleSession(loadConfig({ OPENAI_BASE_URL: fake.baseURL, DATA_DIR: data.dir }), provider);
    const outcome = await chat.chat.send('hello');
    assert.equal(outcome.status, 'answered');
    assert.equal(outcome.reply, 'Hello! How can I help?');
    assert.equal(fake.requests.length, 2, 'one 429, one retry');
    await chat.close();
    data.remove();
  });

  test('the circuit breaker opens on an outage, answers fast while open, and closes after recovery', async () => {
    const data = tempDir();
    let clock = 1_000_000;
    const openai = new OpenAIProvider({
      apiKey: 'sk-test-key',
      baseURL: fake.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    });
    const breaker = new CircuitBreaker(openai, {
      failureThreshold: 3,
      cooldownMs: 30_000,
      log: createLogger({ level: 'silent' }),
      now: () => clock,
    });
    const chat = new ConsoleSession(loadConfig({ OPENAI_BASE_URL: fake.baseURL, DATA_DIR: data.dir }), breaker);
    fake.script({ status: 503, error: 'down' }, { status: 503, error: 'down' }, { status: 503, error: 'down' });
    for (let i = 0; i < 3; i++) {
      const failed = await chat.chat.send(`hello ${i}`);
      assert.equal(failed.status, 'failed');
      assert.match(failed.reply, /can't reach my language model/);
    }
    assert.equal(breaker.state, 'open');
    const fast = await chat.chat.send('anyone there?');
    assert.equal(fast.status, 'failed');
    assert.match(fast.reply, /temporarily unavailable/);
    assert.equal(fake.requests.length, 3, 'no call reached the provider while the circuit was open');

    clock += 30_000;
    assert.equal(breaker.state, 'half_open');
    fake.script({ status: 503, error: 'still down' });
    assert.equal((await chat.chat.send('now?')).status, 'failed');
    assert.equal(breaker.state, 'open', 'a failed trial opens it again');

    clock += 30_000;
    fake.script({ text: 'Back online. How can I help?' });
    const recovered = await chat.chat.send('and now?');
    assert.equal(recovered.status, 'answered');
    assert.equal(recovered.reply, 'Back online. How can I help?');
    assert.equal(breaker.state, 'closed');
    // The thread kept every message through the outage.
    const users = (await chat.state()).history.filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(users.slice(-2), ['now?', 'and now?']);
    await chat.close();
    data.remove();
  });
});
