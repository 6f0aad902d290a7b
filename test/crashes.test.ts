import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { ChildReplica } from './childReplica.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { FakeOpenAI, REDIS_URL, tempDir, waitFor } from './harness.js';
import { type BotMessage, CHANNEL, mentionEvent, SlackSession, threadMessages } from './slackHarness.js';

const ANSWER = 'Here is the answer you asked for.';

/** A reply once it is whole: its last message carries the agent's name in a context block. */
const finished = (reply: BotMessage | undefined) => (reply?.blocks ? reply : undefined);

/** A thread ts no other test (or rerun on the same Redis) uses. */
function freshTs(): string {
  return `${1740000000 + Math.floor(Math.random() * 1_000_000)}.000100`;
}

describe('crashes and shutdowns mid-turn lose nothing and answer once', () => {
  let slack: FakeSlack;
  let openai: FakeOpenAI;
  let data: ReturnType<typeof tempDir>;
  let release: () => void;
  const children: ChildReplica[] = [];

  before(async () => {
    slack = await new FakeSlack().start();
    openai = await new FakeOpenAI().start();
  });
  after(async () => {
    await slack.close();
    await openai.close();
  });
  afterEach(async () => {
    release();
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    data.remove();
  });

  /** The first model call waits until `release()`; every later call answers at once. */
  function holdFirstModelCall(): void {
    openai.reset();
    const held = new Promise<void>((resolve) => (release = resolve));
    openai.script(async () => {
      await held;
      return { text: 'An answer from a replica that should be gone.' };
    });
    openai.respondWith(() => ({ text: ANSWER }));
    data = tempDir();
  }

  async function child(env: Record<string, string>): Promise<ChildReplica> {
    const replica = await ChildReplica.start(slack, openai, { LOG_LEVEL: 'info', ...env });
    children.push(replica);
    return replica;
  }

  test('a replica killed with SIGKILL mid-turn: the other replica completes the turn once the lock expires, with one reply', async () => {
    holdFirstModelCall();
    const namespace = `kill-${randomUUID()}`;
    const env = { STORE_URL: REDIS_URL, STORE_NAMESPACE: namespace, THREAD_LOCK_TTL: '1s', DATA_DIR: data.dir };
    const doomed = await child(env);
    const survivor = await SlackSession.start(slack, openai, {
      dataDir: data.dir,
      namespace,
      env: { STORE_URL: REDIS_URL, THREAD_LOCK_TTL: '1s' },
    });
    try {
      const ts = freshTs();
      assert.equal(await doomed.deliver(mentionEvent(`<@${BOT_USER_ID}> where is my refund?`, { ts })), 200);
      await waitFor(() => openai.requests.length === 1, 'the doomed replica to call the model');
      doomed.kill('SIGKILL');
      const killedAt = Date.now();
      await doomed.exited;
      const reply = await waitFor(
        () => finished(threadMessages(slack, CHANNEL, ts)[0]),
        'the survivor to answer',
        20_000,
      );
      const tookMs = Date.now() - killedAt;
      await survivor.idle();
      await survivor.app.service.recover();
      assert.deepEqual(
        threadMessages(slack, CHANNEL, ts).map((m) => m.text),
        [ANSWER],
        'exactly one reply',
      );
      assert.equal(reply.text, ANSWER);
      assert.equal(openai.requests.length, 2, 'the turn ran again on the survivor, once');
      const state = await survivor.app.service.loadState(`slack:T0TEAM0001:${CHANNEL}:${ts}`);
      assert.deepEqual(
        state.history.map((m) => m.content),
        ['where is my refund?', ANSWER],
      );
      console.log(
        `# SIGKILL mid-turn: the survivor answered ${tookMs} ms after the kill (lock TTL 1000 ms); 1 reply, 2 model calls`,
      );
    } finally {
      await survivor.stop();
    }
  });

  test('SIGTERM during a turn: the turn completes and is posted before the process exits', async () => {
    holdFirstModelCall();
    const namespace = `term-${randomUUID()}`;
    const replica = await child({
      STORE_URL: REDIS_URL,
      STORE_NAMESPACE: namespace,
      DATA_DIR: data.dir,
      SHUTDOWN_DEADLINE: '30s',
    });
    const ts = freshTs();
    await replica.deliver(mentionEvent(`<@${BOT_USER_ID}> cancel my order`, { ts }));
    await waitFor(() => openai.requests.length === 1, 'the model call');
    replica.kill('SIGTERM');
    await waitFor(() => replica.logs('shutdown').length === 1, 'the shutdown to begin');
    release();
    assert.equal(await replica.exited, 0);
    assert.deepEqual(
      threadMessages(slack, CHANNEL, ts).map((m) => m.text),
      ['An answer from a replica that should be gone.'],
    );
    assert.equal(replica.logs('shutdown.deadline').length, 0);
    assert.equal(openai.requests.length, 1);
  });

  test('SIGTERM past the shutdown deadline, without Redis: the message waits in the SQLite file and is answered after a restart', async () => {
    holdFirstModelCall();
    const env = { DATA_DIR: data.dir, SHUTDOWN_DEADLINE: '200ms' };
    const first = await child(env);
    const ts = freshTs();
    await first.deliver(mentionEvent(`<@${BOT_USER_ID}> is the outage fixed?`, { ts }));
    await waitFor(() => openai.requests.length === 1, 'the model call');
    first.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.equal(first.logs('shutdown.deadline').length, 1, 'the turn was left to be resumed');
    assert.equal(threadMessages(slack, CHANNEL, ts).length, 0, 'nothing was posted');

    const restarted = await child(env);
    const reply = await waitFor(
      () => finished(threadMessages(slack, CHANNEL, ts)[0]),
      'the restarted bot to answer',
      20_000,
    );
    assert.equal(reply.text, ANSWER);
    restarted.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
    assert.deepEqual(
      threadMessages(slack, CHANNEL, ts).map((m) => m.text),
      [ANSWER],
      'exactly one reply',
    );
    assert.equal(openai.requests.length, 2);
  });

  test('SIGKILL without Redis: the restarted bot answers the message from the SQLite file once the lock expires', async () => {
    holdFirstModelCall();
    const env = { DATA_DIR: data.dir, THREAD_LOCK_TTL: '1s' };
    const first = await child(env);
    const ts = freshTs();
    await first.deliver(mentionEvent(`<@${BOT_USER_ID}> my invoice is wrong`, { ts }));
    await waitFor(() => openai.requests.length === 1, 'the model call');
    first.kill('SIGKILL');
    await first.exited;
    const restarted = await child(env);
    const reply = await waitFor(
      () => finished(threadMessages(slack, CHANNEL, ts)[0]),
      'the restarted bot to answer',
      20_000,
    );
    assert.equal(reply.text, ANSWER);
    restarted.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
    assert.deepEqual(
      threadMessages(slack, CHANNEL, ts).map((m) => m.text),
      [ANSWER],
    );
    assert.equal(openai.requests.length, 2);
  });
});
