import { runIfEntryPoint } from './entry.js';
/**
 * `npx tsx bench/fanout.ts`: wall time of one message with two requests, the specialists consulted side by side
 * (the default) against one after another (DELEGATION=sequential), with a model that takes a fixed time per call.
 */
import { BenchModel, benchApp } from './offlineModel.js';
import { BENCH_CUSTOMER_EMAIL } from './scenario.js';

export const FANOUT_TEXT = 'Where is my order ORD-1001? Also, can you explain invoice INV-2001?';
const LATENCY_MS = 300;
const RUNS = 3;

export interface FanoutReport {
  text: string;
  latencyMs: number;
  parallelMs: number;
  sequentialMs: number;
  /** parallel ÷ sequential wall time, median of the runs. */
  ratio: number;
  modelCalls: { parallel: number; sequential: number };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timeMessage(delegation: 'parallel' | 'sequential'): Promise<{ ms: number; calls: number }> {
  const model = await BenchModel.create(LATENCY_MS);
  const { app, close } = await benchApp(model, { DELEGATION: delegation });
  const samples: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const outcome = await app.service.handle({
        id: `fanout-${delegation}-${run}`,
        thread: `bench:fanout:${delegation}:${run}`,
        userId: 'U-bench',
        verifiedEmail: BENCH_CUSTOMER_EMAIL,
        text: FANOUT_TEXT,
      });
      samples.push(performance.now() - started);
      // Both specialists must have answered, or this measured something else.
      if (!/\*\*Orders:\*\*/.test(outcome.reply) || !/\*\*Billing:\*\*/.test(outcome.reply))
        throw new Error(`fan-out did not happen: ${outcome.reply}`);
    }
  } finally {
    await close();
  }
  return { ms: median(samples), calls: model.calls.length / RUNS };
}

export async function benchFanout(): Promise<FanoutReport> {
  const parallel = await timeMessage('parallel');
  const sequential = await timeMessage('sequential');
  return {
    text: FANOUT_TEXT,
    latencyMs: LATENCY_MS,
    parallelMs: parallel.ms,
    sequentialMs: sequential.ms,
    ratio: parallel.ms / sequential.ms,
    modelCalls: { parallel: parallel.calls, sequential: sequential.calls },
  };
}

export function formatFanout(report: FanoutReport): string {
  return [
    `Fan-out: "${report.text}" (Orders and Billing consulted; each looks up, answers, and its answer is reviewed), model ${report.latencyMs} ms per call, median of ${RUNS}`,
    `parallel: ${report.parallelMs.toFixed(0)} ms   sequential: ${report.sequentialMs.toFixed(0)} ms   (${report.modelCalls.parallel === report.modelCalls.sequential ? `${report.modelCalls.parallel} model calls either way` : `${report.modelCalls.parallel} and ${report.modelCalls.sequential} model calls`})`,
    `parallel ÷ sequential wall time: ${report.ratio.toFixed(2)}`,
  ].join('\n');
}

runIfEntryPoint(import.meta.url, async () => {
  process.stdout.write(`${formatFanout(await benchFanout())}\n`);
});
