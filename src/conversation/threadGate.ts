import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { ThreadLocks } from './inbox.js';
import { ThreadQueue } from './threadQueue.js';

/** How long a staff action waits for a thread's lock (a running turn) before it gives up with an error. */
export const LOCK_WAIT_MAX_MS = 60_000;
const LOCK_POLL_MIN_MS = 20;
const LOCK_POLL_MAX_MS = 250;

/**
 * A held thread lock. `lost` turns true if renewing found it taken (this process stalled past the TTL); the job
 * sets `released` when it let go of the lock itself (ThreadInbox.complete), so it is not released twice.
 */
export interface Lease {
  readonly token: string;
  readonly lost: boolean;
  released: boolean;
}

export class ThreadBusyError extends Error {
  readonly kind = 'ThreadBusyError';
  constructor(readonly thread: string) {
    super(`thread ${thread} stayed locked for ${LOCK_WAIT_MAX_MS} ms`);
  }
}

export interface ThreadGateOptions {
  locks: ThreadLocks;
  /** How long a lock lives without renewal; it is renewed every third of this while its holder works. */
  lockTtlMs: number;
  log: Logger;
  onWait?: (thread: string) => void;
}

/**
 * One holder per thread across every process: first this process's queue (so its own jobs line up without
 * polling), then the store's lock (so other replicas wait too). The lock is renewed while the job runs, so a
 * job longer than the TTL keeps it; if the process dies, the lock expires and another replica takes over.
 */
export class ThreadGate {
  readonly queue: ThreadQueue;
  /** Names this process in lock tokens, so a lock in Redis says who holds it. */
  readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly locked = new Map<string, string>();
  private readonly releasedListeners: Array<(thread: string) => void> = [];
  private sequence = 0;

  constructor(private readonly options: ThreadGateOptions) {
    this.queue = new ThreadQueue(options.onWait);
  }

  /** Runs `job` holding the thread if no other process holds it now; `undefined` (job not run) if one does. */
  tryRun<T>(thread: string, job: (lease: Lease) => Promise<T>): Promise<{ value: T } | undefined> {
    return this.queue.run(thread, async () => {
      const token = this.nextToken();
      if (!(await this.options.locks.acquire(thread, token, this.options.lockTtlMs))) return undefined;
      return { value: await this.holding(thread, token, job) };
    });
  }

  /** Runs `job` holding the thread, waiting for the lock as long as LOCK_WAIT_MAX_MS; throws ThreadBusyError past that. */
  run<T>(thread: string, job: (lease: Lease) => Promise<T>): Promise<T> {
    return this.queue.run(thread, async () => {
      const token = this.nextToken();
      const giveUp = Date.now() + LOCK_WAIT_MAX_MS;
      let pause = LOCK_POLL_MIN_MS;
      while (!(await this.options.locks.acquire(thread, token, this.options.lockTtlMs))) {
        if (Date.now() >= giveUp) throw new ThreadBusyError(thread);
        // One wait, however many polls it takes.
        if (pause === LOCK_POLL_MIN_MS) this.options.onWait?.(thread);
        await sleep(pause);
        pause = Math.min(pause * 2, LOCK_POLL_MAX_MS);
      }
      try {
        return await this.holding(thread, token, job);
      } finally {
        for (const listener of this.releasedListeners) listener(thread);
      }
    });
  }

  /**
   * Hears about every thread a `run()` job let go of. Messages that reached other replicas meanwhile found the
   * thread taken and were left waiting; the conversation service answers them at once instead of at its next
   * recovery pass.
   */
  onRunReleased(listener: (thread: string) => void): void {
    this.releasedListeners.push(listener);
  }

  /** Threads whose lock this process holds right now. */
  held(): string[] {
    return [...this.locked.keys()];
  }

  /**
   * Lets go of every lock this process holds, for a shutdown that cannot wait for its turns: their messages
   * stay in the inbox, and another replica (or this one, restarted) answers them without waiting for the TTL.
   */
  async releaseAll(): Promise<void> {
    await Promise.allSettled([...this.locked].map(([thread, token]) => this.options.locks.release(thread, token)));
    this.locked.clear();
  }

  private nextToken(): string {
    this.sequence += 1;
    return `${this.processId}:${this.sequence}`;
  }

  private async holding<T>(thread: string, token: string, job: (lease: Lease) => Promise<T>): Promise<T> {
    const { locks, lockTtlMs, log } = this.options;
    const lease = { token, lost: false, released: false };
    this.locked.set(thread, token);
    const renewal = setInterval(
      () => {
        locks.renew(thread, token, lockTtlMs).then(
          (kept) => {
            if (kept || lease.lost || lease.released) return;
            lease.lost = true;
            log.error({ thread, token }, 'lock.lost');
          },
          (err: unknown) => log.error({ err, thread }, 'lock.renew_failed'),
        );
      },
      Math.max(1, Math.floor(lockTtlMs / 3)),
    );
    renewal.unref();
    try {
      return await job(lease);
    } finally {
      clearInterval(renewal);
      if (this.locked.get(thread) === token) this.locked.delete(thread);
      if (!lease.released)
        await locks.release(thread, token).catch((err: unknown) => log.error({ err, thread }, 'lock.release_failed'));
    }
  }
}
