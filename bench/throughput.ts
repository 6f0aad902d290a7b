/**
 * `npx tsx bench/throughput.ts`: turns per second with many threads talking at once to a fake model of fixed
 * latency, against the ideal N/L, with the overhead per turn and the peak memory of the process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { type App, createApp } from '../src/main.js';
import type { ModelProvider, ModelRequest, ModelResponse, TextDeltaListener } from '../src/model/types.js';
import type { SdkThroughputReport } from './agentsSdkThroughput.js';
import { runIfEntryPoint } from './entry.js';
import { type MachineInfo, machineInfo } from './machine.js';
import { createMapStore } from './mapStore.js';
import { type GcPauses, type Percentiles, percentiles, toMB, watchGc, watchRss } from './measure.js';
import { BENCH_CUSTOMER_EMAIL } from './scenario.js';

export const DEFAULT_THREADS = 1_000;
export const DEFAULT_TURNS_PER_THREAD = 3;
export const DEFAULT_LATENCY_MS = 300;
/** Threads of one turn each, run before measuring so JIT compilation and first-use costs are not counted. */
const WARMUP_THREADS = 20;
/** The triage agent answers in text without tools, so each turn is exactly one model call. */
const MODEL_CALLS_PER_TURN = 1;
/** The goals. */
const GOAL_PERCENT_OF_IDEAL = 95;
const GOAL_PEAK_RSS_MB = 300;

/** `sqlite-file`: as `npm start` runs by default; `map`: no store I/O at all (diagnostic). */
export type ThroughputStoreKind = 'sqlite-file' | 'map';

const STORE_DESCRIPTION: Record<ThroughputStoreKind, string> = {
  'sqlite-file': 'SQLite file store (the default)',
  map: 'in-process Map store, no I/O (diagnostic)',
};

export interface ThroughputOptions {
  threads?: number;
  turnsPerThread?: number;
  latencyMs?: number;
  store?: ThroughputStoreKind;
  /** Then runs @openai/agents on the same load in this process (bench/agentsSdkThroughput.ts), for a ratio. */
  baseline?: boolean;
}

export interface ThroughputReport {
  threads: number;
  turnsPerThread: number;
  latencyMs: number;
  store: ThroughputStoreKind;
  turns: number;
  modelCalls: number;
  wallSeconds: number;
  turnsPerSecond: number;
  /** threads / (latency × model calls per turn): every thread always waiting on the model, nothing else. */
  idealTurnsPerSecond: number;
  percentOfIdeal: number;
  /** Per turn: wall time − time inside its model call (as timed in the fake, so late timers count as model time). */
  overheadPerTurnMs: Percentiles;
  /** Per turn: wall time − latencyMs per model call, i.e. everything a user waits beyond the model, late timers included. */
  addedDelayPerTurnMs: Percentiles;
  /** Per call, as timed inside the fake: above latencyMs by how late its timer fired (a busy event loop). */
  modelCallMs: Percentiles;
  /** Main-thread busy time per turn: with every thread at once, each round of turns waits for about threads × this. */
  eventLoopBusyPerTurnMs: number;
  eventLoopUtilization: number;
  /**
   * About the most this run's CPU allows: every thread starts at once, so in a first-come schedule the last one
   * waits once for the others' work (threads × busy per turn) on top of its own turns' model time. An estimate,
   * not a proof: strictly it waits at least for the others' work before their first model call.
   */
  cpuBoundPercentOfIdeal: number;
  /** The busy time per turn at which that bound would reach the goal. */
  busyPerTurnForGoalMs: number;
  /** Garbage-collection pauses during the measured run: each stops every thread at once. */
  gcPauses: GcPauses;
  /** Just before the measured run (after the warm-up). */
  rssBeforeMB: number;
  /** Sampled every RSS_SAMPLE_INTERVAL_MS during the measured run, and at its end. */
  peakRssMB: number;
  goals: { percentOfIdeal: boolean; peakRss: boolean };
  /** `loadAverage1m` is taken before the run: near or above `cores`, other work shares the CPU. */
  machine: MachineInfo;
  /** @openai/agents on the same load, run after ours in the same process; absent unless asked for. */
  baseline?: SdkThroughputReport;
}

/** Answers every call in plain text after `latencyMs`, and times each call against the turn that made it. */
class FixedLatencyModel implements ModelProvider {
  readonly name = 'bench-fixed-latency';
  calls = 0;
  /** Model time by the turn's user text, which is unique in a run; the turn takes its entry when it ends. */
  readonly msByText = new Map<string, number>();
  readonly callMs: number[] = [];

  constructor(private readonly latencyMs: number) {}

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    const started = performance.now();
    this.calls += 1;
    const asked = lastUserText(request);
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const ms = performance.now() - started;
    this.callMs.push(ms);
    this.msByText.set(asked, (this.msByText.get(asked) ?? 0) + ms);
    const text = `Thanks, noted: ${asked}`;
    // One delta, as a streaming provider gives at least one: the adapter's listener is part of the turn's work.
    onTextDelta?.(text);
    return { text, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 } };
  }
}

