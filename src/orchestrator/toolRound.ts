import type { RecordStore } from '../conversation/store.js';
import { platformOf } from '../escalation/escalation.js';
import type { Logger } from '../log.js';
import type { ChatMessage, ToolCall } from '../model/types.js';
import type { Telemetry } from '../telemetry.js';
import type { Agent, AgentRegistry } from './agent.js';
import { Approvals } from './approval.js';
import { citablePassages } from './citations.js';
import { FactError, noteFact, writeFact } from './facts.js';
import { APPROVAL_SKIPPED_FOR_STAFF, askTarget } from './protocol.js';
import type { Requester } from './requester.js';
import type { Tool } from './tool.js';
import { executeTool, parseToolCall, type ToolOutcome, type ToolRunContext } from './toolExecution.js';
import type { Turn } from './turn.js';

export interface ToolRoundOptions {
  agents: AgentRegistry;
  records: RecordStore;
  log: Logger;
  telemetry: Telemetry;
  toolTimeoutMs: number;
  /** Whether the specialists consulted in one response run side by side (the default) or one after another. */
  parallelDelegation: boolean;
  /** Runs a consulted specialist on its part of the message; returns the tool message for the caller. */
  consult(turn: Turn, call: ToolCall, targetId: string): Promise<string>;
  /** This process run's id, recorded with each question put, so a yes after a restart gets the question again first. */
  runId: string;
}

/** The result given to a call the model made in a turn that failed before the call had one. */
export const TURN_STOPPED_RESULT = 'Not run: the turn stopped with an error before this call finished.';

/**
 * Gives every tool call in `history` that has no result the result `content`. The Chat Completions API refuses a
 * request whose assistant tool calls are not each followed by their result, so a history saved without them
 * would fail every later turn of the thread.
 */
export function answerOpenCalls(history: ChatMessage[], content: string): void {
  const answered = new Set(history.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : [])));
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]!;
    if (message.role !== 'assistant' || !message.tool_calls) continue;
    const open = message.tool_calls.filter((c) => !answered.has(c.id));
    if (open.length === 0) continue;
    // Results go right after the calls' other results, before any later message.
    let at = i + 1;
    while (history[at]?.role === 'tool') at += 1;
    history.splice(at, 0, ...open.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content })));
  }
}

/** Built-in tools every agent has besides its own. */
const BUILT_IN_TOOLS: Tool[] = [noteFact];

/** One response's tool calls: validated, approved or deferred for confirmation, run, and written to history. */
export class ToolRound {
  /** The questions put to the customer before an action runs. */
  readonly approvals: Approvals;

  constructor(private readonly options: ToolRoundOptions) {
    this.approvals = new Approvals({
      agents: options.agents,
      telemetry: options.telemetry,
      runId: options.runId,
      toolsOf: (agent) => this.toolsOf(agent),
      runTool: (turn, tool, input) => this.runTool(turn, tool, input),
    });
  }

  toolsOf(agent: Agent): Tool[] {
    return [...(agent.tools ?? []), ...BUILT_IN_TOOLS];
  }

