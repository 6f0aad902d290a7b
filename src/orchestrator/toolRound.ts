import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { RecordStore } from '../conversation/store.js';
import type { PendingApproval } from '../conversation/threadState.js';
import { platformOf } from '../escalation/escalation.js';
import type { Logger } from '../log.js';
import type { ChatMessage, ToolCall } from '../model/types.js';
import type { Telemetry } from '../telemetry.js';
import type { Agent, AgentRegistry } from './agent.js';
import { APPROVAL_HINT, MAX_CONFIRMATION_REMINDERS, MAX_QUEUED_APPROVALS } from './approval.js';
import { FactError, noteFact, writeFact } from './facts.js';
import { handOver } from './handoff.js';
import {
  ANOTHER_APPROVAL_WAITING,
  APPROVAL_ALREADY_WAITING,
  APPROVAL_ASKED,
  APPROVAL_DECLINED,
  APPROVAL_NOT_CONFIRMED,
  APPROVAL_QUEUED,
  APPROVAL_SKIPPED_FOR_STAFF,
  APPROVAL_UNANSWERED,
  askTarget,
} from './protocol.js';
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
  constructor(private readonly options: ToolRoundOptions) {}

  toolsOf(agent: Agent): Tool[] {
    return [...(agent.tools ?? []), ...BUILT_IN_TOOLS];
  }

  /**
   * Runs every call of one response; returns true when one of them now waits for the user's approval, which ends
   * the (sub)turn. A consulted specialist's question is announced by the root turn after its merged reply. Actions
   * that need confirmation beyond the first are queued and asked one after another (see askNextQueued); with
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
      const outcome = this.askOrQueue(turn, wanted.tool, wanted.input);
      if (outcome.asked) approvalAsked = true;
      outcomes.set(call, outcome.content);
    }
    for (const call of calls)
      turn.state.history.push({ role: 'tool', tool_call_id: call.id, content: outcomes.get(call)! });
    // A consulted specialist's question waits for the caller's reply; the root turn announces it afterwards.
    if (approvalAsked && turn.delegated) turn.root.approvalDeferred = true;
    if (approvalAsked && !turn.delegated) this.announceApproval(turn);
    return approvalAsked;
  }

  /**
   * With no question pending and actions queued behind the one just answered, asks about the next; true if it did.
   * The agent that wants it takes the thread, as after a fan-out. Escalation empties the queue, so a thread with
   * staff is asked nothing.
   */
  askNextQueued(turn: Turn): boolean {
    const { state } = turn;
    if (state.pendingApproval || state.escalation) return false;
    const next = state.queuedApprovals.shift();
    if (!next) return false;
    // Asked now: a yes typed before this moment was not an answer to it (TurnRunner.run).
    state.pendingApproval = { ...next, createdAt: new Date().toISOString(), askedIn: this.options.runId };
    const owner = this.options.agents.get(next.agent);
    if (owner && owner.id !== turn.agent.id) handOver(turn, owner, this.options.telemetry);
    this.options.telemetry.emit({
      type: 'approval',
      thread: turn.input.thread,
      agent: next.agent,
      tool: next.tool,
      decision: 'requested',
    });
    this.announceApproval(turn);
    return true;
  }

  /**
   * A yes that may not be an answer to the question as the customer now sees it: typed before the question was put
   * (two quick "yes"es), or reaching this process after a restart. The question is put again, now, instead.
   */
  askAgain(turn: Turn, why: 'crossed' | 'restarted'): void {
    const pending = turn.state.pendingApproval!;
    turn.agent = this.options.agents.get(pending.agent) ?? turn.agent;
    turn.state.history.push({ role: 'user', content: turn.input.text });
    turn.state.pendingApproval = { ...pending, createdAt: new Date().toISOString(), askedIn: this.options.runId };
    const lead =
      why === 'crossed'
        ? 'Just to be sure, since your message crossed with my question:'
        : 'Just to be sure before I do anything:';
    this.announceApproval(turn, lead);
  }

  /**
   * The requester wrote something that is neither a clear yes nor a clear no. The action stays pending and its
   * question is put again after the answer (remindPending); once MAX_CONFIRMATION_REMINDERS replies have passed it
   * by, it is let go instead, undone, so a conversation that moved on is not asked forever. Returns what happened.
   */
  holdApproval(turn: Turn): 'held' | 'let_go' {
    const pending = turn.state.pendingApproval!;
    const reminders = pending.reminders ?? 0;
    if (reminders < MAX_CONFIRMATION_REMINDERS) {
      turn.state.pendingApproval = { ...pending, reminders: reminders + 1 };
      turn.state.history.push({ role: 'user', content: turn.input.text });
      this.options.telemetry.emit({
        type: 'approval',
        thread: turn.input.thread,
        agent: pending.agent,
        tool: pending.tool,
        decision: 'unclear',
      });
      return 'held';
    }
    turn.state.pendingApproval = null;
    turn.emit({
      type: 'approval.resolved',
      id: pending.id,
      agent: this.options.agents.get(pending.agent)?.name ?? pending.agent,
      tool: pending.tool,
      approved: false,
      by: turn.input.userId,
    });
    this.options.telemetry.emit({
      type: 'approval',
      thread: turn.input.thread,
      agent: pending.agent,
      tool: pending.tool,
      decision: 'let_go',
    });
    closeApproval(turn, pending, `${APPROVAL_UNANSWERED} ${pending.tool} was not run.`);
    this.dropQueued(turn, (queued) => queued.requestedBy === turn.input.userId);
    turn.state.history.push({ role: 'user', content: turn.input.text });
    return 'let_go';
  }

  /** After answering an unclear reply: the question still waiting is put again, unless this turn already put one. */
  remindPending(turn: Turn, approvalId: string): void {
    const pending = turn.state.pendingApproval;
    if (!pending || pending.id !== approvalId || turn.state.escalation) return;
    this.announceApproval(turn, 'Before that is done, I still need your answer:');
  }

  /**
   * Drops the queued actions `whose` says, each written to history as not confirmed, so the model reads that they
   * did not run: the person who asked for them moved on, or nobody was ever asked.
   */
  dropQueued(turn: Turn, whose: (approval: PendingApproval) => boolean): void {
    const { state } = turn;
    const dropped = state.queuedApprovals.filter(whose);
    if (dropped.length === 0) return;
    state.queuedApprovals = state.queuedApprovals.filter((approval) => !whose(approval));
    for (const approval of dropped)
      closeApproval(turn, approval, `${APPROVAL_NOT_CONFIRMED} ${approval.tool} and wrote something else instead.`);
  }

  /** Puts the confirmation question in the reply and tells adapters to show it (with buttons where they can). */
  announceApproval(turn: Turn, lead?: string): void {
    const pending = turn.state.pendingApproval!;
    // The lead streams as text; adapters show the question itself from the event (with buttons where they can).
    if (lead)
      turn.emit({ type: 'text.delta', agent: turn.agent.name, text: `${turn.said.length > 0 ? '\n\n' : ''}${lead}` });
    turn.record(`${lead ? `${lead} ` : ''}${pending.question} ${APPROVAL_HINT}`);
    turn.emit({
      type: 'approval.requested',
      id: pending.id,
      agent: turn.agent.name,
      tool: pending.tool,
      question: pending.question,
      hint: APPROVAL_HINT,
      requestedBy: pending.requestedBy,
    });
  }

  /** The requester answered a confirmation question with a clear yes or no: run the stored call, or record the no. */
  async resolveApproval(turn: Turn, decision: 'approve' | 'reject'): Promise<void> {
    const pending = turn.state.pendingApproval!;
    turn.state.pendingApproval = null;
    const agent = this.options.agents.get(pending.agent) ?? turn.agent;
    turn.agent = agent;
    // The answer comes before the outcome in history, as it happened.
    turn.state.history.push({ role: 'user', content: turn.input.text });
    let content: string;
    if (decision === 'approve') {
      const tool = this.toolsOf(turn.agent).find((t) => t.name === pending.tool);
      content = tool
        ? (await this.runTool(turn, tool, pending.input)).content
        : `Error: the tool ${pending.tool} is no longer available.`;
    } else {
      content = `${APPROVAL_DECLINED} ${pending.tool} was not run.`;
    }
    turn.emit({
      type: 'approval.resolved',
      id: pending.id,
      agent: agent.name,
      tool: pending.tool,
      approved: decision === 'approve',
      by: turn.input.userId,
    });
    this.options.telemetry.emit({
      type: 'approval',
      thread: turn.input.thread,
      agent: agent.id,
      tool: pending.tool,
      decision,
    });
    closeApproval(turn, pending, content);
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

  /** Asks about the action now, or queues it behind the question pending; the tool result the model reads either way. */
  private askOrQueue(turn: Turn, tool: Tool, input: unknown): { asked: boolean; content: string } {
    const root = turn.root.state;
    const question = tool.approvalPrompt(input);
    // The same action, however the arguments around it differ (a reason added, say): the question names it.
    const same = (approval: PendingApproval) =>
      approval.tool === tool.name && (approval.question === question || isDeepStrictEqual(approval.input, input));
    if (root.pendingApproval && same(root.pendingApproval)) return { asked: false, content: APPROVAL_ALREADY_WAITING };
    // Asked for again once it is its turn (a model repeating a queued call): asked now, and not a second time later.
    root.queuedApprovals = root.queuedApprovals.filter((queued) => !same(queued));
    const approval: PendingApproval = {
      id: randomUUID(),
      agent: turn.agent.id,
      tool: tool.name,
      input,
      requestedBy: turn.input.userId,
      question,
      createdAt: new Date().toISOString(),
      askedIn: this.options.runId,
    };
    if (root.pendingApproval) {
      if (root.queuedApprovals.length >= MAX_QUEUED_APPROVALS)
        return { asked: false, content: ANOTHER_APPROVAL_WAITING };
      root.queuedApprovals.push(approval);
      return { asked: false, content: APPROVAL_QUEUED };
    }
    root.pendingApproval = approval;
    this.options.telemetry.emit({
      type: 'approval',
      thread: turn.input.thread,
      agent: turn.agent.id,
      tool: tool.name,
      decision: 'requested',
    });
    return { asked: true, content: APPROVAL_ASKED };
  }
}

/** Writes an answered approval to history as the call it stands for and its result, so the model reads what happened. */
function closeApproval(turn: Turn, approval: PendingApproval, content: string): void {
  const call: ToolCall = {
    id: `approved_${approval.id}`,
    type: 'function',
    function: { name: approval.tool, arguments: JSON.stringify(approval.input) },
  };
  turn.state.history.push({ role: 'assistant', content: null, tool_calls: [call], agent: approval.agent });
  turn.state.history.push({ role: 'tool', tool_call_id: call.id, content });
}
