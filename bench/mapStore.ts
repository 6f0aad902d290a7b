import type { ThreadInbox, ThreadLocks } from '../src/conversation/inbox.js';
import type { SetStore } from '../src/conversation/setStore.js';
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

function mapSets(): SetStore {
  const sets = new Map<string, Set<string>>();
  return {
    add: async (set, member) => {
      sets.set(set, (sets.get(set) ?? new Set()).add(member));
    },
    remove: async (set, member) => {
      sets.get(set)?.delete(member);
    },
    members: async (set) => [...(sets.get(set) ?? [])],
  };
}

/** The inbox and locks in Maps: same contract, no durability. */
function mapCoordination(claim: (id: string) => Promise<boolean>): { inbox: ThreadInbox; locks: ThreadLocks } {
  const waiting = new Map<string, Map<string, { sentAt: number; body: string }>>();
  const owners = new Map<string, string>();
  const head = async (thread: string) => {
    const entries = [...(waiting.get(thread) ?? [])].sort(
      ([a, x], [b, y]) => x.sentAt - y.sentAt || a.localeCompare(b),
    );
    const first = entries[0];
    return first && { id: first[0], body: first[1].body };
  };
  return {
    inbox: {
      admit: async (message) => {
        if (!(await claim(message.id))) return false;
        const thread = waiting.get(message.thread) ?? new Map();
        thread.set(message.id, { sentAt: message.sentAt, body: JSON.stringify(message) });
        waiting.set(message.thread, thread);
        return true;
      },
      head,
      complete: async (thread, id, lockOwner) => {
        waiting.get(thread)?.delete(id);
        if (waiting.get(thread)?.size === 0) waiting.delete(thread);
        const next = await head(thread);
        if (!next && owners.get(thread) === lockOwner) owners.delete(thread);
        return next;
      },
      waitingThreads: async (limit) => [...waiting.keys()].slice(0, limit),
    },
    locks: {
      acquire: async (thread, owner) => !owners.has(thread) && Boolean(owners.set(thread, owner)),
      renew: async (thread, owner) => owners.get(thread) === owner,
      release: async (thread, owner) => {
        if (owners.get(thread) === owner) owners.delete(thread);
      },
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
  return {
    kind: 'sqlite',
    threads: mapKeyspace(),
    records: mapKeyspace(),
    sets: mapSets(),
    claim,
    ...mapCoordination(claim),
    ping: async () => {},
    close: async () => {},
  };
}
