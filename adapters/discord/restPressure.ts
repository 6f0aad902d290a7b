/**
 * Calls under way from which Discord's queue counts as backed up. discord.js sends at most 50 REST calls a second
 * for the whole bot and queues the rest, so this many waiting is half a second of queue or more.
 */
export const BACKED_UP_REST_CALLS = 25;

/**
 * How many of this process's reply calls (thread starts, reply posts and edits) are under way, waiting in
 * discord.js's queue or on the wire. While Discord's queue is backed up, a call that only shows text early (or
 * "is typing…") lengthens the queue every answer waits in, and the early words themselves reach the customer no
 * sooner: such calls are skipped, and the finished answer goes out in one post (bench/endToEndDiscord.ts at 1,000
 * threads). A rough signal by design: it counts calls in flight as well as queued, and not the staff side's calls.
 */
export class RestPressure {
  private underWay = 0;

  constructor(private readonly backedUpAt = BACKED_UP_REST_CALLS) {}

  /** Counts `call` as under way until it settles; resolves or rejects as it does. */
  track<T>(call: Promise<T>): Promise<T> {
    this.underWay += 1;
    return call.finally(() => {
      this.underWay -= 1;
    });
  }

  get backedUp(): boolean {
    return this.underWay >= this.backedUpAt;
  }
}
