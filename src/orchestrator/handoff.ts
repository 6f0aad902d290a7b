import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { ToolCall, ToolSpec } from '../model/types.js';
import type { Telemetry } from '../telemetry.js';
import type { Agent, AgentRegistry } from './agent.js';
import type { IntentRouter } from './intentRouter.js';
import { transferTarget, transferToolName } from './protocol.js';
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

export interface HandoffsOptions {
  agents: AgentRegistry;
  maxHandoffsPerTurn: number;
  log: Logger;
  telemetry: Telemetry;
  /** Hands a clear first message straight to its specialist, skipping the triage model call. */
  fastPath?: { router: IntentRouter; threshold: number } | undefined;
}

/** Transfers between agents within a turn, with their guards (one at a time, a limit, no loops) and the fast path. */
export class Handoffs {
  constructor(private readonly options: HandoffsOptions) {}

  /** When the classifier is sure which specialist a fresh message needs, transfer without asking the triage model. */
  async tryFastPath(turn: Turn): Promise<void> {
    const fastPath = this.options.fastPath;
    const last = turn.state.history.at(-1);
    if (!fastPath || turn.agent.id !== this.options.agents.defaultAgentId || last?.role !== 'user') return;
    // Several requests in one message are for the triage model to split between specialists.
    if ((await fastPath.router.splitRequests(last.content)).length > 1) return;
    const decision = await fastPath.router.route(last.content);
    const { route, score } = decision;
    if (route.kind !== 'agent' || score < fastPath.threshold || !(turn.agent.handoffs ?? []).includes(route.agent.id))
      return;
    const call: ToolCall = {
      id: `fastpath_${randomUUID()}`,
      type: 'function',
      function: { name: transferToolName(route.agent.id), arguments: '{}' },
    };
    turn.state.history.push({ role: 'assistant', content: null, tool_calls: [call], agent: turn.agent.id });
    this.options.log.debug(
      {
        thread: turn.input.thread,
        to: route.agent.id,
        score: Math.round(score * 1000) / 1000,
        ms: Math.round(decision.ms * 100) / 100,
      },
      'triage.fastpath',
    );
    this.apply(turn, [call], false);
  }

  /** Applies at most one transfer per response; returns true when a guard ended the turn. */
  apply(turn: Turn, calls: ToolCall[], approvalAsked: boolean): boolean {
    const [first, ...rest] = calls;
    for (const extra of rest) {
      turn.state.history.push({
        role: 'tool',
        tool_call_id: extra.id,
        content: 'Ignored: only one transfer can happen at a time.',
      });
    }
    if (!first) return false;
    const target = this.options.agents.get(transferTarget(first.function.name)!)!;
    const from = turn.agent;
    const reason = approvalAsked
      ? 'an action is waiting for confirmation'
      : turn.handoffs >= this.options.maxHandoffsPerTurn
        ? 'too many transfers in one turn'
        : // Back to triage is how a misrouted specialist corrects the route (triage then picks another), not a loop;
          // a specialist visited twice is one, and the handoff limit bounds the rest.
          turn.visited.includes(target.id) && target.id !== this.options.agents.defaultAgentId
          ? `transfer loop (${[...turn.visited, target.id].join(' → ')})`
          : undefined;
    if (reason) {
      turn.state.history.push({ role: 'tool', tool_call_id: first.id, content: `Transfer refused: ${reason}.` });
      if (approvalAsked) return false;
      this.options.log.warn({ thread: turn.input.thread, from: from.id, to: target.id, reason }, 'handoff.refused');
      turn.agent = this.options.agents.defaultAgent;
      turn.say(this.clarifyingQuestion());
      return true;
    }
    turn.handoffs += 1;
    turn.visited.push(target.id);
    turn.state.history.push({
      role: 'tool',
      tool_call_id: first.id,
      content: `Transferred to ${target.name}. ${target.name} now handles the conversation.`,
    });
    handOver(turn, target, this.options.telemetry);
    return false;
  }

  clarifyingQuestion(): string {
    const triage = this.options.agents.defaultAgent;
    const teams = (triage.handoffs ?? []).map((id) => this.options.agents.get(id)!.name);
    const choices = teams.length > 1 ? `${teams.slice(0, -1).join(', ')} or ${teams.at(-1)}` : (teams[0] ?? 'our team');
    return `I want to get you to the right place. Could you tell me a little more: is this about ${choices}?`;
  }
}
