/**
 * WORKERS: several bot processes on one machine, one per core, sharing one Redis store. Slack spreads a Socket Mode
 * app's events over its open connections (up to 10) and each worker holds one; in HTTP mode they share the port.
 * The primary process runs no bot: it starts the workers, replaces one that dies, serves /healthz, /readyz and
 * /metrics for all of them, and passes a stop signal on.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { checkAll, type ReadinessCheck, startOpsServer } from './opsServer.js';

/** Slack allows an app 10 open Socket Mode connections. */
export const MAX_WORKERS = 10;
/** The variable a worker learns its number (1…N) from. */
export const WORKER_NUMBER_VARIABLE = 'SWITCHBOARD_WORKER';
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A worker that has run this long before dying starts its restarts from RESTART_FIRST_MS again. */
const STABLE_MS = 60_000;
/** A worker gets this long to answer the primary's readiness question. */
const ANSWER_TIMEOUT_MS = 2_000;
/** After the shutdown deadline, workers get this much longer to exit before they are killed. */
const KILL_GRACE_MS = 5_000;

/** WORKERS: a whole number, or `auto` for one per core. */
export const workersSetting = z
  .string()
  .trim()
  .default('1')
  .transform((value, ctx) => {
    const count = value === 'auto' ? Math.min(os.availableParallelism(), MAX_WORKERS) : Number(value);
    if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_WORKERS}, or auto` });
      return z.NEVER;
    }
    return count;
  });

/** What WORKERS above 1 needs from the rest of the configuration. */
export function workerProblems(env: { WORKERS: number; STORE_URL?: string | undefined; SLACK_BOT_TOKEN?: string }) {
  if (env.WORKERS <= 1) return [];
  const problems: string[] = [];
  if (!env.STORE_URL?.startsWith('redis'))
    problems.push(
      `${env.WORKERS} workers need a shared store: set STORE_URL=redis://… (the SQLite store belongs to one process)`,
    );
  if (!env.SLACK_BOT_TOKEN)
    problems.push(
      "workers share Slack's connections: set SLACK_BOT_TOKEN (the terminal chat is one process, and Discord sends a bot's events to one connection)",
    );
  return problems;
}

/** This process's worker number, when the primary started it as one of WORKERS. */
export function workerNumber(env: NodeJS.ProcessEnv): number | undefined {
  const number = Number(env[WORKER_NUMBER_VARIABLE]);
  return cluster.isWorker && Number.isInteger(number) && number > 0 ? number : undefined;
}

const STARTED = 'switchboard:started';
const READY_QUESTION = 'switchboard:ready?';
const READY_ANSWER = 'switchboard:ready';
type Message = { type?: unknown; id?: unknown; checks?: unknown };

/**
 * In a worker, once its adapters are up: tells the primary so, answers its readiness questions with this worker's
 * checks, and hands it this worker's metrics through prom-client's cluster aggregation.
 */
export function serveAsWorker(checks: ReadinessCheck[], metrics: Registry): void {
  new AggregatorRegistry(); // Its constructor installs prom-client's answer to the primary's metrics requests.
  AggregatorRegistry.setRegistries([metrics]);
  process.on('message', (message: Message) => {
    if (message?.type !== READY_QUESTION) return;
    void checkAll(checks).then((results) => process.send?.({ type: READY_ANSWER, id: message.id, checks: results }));
  });
  process.send?.({ type: STARTED });
}

/** The script and node flags a worker runs: this one, with tsx when it is TypeScript. */
export function workerCommand(mainUrl: string): { exec: string; execArgv: string[] } {
  const exec = fileURLToPath(mainUrl);
  const typeScript = exec.endsWith('.ts') && !process.execArgv.some((flag) => flag.includes('tsx'));
  return {
    exec,
    execArgv: typeScript ? [...process.execArgv, '--import', import.meta.resolve('tsx')] : process.execArgv,
  };
}

export interface SupervisorOptions {
  workers: number;
  command: { exec: string; execArgv: string[] };
  opsPort: number | undefined;
  shutdownDeadlineMs: number;
  log: Logger;
}

interface Slot {
  number: number;
  worker: Worker;
  started: boolean;
  /** When this slot's worker last said it had started. */
  startedAt: number;
  everStarted: boolean;
  restarts: number;
}

