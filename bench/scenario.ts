import type { FakeReply, RecordedRequest } from '../test/fakes/openaiServer.js';

/** One support turn that both runners play against the same fake model: triage → Orders → lookup_order → answer. */
export const USER_TEXT = 'Where is my order ORD-1001?';
export const FINAL_REPLY = 'Your order ORD-1001 has shipped.';
export const MODEL_CALLS_PER_TURN = 3;
/** ORD-1001's owner: both runners' requester, so the order is shown (tools check whose it is). */
export const BENCH_CUSTOMER_EMAIL = 'maya.chen@example.com';

/** In agents/orders/orders.json for ORD-1001; seeing it in a tool message proves the real tool ran. */
const ORDER_TRACKING = '1Z999AA10123456784';

/** What one runner reports for one turn. */
export interface TurnSample {
  wallMs: number;
  /** Time spent inside model calls (HTTP, SSE parsing, the provider's own conversion). */
  modelMs: number;
  modelCalls: number;
}

/** A runner under test: plays the scenario once per call, in a thread it has never seen. */
export interface BenchSubject {
  readonly label: string;
  /** How it talks to the model, for the report. */
  readonly mode: string;
  turn(index: number): Promise<TurnSample>;
  close(): Promise<void>;
}

/**
 * Decides each reply from the request alone, so one responder serves both frameworks whatever their
 * message order or tool naming. An unexpected request gets a 400, which fails the turn loudly.
 */
export function scenarioReply(request: RecordedRequest): FakeReply {
  const { messages, tools = [] } = request.body;
  const offered = new Set(tools.map((t) => t.function.name));
  const last = messages.at(-1);
  const orderLookedUp = messages.some((m) => m.role === 'tool' && (m.content ?? '').includes(ORDER_TRACKING));
  if (orderLookedUp) return { text: FINAL_REPLY };
  if (offered.has('lookup_order'))
    return { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] };
  if (last?.role === 'user' && last.content === USER_TEXT && offered.has('transfer_to_orders')) {
    return { toolCalls: [{ name: 'transfer_to_orders', arguments: {} }] };
  }
  return {
    status: 400,
    error: `bench scenario: unexpected request (last message ${last?.role}, tools ${[...offered].join(', ') || 'none'})`,
  };
}

export function checkReply(label: string, reply: unknown, modelCalls: number): void {
  if (reply !== FINAL_REPLY || modelCalls !== MODEL_CALLS_PER_TURN) {
    throw new Error(
      `${label}: expected ${MODEL_CALLS_PER_TURN} model calls and ${JSON.stringify(FINAL_REPLY)}, got ${modelCalls} calls and ${JSON.stringify(reply)}`,
    );
  }
}
