import type { SetStore } from '../conversation/setStore.js';
import type { RecordStore } from '../conversation/store.js';

const OPEN_SET = 'escalation:open';
/** Where earlier versions kept the list, as one stored array (a read-modify-write that replicas could undo). */
const LEGACY_LIST_KEY = 'escalation:open';

/**
 * The customer threads with an open escalation, which the desk's sweep walks for reminders and unposted cards.
 * A store set: each add or remove is one atomic step, so two replicas escalating at once both stay listed.
 */
export class OpenEscalations {
  private migrated: Promise<void> | undefined;

  constructor(
    private readonly sets: SetStore,
    private readonly records: RecordStore,
  ) {}

  async list(): Promise<string[]> {
    await this.migrate();
    return this.sets.members(OPEN_SET);
  }

  async add(thread: string): Promise<void> {
    await this.sets.add(OPEN_SET, thread);
  }

  async remove(thread: string): Promise<void> {
    await this.migrate();
    await this.sets.remove(OPEN_SET, thread);
  }

  /** Moves a list an earlier version stored into the set, once per process (and again after a failure). */
  private migrate(): Promise<void> {
    this.migrated ??= (async () => {
      const legacy = await this.records.get<string[]>(LEGACY_LIST_KEY);
      if (!legacy) return;
      for (const thread of legacy) await this.sets.add(OPEN_SET, thread);
      await this.records.delete(LEGACY_LIST_KEY);
    })().catch((err: unknown) => {
      this.migrated = undefined;
      throw err;
    });
    return this.migrated;
  }
}
