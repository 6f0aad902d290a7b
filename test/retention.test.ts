import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createClient } from '@keyv/redis';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createModel } from '../src/main.js';
import { ConsoleSession, REDIS_URL, tempDir, waitFor } from './harness.js';

const DAY_MS = 86_400_000;

/** A terminal chat on the offline engine with `env`, closed after the test. */
async function chat(env: Record<string, string>, namespace?: string): Promise<ConsoleSession> {
  const config = loadConfig({ MODEL_PROVIDER: 'offline', ...env });
  const { provider } = await createModel(config, createLogger({ level: 'silent' }));
  const session = new ConsoleSession(config, provider, namespace ? { namespace } : {});
  after(() => session.close());
  return session;
}

describe('THREAD_RETENTION', () => {
  test('is a duration (days allowed), 90 days by default; 0 keeps threads forever', () => {
    assert.equal(loadConfig({}).store.retentionMs, 90 * DAY_MS);
    assert.equal(loadConfig({ THREAD_RETENTION: '30d' }).store.retentionMs, 30 * DAY_MS);
    assert.equal(loadConfig({ THREAD_RETENTION: '0' }).store.retentionMs, undefined);
    assert.throws(
      () => loadConfig({ THREAD_RETENTION: 'forever' }),
      (err: unknown) => err instanceof ConfigError && /THREAD_RETENTION/.test(err.problems.join()),
    );
  });

  test('SQLite: every save of a thread sets it to expire after the retention; 0 saves it with no expiry', async () => {
    for (const [retention, expected] of [
      ['2d', 2 * DAY_MS],
      ['0', undefined],
    ] as const) {
      const data = tempDir();
      after(() => data.remove());
      const session = await chat({ DATA_DIR: data.dir, THREAD_RETENTION: retention });
      const before = Date.now();
      await session.chat.send('where is ORD-1001?');
      const db = new Database(path.join(data.dir, 'switchboard.sqlite'), { readonly: true });
      const row = db
        .prepare('SELECT expires FROM keyv WHERE key = ?')
        .get(`switchboard:thread:${session.chat.thread}`) as { expires: number | null };
      db.close();
      if (expected === undefined) assert.equal(row.expires, null, 'kept');
      else
        assert.ok(
          row.expires !== null && row.expires >= before + expected && row.expires <= Date.now() + expected,
          `expires ${row.expires}`,
        );
    }
  });

  test('a live escalation keeps its thread and staff record with no expiry; the resolve starts the retention again', async () => {
    const data = tempDir();
    after(() => data.remove());
    const session = await chat({ DATA_DIR: data.dir, THREAD_RETENTION: '2d' });
    const db = new Database(path.join(data.dir, 'switchboard.sqlite'), { readonly: true });
    after(() => db.close());
    const expiry = (pattern: string) =>
      (db.prepare('SELECT expires FROM keyv WHERE key LIKE ?').get(pattern) as { expires: number | null } | undefined)
        ?.expires;
    const threadKey = `switchboard:thread:${session.chat.thread}`;
    await session.chat.send('where is ORD-1001?');
    assert.ok(expiry(threadKey), 'an ordinary thread expires');
    await session.chat.send('this is unacceptable, get me a manager');
    assert.ok((await session.state()).escalation, 'escalated');
    assert.equal(expiry(threadKey), null, 'kept while staff have it');
    assert.equal(expiry('switchboard:record:escalation:staff:%'), null, 'and so is the staff thread record');
    await session.chat.staff('resolve');
    assert.equal((await session.state()).escalation, null, 'resolved');
    assert.ok((expiry(threadKey) ?? 0) > Date.now() + DAY_MS, 'the retention runs again');
    assert.ok((expiry('switchboard:record:escalation:staff:%') ?? 0) > Date.now() + DAY_MS);
  });

  test('Redis: a saved thread gets the retention as its TTL, and once expired the conversation starts fresh', async () => {
    const namespace = `retention-${randomUUID()}`;
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    after(async () => {
      for await (const keys of client.scanIterator({ MATCH: `${namespace}*` })) if (keys.length) await client.del(keys);
      await client.quit();
    });
    const session = await chat({ STORE_URL: REDIS_URL, THREAD_RETENTION: '1d' }, namespace);
    await session.chat.send('where is ORD-1001?');
    // Keyv's Redis store puts its own separator after the namespace: find the key rather than spell it.
    const found: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `${namespace}*:thread:${session.chat.thread}` }))
      found.push(...keys);
    assert.equal(found.length, 1, 'the thread is stored');
    const key = found[0]!;
    const ttl = await client.pTTL(key);
    assert.ok(ttl > DAY_MS - 60_000 && ttl <= DAY_MS, `PTTL ${ttl}`);
    assert.equal((await session.state()).activeAgent, 'orders');
    // As if the day had passed.
    await client.pExpire(key, 1);
    await waitFor(async () => (await client.exists(key)) === 0, 'the thread to expire');
    const fresh = await session.state();
    assert.deepEqual([fresh.activeAgent, fresh.history.length], ['triage', 0]);
  });
});
