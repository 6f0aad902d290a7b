import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Telemetry } from '../telemetry.js';
import type { RecordStore } from '../conversation/store.js';
import type { ThreadState } from '../conversation/threadState.js';
import { newEscalation } from '../escalation/escalation.js';
import { ESCALATE_TOOL_NAME, ESCALATED_REPLY, escalateCallSchema, escalateToolSpec, ESCALATION_INSTRUCTIONS, type EscalateInput } from '../escalation/escalationTool.js';
import type { ModelProvider, ToolCall, ToolSpec, Usage } from '../model/types.js';
import type { Agent, AgentRegistry } from './agent.js';
import { APPROVAL_DECLINED, APPROVAL_HINT, APPROVAL_NOT_CONFIRMED, classifyConfirmation } from './approval.js';
import type { TurnEventListener } from './events.js';
import { Turn, TurnError, type TurnInput, type TurnResult } from './turn.js';
import { transferTarget, transferToolName, transferToolSpec } from './handoff.js';
import type { IntentRouter } from './intentRouter.js';
import { toolSpec, type Tool } from './tool.js';
import { executeTool, parseToolCall, type ToolOutcome } from './toolExecution.js';

export interface TurnLimits {
  maxModelCallsPerTurn: number;
  maxHandoffsPerTurn: number;
  toolTimeoutMs: number;
}

export interface TurnRunnerOptions {
  agents: AgentRegistry;
  provider: ModelProvider;
  records: RecordStore;
  limits: TurnLimits;
  log: Logger;
  /** Model name for an agent (env override, then the agent's own, then the default). */
  modelFor(agent: Agent): string;
  /** Hands a clear first message straight to its specialist, skipping the triage model call. */
  fastPath?: { router: IntentRouter; threshold: number } | undefined;
  telemetry?: Telemetry | undefined;
  /** Whether escalate_to_human is offered to every agent: true while a staff channel is connected. */
  escalation?: (() => boolean) | undefined;
}

export const MODEL_CALL_LIMIT_REPLY =
  "Sorry, I couldn't finish that in a reasonable number of steps. Could you rephrase, or ask one thing at a time?";

/** The run loop: model call → text, tool calls or a handoff → repeat, within the turn's limits. */
export class TurnRunner {
  constructor(private readonly options: TurnRunnerOptions) {}

  async run(state: ThreadState, input: TurnInput, listener: TurnEventListener = () => {}): Promise<TurnResult> {
    const turn = new Turn(this.options, state, input, listener);
    try {
      const pending = turn.state.pendingApproval;
      if (pending && pending.requestedBy === input.userId) {
        await this.resolveApproval(turn);
      } else {
        turn.state.history.push({ role: 'user', content: input.text });
      }
      await this.loop(turn);
      return turn.result();
    } catch (err) {
      turn.state.updatedAt = new Date().toISOString();
      throw new TurnError(err, turn.state);
    }
  }

  /** The requester answered a confirmation question: run the stored call, or record that they declined. */
  private async resolveApproval(turn: Turn): Promise<void> {
    const pending = turn.state.pendingApproval!;
    turn.state.pendingApproval = null;
    const agent = this.options.agents.get(pending.agent) ?? turn.agent;
    turn.agent = agent;
    const { decision: pressed } = turn.input;
    const decision = pressed ? (pressed.approve ? 'approve' : 'reject') : classifyConfirmation(turn.input.text);
    const call: ToolCall = { id: `approved_${pending.id}`, type: 'function', function: { name: pending.tool, arguments: JSON.stringify(pending.input) } };
    let content: string;
    // A yes or no is the answer to the question, so it comes before the outcome; anything else is a new request after it.
    if (decision !== 'other') turn.state.history.push({ role: 'user', content: turn.input.text });
    if (decision === 'approve') {
      const tool = (agent.tools ?? []).find((t) => t.name === pending.tool);
      content = tool ? (await this.runTool(turn, tool, pending.input)).content : `Error: the tool ${pending.tool} is no longer available.`;
    } else {
      content =
        decision === 'reject'
          ? `${APPROVAL_DECLINED} ${pending.tool} was not run.`
          : `${APPROVAL_NOT_CONFIRMED} ${pending.tool} and wrote something else instead.`;
    }
    turn.emit({ type: 'approval.resolved', id: pending.id, agent: agent.name, tool: pending.tool, approved: decision === 'approve', by: turn.input.userId });
    this.options.log.info({ thread: turn.input.thread, agent: agent.id, tool: pending.tool, decision }, 'approval');
    turn.state.history.push({ role: 'assistant', content: null, tool_calls: [call], agent: agent.id });
    turn.state.history.push({ role: 'tool', tool_call_id: call.id, content });
    if (decision === 'other') turn.state.history.push({ role: 'user', content: turn.input.text });
  }