  /**
   * Runs every call of one response; returns true when one of them now waits for the user's approval, which ends
   * the (sub)turn. A consulted specialist's question is announced by the root turn after its merged reply. Actions
   * that need confirmation beyond the first are queued and asked one after another (see Approvals.askNextQueued); with
   * `escalating` (the same response hands the thread to staff) none is asked.
   */
  async run(turn: Turn, calls: ToolCall[], escalating = false): Promise<boolean> {
    const agent = turn.agent;
    const tools = this.toolsOf(agent);
    const delegates = turn.delegated ? [] : (agent.delegates ?? []);
    const isAsk = (call: ToolCall) => delegates.includes(askTarget(call.function.name) ?? '');
    /** Actions that passed their precheck and need a yes: asked or queued in call order once every call is back. */
    const toConfirm = new Map<ToolCall, { tool: Tool; input: unknown }>();
    const runOne = async (call: ToolCall): Promise<string> => {
      if (isAsk(call)) return this.options.consult(turn, call, askTarget(call.function.name)!);
      const parsed = parseToolCall(call, tools);
      if (!parsed.ok) {
        this.options.log.warn(
          { thread: turn.input.thread, agent: agent.id, tool: call.function.name, kind: parsed.kind },
          'tool.rejected',
        );
        return `Error: ${parsed.message}`;
      }
      if (parsed.tool.needsApproval(parsed.input)) {
        if (escalating) return APPROVAL_SKIPPED_FOR_STAFF;
        const refusal = await this.precheck(turn, parsed.tool, parsed.input);
        if (refusal !== undefined) return refusal;
        toConfirm.set(call, { tool: parsed.tool, input: parsed.input });
        return '';
      }
      return (await this.runTool(turn, parsed.tool, parsed.input)).content;
    };
    const outcomes = new Map<ToolCall, string>();
    const asks = calls.filter(isAsk);
    const started = performance.now();
    if (!this.options.parallelDelegation) {
      for (const call of asks) outcomes.set(call, await runOne(call));
    }
    const together = this.options.parallelDelegation ? calls : calls.filter((c) => !isAsk(c));
    const results = await Promise.all(together.map(runOne));
    for (const [i, call] of together.entries()) outcomes.set(call, results[i]!);
    if (asks.length > 0) {
      const to = asks.map((c) => askTarget(c.function.name)!);
      this.options.telemetry.emit({
        type: 'delegation',
        thread: turn.input.thread,
        from: agent.id,
        to,
        ms: Math.round(performance.now() - started),
      });
    }
    let approvalAsked = false;
    // In the order the model asked for them, whichever precheck finished first.
    for (const call of calls) {
      const wanted = toConfirm.get(call);
      if (!wanted) continue;
      const outcome = this.approvals.askOrQueue(turn, wanted.tool, wanted.input);
      if (outcome.asked) approvalAsked = true;
      outcomes.set(call, outcome.content);
    }
    for (const call of calls) {
      const content = outcomes.get(call)!;
      turn.state.history.push({ role: 'tool', tool_call_id: call.id, content });
      turn.root.citable.push(...citablePassages(content));
    }
    // A consulted specialist's question waits for the caller's reply; the root turn announces it afterwards.
    if (approvalAsked && turn.delegated) turn.root.approvalDeferred = true;
    if (approvalAsked && !turn.delegated) this.approvals.announceApproval(turn);
    return approvalAsked;
  }

  private async runTool(turn: Turn, tool: Tool, input: unknown): Promise<ToolOutcome> {
    turn.emit({ type: 'tool.call', agent: turn.agent.name, tool: tool.name, input, status: tool.status });
    const outcome = await executeTool(tool, input, this.runContext(turn, tool));
    this.reportResult(turn, tool, outcome);
    return outcome;
  }

  /**
   * The tool's refusal before confirmation (the action cannot happen), shown as its call; undefined to ask. A check
   * that fails asks anyway: `run` checks again once the user confirms.
   */
  private async precheck(turn: Turn, tool: Tool, input: unknown): Promise<string | undefined> {
    const outcome = await executeTool(tool, input, this.runContext(turn, tool), 'precheck');
    if (!outcome.ok || outcome.value === undefined) return undefined;
    turn.emit({ type: 'tool.call', agent: turn.agent.name, tool: tool.name, input, status: tool.status });
    this.reportResult(turn, tool, outcome);
    return outcome.content;
  }

  private reportResult(turn: Turn, tool: Tool, outcome: ToolOutcome): void {
    const ms = Math.round(outcome.ms);
    turn.emit({ type: 'tool.result', agent: turn.agent.name, tool: tool.name, ok: outcome.ok, ms });
    this.options.telemetry.emit({
      type: 'tool.call',
      thread: turn.input.thread,
      agent: turn.agent.id,
      tool: tool.name,
      ok: outcome.ok,
      kind: outcome.kind,
      ms,
    });
  }

  private runContext(turn: Turn, tool: Tool): ToolRunContext {
    const agentId = turn.agent.id;
    const thread = turn.input.thread;
    const facts = {
      set: (key: string, value: string) => {
        try {
          const by = tool === noteFact ? agentId : `${agentId}/${tool.name}`;
          if (writeFact(turn.root.state, key, value, by))
            this.options.telemetry.emit({ type: 'fact', thread, key, by });
        } catch (err) {
          // A tool's bad fact must not fail the tool; note_fact's arguments are validated before this.
          this.options.log.warn(
            { thread, tool: tool.name, err: err instanceof FactError ? err.message : err },
            'fact.rejected',
          );
        }
      },
      get: (key: string) => turn.facts[key]?.value,
    };
    const { input } = turn;
    const requester: Requester = {
      platform: platformOf(thread),
      userId: input.userId,
      displayName: input.userName,
      verifiedEmail: input.verifiedEmail?.toLowerCase(),
      givenEmails: turn.root.state.givenEmails[input.userId] ?? [],
    };
    return {
      thread,
      userId: input.userId,
      requester,
      agent: agentId,
      log: this.options.log,
      records: this.options.records,
      facts,
      defaultTimeoutMs: this.options.toolTimeoutMs,
    };
  }
}
