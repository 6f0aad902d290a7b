import type { ThreadGate } from '../conversation/threadGate.js';
import type { Logger } from '../log.js';
import type { OpenEscalations } from './openEscalations.js';

/** The sweep runs every half reminder delay, within these bounds. */
const MAX_SWEEP_INTERVAL_MS = 30_000;
const MIN_SWEEP_INTERVAL_MS = 10;

export interface SweeperOptions {
  openList: OpenEscalations;
  /** Each thread is swept holding its lock, so the sweep never races a turn or a staff action. */
  gate: ThreadGate;
  log: Logger;
  remindAfterMs: number;
  /** What the sweep does to one open escalation: post its card if a crash left it unposted, remind staff once. */
  sweepThread(thread: string, now: number): Promise<void>;
}

/** Goes over the open escalations at start and on an interval, one sweep at a time. */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: SweeperOptions) {}

  /** Sweeps once now (finishing work a restart interrupted), then at an interval for reminders. */
  start(): void {
    const interval = Math.max(
      MIN_SWEEP_INTERVAL_MS,
      Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(this.options.remindAfterMs / 2)),
    );
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep; concurrent calls share it. */
  sweep(now = Date.now()): Promise<void> {
    this.sweeping ??= this.sweepOnce(now).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(now: number): Promise<void> {
    try {
      const threads = await this.options.openList.list();
      for (const thread of threads) {
        await this.options.gate
          .run(thread, () => this.options.sweepThread(thread, now))
          .catch((err: unknown) => this.options.log.error({ err, thread }, 'escalation.sweep_thread_failed'));
      }
    } catch (err) {
      this.options.log.error({ err }, 'escalation.sweep_failed');
    }
  }
}
