/**
 * The throughput baseline: @openai/agents running our agent pack with the same threads, turns and model latency
 * as bench/throughput.ts, in the same process, so the two are compared on one machine at one moment.
 *
 * The SDK side does less than ours: each thread's history lives in a variable (no session, nothing stored, no
 * dedupe, inbox or lock), and the reply is not streamed. So the comparison favours the SDK.
 */
import { performance } from 'node:perf_hooks';
import {
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  type StreamEvent,
  setTracingDisabled,
  Usage,
} from '@openai/agents';
import { createLogger } from '../src/log.js';
import { sdkAgentPack } from './agentsSdkSubject.js';
import { createMapStore } from './mapStore.js';
import { type GcPauses, watchGc } from './measure.js';

export interface SdkThroughputReport {
  label: string;
  turns: number;
  modelCalls: number;
  wallSeconds: number;
  turnsPerSecond: number;
  percentOfIdeal: number;
  eventLoopBusyPerTurnMs: number;
  gcPauses: GcPauses;
}

/** Answers every call with one text message after `latencyMs`, as bench/throughput.ts's model does for ours. */
class FixedLatencySdkModel implements Model {
  calls = 0;

  constructor(private readonly latencyMs: number) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.calls += 1;
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const text = `Thanks, noted: ${lastUserText(request.input)}`;
    return {
      usage: new Usage(),
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }],
    };
  }

  getStreamedResponse(): AsyncIterable<StreamEvent> {
    throw new Error('throughput baseline: runs are not streamed');
  }
}

function lastUserText(input: ModelRequest['input']): string {
  if (typeof input === 'string') return input;
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i]!;
    if ('role' in item && item.role === 'user' && typeof item.content === 'string') return item.content;
  }
  throw new Error('throughput baseline: a model request without a user message');
}

export async function benchAgentsSdkThroughput(options: {
  threads: number;
  turnsPerThread: number;
  latencyMs: number;
  warmupThreads: number;
}): Promise<SdkThroughputReport> {
  const { threads, turnsPerThread, latencyMs } = options;
  setTracingDisabled(true);
  const model = new FixedLatencySdkModel(latencyMs);
  const triage = sdkAgentPack(model, createMapStore().records, createLogger({ level: 'silent' }));
  const runner = new Runner({ tracingDisabled: true });
  const play = (name: string, count: number, turns: number) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        let history: AgentInputItem[] = [];
        for (let k = 1; k <= turns; k++) {
          const result = await runner.run(
            triage,
            [...history, { role: 'user', content: `${name} question ${k} from customer ${i}` }],
            {
              context: { thread: `bench:${name}:${i}`, userId: `U-${i}` },
            },
          );
          if (typeof result.finalOutput !== 'string' || !result.finalOutput.startsWith('Thanks, noted:')) {
            throw new Error(`throughput baseline: turn ${k} of thread ${i} ended without the model's answer`);
          }
          history = result.history;
        }
      }),
    );
  await play('sdk-warmup', options.warmupThreads, 1);
  model.calls = 0;
  const gc = watchGc();
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await play('sdk', threads, turnsPerThread);
  const wallSeconds = (performance.now() - started) / 1000;
  const busy = performance.eventLoopUtilization(elu);
  const turns = threads * turnsPerThread;
  if (model.calls !== turns)
    throw new Error(`throughput baseline: ${model.calls} model calls for ${turns} turns, expected one per turn`);
  const turnsPerSecond = turns / wallSeconds;
  return {
    label: '@openai/agents',
    turns,
    modelCalls: model.calls,
    wallSeconds,
    turnsPerSecond,
    percentOfIdeal: (100 * turnsPerSecond) / (threads / (latencyMs / 1000)),
    eventLoopBusyPerTurnMs: busy.active / turns,
    gcPauses: await gc.stop(),
  };
}
