import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { FakeOpenAI } from '../test/fakes/openaiServer.js';
import { createAgentsSdkSubject } from './agentsSdkSubject.js';
import { type MachineInfo, machineInfo } from './machine.js';
import { type BenchSubject, scenarioReply, type TurnSample } from './scenario.js';
import { createSwitchboardSubject } from './switchboardSubject.js';

export const DEFAULT_ITERATIONS = 300;
export const DEFAULT_WARMUP_ITERATIONS = 30;
/** Turns per runner before switching to the other; short blocks spread drift (GC, CPU frequency) over both. */
export const DEFAULT_BLOCK_TURNS = 10;

export interface Spread {
  median: number;
  p90: number;
}

export interface SubjectReport {
  label: string;
  mode: string;
  turns: number;
  /** (wall − model time) / model calls, per turn, in ms. */
  overheadPerCallMs: Spread;
  wallPerTurnMs: Spread;
  modelPerCallMs: Spread;
  modelCallsPerTurn: number;
}

export interface OverheadReport {
  ours: SubjectReport;
  theirs: SubjectReport;
  /** Median overhead per call, ours ÷ theirs; the project's goal is ≤ 0.2. */
  ratio: number;
  /** Ours with other stores, to show what our overhead is made of; each with its own ratio to theirs. */
  diagnostics: Array<SubjectReport & { ratio: number }>;
  iterations: number;
  warmupIterations: number;
  blockTurns: number;
  /** `loadAverage1m` is taken before the run: near or above `cores`, other work shares the CPU and the spread widens. */
  machine: MachineInfo;
  agentsSdkVersion: string;
}

export interface OverheadOptions {
  iterations?: number;
  warmupIterations?: number;
  blockTurns?: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

function summarize(subject: BenchSubject, samples: TurnSample[]): SubjectReport {
  return {
    label: subject.label,
    mode: subject.mode,
    turns: samples.length,
    overheadPerCallMs: spread(samples.map((s) => (s.wallMs - s.modelMs) / s.modelCalls)),
    wallPerTurnMs: spread(samples.map((s) => s.wallMs)),
    modelPerCallMs: spread(samples.map((s) => s.modelMs / s.modelCalls)),
    modelCallsPerTurn: spread(samples.map((s) => s.modelCalls)).median,
  };
}

function agentsSdkVersion(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(new URL('../node_modules/@openai/agents/package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Plays the scenario with every runner against one fake model server in this process, alternating in blocks,
 * and reports each runner's framework overhead per model call.
 */
export async function benchOverhead(options: OverheadOptions = {}): Promise<OverheadReport> {
  const machine = machineInfo();
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const warmupIterations = options.warmupIterations ?? DEFAULT_WARMUP_ITERATIONS;
  const blockTurns = options.blockTurns ?? DEFAULT_BLOCK_TURNS;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const fake = await new FakeOpenAI().start();
  fake.respondWith(scenarioReply);
  const log = createLogger({ level: 'silent' });
  // The SDK's copy of our tools gets its own store of the same kind, so tool work is identical on both sides.
  const sdkStore = createStore(
    { url: undefined, dataDir: path.join(dataDir, 'agents-sdk'), namespace: 'bench-agents-sdk' },
    log,
  );
  const ours = createSwitchboardSubject(fake.baseURL, path.join(dataDir, 'switchboard'));
  const theirs = await createAgentsSdkSubject(fake.baseURL, sdkStore.records, log);
  const diagnostics = (['sqlite-memory', 'map'] as const).map((kind) =>
    createSwitchboardSubject(fake.baseURL, dataDir, kind),
  );
  const subjects = [ours, theirs, ...diagnostics];
  const samples = new Map<BenchSubject, TurnSample[]>(subjects.map((s) => [s, []]));
  let turnIndex = 0;
  const play = async (subject: BenchSubject, turns: number, keep: boolean) => {
    for (let i = 0; i < turns; i++) {
      const sample = await subject.turn(turnIndex++);
      fake.requests.length = 0;
      if (keep) samples.get(subject)!.push(sample);
    }
  };
  try {
    for (const subject of subjects) await play(subject, warmupIterations, false);
    for (let done = 0, block = 0; done < iterations; done += blockTurns, block++) {
      const turns = Math.min(blockTurns, iterations - done);
      // Each block starts with the next runner, so none always follows the same one.
      const order = subjects.map((_, i) => subjects[(i + block) % subjects.length]!);
      for (const subject of order) await play(subject, turns, true);
    }
  } finally {
    for (const subject of subjects) await subject.close();
    await sdkStore.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const oursReport = summarize(ours, samples.get(ours)!);
  const theirsReport = summarize(theirs, samples.get(theirs)!);
  const ratio = (report: SubjectReport) => report.overheadPerCallMs.median / theirsReport.overheadPerCallMs.median;
  return {
    ours: oursReport,
    theirs: theirsReport,
    ratio: ratio(oursReport),
    diagnostics: diagnostics.map((subject) => {
      const report = summarize(subject, samples.get(subject)!);
      return { ...report, ratio: ratio(report) };
    }),
    iterations,
    warmupIterations,
    blockTurns,
    machine,
    agentsSdkVersion: agentsSdkVersion(),
  };
}
