/** How a platform shows one piece of a reply. `last` marks the final piece of the finished reply (where the agent's name goes). */
export interface ReplyMessages<Handle> {
  post(text: string, last: boolean): Promise<Handle>;
  edit(handle: Handle, text: string, last: boolean): Promise<Handle>;
}

/**
 * A reply shown as posted messages that are edited as text arrives, one message per piece of the split text.
 * The first sync happens at once, later ones at most once per interval; the final sync is never delayed.
 * Steps run through the caller's `enqueue`, so they stay in order with the caller's other platform calls.
 */
export class EditedReply<Handle> {
  private readonly posted: Array<{ handle: Handle; text: string; last: boolean }> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSync = 0;

  constructor(
    private readonly messages: ReplyMessages<Handle>,
    private readonly intervalMs: number,
    private readonly enqueue: (step: () => Promise<void>) => void,
  ) {}

  /** Continues a reply whose first message a crashed process posted: the next sync edits it instead of posting. */
  adopt(handle: Handle): void {
    if (this.posted.length === 0) this.posted.push({ handle, text: '', last: false });
  }

  /** Asks for a sync of `pieces()` (read when it runs); does nothing while one is already scheduled. */
  schedule(pieces: () => string[]): void {
    if (this.timer) return;
    const wait = this.posted.length === 0 ? 0 : Math.max(0, this.lastSync + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.sync(pieces(), false));
    }, wait);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Brings the posted messages up to `pieces`; `final` marks the last piece as the end of the reply. */
  async sync(pieces: string[], final: boolean): Promise<void> {
    this.lastSync = Date.now();
    for (const [index, text] of pieces.entries()) {
      const last = final && index === pieces.length - 1;
      const existing = this.posted[index];
      if (existing?.text === text && existing.last === last) continue;
      if (existing) {
        existing.handle = await this.messages.edit(existing.handle, text, last);
        existing.text = text;
        existing.last = last;
      } else {
        this.posted.push({ handle: await this.messages.post(text, last), text, last });
      }
    }
  }
}
