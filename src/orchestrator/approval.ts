import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { PendingApproval } from '../conversation/threadState.js';
import type { ToolCall } from '../model/types.js';
import type { Telemetry } from '../telemetry.js';
import type { Agent, AgentRegistry } from './agent.js';
import { handOver } from './handoff.js';
import {
  ANOTHER_APPROVAL_WAITING,
  APPROVAL_ALREADY_WAITING,
  APPROVAL_ASKED,
  APPROVAL_DECLINED,
  APPROVAL_NOT_CONFIRMED,
  APPROVAL_QUEUED,
  APPROVAL_UNANSWERED,
} from './protocol.js';
import type { Tool } from './tool.js';
import type { ToolOutcome } from './toolExecution.js';
import type { Turn } from './turn.js';

export const APPROVAL_HINT = 'Reply "yes" to go ahead or "no" to leave it as it is.';
/**
 * Replies that did not answer a pending question (a question back, a hesitation, something else) before it is let
 * go: each gets its answer and the question again, and the next one after this many drops it, undone.
 */
export const MAX_CONFIRMATION_REMINDERS = 2;

/** How many actions may wait behind the one being confirmed; more in one go are refused (ANOTHER_APPROVAL_WAITING). */
export const MAX_QUEUED_APPROVALS = 5;

export interface ApprovalsOptions {
  agents: AgentRegistry;
  telemetry: Telemetry;
  /** This process run's id, recorded with each question put, so a yes after a restart gets the question again first. */
  runId: string;
  /** The tools an agent may call, and how one is run (ToolRound's), for a confirmed action. */
  toolsOf(agent: Agent): Tool[];
  runTool(turn: Turn, tool: Tool, input: unknown): Promise<ToolOutcome>;
}

/**
 * The questions put to the customer before an action runs: asking, queueing one behind another, asking again, holding
 * a question through replies that did not answer it, and recording the answer. The answer itself is read by
 * confirmation.ts.
 */
export class Approvals {
  constructor(private readonly options: ApprovalsOptions) {}

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
      const tool = this.options.toolsOf(turn.agent).find((t) => t.name === pending.tool);
      content = tool
        ? (await this.options.runTool(turn, tool, pending.input)).content
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

  /** Asks about the action now, or queues it behind the question pending; the tool result the model reads either way. */
  askOrQueue(turn: Turn, tool: Tool, input: unknown): { asked: boolean; content: string } {
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
