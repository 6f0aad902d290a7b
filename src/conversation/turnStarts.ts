/** How many waiting turns start per pass of the event loop; between passes, sockets are read and acks go out. */
export const STARTS_PER_PASS = 16;

/**
 * Paces the start of turns that arrive in a burst. A turn's first steps (loading the thread, routing, the model
 * request) run without awaiting I/O, so a thousand of them started at once hold the event loop for a second or more,
 * and envelopes still unread on the socket wait that long for their ack (Slack retries after 3 s). Here turns start
 * STARTS_PER_PASS at a time, in arrival order, with the event loop's I/O between each group. A message waits here
 * only after its inbox write, so a crash while it waits loses nothing.
 */
export class TurnStarts {
  private readonly waiting: Array<() => void> = [];
  private scheduled = false;

  /** Resolves when this turn may start: after the current pass over I/O, in the order turns asked. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate set while immediates run waits for the next pass, so I/O comes between each group.
    setImmediate(() => {
      this.scheduled = false;
      for (const start of this.waiting.splice(0, STARTS_PER_PASS)) start();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