  private async loop(turn: Turn): Promise<void> {
    const { limits } = this.options;
    await this.tryFastPath(turn);
    for (;;) {
      if (turn.modelCalls >= limits.maxModelCallsPerTurn) {
        this.options.log.warn({ thread: turn.input.thread, agent: turn.agent.id, calls: turn.modelCalls }, 'turn.model_call_limit');
        turn.say(MODEL_CALL_LIMIT_REPLY);
        return;
      }
      const response = await this.callModel(turn);
      const agent = turn.agent;
      turn.state.history.push({
        role: 'assistant',
        content: response.text === '' ? null : response.text,
        ...(response.toolCalls.length ? { tool_calls: response.toolCalls } : {}),
        agent: agent.id,
      });
      if (response.text) turn.said.push(response.text);
      if (response.toolCalls.length === 0) return;

      const handoffCalls = response.toolCalls.filter((c) => (agent.handoffs ?? []).includes(transferTarget(c.function.name) ?? ''));
      const toolCalls = response.toolCalls.filter((c) => !handoffCalls.includes(c));
      const escalationCalls = this.escalationOn() ? toolCalls.filter((c) => c.function.name === ESCALATE_TOOL_NAME) : [];
      const approvalAsked = await this.runToolCalls(turn, toolCalls.filter((c) => !escalationCalls.includes(c)));
      if (escalationCalls.length > 0 && this.escalate(turn, escalationCalls)) {
        for (const call of handoffCalls) turn.state.history.push({ role: 'tool', tool_call_id: call.id, content: 'Ignored: the conversation went to the support team.' });
        return;
      }
      const stop = this.applyHandoffs(turn, handoffCalls, approvalAsked);
      if (approvalAsked || stop) return;
    }
  }

  /** When the classifier is sure which specialist a fresh message needs, transfer without asking the triage model. */
  private async tryFastPath(turn: Turn): Promise<void> {
    const fastPath = this.options.fastPath;
    const last = turn.state.history.at(-1);
    if (!fastPath || turn.agent.id !== this.options.agents.defaultAgentId || last?.role !== 'user') return;
    const decision = await fastPath.router.route(last.content);
    const { route, score } = decision;
    if (route.kind !== 'agent' || score < fastPath.threshold || !(turn.agent.handoffs ?? []).includes(route.agent.id)) return;
    const call: ToolCall = { id: `fastpath_${randomUUID()}`, type: 'function', function: { name: transferToolName(route.agent.id), arguments: '{}' } };
    turn.state.history.push({ role: 'assistant', content: null, tool_calls: [call], agent: turn.agent.id });
    this.options.log.info({ thread: turn.input.thread, to: route.agent.id, score: Math.round(score * 1000) / 1000, ms: Math.round(decision.ms * 100) / 100 }, 'triage.fastpath');
    this.applyHandoffs(turn, [call], false);
  }

  private async callModel(turn: Turn) {
    const agent = turn.agent;
    const model = this.options.modelFor(agent);
    const started = performance.now();
    turn.modelCalls += 1;
    const response = await this.options.provider.complete(
      { model, agent: agent.id, system: this.instructionsFor(agent), messages: turn.state.history, tools: this.toolsFor(agent) },
      (text) => turn.emit({ type: 'text.delta', agent: agent.name, text }),
    );
    const ms = Math.round(performance.now() - started);
    this.recordUsage(turn, agent.id, response.usage);
    this.options.telemetry?.emit({ type: 'model.call', agent: agent.id, model, promptTokens: response.usage.promptTokens, completionTokens: response.usage.completionTokens, ms });
    this.options.log.info(
      { thread: turn.input.thread, agent: agent.id, model, ms, promptTokens: response.usage.promptTokens, completionTokens: response.usage.completionTokens, toolCalls: response.toolCalls.length },
      'model.call',
    );
    return response;
  }

