import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Config, loadConfig } from '../src/config.js';
import type { InboxMessage, ThreadInbox } from '../src/conversation/inbox.js';
import { MAX_REPLY_FAILURES, type Respond, type TurnOutcome } from '../src/conversation/service.js';
import { createStore, type Store } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { type App, createApp, createModel } from '../src/main.js';
import type { ModelProvider } from '../src/model/types.js';
import { tempDir } from './harness.js';

/**
 * Replicas here are apps in this process, each with its own connection to one SQLite file (as two processes
 * sharing the file would be), answered by the offline engine.
 */
describe('messages waiting in the inbox', () => {
  const data = tempDir();
  const apps: App[] = [];
  let config: Config;
  let provider: ModelProvider;
  before(async () => {
    config = loadConfig({ MODEL_PROVIDER: 'offline', DATA_DIR: data.dir });
    ({ provider } = await createModel(config, createLogger({ level: 'silent' })));
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    data.remove();
  });

  const replica = (namespace: string, wrap: (store: Store) => Store = (store) => store): App => {
    const log = createLogger({ level: 'silent' });
    const app = createApp(config, log, { provider, store: wrap(createStore({ ...config.store, namespace }, log)) });
    apps.push(app);
    return app;
  };
  const message = (thread: string, text: string): InboxMessage => ({
    id: `m-${randomUUID()}`,
    thread,
    userId: 'U1',
    text,
    sentAt: Date.now(),
  });

  test('a reply that fails before its turn runs leaves the message waiting; a later pass answers it, and a hopeless one is dropped after a few tries', async () => {
    const namespace = randomUUID();
    const app = replica(namespace);
    const { inbox } = app.store;
    const thread = `test:${randomUUID()}`;
    const waiting = message(thread, 'where is my order ORD-1001?');
    assert.equal(await inbox.admit(waiting, 60_000), true);
    const outcomes: TurnOutcome[] = [];
    let refusals = 1;
    // As Discord's responder fetching a channel the platform cannot serve right now.
    app.service.respondVia('test', () => async (run) => {
      if (refusals > 0) {
        refusals -= 1;
        throw new Error('channel fetch failed: 503');
      }
      const outcome = await run();
      outcomes.push(outcome);
      return outcome;
    });
    await app.service.recover();
    assert.equal((await inbox.head(thread))?.id, waiting.id, 'still waiting after the failed start');
    assert.equal(outcomes.length, 0);
    assert.equal((await app.service.loadState(thread)).history.length, 0, 'no turn ran');

    await app.service.recover();
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.status, 'answered');
    assert.match(outcomes[0]!.reply, /ORD-1001/);
    assert.equal(await inbox.head(thread), undefined, 'answered, so no longer waiting');

    const hopeless = message(`test:${randomUUID()}`, 'hello?');
    assert.equal(await inbox.admit(hopeless, 60_000), true);
    refusals = Number.POSITIVE_INFINITY;
    for (let pass = 1; pass < MAX_REPLY_FAILURES; pass++) {
      await app.service.recover();
      assert.equal((await inbox.head(hopeless.thread))?.id, hopeless.id, `still waiting after ${pass} failed starts`);
    }
    await app.service.recover();
    assert.equal(await inbox.head(hopeless.thread), undefined, `dropped after ${MAX_REPLY_FAILURES} failed starts`);
    assert.equal(outcomes.length, 1, 'the dropped message ran no turn');
  });

  test("a message reaching one replica just as the other finds its thread's inbox empty is answered, not left for recovery", async () => {
    const namespace = randomUUID();
    const thread = `test:${randomUUID()}`;
    const late = message(thread, 'are you there?');
    let delivered: Promise<TurnOutcome> | undefined;
    const answered: TurnOutcome[] = [];
    const respond: Respond = async (run) => {
      const outcome = await run();
      answered.push(outcome);
      return outcome;
    };
    // Replica B receives its message right after replica A's read of the inbox, before A's next step.
    let receiver: App | undefined;
    const deliverAfterFirstRead = (inbox: ThreadInbox): ThreadInbox => {
      const deliver = async <T>(result: T): Promise<T> => {
        if (!delivered && receiver) {
          delivered = receiver.service.handle(late, respond);
          await delivered;
        }
        return result;
      };
      return {
        ...inbox,
        head: async (t) => deliver(await inbox.head(t)),
        complete: async (t, id, owner) => deliver(await inbox.complete(t, id, owner)),
      };
    };
    const holder = replica(namespace, (store) => ({ ...store, inbox: deliverAfterFirstRead(store.inbox) }));
    receiver = replica(namespace);
    holder.service.respondVia('test', () => respond);
    receiver.service.respondVia('test', () => respond);
    // A staff action held the thread on A: as it lets go, A looks for customer messages that arrived meanwhile.
    await holder.gate.run(thread, async () => {});
    await holder.service.drain();
    assert.ok(delivered, 'the message was delivered during the drain');
    await delivered;
    await receiver.service.drain();
    assert.deepEqual(
      answered.map((o) => o.status),
      ['answered'],
      'answered once, by whichever replica, without a recovery pass',
    );
    assert.equal(await receiver.store.inbox.head(thread), undefined);
  });
});
