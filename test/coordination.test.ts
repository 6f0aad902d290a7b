import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, test } from 'node:test';
import { createClient } from '@keyv/redis';
import { decodeInboxMessage, type InboxMessage } from '../src/conversation/inbox.js';
import { createStore, type Store } from '../src/conversation/store.js';
import { OpenEscalations } from '../src/escalation/openEscalations.js';
import { createLogger } from '../src/log.js';
import { REDIS_URL, tempDir, waitFor } from './harness.js';

const DEDUPE_TTL_MS = 60_000;
const LONG_LOCK_TTL_MS = 30_000;
const SHORT_LOCK_TTL_MS = 200;
/** Redis judges expiry by its own clock reading; allow for it to differ from ours by a few ms. */
const CLOCK_SLACK_MS = 25;
const EXPIRY_DEADLINE_MS = 10_000;

const message = (thread: string, id: string, sentAt: number, extra: Partial<InboxMessage> = {}): InboxMessage => ({
  id,
  thread,
  userId: 'U0123ABCD',
  text: `text of ${id}`,
  sentAt,
  ...extra,
});

const newThread = () => `slack:T0123ABCD:C0123ABCD:${randomUUID()}`;

/**
 * The inbox and lock contract every store backend must meet. `makeStore(namespace)` opens a store on the
 * backend's shared data: two calls with the same namespace are two replicas (or a restart), different
 * namespaces are different deployments.
 */
