import type { RecordStore } from '../conversation/store.js';

const OPEN_LIST_KEY = 'escalation:open';

/**
 * The customer threads with an open escalation, which the desk's sweep walks for reminders and unposted cards.
 * Changes are chained, so two escalations opening at once both stay on the list. This holds within one process only
 * (see the note on issue 7: across replicas it should become a Redis set).
 */
export class OpenEscalations {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly records: RecordStore) {}

  async list(): Promise<string[]> {
    return (await this.records.get<string[]>(OPEN_LIST_KEY)) ?? [];
  }

  add(thread: string): Promise<void> {
    return this.change((threads) => (threads.includes(thread) ? threads : [...threads, thread]));
  }

  remove(thread: string): Promise<void> {
    return this.change((threads) => threads.filter((t) => t !== thread));
  }

  private change(edit: (threads: string[]) => string[]): Promise<void> {
    const next = this.chain.then(async () => this.records.set(OPEN_LIST_KEY, edit(await this.list())));
    this.chain = next.catch(() => undefined);
    return next;
  }
}
