import type { ToolSpec } from '../model/types.js';
import type { Telemetry } from '../telemetry.js';
import type { Agent } from './agent.js';
import { transferToolName } from './protocol.js';
import type { Turn } from './turn.js';

export function transferToolSpec(target: Agent): ToolSpec {
  return {
    name: transferToolName(target.id),
    description: `Hand the conversation to ${target.name}. ${target.description}`,
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  };
}

/** Makes `to` the turn's active agent, and says so to the adapter (a turn event) and to the telemetry stream. */
export function handOver(turn: Turn, to: Agent, telemetry: Telemetry): void {
  const from = turn.agent;
  turn.agent = to;
  turn.emit({ type: 'handoff', from: from.name, to: to.name });
  telemetry.emit({ type: 'handoff', thread: turn.input.thread, from: from.id, to: to.id });
}
