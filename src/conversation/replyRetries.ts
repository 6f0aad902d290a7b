import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';

/**
 * Pauses before each new try to post a reply's final text, once the platform library's own retries have given up
 * (or never applied). A reply still failing after the last one is left to a later pass over the inbox
 * (ConversationService), so these only need to ride out a short outage; the thread's lock is held meanwhile.
 */
export const REPLY_RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000, 15_000];

export interface ReplyRetryPolicy {
  /** Pause before each retry; a reply gets one try more than there are delays. */
  delaysMs: readonly number[];
  /** False when another try cannot help: the platform refused the channel or the message itself. */
  retryable(err: unknown): boolean;
  log: Logger;
  /** Where the reply goes, for the log lines. */
  fields: Record<string, unknown>;
}

/**
 * Runs `post` until it succeeds, pausing `delaysMs` between tries, and rethrows the last error when it is not
 * retryable or the delays are used up. `post` must be safe to run again after a failure part-way through (an
 * EditedReply sync is: it only writes what the platform does not show yet).
 */
export async function postWithRetries<T>(post: () => Promise<T>, policy: ReplyRetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post();
    } catch (err) {
      const delayMs = policy.delaysMs[attempt - 1];
      if (delayMs === undefined || !policy.retryable(err)) {
        policy.log.error({ ...policy.fields, err, attempt }, 'reply.post_failed');
        throw err;
      }
      policy.log.warn({ ...policy.fields, err, attempt, retryInMs: delayMs }, 'reply.post_failed');
      await sleep(delayMs);
    }
  }
}
