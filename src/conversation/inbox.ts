import { z } from 'zod';
import { parseJson } from '../parseJson.js';

/**
 * Where every customer message waits until its turn has run, its state is saved and its reply is posted.
 * Kept in the store (Redis or the SQLite file), so a message outlives the process that received it: after a
 * crash, whichever process next holds the thread's lock answers it.
 */
export interface ThreadInbox {
  /**
   * Atomically: if `message.id` was not seen in the last `dedupeTtlMs`, marks it seen and adds it to its
   * thread's inbox, and returns true; otherwise returns false. One step, so a redelivery can neither slip in
   * twice nor be marked seen and then lost.
   */
  admit(message: InboxMessage, dedupeTtlMs: number): Promise<boolean>;
  /** The thread's oldest waiting message as stored (lowest `sentAt`, then lowest id); see decodeInboxMessage. */
  head(thread: string): Promise<StoredInboxMessage | undefined>;
  /**
   * Drops an answered message and returns the thread's next waiting one. When none is waiting, it also releases
   * `lockOwner`'s lock on the thread, in the same atomic step: a message admitted a moment later then finds the
   * thread free, so its receiver answers it, and none is stranded between "inbox empty" and "lock released".
   */
  complete(thread: string, id: string, lockOwner: string): Promise<StoredInboxMessage | undefined>;
  /** Threads with messages waiting, the longest-waiting first, at most `limit`. */
  waitingThreads(limit: number): Promise<string[]>;
}

/**
 * Per-thread turn locks shared by every replica. A lock has an owner token; only its owner renews or releases
 * it, and it expires on its own after `ttlMs` if its owner dies.
 */
export interface ThreadLocks {
  acquire(thread: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the owner's lock; false when the lock is no longer the owner's (it expired and was taken). */
  renew(thread: string, owner: string, ttlMs: number): Promise<boolean>;
  release(thread: string, owner: string): Promise<void>;
}

/** What the inbox keeps of a message: the inbound message as an adapter built it, in plain data. */
export const inboxMessageSchema = z.object({
  id: z.string(),
  thread: z.string(),
  userId: z.string(),
  userName: z.string().optional(),
  verifiedEmail: z.string().optional(),
  text: z.string(),
  /** Files or images sent with the message (names and kinds only; the bot does not open them). */
  attachments: z.array(z.object({ name: z.string(), kind: z.string().optional() })).optional(),
  decision: z.object({ approvalId: z.string(), approve: z.boolean() }).optional(),
  /** When the platform says it was sent (ms since epoch); orders a thread's inbox. */
  sentAt: z.number(),
  /** What the platform's adapter needs to answer it from any replica (e.g. the user's Slack team). */
  replyContext: z.record(z.string(), z.string()).optional(),
});

export type InboxMessage = z.infer<typeof inboxMessageSchema>;

export interface StoredInboxMessage {
  id: string;
  body: string;
}

export function encodeInboxMessage(message: InboxMessage): string {
  return JSON.stringify(message);
}

/** Parses a stored message; undefined (never a throw) for one that no longer fits the schema. */
export function decodeInboxMessage(raw: string): InboxMessage | undefined {
  return parseJson(raw, inboxMessageSchema);
}