function lastUserText(request: ModelRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role === 'user') return message.content;
  }
  throw new Error('throughput bench: a model request without a user message');
}

interface TurnSample {
  wallMs: number;
  modelMs: number;
}

/** Starts every thread at once; each sends its turns one after another, the next after the previous reply. */
async function playThreads(
  app: App,
  model: FixedLatencyModel,
  name: string,
  threads: number,
  turnsPerThread: number,
): Promise<TurnSample[]> {
  const samples: TurnSample[] = [];
  const thread = async (i: number) => {
    for (let k = 1; k <= turnsPerThread; k++) {
      const text = `${name} question ${k} from customer ${i}`;
      const started = performance.now();
      const outcome = await app.service.handle(
        {
          id: `${name}-${i}-${k}`,
          thread: `bench:${name}:${i}`,
          userId: `U-${i}`,
          verifiedEmail: BENCH_CUSTOMER_EMAIL,
          text,
        },
        (run) => run(() => {}),
      );
      const wallMs = performance.now() - started;
      if (outcome.status !== 'answered')
        throw new Error(`throughput bench: turn ${k} of thread ${i} ended ${outcome.status}: ${outcome.reply}`);
      const modelMs = model.msByText.get(text);
      if (modelMs === undefined)
        throw new Error(`throughput bench: turn ${k} of thread ${i} was answered without a model call`);
      model.msByText.delete(text);
      samples.push({ wallMs, modelMs });
    }
  };
  await Promise.all(Array.from({ length: threads }, (_, i) => thread(i)));
  return samples;
}