/** Runs the workers until a stop signal, or until one fails to start at all; resolves with the exit code. */
export async function superviseWorkers(options: SupervisorOptions): Promise<number> {
  const { log } = options;
  const slots = new Map<number, Slot>();
  const answers = new Map<number, (ready: boolean) => void>();
  let questions = 0;
  let stopping: { code: number } | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const slotOf = (worker: Worker) => [...slots.values()].find((slot) => slot.worker === worker);

  const fork = (number: number) => {
    const worker = cluster.fork({ [WORKER_NUMBER_VARIABLE]: String(number) });
    const previous = slots.get(number);
    slots.set(number, {
      number,
      worker,
      started: false,
      startedAt: 0,
      everStarted: previous?.everStarted ?? false,
      restarts: previous?.restarts ?? 0,
    });
  };

  const stop = (signal: NodeJS.Signals, code: number) => {
    if (stopping) return;
    stopping = { code };
    log.info({ signal, workers: slots.size }, 'workers.stopping');
    const live = [...slots.values()].filter((slot) => !slot.worker.isDead());
    if (live.length === 0) return finish(code);
    // SIGTERM whichever signal came: a worker handles both alike, and Ctrl-C has already sent it SIGINT itself.
    for (const slot of live) slot.worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const slot of slots.values()) if (!slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
    }, options.shutdownDeadlineMs + KILL_GRACE_MS).unref();
  };

  cluster.setupPrimary({ exec: options.command.exec, execArgv: options.command.execArgv });
  cluster.on('message', (worker, message: Message) => {
    const slot = slotOf(worker);
    if (!slot) return;
    if (message?.type === STARTED) {
      Object.assign(slot, { started: true, startedAt: Date.now(), everStarted: true });
      if ([...slots.values()].every((s) => s.started)) log.info({ workers: slots.size }, 'workers.started');
    } else if (message?.type === READY_ANSWER && typeof message.id === 'number') {
      const checks = (message.checks ?? {}) as Record<string, boolean>;
      answers.get(message.id)?.(Object.values(checks).every(Boolean));
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    const slot = slotOf(worker);
    if (!slot) return;
    if (stopping) {
      if ([...slots.values()].every((s) => s.worker.isDead())) finish(stopping.code);
      return;
    }
    if (!slot.everStarted) {
      // It never came up (a store it cannot reach, a help-center folder it cannot read): restarting will not help.
      log.fatal({ worker: slot.number, code, signal }, 'worker.start_failed');
      return stop('SIGTERM', code || 1);
    }
    slot.restarts = slot.started && Date.now() - slot.startedAt > STABLE_MS ? 1 : slot.restarts + 1;
    const restartInMs = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** (slot.restarts - 1));
    log.error({ worker: slot.number, code, signal, restartInMs }, 'worker.exited');
    setTimeout(() => !stopping && fork(slot.number), restartInMs);
  });

  const ask = (slot: Slot) =>
    new Promise<boolean>((resolve) => {
      if (!slot.started || !slot.worker.isConnected()) return resolve(false);
      const id = ++questions;
      const timer = setTimeout(() => answers.get(id)?.(false), ANSWER_TIMEOUT_MS);
      answers.set(id, (ready) => {
        clearTimeout(timer);
        answers.delete(id);
        resolve(ready);
      });
      slot.worker.send({ type: READY_QUESTION, id });
    });

  for (let number = 1; number <= options.workers; number++) fork(number);
  // Every signal is heard, and the first one counts: a second Ctrl-C must not kill the primary while its workers
  // wind down (they would lose its IPC channel and exit at once).
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));

  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  if (options.opsPort !== undefined) {
    const metrics = new AggregatorRegistry();
    // Ready while any worker is: the others' share of the events goes to the connections that are open. Each
    // worker's own answer is listed beside it.
    let answered: Record<string, boolean> = {};
    const workers: ReadinessCheck = {
      name: 'workers',
      check: async () => {
        const ready = await Promise.all([...slots.values()].map(async (slot) => [slot.number, await ask(slot)]));
        answered = Object.fromEntries(ready);
        return Object.values(answered).some(Boolean);
      },
    };
    try {
      ops = await startOpsServer({
        port: options.opsPort,
        registry: { contentType: metrics.contentType, metrics: () => metrics.clusterMetrics() },
        checks: [workers],
        details: () => ({ workers: answered }),
        log,
      });
    } catch (err) {
      log.error({ err, port: options.opsPort }, 'ops.listen_failed');
    }
  }
  log.info({ workers: options.workers, ops: ops?.port ?? 'off' }, 'workers.supervising');
  const code = await finished;
  await ops?.close();
  log.info({ code }, 'workers.stopped');
  return code;
}
