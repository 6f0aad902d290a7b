import { recordUsage, utcDay } from '../conversation/threadState.js';
import type { Logger } from '../log.js';
import type { ChatMessage, ModelProvider, ModelRequest, ModelResponse, ToolSpec, Usage } from '../model/types.js';
import type { ModelCallPurpose, Telemetry } from '../telemetry.js';
import type { Agent } from './agent.js';
import { describeFacts } from './facts.js';
import type { Turn } from './turn.js';

export interface ModelCallsOptions {
  provider: ModelProvider;
  modelFor(agent: Agent): string;
  telemetry: Telemetry;
  log: Logger;
}

/** A call other than the agent's own reply: the reviewer, a revision, a summary. */
export interface AsideRequest {
  system: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  json?: boolean;
  context?: ModelRequest['context'];
}

/** Tokens the thread has spent today (UTC), for the daily budget. */
export function tokensToday(turn: Turn): number {
  const { today: spent } = turn.root.state.usage;
  return spent.day === utcDay() ? spent.tokens : 0;
}

/**
 * Every model call of a turn goes through here, so each one is counted against the thread and the agent (from
 * the API's usage figures) and reported once on the telemetry stream.
 */
export class ModelCalls {
  constructor(private readonly options: ModelCallsOptions) {}

  /** `base` (the agent's instructions and the turn's fixed extras), then what this thread carries: summary, facts, a pending question. */
  systemFor(turn: Turn, base: string): string {
    let system = base;
    const state = turn.root.state;
    if (!turn.delegated && state.summary)
      system += `\n\nSummary of the earlier conversation (older messages are not shown):\n${state.summary}`;
    const facts = describeFacts(turn.facts);
    if (facts) system += `\n\n${facts}`;
    // Kept verbatim whatever compaction folds: another participant's message does not answer it.
    if (!turn.delegated && state.pendingApproval) {
      system += `\n\nWaiting for ${state.pendingApproval.requestedBy} to confirm: "${state.pendingApproval.question}"`;
      // Whether a reply answered it is decided in code: the model answers what was said and does not ask it itself.
      if (turn.root.heldApproval === state.pendingApproval.id) {
        system +=
          ' Their latest message is not a clear yes or no, so nothing has been done. Answer what they wrote; the question is put to them again after your reply, so do not ask it yourself or call the action again.';
      }
    }
    // Asked automatically, one by one, after the pending one is answered: the model must not ask them itself.
    if (!turn.delegated && state.queuedApprovals.length > 0) {
      const next = state.queuedApprovals.map((q) => `"${q.question}"`).join(', ');
      system += state.pendingApproval
        ? `\n\nAsked next, one at a time, once that is answered: ${next}`
        : `\n\nAsked right after your reply, one at a time (do not ask them yourself): ${next}`;
    }
    return system;
  }

  factValues(turn: Turn): Record<string, string> {
    return Object.fromEntries(Object.entries(turn.facts).map(([key, fact]) => [key, fact.value]));
  }

  /** The active agent's next step; its text goes to `onText` as it is written, when given. */
  async reply(
    turn: Turn,
    system: string,
    tools: ToolSpec[],
    onText: ((text: string) => void) | undefined,
  ): Promise<ModelResponse> {
    const agent = turn.agent;
    turn.modelCalls += 1;
    const pending = turn.root.state.pendingApproval;
    const context: ModelRequest['context'] = { facts: this.factValues(turn) };
    if (!turn.delegated && pending && turn.root.heldApproval === pending.id)
      context.awaitingConfirmation = pending.question;
    return this.call(turn, agent, 'reply', { system, messages: turn.state.history, tools, context }, onText);
  }

  /** A review, revision or summary on behalf of `agent`; a failure is logged and returns undefined, never throws. */
  async aside(
    turn: Turn,
    agent: Agent,
    purpose: Exclude<ModelCallPurpose, 'reply'>,
    request: AsideRequest,
  ): Promise<string | undefined> {
    try {
      const response = await this.call(turn, agent, purpose, { tools: [], ...request });
      return response.text;
    } catch (err) {
      this.options.log.warn({ thread: turn.input.thread, agent: agent.id, purpose, err }, 'model.aside_failed');
      return undefined;
    }
  }

  private async call(
    turn: Turn,
    agent: Agent,
    purpose: ModelCallPurpose,
    request: Omit<ModelRequest, 'model' | 'agent' | 'tools'> & { tools: ToolSpec[] },
    onDelta?: (text: string) => void,
  ): Promise<ModelResponse> {
    const model = this.options.modelFor(agent);
    const started = performance.now();
    turn.root.totalModelCalls += 1;
    const response = await this.options.provider.complete({ model, agent: agent.id, purpose, ...request }, onDelta);
    this.record(turn, agent.id, response.usage);
    const { promptTokens, completionTokens } = response.usage;
    this.options.telemetry.emit({
      type: 'model.call',
      thread: turn.input.thread,
      agent: agent.id,
      model,
      purpose,
      promptTokens,
      completionTokens,
      toolCalls: response.toolCalls.length,
      ms: Math.round(performance.now() - started),
    });
    return response;
  }

  private record(turn: Turn, agentId: string, usage: Usage): void {
    const root = turn.root;
    root.usage.promptTokens += usage.promptTokens;
    root.usage.completionTokens += usage.completionTokens;
    recordUsage(root.state.usage, agentId, usage);
  }
}
