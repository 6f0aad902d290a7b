import type KeyvRedis from '@keyv/redis';
import { encodeInboxMessage, type ThreadInbox, type ThreadLocks } from './inbox.js';
import type { SetStore } from './setStore.js';

type RedisClient = Awaited<ReturnType<KeyvRedis<unknown>['getClient']>>;

/**
 * Each step below is one Lua script, so Redis runs it atomically: no other replica sees a message marked seen
 * but not yet queued, or a thread listed as waiting with an empty inbox.
 *
 * Keys: `<ns>:dedupe:<id>` (the seen mark, shared with Store.claim), `<ns>:inbox:<thread>` (a sorted set of
 * waiting ids, scored by sentAt), `<ns>:inbox-body:<thread>` (a hash id → message), `<ns>:inbox-threads`
 * (a sorted set of threads with waiting messages, scored by their oldest), `<ns>:lock:<thread>`. One script
 * touches keys of several threads, so this needs one Redis (with replicas if wanted), not Redis Cluster.
 */
const ADMIT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[4], 'LT', ARGV[2], ARGV[5])
return 1`;

const HEAD = `
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
return { first[1], redis.call('HGET', KEYS[2], first[1]) or '' }`;

const COMPLETE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first > 0 then
  redis.call('ZADD', KEYS[3], first[2], ARGV[2])
  return { first[1], redis.call('HGET', KEYS[2], first[1]) or '' }
end
redis.call('ZREM', KEYS[3], ARGV[2])
if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
return false`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function redisInbox(client: () => Promise<RedisClient>, namespace: string): ThreadInbox {
  const keys = (thread: string) => [`${namespace}:inbox:${thread}`, `${namespace}:inbox-body:${thread}`];
  const waiting = `${namespace}:inbox-threads`;
  return {
    admit: async (message, dedupeTtlMs) => {
      const args = [
        String(dedupeTtlMs),
        String(message.sentAt),
        message.id,
        encodeInboxMessage(message),
        message.thread,
      ];
      const added = await (await client()).eval(ADMIT, {
        keys: [`${namespace}:dedupe:${message.id}`, ...keys(message.thread), waiting],
        arguments: args,
      });
      return added === 1;
    },
    head: async (thread) => {
      const found = (await (await client()).eval(HEAD, { keys: keys(thread) })) as [string, string] | null;
      return found ? { id: found[0], body: found[1] } : undefined;
    },
    complete: async (thread, id, lockOwner) => {
      const next = (await (
        await client()
      ).eval(COMPLETE, {
        keys: [...keys(thread), waiting, lockKey(namespace, thread)],
        arguments: [id, thread, lockOwner],
      })) as [string, string] | null;
      return next ? { id: next[0], body: next[1] } : undefined;
    },
    waitingThreads: async (limit) =>
      limit <= 0 ? [] : ((await (await client()).zRange(waiting, 0, limit - 1)) as string[]),
  };
}

function lockKey(namespace: string, thread: string): string {
  return `${namespace}:lock:${thread}`;
}

export function redisLocks(client: () => Promise<RedisClient>, namespace: string): ThreadLocks {
  const key = (thread: string) => lockKey(namespace, thread);
  return {
    acquire: async (thread, owner, ttlMs) =>
      (await (await client()).set(key(thread), owner, { NX: true, PX: ttlMs })) === 'OK',
    renew: async (thread, owner, ttlMs) =>
      (await (await client()).eval(RENEW, { keys: [key(thread)], arguments: [owner, String(ttlMs)] })) === 1,
    release: async (thread, owner) => {
      await (await client()).eval(RELEASE, { keys: [key(thread)], arguments: [owner] });
    },
  };
}

/** Sets as Redis sets (`<ns>:set:<name>`): SADD and SREM are atomic, whichever replica sends them. */
export function redisSets(client: () => Promise<RedisClient>, namespace: string): SetStore {
  const key = (set: string) => `${namespace}:set:${set}`;
  return {
    add: async (set, member) => {
      await (await client()).sAdd(key(set), member);
    },
    remove: async (set, member) => {
      await (await client()).sRem(key(set), member);
    },
    members: async (set) => (await client()).sMembers(key(set)),
  };
}
