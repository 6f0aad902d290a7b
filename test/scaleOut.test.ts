import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@keyv/redis';
import { encodeInboxMessage } from '../src/conversation/inbox.js';
import { createLogger } from '../src/log.js';
import { RedisProxy } from './fakes/redisProxy.js';
import { BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { FakeOpenAI, REDIS_URL, tempDir, waitFor } from './harness.js';
import { CHANNEL, CUSTOMER, mentionEvent, messageEvent, SlackSession, threadMessages } from './slackHarness.js';

/** The text of the newest user message the model was sent. */
function lastUserText(request: FakeOpenAI['requests'][number]): string {
  return [...request.body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** A thread's parent ts for thread `t`, unique per run so reruns on one Redis never meet. */
function threadTs(run: number, t: number): string {
  return `${1720000000 + run}.${String((t + 1) * 1000).padStart(6, '0')}`;
}

// One fake Slack, fake model and data dir for the file; every test resets the model and uses its own thread ts.
let slack: FakeSlack;
let openai: FakeOpenAI;
let data: ReturnType<typeof tempDir>;

before(async () => {
  slack = await new FakeSlack().start();
  openai = await new FakeOpenAI().start();
  data = tempDir();
});
after(async () => {
  await slack.close();
  await openai.close();
  data.remove();
});

describe('replicas on one Redis: every message answered exactly once, in order', () => {
  test('200 messages over 50 threads, delivered concurrently to two replicas', async () => {
    openai.reset();
    openai.respondWith((request) => ({ text: `Answer to ${lastUserText(request)}.` }));
    const options = { dataDir: data.dir, namespace: `scale-${randomUUID()}`, env: { STORE_URL: REDIS_URL } };
    const replicas = [
      await SlackSession.start(slack, openai, options),
      await SlackSession.start(slack, openai, options),
    ];
    const threads = 50;
    const perThread = 4;
    const run = Math.floor(Math.random() * 1000);
    const started = performance.now();
    try {
      // Each thread's messages go out one after another (each acked before the next, as Slack does), alternating
      // between the replicas; the threads all run at once. The first mentions the bot; follow-ups do not.
      await Promise.all(
        Array.from({ length: threads }, async (_, t) => {
          const parent = threadTs(run, t);
          for (let m = 0; m < perThread; m++) {
            const text = `t${t}-m${m}`;
            const ts = m === 0 ? parent : `${parent.slice(0, -3)}${String(m).padStart(3, '0')}`;
            const event =
              m === 0
                ? mentionEvent(`<@${BOT_USER_ID}> ${text}`, { ts })
                : messageEvent(text, { ts, threadTs: parent });
            assert.equal(await replicas[(t + m) % 2]!.deliver(event), 200);
          }
        }),
      );
      const total = threads * perThread;
      await waitFor(
        () =>
          Array.from({ length: threads }, (_, t) => threadMessages(slack, CHANNEL, threadTs(run, t)).length).reduce(
            (a, b) => a + b,
          ) >= total,
        'every reply',
        60_000,
      );
      for (const replica of replicas) await replica.idle();
      const elapsed = performance.now() - started;
      for (let t = 0; t < threads; t++) {
        const replies = threadMessages(slack, CHANNEL, threadTs(run, t)).map((m) => m.text);
        assert.deepEqual(
          replies,
          Array.from({ length: perThread }, (_, m) => `Answer to t${t}-m${m}.`),
          `thread ${t}: one reply per message, in order`,
        );
      }
      assert.equal(openai.requests.length, total, 'one model call per message: no turn ran twice');
      const answeredBy = await Promise.all(
        replicas.map(async (r) =>
          Number(/^switchboard_turns_total\{status="answered"\} (\d+)$/m.exec(await r.app.metrics.metrics())?.[1] ?? 0),
        ),
      );
      assert.equal(answeredBy[0]! + answeredBy[1]!, total);
      console.log(
        `# scale-out: ${total} messages / ${threads} threads / 2 replicas → ${total} replies in order, ${openai.requests.length} model calls, answered ${answeredBy.join(' + ')} by replica, ${Math.round(elapsed)} ms`,
      );
    } finally {
      for (const replica of replicas) await replica.stop();
    }
  });

  test('a turn that outlasts the lock TTL keeps its lock and is not run twice', async () => {
    openai.reset();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    openai.script(async () => {
      await held;
      return { text: 'The slow answer.' };
    });
    openai.respondWith(() => ({ text: 'A second run of the turn.' }));
    const namespace = `ttl-${randomUUID()}`;
    // Long enough that a loaded machine (the suite runs files in parallel) does not stall past it between renewals:
    // at 300 ms the lock once expired under load before the first check.
    const ttlMs = 1000;
    const options = { dataDir: data.dir, namespace, env: { STORE_URL: REDIS_URL, THREAD_LOCK_TTL: `${ttlMs}ms` } };
    const [slow, other] = [
      await SlackSession.start(slack, openai, options),
      await SlackSession.start(slack, openai, options),
    ];
    // The other replica looks for orphaned work only when told (below): its timed pass could otherwise find the
    // message between its admission and the receiving replica taking the lock, and answer it itself.
    other.app.service.stopRecovery();
    await other.app.service.drain();
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const ts = threadTs(Math.floor(Math.random() * 1000), 60);
      await slow.deliver(mentionEvent(`<@${BOT_USER_ID}> a slow question`, { ts }));
      await waitFor(() => openai.requests.length === 1, 'the model call');
      const lockKey = `${namespace}:lock:slack:T0TEAM0001:${CHANNEL}:${ts}`;
      const holder = await redis.get(lockKey);
      assert.ok(holder?.startsWith(slow.app.gate.processId), 'the receiving replica holds the thread');
      // The model keeps thinking while the holder renews the lock 6 times (every third of the TTL: two TTLs in
      // all), seen as its remaining time going back up; the other replica looks for orphaned work meanwhile.
      const since = Date.now();
      let renewals = 0;
      let remainingMs = Number.POSITIVE_INFINITY;
      await waitFor(async () => {
        const now = await redis.pTTL(lockKey);
        if (now > remainingMs) renewals += 1;
        remainingMs = now;
        return renewals >= 6;
      }, 'six renewals of the lock');
      await other.app.service.recover();
      assert.equal(await redis.get(lockKey), holder, 'the lock was renewed, never taken over');
      assert.equal(openai.requests.length, 1, 'the other replica did not start the same turn');
      release();
      await waitFor(() => threadMessages(slack, CHANNEL, ts).length === 1, 'the reply');
      await Promise.all([slow.idle(), other.idle(), other.app.service.recover()]);
      assert.deepEqual(
        threadMessages(slack, CHANNEL, ts).map((m) => m.text),
        ['The slow answer.'],
      );
      assert.equal(openai.requests.length, 1);
      assert.equal(await redis.get(lockKey), null, 'released after the turn');
      console.log(`# lock TTL: a turn of ${Date.now() - since} ms under a ${ttlMs} ms TTL ran once, 1 reply`);
    } finally {
      release();
      await redis.close();
      await slow.stop();
      await other.stop();
    }
  });
});

describe('a staff action holding a thread on one replica', () => {
  test('a customer message that reached the other replica meanwhile is answered as soon as the action ends', async () => {
    openai.reset();
    openai.respondWith((request) => ({ text: `Answer to ${lastUserText(request)}.` }));
    // The default TTL: a recovery pass (every 15 s) would come too late for the wait below.
    const options = { dataDir: data.dir, namespace: `handover-${randomUUID()}`, env: { STORE_URL: REDIS_URL } };
    const [customerSide, staffSide] = [
      await SlackSession.start(slack, openai, options),
      await SlackSession.start(slack, openai, options),
    ];
    try {
      const ts = '1760000000.000100';
      const thread = `slack:${TEAM_ID}:${CHANNEL}:${ts}`;
      await staffSide.app.gate.run(thread, async () => {
        await customerSide.deliver(mentionEvent(`<@${BOT_USER_ID}> are you there?`, { ts }));
        await customerSide.idle();
        assert.equal(threadMessages(slack, CHANNEL, ts).length, 0, 'the message waits while the thread is held');
      });
      await waitFor(() => threadMessages(slack, CHANNEL, ts)[0], 'the answer after the staff action', 5_000);
      await staffSide.idle();
      await staffSide.app.service.drain();
      assert.deepEqual(
        threadMessages(slack, CHANNEL, ts).map((m) => m.text),
        ['Answer to are you there?.'],
      );
    } finally {
      await customerSide.stop();
      await staffSide.stop();
    }
  });
});

describe('Redis goes away and comes back', () => {
  test('turns fail visibly with a clear log line while it is down, and work again once it is back', async () => {
    openai.reset();
    const proxy = await new RedisProxy(new URL(REDIS_URL)).start();
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      destination: new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }),
    });
    openai.respondWith((request) => ({ text: `Answer to ${lastUserText(request)}.` }));
    const session = await SlackSession.start(slack, openai, {
      dataDir: data.dir,
      namespace: `outage-${randomUUID()}`,
      env: { STORE_URL: proxy.url },
      log,
    });
    try {
      const [before, during, afterwards] = ['1730000000.000100', '1730000000.000200', '1730000000.000300'];
      await session.deliver(mentionEvent(`<@${BOT_USER_ID}> first`, { ts: before }));
      await waitFor(() => threadMessages(slack, CHANNEL, before).length === 1, 'the first reply');

      proxy.cut();
      await session.deliver(mentionEvent(`<@${BOT_USER_ID}> second`, { ts: during }));
      const apology = await waitFor(() => threadMessages(slack, CHANNEL, during)[0], 'the apology while Redis is down');
      assert.match(apology.text, /something went wrong on my side/);
      await session.idle();
      const failures = lines
        .map((l) => JSON.parse(l) as { msg: string; err?: { message?: string } })
        .filter((l) => l.msg === 'turn.failed');
      assert.ok(failures.length >= 1 && failures[0]!.err?.message, 'a turn.failed line with the cause');
      assert.equal(openai.requests.length, 1, 'no model call without a store');

      proxy.restore();
      // The client reconnects on its own; the next message is answered as usual.
      const delivered = Date.now();
      await waitFor(
        async () => {
          await session.deliver(mentionEvent(`<@${BOT_USER_ID}> third`, { ts: afterwards }), {
            eventId: `Ev-after-${randomUUID()}`,
          });
          await session.idle();
          return threadMessages(slack, CHANNEL, afterwards).some((m) => m.text === 'Answer to third.');
        },
        'an answer after Redis is back',
        20_000,
      );
      const state = await session.app.service.loadState(`slack:T0TEAM0001:${CHANNEL}:${before}`);
      assert.deepEqual(
        state.history.map((m) => m.content),
        ['first', 'Answer to first.'],
        'the first thread kept its state',
      );
      console.log(
        `# redis outage: apology while down (${failures.length} turn.failed lines), answered again ${Date.now() - delivered} ms after Redis returned`,
      );
    } finally {
      await session.stop();
      await proxy.close();
    }
  });
});

