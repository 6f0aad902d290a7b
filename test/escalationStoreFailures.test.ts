import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { EscalationBench, STAFF_CHANNEL, scriptEscalation, slackThread } from './escalationHarness.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { suiteFakeOpenAI, tempDir } from './harness.js';
import { CHANNEL, threadMessages } from './slackHarness.js';

describe('escalation: the store failing around an escalating turn', () => {
  const openai = suiteFakeOpenAI();

  /** Escalates on a bench whose store fails as `failures` says; returns what the customer saw and the saved state. */
  async function escalateWith(failures: { listing?: boolean; cardRecord?: boolean }) {
    const slack = await new FakeSlack().start();
    const data = tempDir();
    const failOnce = { listing: failures.listing ?? false, cardRecord: failures.cardRecord ?? false };
    const bench = await EscalationBench.start({
      slack,
      openai,
      dataDir: data.dir,
      wrapStore: (store) => ({
        ...store,
        sets: {
          ...store.sets,
          add: async (set, member) => {
            if (failOnce.listing) {
              failOnce.listing = false;
              throw new Error('store unreachable');
            }
            return store.sets.add(set, member);
          },
        },
        threads: {
          ...store.threads,
          set: async (key, value, ttlMs) => {
            // The second save of an escalating turn is the one that records the posted card.
            const card = (value as { escalation?: { staffThread?: unknown } }).escalation?.staffThread;
            if (card && failOnce.cardRecord) {
              failOnce.cardRecord = false;
              throw new Error('store unreachable');
            }
            return store.threads.set(key, value, ttlMs);
          },
        },
      }),
    });
    try {
      scriptEscalation(openai);
      const ts = await bench.slackSession.mention(
        `<@${BOT_USER_ID}> I need a refund for ORD-1001, it arrived 40 days ago`,
      );
      await bench.idle();
      const thread = slackThread(CHANNEL, ts);
      const seen = threadMessages(slack, CHANNEL, ts).map((m) => m.text);
      const state = await bench.state(thread);
      const cards = slack.callsTo('chat.postMessage').filter((c) => c.args.channel === STAFF_CHANNEL).length;
      const open = await bench.app.store.sets.members('escalation:open');
      return { seen, state, cards, open, thread, failOnce };
    } finally {
      await bench.stop();
      await slack.close();
      data.remove();
    }
  }

  test('listing the escalation for the sweep fails: the customer is still told, the turn saved and the card posted', async () => {
    const { seen, state, cards, open, failOnce } = await escalateWith({ listing: true });
    assert.equal(failOnce.listing, false, 'the listing did fail');
    assert.deepEqual(seen, [ESCALATED_REPLY]);
    assert.ok(state.escalation?.staffThread, 'saved, with its card');
    assert.equal(cards, 1);
    assert.deepEqual(open, [], 'only the listing was lost');
  });

  test('recording the posted card fails: the customer still gets the answer, not an apology, and the escalation stays listed', async () => {
    const { seen, state, cards, open, thread, failOnce } = await escalateWith({ cardRecord: true });
    assert.equal(failOnce.cardRecord, false, 'the record did fail');
    assert.deepEqual(seen, [ESCALATED_REPLY]);
    assert.ok(state.escalation, 'the turn is saved as escalated');
    assert.equal(state.escalation.staffThread, null, 'without its card, so the sweep posts it');
    assert.equal(state.lastAnswer?.status, 'answered');
    assert.equal(cards, 1);
    assert.deepEqual(open, [thread]);
  });
});
