import type { RecordStore, Store } from '../src/conversation/store.js';

/** One key space in a Map; values are JSON round-tripped, as a real store serializes them. */
function mapKeyspace(): RecordStore {
  const values = new Map<string, string>();
  return {
    get: async <T>(key: string) => {
      const text = values.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    set: async (key, value) => {
      values.set(key, JSON.stringify(value));
    },
    delete: async (key) => {
      values.delete(key);
    },
  };
}

/**
 * A store with no I/O at all, for a diagnostic run that shows the runner's own overhead: what is left when
 * persistence costs nothing. Never a deployment option (nothing survives a restart).
 */
export function createMapStore(): Store {
  // `kind` only names the store in the start-up line; nothing in a turn reads it.
  const claimed = new Set<string>();
  const claim = async (id: string) => !claimed.has(id) && Boolean(claimed.add(id));
  return { kind: 'sqlite', threads: mapKeyspace(), records: mapKeyspace(), claim, ping: async () => {}, close: async () => {} };
}
