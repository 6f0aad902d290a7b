import type Database from 'better-sqlite3';

interface Queued {
  operation: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * A batch commits as soon as it holds this many operations, instead of waiting for the end of the tick.
 *
 * Why: when a thousand turns are in one tick (a burst of messages, or a round of model replies arriving
 * together), an uncapped batch holds every turn at each step until all of them reached it, so the turns move in
 * lockstep and each one waits for the whole burst's CPU. bench/throughput.ts: uncapped, a turn's overhead was
 * 80-100 ms at p50 with 1,000 threads at once; capped at 8-32, 1-5 ms, and turns per second rose by 3-6 points.
 * Below 8, the extra commits cost more than that. A commit per 16 operations still spares 15 commits in 16.
 */
export const MAX_BATCH_OPERATIONS = 16;

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for the SQLite file: every store operation asked for in one turn of the event loop runs, in the
 * order asked, inside one write transaction at the end of that turn, or as soon as MAX_BATCH_OPERATIONS wait.
 *
 * Why: each commit appends to the write-ahead log with its own system calls, and with many threads talking at
 * once a turn's four commits (admit, lock, state, done) were most of its CPU time (bench/throughput.ts). One
 * commit for everything a tick asked for costs about the same as one commit for a single write.
 *
 * What stays true: a write's promise resolves only after its commit, so "saved" still means on disk; operations
 * run in the order they were asked for, so a read sees every write asked for before it; and one operation's
 * failure fails only that operation (a single statement is undone by SQLite, a multi-statement `db.transaction`
 * becomes a savepoint). Only an error that aborts the whole transaction (a full disk, an I/O error) fails the batch.
 */
export class SqliteBatch {
  private queue: Queued[] = [];
  private readonly commitAll: Database.Transaction<(batch: Queued[]) => Settled[]>;

  constructor(private readonly db: Database.Database) {
    this.commitAll = db.transaction((batch: Queued[]) => batch.map((entry) => this.attempt(entry)));
  }

  /** Runs `operation` (synchronous better-sqlite3 calls) in the next group commit. */
  run<T>(operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ operation, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= MAX_BATCH_OPERATIONS) this.flush();
    });
  }

  /** Runs a read at once when nothing is queued (it sees every commit); after the queued operations otherwise. */
  read<T>(operation: () => T): Promise<T> {
    if (this.queue.length > 0) return this.run(operation);
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Commits whatever is queued now; on close, so nothing asked for is dropped. */
  flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    if (batch.length === 1) {
      // Alone, an operation is its own transaction (a statement, or a `db.transaction`): no BEGIN and COMMIT around it.
      const [entry] = batch as [Queued];
      try {
        entry.resolve(entry.operation());
      } catch (error) {
        entry.reject(error);
      }
      return;
    }
    let settled: Settled[];
    try {
      // IMMEDIATE takes the write lock up front (waiting out another process's), so no read in the batch can
      // leave it unable to write later.
      settled = this.commitAll.immediate(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, i) => {
      const result = settled[i]!;
      if (result.ok) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  }

  private attempt(entry: Queued): Settled {
    try {
      return { ok: true, value: entry.operation() };
    } catch (error) {
      // SQLite rolled the whole transaction back: everything before this in the batch is undone too.
      if (!this.db.inTransaction) throw error;
      return { ok: false, error };
    }
  }
}