describe('resuming a message whose turn was saved before its replica died', () => {
  test('a saved turn is posted, not run again; a reply already posted is finished in place, not posted twice', async () => {
    openai.reset();
    const namespace = `resume-${randomUUID()}`;
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    openai.respondWith((request) => ({ text: `Answer to ${lastUserText(request)}.` }));
    const session = await SlackSession.start(slack, openai, {
      dataDir: data.dir,
      namespace,
      env: { STORE_URL: REDIS_URL },
    });
    /** Puts a message back in its thread's inbox, as a replica killed before it could complete the message leaves it. */
    const leaveInInbox = async (thread: string, id: string, text: string, sentAt: number) => {
      const body = encodeInboxMessage({
        id,
        thread,
        userId: CUSTOMER,
        text,
        sentAt,
        replyContext: { userTeam: TEAM_ID },
      });
      await redis.zAdd(`${namespace}:inbox:${thread}`, { score: sentAt, value: id });
      await redis.hSet(`${namespace}:inbox-body:${thread}`, id, body);
      await redis.zAdd(`${namespace}:inbox-threads`, { score: sentAt, value: thread });
    };
    try {
      // Killed after posting the reply, before dropping the message from the inbox.
      const posted = '1750000000.000100';
      const postedThread = `slack:${TEAM_ID}:${CHANNEL}:${posted}`;
      await session.deliver(mentionEvent(`<@${BOT_USER_ID}> first question`, { ts: posted }));
      await waitFor(() => threadMessages(slack, CHANNEL, posted).some((m) => m.blocks), 'the first reply');
      await session.idle();
      await leaveInInbox(postedThread, `slack:${TEAM_ID}:${CHANNEL}:${posted}`, 'first question', 1_750_000_000_000);

      // Killed after saving the turn, before posting anything.
      const unposted = '1750000000.000200';
      const unpostedThread = `slack:${TEAM_ID}:${CHANNEL}:${unposted}`;
      const id = `slack:${TEAM_ID}:${CHANNEL}:${unposted}`;
      const state = await session.app.service.loadState(unpostedThread);
      state.history.push(
        { role: 'user', content: 'second question' },
        { role: 'assistant', content: 'The saved answer.', agent: 'triage' },
      );
      state.lastAnswer = { message: id, status: 'answered', reply: 'The saved answer.', agent: 'Triage' };
      await session.app.store.threads.set(unpostedThread, state);
      await leaveInInbox(unpostedThread, id, 'second question', 1_750_000_000_100);

      await session.app.service.recover();
      await session.idle();
      assert.deepEqual(
        threadMessages(slack, CHANNEL, posted).map((m) => m.text),
        ['Answer to first question.'],
        'finished in place: still one reply',
      );
      assert.deepEqual(
        threadMessages(slack, CHANNEL, unposted).map((m) => m.text),
        ['The saved answer.'],
        'the saved outcome, posted once',
      );
      assert.equal(openai.requests.length, 1, 'neither turn ran again');
      assert.deepEqual(await session.app.store.inbox.waitingThreads(10), [], 'both messages completed');
      assert.deepEqual(
        (await session.app.service.loadState(postedThread)).history.map((m) => m.content),
        ['first question', 'Answer to first question.'],
        'history not doubled',
      );
    } finally {
      await session.stop();
      await redis.close();
    }
  });
});
