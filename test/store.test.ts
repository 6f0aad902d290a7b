import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@keyv/redis';
import Database from 'better-sqlite3';
import { createStore, type StoreOptions } from '../src/conversation/store.js';
import { parseThreadState, THREAD_STATE_SCHEMA_VERSION, ThreadStateError } from '../src/conversation/threadState.js';
import { createLogger } from '../src/log.js';
import { ConsoleSession, FakeOpenAI, REDIS_URL, tempDir } from './harness.js';

const fixture = (version: number): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/thread-state-v${version}.json`, import.meta.url), 'utf8'));

describe('thread state schema', () => {
  test('every stored version has a fixture that loads into the current schema', () => {
    for (let version = 1; version <= THREAD_STATE_SCHEMA_VERSION; version++) {
      const state = parseThreadState(fixture(version));
      assert.equal(state.schemaVersion, THREAD_STATE_SCHEMA_VERSION);
      assert.equal(state.activeAgent, 'orders');
      assert.equal(state.pendingApproval?.tool, 'cancel_order');
    }
  });

  test('a state from a newer build or a corrupt one is refused, not guessed at', () => {
    const newer = { ...(fixture(1) as object), schemaVersion: THREAD_STATE_SCHEMA_VERSION + 1 };
    assert.throws(() => parseThreadState(newer), ThreadStateError);
    assert.throws(() => parseThreadState({ ...(fixture(1) as object), history: 'oops' }), /invalid/);
    assert.throws(() => parseThreadState('nope'), ThreadStateError);
  });

  test('a thread whose state cannot be read gets an apology and its state is left untouched', async () => {
    const fake = await new FakeOpenAI().start();
    const data = tempDir();
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
    const newer = { ...(fixture(1) as object), thread: chat.chat.thread, schemaVersion: 99 };
    await chat.app.store.threads.set(chat.chat.thread, newer);
    const outcome = await chat.chat.send('hello?');
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reply, /^Sorry, something went wrong on my side/);
    assert.deepEqual(await chat.app.store.threads.get(chat.chat.thread), newer);
    assert.equal(fake.requests.length, 0);
    await chat.close();
    await fake.close();
    data.remove();
  });
});

test('a state changed by another writer after this process saved it is validated again, not trusted', async () => {
  const fake = await new FakeOpenAI().start();
  const data = tempDir();
  const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir });
  after(async () => {
    await chat.close();
    await fake.close();
    data.remove();
  });
  fake.script({ text: 'Hello! How can I help?' });
  assert.equal((await chat.chat.send('hello')).status, 'answered');
  const { thread } = chat.chat;
  const saved = await chat.app.store.threads.get<Record<string, unknown>>(thread);
  // Another replica (or a hand edit) wrote over it: same thread, a later update, and a broken history.
  const broken = { ...saved, updatedAt: new Date(Date.now() + 1000).toISOString(), history: 'oops' };
  await chat.app.store.threads.set(thread, broken);
  const outcome = await chat.chat.send('are you there?');
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.reply, /^Sorry, something went wrong on my side/);
  assert.deepEqual(await chat.app.store.threads.get(thread), broken);
  assert.equal(fake.requests.length, 1, 'no model call for the unreadable state');
});

describe('Redis store (REDIS_URL)', () => {
  const namespace = `switchboard-test-${randomUUID()}`;
  let fake: FakeOpenAI;
  before(async () => {
    fake = await new FakeOpenAI().start();
  });
  after(async () => {
    await fake.close();
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    for await (const keys of client.scanIterator({ MATCH: `${namespace}*` })) if (keys.length) await client.del(keys);
    await client.quit();
  });

  test('round trip: a record written by one connection is read by another', async () => {
    const log = createLogger({ level: 'silent' });
    const writer = createStore({ url: REDIS_URL, dataDir: '.', namespace }, log);
    assert.equal(writer.kind, 'redis');
    const value = { schemaVersion: 1, nested: { list: [1, 2, 3] }, text: 'héllo' };
    await writer.threads.set('slack:T1:C1:1700000000.000100', value);
    await writer.close();
    const reader = createStore({ url: REDIS_URL, dataDir: '.', namespace }, log);
    assert.deepEqual(await reader.threads.get('slack:T1:C1:1700000000.000100'), value);
    assert.equal(await reader.records.get('slack:T1:C1:1700000000.000100'), undefined, 'keyspaces do not collide');
    await reader.threads.delete('slack:T1:C1:1700000000.000100');
    assert.equal(await reader.threads.get('slack:T1:C1:1700000000.000100'), undefined);
    await reader.close();
  });

  test('a conversation on Redis continues with its specialist after a restart', async () => {
    fake.script({ toolCalls: [{ name: 'transfer_to_billing' }] }, { text: 'Which invoice is it about?' });
    const env = { STORE_URL: REDIS_URL, DATA_DIR: '/nonexistent' };
    const first = ConsoleSession.openai(fake, env, { namespace });
    await first.chat.send('I have a question about a charge');
    await first.close();
    const second = ConsoleSession.openai(fake, env, { namespace });
    const state = await second.state();
    assert.equal(state.activeAgent, 'billing');
    assert.equal(state.history[0]?.role === 'user' && state.history[0].content, 'I have a question about a charge');
    fake.script({ text: 'INV-2001 was paid on 2026-11-01.' });
    await second.chat.send('INV-2001');
    assert.match(fake.requests[2]!.body.messages[0]!.content ?? '', /Billing specialist/);
    await second.close();
  });
});

/** The dedupe claim must hold across connections and restarts on both backends. */
function claimContract(name: string, options: () => StoreOptions) {
  describe(`${name}: dedupe claim`, () => {
    const log = createLogger({ level: 'silent' });

    test('only the first of many concurrent claims, from two connections, wins', async () => {
      const [a, b] = [createStore(options(), log), createStore(options(), log)];
      const id = `msg-${randomUUID()}`;
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => a.claim(id, 60_000)),
        ...Array.from({ length: 5 }, () => b.claim(id, 60_000)),
      ]);
      assert.equal(results.filter(Boolean).length, 1);
      await Promise.all([a.close(), b.close()]);
      const reopened = createStore(options(), log);
      assert.equal(await reopened.claim(id, 60_000), false, 'the mark survives a restart');
      assert.equal(await reopened.claim(`msg-${randomUUID()}`, 60_000), true, 'another id is independent');
      await reopened.close();
    });

    test('an expired mark can be claimed again', async () => {
      const store = createStore(options(), log);
      const id = `msg-${randomUUID()}`;
      assert.equal(await store.claim(id, 1), true);
      const deadline = Date.now() + 5_000;
      let again = false;
      while (!again && Date.now() < deadline) again = await store.claim(id, 60_000);
      assert.equal(again, true);
      assert.equal(await store.claim(id, 60_000), false);
      await store.close();
    });
  });
}

const sqliteData = tempDir();
after(() => sqliteData.remove());
claimContract('SQLite', () => ({ url: undefined, dataDir: sqliteData.dir }));
const claimNamespace = `switchboard-test-${randomUUID()}`;
claimContract('Redis', () => ({ url: REDIS_URL, dataDir: '.', namespace: claimNamespace }));
after(async () => {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${claimNamespace}*` }))
    if (keys.length) await client.del(keys);
  await client.quit();
});

test('a data file written by @keyv/sqlite (key, value; no expires column) still loads', async () => {
  const data = tempDir();
  const file = path.join(data.dir, 'switchboard.sqlite');
  const legacy = new Database(file);
  legacy.exec('CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)');
  const state = { ...(fixture(1) as object), thread: 'console:local' };
  legacy
    .prepare('INSERT INTO keyv (key, value) VALUES (?, ?)')
    .run('switchboard:thread:console:local', JSON.stringify({ value: state, expires: null }));
  legacy.close();
  const store = createStore({ url: undefined, dataDir: data.dir }, createLogger({ level: 'silent' }));
  assert.deepEqual(await store.threads.get('console:local'), state);
  await store.threads.set('console:local', { ...state, activeAgent: 'billing' });
  assert.equal((await store.threads.get<{ activeAgent: string }>('console:local'))?.activeAgent, 'billing');
  await store.close();
  data.remove();
});
