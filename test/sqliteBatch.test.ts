import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';
import Database from 'better-sqlite3';
import { deserialize, serialize } from '../src/conversation/serialization.js';
import { MAX_BATCH_OPERATIONS, SqliteBatch } from '../src/conversation/sqliteBatch.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { tempDir } from './harness.js';

describe('group commit (SqliteBatch)', () => {
  const table = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
    const insert = db.prepare<[string, string]>('INSERT INTO t (k, v) VALUES (?, ?)');
    const read = db.prepare<[string], { v: string }>('SELECT v FROM t WHERE k = ?');
    const count = () => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM t').get()!.n;
    return { db, batch: new SqliteBatch(db), insert, read, count };
  };

  test('operations asked for in one tick run in order, in one transaction, and a read sees the writes before it', async () => {
    const { db, batch, insert, read } = table();
    const inTransaction: boolean[] = [];
    const results = await Promise.all([
      batch.run(() => insert.run('a', '1').changes),
      batch.read(() => read.get('a')?.v),
      batch.run(() => {
        inTransaction.push(db.inTransaction);
        return insert.run('b', '2').changes;
      }),
    ]);
    assert.deepEqual(results, [1, '1', 1]);
    assert.deepEqual(inTransaction, [true]);
    assert.equal(db.inTransaction, false, 'committed once the promises resolve');
  });

  test('one failing operation fails alone; the rest of its batch commits', async () => {
    const { batch, insert, count } = table();
    const settled = await Promise.allSettled([
      batch.run(() => insert.run('a', '1')),
      batch.run(() => insert.run('a', 'duplicate key')),
      batch.run(() => insert.run('b', '2')),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(count(), 2);
  });

  test('an error that aborts the transaction fails the whole batch and keeps none of it', async () => {
    const { db, batch, insert, count } = table();
    const settled = await Promise.allSettled([
      batch.run(() => insert.run('a', '1')),
      // What SQLite does on a full disk or an I/O error: the transaction is gone.
      batch.run(() => {
        db.exec('ROLLBACK');
        throw new Error('disk I/O error');
      }),
      batch.run(() => insert.run('b', '2')),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal(count(), 0);
    assert.equal(await batch.run(() => insert.run('c', '3').changes), 1, 'the next batch works');
  });

  test('a batch that reaches its cap commits at once, without waiting for the end of the tick, and order holds', async () => {
    const { batch, insert, count, read } = table();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < MAX_BATCH_OPERATIONS - 1; i++) writes.push(batch.run(() => insert.run(`k${i}`, String(i))));
    assert.equal(count(), 0, 'below the cap, nothing has run yet');
    writes.push(batch.run(() => insert.run('last-of-first', 'x')));
    assert.equal(count(), MAX_BATCH_OPERATIONS, 'the operation that filled the batch committed it');
    const afterCap = batch.read(() => read.get('last-of-first')?.v);
    writes.push(batch.run(() => insert.run('next', 'y')));
    assert.equal(count(), MAX_BATCH_OPERATIONS, 'what came after the cap waits for the next commit');
    await Promise.all(writes);
    assert.equal(await afterCap, 'x');
    assert.equal(count(), MAX_BATCH_OPERATIONS + 1);
  });

  test('a write is on disk when its promise resolves: another connection reads it', async () => {
    const data = tempDir();
    const store = createStore({ url: undefined, dataDir: data.dir }, createLogger({ level: 'silent' }));
    await Promise.all([
      store.threads.set('t1', { n: 1 }),
      store.threads.set('t2', { n: 2 }),
      store.records.set('r', 'x'),
    ]);
    const other = new Database(path.join(data.dir, 'switchboard.sqlite'), { readonly: true });
    const keys = other
      .prepare<[], { key: string }>('SELECT key FROM keyv ORDER BY key')
      .all()
      .map((row) => row.key);
    assert.deepEqual(keys, ['switchboard:record:r', 'switchboard:thread:t1', 'switchboard:thread:t2']);
    other.close();
    await store.close();
    data.remove();
  });
});

describe('stored value format', () => {
  const values: unknown[] = [
    {
      value: { history: [{ role: 'user', content: 'where is ORD-1001?' }], n: 3, ok: true, none: null },
      expires: null,
    },
    { value: { text: ':wave: hi' }, expires: 5 },
    { value: [':first', 'second', { nested: '::double' }], expires: null },
    { value: { ':key': 'a key with a colon is not escaped', 'ends:': ':but a value is' }, expires: null },
    { value: 'a quote then colons inside text: "::" and ":x"', expires: null },
    { value: { file: Buffer.from('bytes') }, expires: null },
  ];

  test("writes exactly what Keyv's default serializer writes", () => {
    for (const value of values) assert.equal(serialize(value), defaultSerialize(value));
  });

  test("reads what Keyv's default serializer wrote, including escaped strings and buffers", () => {
    for (const value of values) {
      const text = defaultSerialize(value);
      assert.deepEqual(deserialize(text), defaultDeserialize(text));
    }
    assert.deepEqual(deserialize(serialize(values[1])), values[1]);
  });

  test('a conversation saved before this format change reads the same', async () => {
    const data = tempDir();
    const first = new Database(path.join(data.dir, 'switchboard.sqlite'));
    first.exec('CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)');
    const state = { history: [{ role: 'user', content: ':( my order is late' }] };
    first
      .prepare('INSERT INTO keyv (key, value) VALUES (?, ?)')
      .run('switchboard:thread:t', defaultSerialize({ value: state, expires: null }));
    first.close();
    const store = createStore({ url: undefined, dataDir: data.dir }, createLogger({ level: 'silent' }));
    assert.deepEqual(await store.threads.get('t'), state);
    await store.close();
    data.remove();
  });
});
