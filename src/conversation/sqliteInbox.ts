import { encodeInboxMessage, type ThreadInbox, type ThreadLocks } from './inbox.js';
import type { SetStore } from './setStore.js';
import type { SqliteKeyvStore } from './sqliteStore.js';

/**
 * The inbox and the thread locks in the SQLite file, for a deployment without Redis. Several processes may
 * share the file (the bot and a console chat, or a restart overlapping its predecessor), so locks carry an
 * owner and an expiry here too, and a crashed process's messages are picked up from the file on restart.
 * Each step is atomic (a statement, or a savepoint inside the group commit), and better-sqlite3 runs it
 * synchronously, so it is also atomic within a process.
 */
export function sqliteCoordination(
  store: SqliteKeyvStore,
  namespace: string,
): { inbox: ThreadInbox; locks: ThreadLocks } {
  const { db, batch } = store;
  db.exec(`CREATE TABLE IF NOT EXISTS inbox (
    thread TEXT NOT NULL, id TEXT NOT NULL, sent_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (thread, id)
  ) WITHOUT ROWID`);
  db.exec('CREATE INDEX IF NOT EXISTS inbox_order ON inbox (thread, sent_at, id)');
  db.exec(
    'CREATE TABLE IF NOT EXISTS locks (thread TEXT PRIMARY KEY, owner TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID',
  );
  const ns = (thread: string) => `${namespace}:${thread}`;
  const strip = (key: string) => key.slice(namespace.length + 1);
  const insert = db.prepare<[string, string, number, string]>(
    'INSERT OR IGNORE INTO inbox (thread, id, sent_at, body) VALUES (?, ?, ?, ?)',
  );
  const head = db.prepare<[string], { id: string; body: string }>(
    'SELECT id, body FROM inbox WHERE thread = ? ORDER BY sent_at, id LIMIT 1',
  );
  const remove = db.prepare<[string, string]>('DELETE FROM inbox WHERE thread = ? AND id = ?');
  // An exact, case-sensitive prefix match: LIKE would let namespace `Prod` see `prod`'s threads.
  const waiting = db.prepare<[number, string, number], { thread: string }>(
    'SELECT thread FROM inbox WHERE substr(thread, 1, ?) = ? GROUP BY thread ORDER BY MIN(sent_at) LIMIT ?',
  );
  const acquire = db.prepare<[string, string, number, number], { thread: string }>(
    'INSERT INTO locks (thread, owner, expires) VALUES (?, ?, ?) ON CONFLICT(thread) DO UPDATE SET owner = excluded.owner, expires = excluded.expires WHERE locks.expires <= ? RETURNING thread',
  );
  // An expired lock stays expired, as in Redis: its owner must not revive it after stalling past the TTL.
  const renew = db.prepare<[number, string, string, number]>(
    'UPDATE locks SET expires = ? WHERE thread = ? AND owner = ? AND expires > ?',
  );
  const release = db.prepare<[string, string]>('DELETE FROM locks WHERE thread = ? AND owner = ?');
  const admit = db.transaction(
    (key: string, dedupeTtlMs: number, thread: string, id: string, sentAt: number, body: string) => {
      if (!store.claimNow(key, dedupeTtlMs)) return false;
      insert.run(thread, id, sentAt, body);
      return true;
    },
  );
  const complete = db.transaction((thread: string, id: string, lockOwner: string) => {
    remove.run(thread, id);
    const next = head.get(thread);
    if (!next) release.run(thread, lockOwner);
    return next;
  });
  const prefix = `${namespace}:`;
  return {
    inbox: {
      admit: (message, dedupeTtlMs) => {
        const body = encodeInboxMessage(message);
        return batch.run(() =>
          admit(`${namespace}:dedupe:${message.id}`, dedupeTtlMs, ns(message.thread), message.id, message.sentAt, body),
        );
      },
      head: (thread) => batch.read(() => head.get(ns(thread))),
      complete: (thread, id, lockOwner) => batch.run(() => complete(ns(thread), id, lockOwner)),
      waitingThreads: (limit) =>
        batch.read(() => waiting.all(prefix.length, prefix, limit).map((row) => strip(row.thread))),
    },
    locks: {
      acquire: (thread, owner, ttlMs) =>
        batch.run(() => {
          const now = Date.now();
          return acquire.get(ns(thread), owner, now + ttlMs, now) !== undefined;
        }),
      renew: (thread, owner, ttlMs) =>
        batch.run(() => {
          const now = Date.now();
          return renew.run(now + ttlMs, ns(thread), owner, now).changes > 0;
        }),
      release: async (thread, owner) => {
        await batch.run(() => release.run(ns(thread), owner));
      },
    },
  };
}

/** Sets as rows of one table in the SQLite file, a row per member: adding or removing one is one statement. */
export function sqliteSets(store: SqliteKeyvStore, namespace: string): SetStore {
  const { db, batch } = store;
  db.exec(
    'CREATE TABLE IF NOT EXISTS sets (name TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (name, member)) WITHOUT ROWID',
  );
  const add = db.prepare<[string, string]>('INSERT OR IGNORE INTO sets (name, member) VALUES (?, ?)');
  const remove = db.prepare<[string, string]>('DELETE FROM sets WHERE name = ? AND member = ?');
  const members = db.prepare<[string], { member: string }>('SELECT member FROM sets WHERE name = ? ORDER BY member');
  const name = (set: string) => `${namespace}:${set}`;
  return {
    add: async (set, member) => {
      await batch.run(() => add.run(name(set), member));
    },
    remove: async (set, member) => {
      await batch.run(() => remove.run(name(set), member));
    },
    members: (set) => batch.read(() => members.all(name(set)).map((row) => row.member)),
  };
}