  private toolsFor(agent: Agent): ToolSpec[] {
    const handoffs = (agent.handoffs ?? []).map((id) => transferToolSpec(this.options.agents.get(id)!));
    return [...(agent.tools ?? []).map(toolSpec), ...handoffs, ...(this.escalationOn() ? [escalateToolSpec] : [])];
  }

  private escalationOn(): boolean {
    return this.options.escalation?.() ?? false;
  }

  private instructionsFor(agent: Agent): string {
    return this.escalationOn() ? `${agent.instructions}\n${ESCALATION_INSTRUCTIONS}` : agent.instructions;
  }

  /**
   * Hands the conversation to staff: the escalation is recorded in the state (the service posts it to the staff
   * channel after saving) and the turn ends with the customer told so. Returns false when every call was malformed,
   * so the model can read why and try again.
   */
  private escalate(turn: Turn, calls: ToolCall[]): boolean {
    const [first, ...rest] = calls;
    const parsed = parseToolCall(first!, [escalateCallSchema]);
    if (!parsed.ok) {
      this.options.log.warn({ thread: turn.input.thread, agent: turn.agent.id, tool: ESCALATE_TOOL_NAME, kind: parsed.kind }, 'tool.rejected');
      for (const call of calls) turn.state.history.push({ role: 'tool', tool_call_id: call.id, content: `Error: ${parsed.message}` });
      return false;
    }
    const { reason, urgency } = parsed.input as EscalateInput;
    turn.state.escalation = newEscalation({ reason, urgency, openedBy: { agent: turn.agent.id }, customerId: turn.input.userId });
    // A pending confirmation is moot once people take over; they can do it themselves.
    turn.state.pendingApproval = null;
    turn.state.history.push({ role: 'tool', tool_call_id: first!.id, content: 'Escalated: the support team has been asked to join this conversation.' });
    for (const extra of rest) turn.state.history.push({ role: 'tool', tool_call_id: extra.id, content: 'Ignored: the conversation was already escalated.' });
    this.options.log.info({ thread: turn.input.thread, agent: turn.agent.id, urgency }, 'escalation.requested');
    turn.emit({ type: 'escalation.requested', agent: turn.agent.name, reason, urgency });
    turn.say(ESCALATED_REPLY);
    return true;
  }

  private recordUsage(turn: Turn, agentId: string, usage: Usage): void {
    turn.usage.promptTokens += usage.promptTokens;
    turn.usage.completionTokens += usage.completionTokens;
    const totals = turn.state.usage;
    const byAgent = (totals.byAgent[agentId] ??= { promptTokens: 0, completionTokens: 0, calls: 0 });
    for (const bucket of [totals.total, byAgent]) {
      bucket.promptTokens += usage.promptTokens;
      bucket.completionTokens += usage.completionTokens;
      bucket.calls += 1;
    }
  }

  /** Runs every call of one response concurrently; returns true when one of them now waits for the user's approval. */
  private async runToolCalls(turn: Turn, calls: ToolCall[]): Promise<boolean> {
    const agent = turn.agent;
    const tools = agent.tools ?? [];
    let approvalAsked = false;
    const outcomes = await Promise.all(
      calls.map(async (call): Promise<string> => {
        const parsed = parseToolCall(call, tools);
        if (!parsed.ok) {
          this.options.log.warn({ thread: turn.input.thread, agent: agent.id, tool: call.function.name, kind: parsed.kind }, 'tool.rejected');
          return `Error: ${parsed.message}`;
        }
        if (parsed.tool.needsApproval(parsed.input)) {
          if (turn.state.pendingApproval) return 'Not run: another action is already waiting for the user to confirm. Ask for this one afterwards.';
          approvalAsked = true;
          return this.requestApproval(turn, parsed.tool.name, parsed.tool.approvalPrompt(parsed.input), parsed.input);
        }
        return (await this.runTool(turn, parsed.tool, parsed.input)).content;
      }),
    );
    calls.forEach((call, i) => turn.state.history.push({ role: 'tool', tool_call_id: call.id, content: outcomes[i]! }));
    if (approvalAsked) {
      const pending = turn.state.pendingApproval!;
      turn.record(`${pending.question} ${APPROVAL_HINT}`);
      turn.emit({ type: 'approval.requested', id: pending.id, agent: turn.agent.name, tool: pending.tool, question: pending.question, hint: APPROVAL_HINT, requestedBy: pending.requestedBy });
    }
    return approvalAsked;
  }

