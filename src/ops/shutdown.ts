import type { ConversationService } from '../conversation/service.js';
import type { Store } from '../conversation/store.js';
import type { ThreadGate } from '../conversation/threadGate.js';
import type { EscalationDesk } from '../escalation/desk.js';
import type { Logger } from '../log.js';

/** The parts of a running bot a stop signal winds down. */
export interface RunningBot {
  service: ConversationService;
  desk: EscalationDesk;
  gate: ThreadGate;
  store: Store;
}

/**
 * On SIGINT or SIGTERM: stop taking messages (`stoppers`: the adapters, the ops server), let turns under way finish
 * within `deadlineMs`, then exit. What is unfinished by then stays in the inbox, its locks let go, so another
 * replica (or this one restarted) resumes it at once. A second signal while stopping changes nothing: the deadline
 * bounds the wait.
 */
export function stopOnSignals(
  bot: RunningBot,
  stoppers: Array<() => Promise<void>>,
  deadlineMs: number,
  log: Logger,
): void {
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutdown');
    bot.service.stopRecovery();
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), deadlineMs).unref());
    const finished = Promise.allSettled(stoppers.map((stop) => stop())).then(() =>
      Promise.all([bot.desk.stop(), bot.service.drain()]),
    );
    if ((await Promise.race([finished, deadline])) === 'deadline') {
      log.warn({ deadlineMs, threads: bot.gate.held() }, 'shutdown.deadline');
      await bot.gate.releaseAll();
    }
    await bot.store.close().catch(() => undefined);
    log.info({ signal }, 'shutdown.done');
    process.exit(0);
  };
  // One shutdown, however many signals: a worker gets Ctrl-C's SIGINT from the terminal and then the primary's SIGTERM.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    void shutdown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
