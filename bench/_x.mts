import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
const dir = mkdtempSync(path.join(os.tmpdir(), 'x-'));
const store = createStore({ url: undefined, dataDir: dir, namespace: 'b' }, createLogger({ level: 'silent' }));
const state = { thread: 't', history: Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'hello there this is a message number ' + i })), facts: {}, activeAgent: 'triage' };
for (let round = 0; round < 4; round++) {
  const N = 1000;
  let t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.inbox.admit({ id: `m${round}-${i}`, thread: `t${i}`, userId: 'u', text: 'hello question', sentAt: Date.now() }, 86400000)));
  const admit = performance.now() - t; t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.locks.acquire(`t${i}`, `o${round}`, 30000)));
  const lock = performance.now() - t; t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.inbox.head(`t${i}`)));
  const head = performance.now() - t; t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.threads.get(`t${i}`)));
  const get = performance.now() - t; t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.threads.set(`t${i}`, { ...state, thread: `t${i}` })));
  const set = performance.now() - t; t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => store.inbox.complete(`t${i}`, `m${round}-${i}`, `o${round}`)));
  const complete = performance.now() - t;
  console.log({ admit, lock, head, get, set, complete });
}
await store.close();