  private async runTool(turn: Turn, tool: Tool, input: unknown): Promise<ToolOutcome> {
    const name = tool.name;
    turn.emit({ type: 'tool.call', agent: turn.agent.name, tool: name, input, status: tool.status });
    const outcome = await executeTool(tool, input, this.toolContext(turn));
    const ms = Math.round(outcome.ms);
    turn.emit({ type: 'tool.result', agent: turn.agent.name, tool: name, ok: outcome.ok, ms });
    this.options.telemetry?.emit({ type: 'tool.call', agent: turn.agent.id, tool: name, ok: outcome.ok, ms });
    this.options.log.info({ thread: turn.input.thread, agent: turn.agent.id, tool: name, ok: outcome.ok, kind: outcome.kind, ms }, 'tool.call');
    return outcome;
  }

  private requestApproval(turn: Turn, tool: string, question: string, input: unknown): string {
    turn.state.pendingApproval = {
      id: randomUUID(),
      agent: turn.agent.id,
      tool,
      input,
      requestedBy: turn.input.userId,
      question,
      createdAt: new Date().toISOString(),
    };
    this.options.log.info({ thread: turn.input.thread, agent: turn.agent.id, tool, decision: 'requested' }, 'approval');
    return 'Not run yet: this action needs the user to confirm. They have been asked; the result will follow once they answer.';
  }

  /** Applies at most one transfer per response; returns true when a guard ended the turn. */
  private applyHandoffs(turn: Turn, calls: ToolCall[], approvalAsked: boolean): boolean {
    const [first, ...rest] = calls;
    for (const extra of rest) {
      turn.state.history.push({ role: 'tool', tool_call_id: extra.id, content: 'Ignored: only one transfer can happen at a time.' });
    }
    if (!first) return false;
    const target = this.options.agents.get(transferTarget(first.function.name)!)!;
    const from = turn.agent;
    const reason =
      approvalAsked ? 'an action is waiting for confirmation'
      : turn.handoffs >= this.options.limits.maxHandoffsPerTurn ? 'too many transfers in one turn'
      : turn.visited.includes(target.id) ? `transfer loop (${[...turn.visited, target.id].join(' → ')})`
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
    turn.state.history.push({ role: 'tool', tool_call_id: first.id, content: `Transferred to ${target.name}. ${target.name} now handles the conversation.` });
    turn.agent = target;
    turn.emit({ type: 'handoff', from: from.name, to: target.name });
    this.options.telemetry?.emit({ type: 'handoff', from: from.id, to: target.id });
    this.options.log.info({ thread: turn.input.thread, from: from.id, to: target.id }, 'handoff');
    return false;
  }

  private clarifyingQuestion(): string {
    const triage = this.options.agents.defaultAgent;
    const teams = (triage.handoffs ?? []).map((id) => this.options.agents.get(id)!.name);
    const choices = teams.length > 1 ? `${teams.slice(0, -1).join(', ')} or ${teams.at(-1)}` : teams[0] ?? 'our team';
    return `I want to get you to the right place. Could you tell me a little more: is this about ${choices}?`;
  }

  private toolContext(turn: Turn) {
    return {
      thread: turn.input.thread,
      userId: turn.input.userId,
      agent: turn.agent.id,
      log: this.options.log,
      records: this.options.records,
      defaultTimeoutMs: this.options.limits.toolTimeoutMs,
    };
  }
}
