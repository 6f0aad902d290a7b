import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type KeyvRedisClass from '@keyv/redis';
import { Keyv } from 'keyv';
import type { Logger } from '../log.js';
import type { ThreadInbox, ThreadLocks } from './inbox.js';
import { redisInbox, redisLocks, redisSets } from './redisInbox.js';
import { deserialize, serialize } from './serialization.js';
import type { SetStore } from './setStore.js';
import { sqliteCoordination, sqliteSets } from './sqliteInbox.js';
import { SqliteKeyvStore } from './sqliteStore.js';

/** A durable key/value space; every key is prefixed so threads and tool records never collide. */
export interface RecordStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'redis';
  readonly threads: RecordStore;
  readonly records: RecordStore;
  readonly sets: SetStore;
  /** Messages waiting for their turn, durable across crashes. */
  readonly inbox: ThreadInbox;
  /** Per-thread turn locks, shared by every process on this store. */
  readonly locks: ThreadLocks;
  /**
   * Atomically marks an id as seen for `ttlMs`: true for the first caller, false for every later one while
   * the mark lives, across processes and restarts. This is what makes redeliveries get exactly one reply.
   */
  claim(id: string, ttlMs: number): Promise<boolean>;
  /** Resolves when the store answers a round trip; for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** redis://…, rediss://… or sqlite://path; absent means SQLite in dataDir. */
  url: string | undefined;
  dataDir: string;
  /** Prefix for every key, so several deployments (or test runs) can share one Redis. */
  namespace?: string;
}

const REDIS_CONNECT_TIMEOUT_MS = 5_000;

function keyspace(keyv: Keyv, prefix: string): RecordStore {
  return {
    get: async <T>(key: string) => (await keyv.get(`${prefix}:${key}`)) as T | undefined,
    set: async (key, value, ttlMs) => {
      await keyv.set(`${prefix}:${key}`, value, ttlMs);
    },
    delete: async (key) => {
      await keyv.delete(`${prefix}:${key}`);
    },
  };
}

export function sqlitePath(options: StoreOptions): string {
  if (options.url?.startsWith('sqlite://')) return options.url.slice('sqlite://'.length);
  return path.join(options.dataDir, 'switchboard.sqlite');
}

export function createStore(options: StoreOptions, log: Logger): Store {
  const namespace = options.namespace ?? 'switchboard';
  const isRedis = options.url !== undefined && /^rediss?:\/\//.test(options.url);
  let keyv: Keyv;
  let claim: Store['claim'];
  let ping: Store['ping'];
  let coordination: { inbox: ThreadInbox; locks: ThreadLocks };
  let sets: SetStore;
  if (isRedis) {
    // Loaded only for a Redis store (its client is about 15 MB), and synchronously, so createStore stays sync: the
    // package ships the same build for require.
    const KeyvRedis = createRequire(import.meta.url)('@keyv/redis').default as typeof KeyvRedisClass;
    const adapter = new KeyvRedis(options.url, {
      namespace,
      throwOnConnectError: true,
      throwOnErrors: true,
      connectionTimeout: REDIS_CONNECT_TIMEOUT_MS,
    });
    keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true, useKeyPrefix: false, serialize, deserialize });
    claim = async (id, ttlMs) => {
      const client = await adapter.getClient();
      return (await client.set(`${namespace}:dedupe:${id}`, '1', { NX: true, PX: ttlMs })) === 'OK';
    };
    ping = async () => {
      await (await adapter.getClient()).ping();
    };
    const client = () => adapter.getClient();
    coordination = { inbox: redisInbox(client, namespace), locks: redisLocks(client, namespace) };
    sets = redisSets(client, namespace);
  } else {
    const file = sqlitePath(options);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const adapter = new SqliteKeyvStore(file);
    keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true, serialize, deserialize });
    claim = (id, ttlMs) => adapter.claim(`${namespace}:dedupe:${id}`, ttlMs);
    ping = async () => {
      await adapter.get(`${namespace}:ping`);
    };
    coordination = sqliteCoordination(adapter, namespace);
    sets = sqliteSets(adapter, namespace);
  }
  // Keyv also emits every failure as an event; without a listener Node would treat it as fatal.
  keyv.on('error', (err: unknown) => log.error({ err, store: isRedis ? 'redis' : 'sqlite' }, 'store.error'));
  return {
    kind: isRedis ? 'redis' : 'sqlite',
    threads: keyspace(keyv, 'thread'),
    records: keyspace(keyv, 'record'),
    sets,
    ...coordination,
    claim,
    ping,
    close: async () => {
      await keyv.disconnect();
    },
  };
}
