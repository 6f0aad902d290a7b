import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deliverEvent, eventEnvelope } from './fakes/slackDelivery.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { FakeOpenAI, REDIS_URL, tempDir } from './harness.js';
import { CHANNEL, mentionEvent, SIGNING_SECRET, SlackSession, threadMessages } from './slackHarness.js';

describe('two replicas sharing Redis', () => {
  let slack: FakeSlack;
  let openai: FakeOpenAI;
  let data: ReturnType<typeof tempDir>;
  let replicas: SlackSession[];

  before(async () => {
    slack = await new FakeSlack().start();
    openai = await new FakeOpenAI().start();
    data = tempDir();
    // One deployment: both replicas use the same Redis keys, as two pods behind a load balancer would.
    const namespace = `replicas-${randomUUID()}`;
    const options = { dataDir: data.dir, namespace, env: { STORE_URL: REDIS_URL } };
    replicas = [await SlackSession.start(slack, openai, options), await SlackSession.start(slack, openai, options)];
  });
  after(async () => {
    for (const replica of replicas) await replica.stop();
    await slack.close();
    await openai.close();
    data.remove();
  });

  test('the same Slack event delivered to both replicas at once gets exactly one reply', async () => {
    openai.respondWith(() => ({ text: 'Hello! How can I help?' }));
    const rounds = 20;
    const threads: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const ts = `1720000000.${String((i + 1) * 100).padStart(6, '0')}`;
      threads.push(ts);
      const body = eventEnvelope(mentionEvent(`<@${BOT_USER_ID}> hello ${i}`, { ts }), { eventId: `Ev${i}` });
      // The load balancer retried: the same event reaches both replicas concurrently.
      const statuses = await Promise.all(
        replicas.map((replica) =>
          deliverEvent(replica.eventsUrl, body, { signingSecret: SIGNING_SECRET }).then((r) => r.status),
        ),
      );
      assert.deepEqual(statuses, [200, 200]);
    }
    await Promise.all(replicas.map((replica) => replica.idle()));
    const replies = threads.map((ts) => threadMessages(slack, CHANNEL, ts).length);
    assert.deepEqual(
      replies,
      threads.map(() => 1),
      'one reply per event',
    );
    assert.equal(openai.requests.length, rounds, 'one model call per event, not two');
    const dedupeHits = await Promise.all(
      replicas.map(
        async (replica) => /^switchboard_dedupe_hits_total (\d+)$/m.exec(await replica.app.metrics.metrics())![1],
      ),
    );
    assert.equal(
      dedupeHits.map(Number).reduce((a, b) => a + b),
      rounds,
      'every second copy was a dedupe hit',
    );
    console.log(
      `# replicas: ${rounds} events × 2 replicas → ${replies.reduce((a, b) => a + b)} replies; dedupe hits per replica ${dedupeHits.join(' / ')}`,
    );
  });
});