function describeCoordination(name: string, makeStore: (namespace: string) => Store) {
  describe(`${name}: thread inbox and locks`, () => {
    const opened: Store[] = [];
    const open = (namespace: string = randomUUID()): Store => {
      const store = makeStore(namespace);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    test('admit takes a message id once, even when ten admits from two replicas race', async () => {
      const namespace = randomUUID();
      const [a, b] = [open(namespace), open(namespace)];
      const thread = newThread();
      const first = message(thread, 'msg-1', 1_000);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).inbox.admit(first, DEDUPE_TTL_MS)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await a.inbox.admit(first, DEDUPE_TTL_MS), false);
      assert.equal(
        await b.inbox.admit(message(thread, 'msg-2', 2_000), DEDUPE_TTL_MS),
        true,
        'another id is independent',
      );
      assert.deepEqual(await a.inbox.waitingThreads(10), [thread]);
      assert.equal((await a.inbox.head(thread))?.id, 'msg-1');
      await a.inbox.complete(thread, 'msg-1', 'no-lock-owner');
      assert.equal((await b.inbox.head(thread))?.id, 'msg-2', 'the message was waiting once, not once per admit');
    });

    test('a message admitted again after its dedupe mark expired still waits only once', async () => {
      const { inbox } = open();
      const thread = newThread();
      const redelivered = message(thread, 'msg-1', 1_000);
      assert.equal(await inbox.admit(redelivered, 1), true);
      await waitFor(() => inbox.admit(redelivered, DEDUPE_TTL_MS), 'the dedupe mark to expire', EXPIRY_DEADLINE_MS);
      assert.equal((await inbox.head(thread))?.id, 'msg-1');
      assert.equal(await inbox.complete(thread, 'msg-1', 'no-lock-owner'), undefined);
      assert.equal(await inbox.head(thread), undefined);
      assert.deepEqual(await inbox.waitingThreads(10), []);
    });

    test('head is the oldest message by sentAt, then by id, and decodes to the message as admitted', async () => {
      const { inbox } = open();
      const thread = newThread();
      const latest = message(thread, 'msg-0', 3_000);
      const tiedLater = message(thread, 'msg-2', 1_000, {
        userName: 'Ada',
        replyContext: { teamId: 'T0123ABCD', channel: 'C0123ABCD' },
      });
      const tiedFirst = message(thread, 'msg-1', 1_000, { decision: { approvalId: 'appr-1', approve: false } });
      for (const m of [latest, tiedLater, tiedFirst]) assert.equal(await inbox.admit(m, DEDUPE_TTL_MS), true);
      for (const expected of [tiedFirst, tiedLater, latest]) {
        assert.deepEqual(await inbox.waitingThreads(10), [thread]);
        const head = await inbox.head(thread);
        assert.equal(head?.id, expected.id);
        assert.deepEqual(decodeInboxMessage(head.body), expected);
        const next = await inbox.complete(thread, expected.id, 'no-lock-owner');
        assert.equal(next?.id, (await inbox.head(thread))?.id, 'complete returns the next head');
      }
      assert.equal(await inbox.head(thread), undefined);
      assert.deepEqual(await inbox.waitingThreads(10), [], 'an emptied thread is no longer waiting');
    });

    test('removing a message that is not the head leaves the head in place', async () => {
      const { inbox } = open();
      const thread = newThread();
      await inbox.admit(message(thread, 'msg-1', 1_000), DEDUPE_TTL_MS);
      await inbox.admit(message(thread, 'msg-2', 2_000), DEDUPE_TTL_MS);
      assert.equal((await inbox.complete(thread, 'msg-2', 'no-lock-owner'))?.id, 'msg-1');
      assert.equal((await inbox.complete(thread, 'never-admitted', 'no-lock-owner'))?.id, 'msg-1');
      assert.equal((await inbox.head(thread))?.id, 'msg-1');
      assert.deepEqual(await inbox.waitingThreads(10), [thread]);
    });

    test("completing the last message releases its holder's lock in the same step, and only its holder's", async () => {
      const { inbox, locks } = open();
      const thread = newThread();
      await inbox.admit(message(thread, 'msg-1', 1_000), DEDUPE_TTL_MS);
      await inbox.admit(message(thread, 'msg-2', 2_000), DEDUPE_TTL_MS);
      assert.equal(await locks.acquire(thread, 'holder', LONG_LOCK_TTL_MS), true);
      assert.equal((await inbox.complete(thread, 'msg-1', 'holder'))?.id, 'msg-2');
      assert.equal(await locks.acquire(thread, 'other', LONG_LOCK_TTL_MS), false, 'still held while a message waits');
      assert.equal(await inbox.complete(thread, 'msg-2', 'someone-else'), undefined);
      assert.equal(
        await locks.acquire(thread, 'other', LONG_LOCK_TTL_MS),
        false,
        "another owner's completion does not free it",
      );
      await inbox.admit(message(thread, 'msg-3', 3_000), DEDUPE_TTL_MS);
      assert.equal(await inbox.complete(thread, 'msg-3', 'holder'), undefined);
      assert.equal(
        await locks.acquire(thread, 'other', LONG_LOCK_TTL_MS),
        true,
        'free once its holder completed the last message',
      );
    });

    test('waitingThreads lists the longest-waiting thread first, at most limit, and only its own namespace', async () => {
      const [store, other] = [open(), open()];
      const [a, b, c] = [newThread(), newThread(), newThread()];
      // Admitted out of order, so a thread's place must follow its oldest message, not its first admit.
      await store.inbox.admit(message(a, 'a-late', 4_000), DEDUPE_TTL_MS);
      await store.inbox.admit(message(b, 'b-1', 2_000), DEDUPE_TTL_MS);
      await store.inbox.admit(message(a, 'a-early', 1_000), DEDUPE_TTL_MS);
      await store.inbox.admit(message(c, 'c-1', 3_000), DEDUPE_TTL_MS);
      const onlyOther = newThread();
      await other.inbox.admit(message(onlyOther, 'o-1', 500), DEDUPE_TTL_MS);
      assert.equal(
        await other.inbox.admit(message(b, 'b-1', 100), DEDUPE_TTL_MS),
        true,
        'dedupe marks are per namespace',
      );

      assert.deepEqual(await store.inbox.waitingThreads(10), [a, b, c]);
      assert.deepEqual(await store.inbox.waitingThreads(2), [a, b]);
      assert.deepEqual(await store.inbox.waitingThreads(1), [a]);
      assert.deepEqual(await other.inbox.waitingThreads(10), [b, onlyOther]);
      assert.equal(await store.inbox.head(onlyOther), undefined);
      assert.equal(decodeInboxMessage((await store.inbox.head(b))?.body ?? '')?.sentAt, 2_000);

      await store.inbox.complete(a, 'a-early', 'no-lock-owner');
      assert.deepEqual(
        await store.inbox.waitingThreads(10),
        [b, c, a],
        'a thread moves back to its next oldest message',
      );
      await other.inbox.complete(b, 'b-1', 'no-lock-owner');
      assert.equal((await store.inbox.head(b))?.id, 'b-1', "removing from one namespace leaves the other's message");
    });

    test('namespaces differing only in case are separate deployments', async () => {
      const name = `Ns${randomUUID()}`;
      const [upper, lower] = [open(name), open(name.toLowerCase())];
      const thread = newThread();
      await lower.inbox.admit(message(thread, 'lower-1', 1_000), DEDUPE_TTL_MS);
      assert.deepEqual(await upper.inbox.waitingThreads(10), []);
      assert.deepEqual(await lower.inbox.waitingThreads(10), [thread]);
    });

    test('open escalations added and removed by two replicas at once all hold (a set, not a stored list)', async () => {
      const namespace = randomUUID();
      const [a, b] = [open(namespace), open(namespace)].map((store) => new OpenEscalations(store.sets, store.records));
      const threads = Array.from({ length: 20 }, () => newThread());
      await Promise.all(threads.map((thread, i) => (i % 2 ? a : b)!.add(thread)));
      assert.deepEqual((await a!.list()).sort(), [...threads].sort());
      const [gone, kept] = [threads.slice(0, 10), threads.slice(10)];
      await Promise.all([...gone.map((thread, i) => (i % 2 ? b : a)!.remove(thread)), a!.add(kept[0]!)]);
      assert.deepEqual((await b!.list()).sort(), [...kept].sort());
      assert.deepEqual(await open().sets.members('escalation:open'), [], 'another deployment has its own set');
    });

    test('an open-escalation list stored by an earlier version is moved into the set', async () => {
      const store = open();
      const [first, second, third] = [newThread(), newThread(), newThread()];
      await store.records.set('escalation:open', [first, second]);
      const escalations = new OpenEscalations(store.sets, store.records);
      await escalations.add(third);
      assert.deepEqual((await escalations.list()).sort(), [first, second, third].sort());
      assert.equal(await store.records.get('escalation:open'), undefined, 'the old list is gone once moved');
      await escalations.remove(first);
      assert.deepEqual((await new OpenEscalations(store.sets, store.records).list()).sort(), [second, third].sort());
    });

    test('a lock has one owner; only that owner renews or releases it', async () => {
      const namespace = randomUUID();
      const [a, b] = [open(namespace), open(namespace)];
      const thread = newThread();
      assert.equal(await a.locks.acquire(thread, 'owner-a', LONG_LOCK_TTL_MS), true);
      assert.equal(await b.locks.acquire(thread, 'owner-b', LONG_LOCK_TTL_MS), false);
      assert.equal(
        await b.locks.acquire(newThread(), 'owner-b', LONG_LOCK_TTL_MS),
        true,
        "another thread's lock is independent",
      );

      await b.locks.release(thread, 'owner-b');
      assert.equal(
        await b.locks.acquire(thread, 'owner-b', LONG_LOCK_TTL_MS),
        false,
        "a non-owner's release frees nothing",
      );
      assert.equal(await b.locks.renew(thread, 'owner-b', LONG_LOCK_TTL_MS), false);
      assert.equal(await a.locks.renew(thread, 'owner-a', LONG_LOCK_TTL_MS), true);

      await a.locks.release(thread, 'owner-a');
      assert.equal(
        await b.locks.acquire(thread, 'owner-b', LONG_LOCK_TTL_MS),
        true,
        "the owner's release frees it at once",
      );
      assert.equal(await a.locks.renew(thread, 'owner-a', LONG_LOCK_TTL_MS), false);
    });

    test('a lock that is not renewed expires and is taken over; the old owner then cannot renew or release it', async () => {
      const namespace = randomUUID();
      const [a, b] = [open(namespace), open(namespace)];
      const thread = newThread();
      const acquiredAt = Date.now();
      assert.equal(await a.locks.acquire(thread, 'owner-a', SHORT_LOCK_TTL_MS), true);
      // (That B cannot take a held lock is the test above, with a TTL no stall can outlast.)
      await waitFor(
        () => b.locks.acquire(thread, 'owner-b', LONG_LOCK_TTL_MS),
        'the expired lock to be taken over',
        EXPIRY_DEADLINE_MS,
      );
      const waitedMs = Date.now() - acquiredAt;
      assert.ok(
        waitedMs >= SHORT_LOCK_TTL_MS - CLOCK_SLACK_MS,
        `taken over after ${waitedMs} ms, before its ${SHORT_LOCK_TTL_MS} ms TTL`,
      );

      assert.equal(await a.locks.renew(thread, 'owner-a', LONG_LOCK_TTL_MS), false);
      await a.locks.release(thread, 'owner-a');
      assert.equal(
        await a.locks.acquire(thread, 'owner-c', LONG_LOCK_TTL_MS),
        false,
        "the new owner's lock still holds",
      );
      assert.equal(await b.locks.renew(thread, 'owner-b', LONG_LOCK_TTL_MS), true);
    });

    test('a reopened store still has the waiting messages, the dedupe marks and the locks (crash recovery)', async () => {
      const namespace = randomUUID();
      const thread = newThread();
      const waiting = message(thread, 'msg-1', 1_000, { replyContext: { teamId: 'T0123ABCD' } });
      const crashed = makeStore(namespace);
      try {
        assert.equal(await crashed.inbox.admit(waiting, DEDUPE_TTL_MS), true);
        assert.equal(await crashed.locks.acquire(thread, 'owner-a', LONG_LOCK_TTL_MS), true);
      } finally {
        await crashed.close();
      }

      const restarted = open(namespace);
      assert.deepEqual(await restarted.inbox.waitingThreads(10), [thread]);
      const head = await restarted.inbox.head(thread);
      assert.equal(head?.id, 'msg-1');
      assert.deepEqual(decodeInboxMessage(head.body), waiting);
      assert.equal(
        await restarted.inbox.admit(waiting, DEDUPE_TTL_MS),
        false,
        'a redelivery after the restart is still a duplicate',
      );
      assert.equal(
        await restarted.locks.acquire(thread, 'owner-b', LONG_LOCK_TTL_MS),
        false,
        'the lock outlives its process until its TTL',
      );
      assert.equal(await restarted.locks.renew(thread, 'owner-a', LONG_LOCK_TTL_MS), true);
    });
  });
}

const log = createLogger({ level: 'silent' });

const sqliteData = tempDir();
after(() => sqliteData.remove());
describeCoordination('SQLite', (namespace) => createStore({ url: undefined, dataDir: sqliteData.dir, namespace }, log));

// Redis is required, not skipped: an unreachable REDIS_URL fails these tests.
const redisPrefix = `switchboard-test-${randomUUID()}`;
after(async () => {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${redisPrefix}*` })) if (keys.length) await client.del(keys);
  await client.quit();
});
describeCoordination('Redis', (namespace) =>
  createStore({ url: REDIS_URL, dataDir: '.', namespace: `${redisPrefix}-${namespace}` }, log),
);