export async function benchThroughput(options: ThroughputOptions = {}): Promise<ThroughputReport> {
  const threads = options.threads ?? DEFAULT_THREADS;
  const turnsPerThread = options.turnsPerThread ?? DEFAULT_TURNS_PER_THREAD;
  const latencyMs = options.latencyMs ?? DEFAULT_LATENCY_MS;
  const storeKind = options.store ?? 'sqlite-file';
  const machine = machineInfo();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-throughput-'));
  const config = loadConfig({ OPENAI_API_KEY: 'sk-bench', DATA_DIR: dataDir, TRIAGE_FASTPATH: 'off' });
  const log = createLogger({ level: 'silent' });
  const model = new FixedLatencyModel(latencyMs);
  const store = storeKind === 'map' ? createMapStore() : createStore({ ...config.store, namespace: 'bench' }, log);
  const app = createApp(config, log, { provider: model, store });
  try {
    await playThreads(app, model, 'tp-warmup', WARMUP_THREADS, 1);
    model.calls = 0;
    model.callMs.length = 0;
    const rssBefore = process.memoryUsage.rss();
    const rss = watchRss();
    const gc = watchGc();
    const elu = performance.eventLoopUtilization();
    const started = performance.now();
    const samples = await playThreads(app, model, 'tp', threads, turnsPerThread);
    const wallSeconds = (performance.now() - started) / 1000;
    const peakRss = rss.stop();
    const busy = performance.eventLoopUtilization(elu);
    const gcPauses = await gc.stop();
    const turns = threads * turnsPerThread;
    if (model.calls !== turns * MODEL_CALLS_PER_TURN)
      throw new Error(
        `throughput bench: ${model.calls} model calls for ${turns} turns, expected ${MODEL_CALLS_PER_TURN} per turn`,
      );
    const turnsPerSecond = turns / wallSeconds;
    const idealTurnsPerSecond = threads / ((latencyMs / 1000) * MODEL_CALLS_PER_TURN);
    const percentOfIdeal = (100 * turnsPerSecond) / idealTurnsPerSecond;
    return {
      threads,
      turnsPerThread,
      latencyMs,
      store: storeKind,
      turns,
      modelCalls: model.calls,
      wallSeconds,
      turnsPerSecond,
      idealTurnsPerSecond,
      percentOfIdeal,
      overheadPerTurnMs: percentiles(samples.map((s) => s.wallMs - s.modelMs)),
      addedDelayPerTurnMs: percentiles(samples.map((s) => s.wallMs - latencyMs * MODEL_CALLS_PER_TURN)),
      modelCallMs: percentiles(model.callMs),
      eventLoopBusyPerTurnMs: busy.active / turns,
      eventLoopUtilization: busy.utilization,
      ...cpuBound(threads, turnsPerThread * latencyMs * MODEL_CALLS_PER_TURN, busy.active / turns),
      gcPauses,
      rssBeforeMB: toMB(rssBefore),
      peakRssMB: toMB(peakRss),
      goals: { percentOfIdeal: percentOfIdeal >= GOAL_PERCENT_OF_IDEAL, peakRss: toMB(peakRss) <= GOAL_PEAK_RSS_MB },
      machine,
    };
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** benchThroughput, then the @openai/agents baseline when asked for (loaded only then, so ours runs without it). */
export async function benchThroughputWithBaseline(options: ThroughputOptions = {}): Promise<ThroughputReport> {
  const report = await benchThroughput(options);
  if (!options.baseline) return report;
  const { benchAgentsSdkThroughput } = await import('./agentsSdkThroughput.js');
  const { threads, turnsPerThread, latencyMs } = report;
  return {
    ...report,
    baseline: await benchAgentsSdkThroughput({ threads, turnsPerThread, latencyMs, warmupThreads: WARMUP_THREADS }),
  };
}

/** See ThroughputReport.cpuBoundPercentOfIdeal: one thread's model time against that plus one burst's CPU. */
function cpuBound(threads: number, modelMsPerThread: number, busyPerTurnMs: number) {
  return {
    cpuBoundPercentOfIdeal: (100 * modelMsPerThread) / (modelMsPerThread + threads * busyPerTurnMs),
    busyPerTurnForGoalMs: (modelMsPerThread * (100 / GOAL_PERCENT_OF_IDEAL - 1)) / threads,
  };
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function formatThroughput(report: ThroughputReport): string {
  const { machine: m, overheadPerTurnMs: o, addedDelayPerTurnMs: d, modelCallMs: c, gcPauses: gc } = report;
  const ms = (p: Percentiles) => `p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms`;
  return [
    `Throughput: ${report.threads} threads at once × ${report.turnsPerThread} turns, fake model ${report.latencyMs} ms per call, ${MODEL_CALLS_PER_TURN} call per turn`,
    `store: ${STORE_DESCRIPTION[report.store]}; ${WARMUP_THREADS} warm-up turns first, not counted`,
    `machine: node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.platform}, load average ${m.loadAverage1m.toFixed(2)} at start`,
    '',
    `turns: ${report.turns} (${report.modelCalls} model calls) in ${report.wallSeconds.toFixed(3)} s`,
    `achieved: ${report.turnsPerSecond.toFixed(1)} turns/s; ideal N/L: ${report.idealTurnsPerSecond.toFixed(1)} turns/s`,
    `percent of ideal: ${report.percentOfIdeal.toFixed(1)}%  — goal ≥ ${GOAL_PERCENT_OF_IDEAL}%: ${met(report.goals.percentOfIdeal)}`,
    `overhead per turn (wall − model time): ${ms(o)}`,
    `model call as timed in the fake (late timers included): ${ms(c)}`,
    `added delay per turn (wall − ${report.latencyMs} ms nominal): ${ms(d)}`,
    `event loop busy: ${report.eventLoopBusyPerTurnMs.toFixed(3)} ms per turn, ${(100 * report.eventLoopUtilization).toFixed(0)}% of the run`,
    `garbage collection: ${gc.count} pauses, ${gc.totalMs.toFixed(0)} ms in all, longest ${gc.longestMs.toFixed(1)} ms (a pause holds up every thread)`,
    `ceiling that CPU allows (estimate: the last thread waits once for all ${report.threads} threads' work): ${report.cpuBoundPercentOfIdeal.toFixed(1)}% of ideal; ${GOAL_PERCENT_OF_IDEAL}% needs ≤ ${report.busyPerTurnForGoalMs.toFixed(3)} ms busy per turn`,
    `RSS: ${report.rssBeforeMB.toFixed(0)} MB before, peak ${report.peakRssMB.toFixed(0)} MB  — goal ≤ ${GOAL_PEAK_RSS_MB} MB: ${met(report.goals.peakRss)}`,
    ...(report.baseline ? formatBaseline(report, report.baseline) : []),
  ].join('\n');
}

function formatBaseline(ours: ThroughputReport, sdk: SdkThroughputReport): string[] {
  const { gcPauses: gc } = sdk;
  return [
    '',
    `baseline, same load right after in this process: ${sdk.label} running the same agent pack, history kept in memory (no store, no dedupe, inbox or locks), replies not streamed`,
    `  ${sdk.turns} turns in ${sdk.wallSeconds.toFixed(3)} s: ${sdk.turnsPerSecond.toFixed(1)} turns/s, ${sdk.percentOfIdeal.toFixed(1)}% of ideal; event loop busy ${sdk.eventLoopBusyPerTurnMs.toFixed(3)} ms per turn; GC ${gc.count} pauses, ${gc.totalMs.toFixed(0)} ms`,
    `ratio ours/baseline (turns per second): ${(ours.turnsPerSecond / sdk.turnsPerSecond).toFixed(2)}; busy per turn: ${(ours.eventLoopBusyPerTurnMs / sdk.eventLoopBusyPerTurnMs).toFixed(2)}`,
  ];
}

/**
 * `--json --store <kind> [--baseline]`: one run, printed as JSON (how `npm run bench` runs it, in a fresh
 * process). Without `--json`: both stores, the SQLite one with the @openai/agents baseline.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--json')) {
    const store = args[args.indexOf('--store') + 1] === 'map' ? 'map' : 'sqlite-file';
    process.stdout.write(
      `${JSON.stringify(await benchThroughputWithBaseline({ store, baseline: args.includes('--baseline') }))}\n`,
    );
    return;
  }
  for (const store of ['sqlite-file', 'map'] as const) {
    const report = await benchThroughputWithBaseline({ store, baseline: store === 'sqlite-file' });
    process.stdout.write(`${formatThroughput(report)}\n\n`);
  }
}

runIfEntryPoint(import.meta.url, main);
