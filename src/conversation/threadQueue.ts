/**
 * One job at a time per thread, in arrival order, in this process: customer turns, staff relays, claims and
 * resolves all go through it, so none of them overwrites another's change to the thread state.
 */
export class ThreadQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly depth = new Map<string, number>();

  constructor(private readonly onWait?: (thread: string) => void) {}

  /** Runs `job` after every job queued before it for this thread; resolves with its result. */
  run<T>(thread: string, job: () => Promise<T>): Promise<T> {
    const waiting = this.tails.get(thread);
    if (waiting) this.onWait?.(thread);
    const previous = waiting ?? Promise.resolve();
    this.depth.set(thread, (this.depth.get(thread) ?? 0) + 1);
    const run = previous.then(job);
    const tail: Promise<unknown> = run
      .catch(() => undefined)
      .then(() => {
        const left = (this.depth.get(thread) ?? 1) - 1;
        if (left > 0) this.depth.set(thread, left);
        else this.depth.delete(thread);
        if (this.tails.get(thread) === tail) this.tails.delete(thread);
      });
    this.tails.set(thread, tail);
    return run;
  }

  /** Jobs of this thread that are running or waiting. */
  queued(thread: string): number {
    return this.depth.get(thread) ?? 0;
  }

  /** Jobs running or waiting, over all threads. */
  total(): number {
    let sum = 0;
    for (const n of this.depth.values()) sum += n;
    return sum;
  }

  /** Resolves when every queued job has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
