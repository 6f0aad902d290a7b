import {
  Agent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type ModelRetryAdviceRequest,
  OpenAIProvider,
  type RunContext,
  Runner,
  type StreamEvent,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import { z } from 'zod';
import { agentPack, DEFAULT_AGENT_ID } from '../agents/registry.js';
import type { RecordStore, Tool } from '../src/index.js';
import type { Logger } from '../src/log.js';
import { BENCH_CUSTOMER_EMAIL, type BenchSubject, checkReply, USER_TEXT } from './scenario.js';

/** What our tools need from a run; the SDK carries it as the run context. */
export interface BenchRunContext {
  thread: string;
  userId: string;
}

/**
 * Times the model, counting only the time spent inside the stream's `next()`: between events the SDK runs
 * its own per-event work, which is framework overhead, not model time.
 */
class TimedModel implements Model {
  ms = 0;
  calls = 0;

  constructor(private readonly inner: Model) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const started = performance.now();
    this.calls += 1;
    try {
      return await this.inner.getResponse(request);
    } finally {
      this.ms += performance.now() - started;
    }
  }

  getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    this.calls += 1;
    const stream = this.inner.getStreamedResponse(request);
    const timed = { add: (ms: number) => (this.ms += ms) };
    return {
      [Symbol.asyncIterator]() {
        const events = stream[Symbol.asyncIterator]();
        return {
          next: async () => {
            const started = performance.now();
            try {
              return await events.next();
            } finally {
              timed.add(performance.now() - started);
            }
          },
          return: async (value?: unknown) =>
            (await events.return?.(value)) ?? { done: true as const, value: undefined },
        };
      },
    };
  }

  getRetryAdvice(args: ModelRetryAdviceRequest) {
    return this.inner.getRetryAdvice?.(args);
  }
}

/**
 * The same tool code as ours, declared the SDK's way: our zod schema when its strict mode accepts it
 * (it rejects optional fields), otherwise our JSON Schema with the same zod parse inside execute.
 */
/** The SDK has no shared fact sheet; tools write into nothing there. */
const NO_FACTS = { set: () => {}, get: () => undefined };

function sdkTool(ours: Tool, records: RecordStore, log: Logger) {
  const execute = async (input: unknown, run?: RunContext<BenchRunContext>, details?: { signal?: AbortSignal }) => {
    const context = run?.context ?? { thread: 'unknown', userId: 'unknown' };
    const signal = details?.signal ?? new AbortController().signal;
    const requester = {
      platform: 'bench',
      userId: context.userId,
      verifiedEmail: BENCH_CUSTOMER_EMAIL,
      givenEmails: [],
    };
    return ours.run(input, {
      thread: context.thread,
      userId: context.userId,
      requester,
      agent: 'agents-sdk',
      signal,
      log,
      records,
      facts: NO_FACTS,
    });
  };
  // The pack declares approval as a flag; no tool decides it per input, so probing without input is safe.
  const needsApproval = ours.needsApproval(undefined);
  if (ours.input instanceof z.ZodObject) {
    try {
      return tool<typeof ours.input, BenchRunContext>({
        name: ours.name,
        description: ours.description,
        parameters: ours.input,
        needsApproval,
        execute,
      });
    } catch {
      // Falls through to the non-strict declaration below.
    }
  }
  const schema = ours.parameters as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return tool<
    {
      type: 'object';
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      additionalProperties: true;
    },
    BenchRunContext
  >({
    name: ours.name,
    description: ours.description,
    parameters: {
      type: 'object',
      properties: schema.properties ?? {},
      required: schema.required ?? [],
      additionalProperties: true,
    },
    strict: false,
    needsApproval,
    execute: (input, run, details) => execute(ours.input.parse(input), run, details),
  });
}

/** Our agent pack rebuilt as SDK agents on `model` (same instructions, tools and handoffs); returns the triage agent. */
export function sdkAgentPack(model: Model, records: RecordStore, log: Logger): Agent<BenchRunContext> {
  const byId = new Map<string, Agent<BenchRunContext>>();
  for (const ours of agentPack()) {
    const tools = (ours.tools ?? []).map((t) => sdkTool(t, records, log));
    // Named by id: the SDK derives `transfer_to_<name>` keeping case, and ours is `transfer_to_<id>`.
    byId.set(
      ours.id,
      new Agent<BenchRunContext>({
        name: ours.id,
        instructions: ours.instructions,
        handoffDescription: ours.description,
        model,
        tools,
      }),
    );
  }
  // Handoffs are circular (triage ⇄ orders), so they are wired once every agent exists.
  for (const ours of agentPack()) byId.get(ours.id)!.handoffs = (ours.handoffs ?? []).map((id) => byId.get(id)!);
  return byId.get(DEFAULT_AGENT_ID)!;
}

/**
 * Our agent pack as SDK agents, run by the SDK's Runner against the fake model server. The SDK's own provider
 * builds the client, from the `openai` release the SDK depends on (7.x for 0.20, where we use 6.x).
 */
export async function createAgentsSdkSubject(
  baseURL: string,
  records: RecordStore,
  log: Logger,
): Promise<BenchSubject> {
  setTracingDisabled(true);
  const provider = new OpenAIProvider({ baseURL, apiKey: 'sk-bench', useResponses: false });
  const model = new TimedModel(await provider.getModel('gpt-4o-mini'));
  const triage = sdkAgentPack(model, records, log);
  const runner = new Runner({ tracingDisabled: true });
  return {
    label: '@openai/agents',
    mode: 'streamed chat completions (OpenAIProvider with useResponses: false, run with stream: true), no session',
    async turn(index) {
      model.ms = 0;
      model.calls = 0;
      const started = performance.now();
      const result = await runner.run(triage, USER_TEXT, {
        stream: true,
        context: { thread: `bench:agents-sdk:${index}`, userId: 'U-bench' },
      });
      // Consumed event by event, as an adapter rendering the stream would.
      for await (const event of result) void event;
      await result.completed;
      const wallMs = performance.now() - started;
      checkReply('@openai/agents', result.finalOutput, model.calls);
      return { wallMs, modelMs: model.ms, modelCalls: model.calls };
    },
    close: async () => {},
  };
}
