import { randomUUID } from 'node:crypto';
import type { RecordStore } from '../conversation/store.js';
import type { ThreadState } from '../conversation/threadState.js';
import { escalateCallSchema } from '../escalation/escalationTool.js';
import type { Logger } from '../log.js';
import type { ModelProvider, ToolCall, ToolSpec } from '../model/types.js';
import { Telemetry } from '../telemetry.js';
import type { Agent, AgentRegistry } from './agent.js';
import { AgentPrompts, type FixedPrompt } from './agentPrompts.js';
import {
  COMPACTION_INSTRUCTIONS,
  type CompactionOptions,
  type CompactionSummarizer,
  compactHistory,
  compactionPrompt,
  extractiveCompaction,
  truncateToolResults,
} from './compaction.js';
import { type ConfirmationReply, confirmationOf } from './confirmation.js';
import { askInputSchema, ownerAfterDelegation } from './delegation.js';
import type { TurnEventListener } from './events.js';
import { FinalText } from './finalText.js';
import { Handoffs, handOver } from './handoff.js';
import type { IntentRouter } from './intentRouter.js';
import { ModelCalls, tokensToday } from './modelCalls.js';
import { DELEGATE_FAILED, ESCALATE_TOOL_NAME, transferTarget } from './protocol.js';
import { noteGivenEmails } from './requester.js';
import type { ReviewOptions } from './review.js';
import { escalate, handToStaff } from './staffHandover.js';
import { parseToolCall } from './toolExecution.js';
import { answerOpenCalls, ToolRound, TURN_STOPPED_RESULT } from './toolRound.js';
import { type Delegation, Turn, TurnError, type TurnInput, type TurnResult } from './turn.js';

export interface TurnLimits {
  maxModelCallsPerTurn: number;
  maxHandoffsPerTurn: number;
  toolTimeoutMs: number;
  /** Specialists consulted in one response run side by side; false runs them one after another. */
  parallelDelegation?: boolean | undefined;
}

/** Bounded context: compaction of long histories, and an optional daily token budget per thread. */
export interface ContextOptions extends CompactionOptions {
  /** `model`: the running summary is model-written; `extractive`: built from the messages (the offline engine). */
  summaries: 'model' | 'extractive';
  /** Tokens (prompt + completion, from the API's usage) a thread may spend per UTC day; 0 means no limit. */
  dailyTokenBudget: number;
  /** What a thread over its budget gets: a clear reply, or a hand-over to staff (when a staff channel is connected). */
  budgetAction: 'reply' | 'escalate';
}

export const DEFAULT_CONTEXT: ContextOptions = {
  tokenBudget: 3_000,
  keepMessages: 12,
  toolResultChars: 1_500,
  summaries: 'extractive',
  dailyTokenBudget: 0,
  budgetAction: 'reply',
};

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
  context?: ContextOptions | undefined;
  /** The review settings of an agent, or undefined when its replies go out unreviewed (default: the agent's own `review`). */
  reviewFor?: ((agent: Agent) => ReviewOptions | undefined) | undefined;
  /** Whether an agent's replies get the id, figure and date check (default: the agent's own `checkFacts`). */
  checksFacts?: ((agent: Agent) => boolean) | undefined;
  /**
   * This process run: its id and start time (ms). A typed yes to a question put before this run started, by another
   * run, gets the question again before anything is done (the customer may not have it in view after a restart).
   */
  run?: { id: string; startedAt: number } | undefined;
}

export const MODEL_CALL_LIMIT_REPLY =
  "Sorry, I couldn't finish that in a reasonable number of steps. Could you rephrase, or ask one thing at a time?";

export const BUDGET_SPENT_REPLY =
  "This conversation has used up today's allowance of automated answers, so I can't look into this right now. Please try again tomorrow, or ask for a person if it can't wait.";

/** The review settings an agent declares itself. */
export function agentReview(agent: Agent): ReviewOptions | undefined {
  return agent.review === true ? {} : agent.review || undefined;
}

/** The run loop: model call → text, tool calls or a handoff → repeat, within the turn's limits. */
export class TurnRunner {
  private readonly telemetry: Telemetry;
  private readonly context: ContextOptions;
  private readonly calls: ModelCalls;
  private readonly tools: ToolRound;
  private readonly handoffs: Handoffs;
  private readonly finalText: FinalText;
  private readonly prompts: AgentPrompts;
  private readonly processRun: { id: string; startedAt: number };

  constructor(private readonly options: TurnRunnerOptions) {
    this.processRun = options.run ?? { id: randomUUID(), startedAt: Date.now() };
    this.telemetry = options.telemetry ?? new Telemetry();
    this.context = options.context ?? DEFAULT_CONTEXT;
    this.calls = new ModelCalls({
      provider: options.provider,
      modelFor: options.modelFor,
      telemetry: this.telemetry,
      log: options.log,
    });
    this.tools = new ToolRound({
      agents: options.agents,
      records: options.records,
      log: options.log,
      telemetry: this.telemetry,
      toolTimeoutMs: options.limits.toolTimeoutMs,
      parallelDelegation: options.limits.parallelDelegation ?? true,
      consult: (turn, call, targetId) => this.consult(turn, call, targetId),
      runId: this.processRun.id,
    });
    this.prompts = new AgentPrompts(options.agents, (agent) => this.tools.toolsOf(agent));
    this.finalText = new FinalText({
      calls: this.calls,
      telemetry: this.telemetry,
      systemFor: (turn, agent) => this.systemFor(turn, agent),
      checksFacts: options.checksFacts ?? ((agent) => agent.checkFacts === true),
    });
    this.handoffs = new Handoffs({
      agents: options.agents,
      maxHandoffsPerTurn: options.limits.maxHandoffsPerTurn,
      log: options.log,
      telemetry: this.telemetry,
      fastPath: options.fastPath,
    });
  }

  /**
   * Runs one turn on `state`, which the turn takes over and changes in place (the result carries it); a caller
   * that needs the state as it was must keep its own copy.
   */
  async run(state: ThreadState, input: TurnInput, listener: TurnEventListener = () => {}): Promise<TurnResult> {
    const turn = new Turn(this.options, state, input, listener);
    try {
      // Before anything runs, so "ORD-1001, maya@example.com" can be looked up in the same message.
      noteGivenEmails(turn.state.givenEmails, input.userId, input.text);
      // Actions queued behind a question that a failed turn never asked: the customer has not seen them.
      if (!turn.state.pendingApproval) this.tools.approvals.dropQueued(turn, () => true);
      const pending = turn.state.pendingApproval;
      const decision: ConfirmationReply | undefined =
        pending && pending.requestedBy === input.userId ? confirmationOf(input, pending.question) : undefined;
      const clear = decision === 'approve' || decision === 'reject';
      // A typed yes or no sent before the question was put (two quick "yes"es, the second meant for the first question).
      if (clear && !input.decision && sentBefore(input, pending!.createdAt)) {
        this.tools.approvals.askAgain(turn, 'crossed');
        return turn.result();
      }
      // A typed yes to a question put before a restart: the customer may not have it in view, so put it again first.
      if (decision === 'approve' && !input.decision && this.askedBeforeThisRun(pending!)) {
        this.tools.approvals.askAgain(turn, 'restarted');
        return turn.result();
      }
      // A yes or no to a question the bot asked is always honoured, budget or not: only new requests are refused.
      if (!clear && this.budgetSpent(turn)) return turn.result();
      // A question the requester kept passing by, let go now: they are told so after the reply.
      let letGo: string | undefined;
      if (clear) await this.tools.approvals.resolveApproval(turn, decision);
      else if (decision === 'unclear') {
        if (this.tools.approvals.holdApproval(turn) === 'held') turn.heldApproval = pending!.id;
        else letGo = pending!.question;
      } else turn.state.history.push({ role: 'user', content: input.text });
      await this.compact(turn);
      await this.loop(turn);
      this.settleDelegations(turn);
      if (letGo !== undefined) {
        if (turn.said.length > 0) turn.emit({ type: 'text.delta', agent: turn.agent.name, text: '\n\n' });
        turn.say(letGoNote(letGo));
      }
      if (!this.tools.approvals.askNextQueued(turn) && turn.heldApproval)
        this.tools.approvals.remindPending(turn, turn.heldApproval);
      truncateToolResults(turn.state.history, this.context.toolResultChars);
      return turn.result();
    } catch (err) {
      turn.state.updatedAt = new Date().toISOString();
      // The partial state is saved: every call the model made must have its result, or the next request is invalid.
      answerOpenCalls(turn.state.history, TURN_STOPPED_RESULT);
      throw new TurnError(err, turn.state);
    }
  }

  /** Put by another process run that ended before this one started: the question predates a restart. */
  private askedBeforeThisRun(pending: NonNullable<ThreadState['pendingApproval']>): boolean {
    return pending.askedIn !== this.processRun.id && Date.parse(pending.createdAt) <= this.processRun.startedAt;
  }

  /** Over the daily budget the turn makes no model call: the customer is told so, or the thread goes to staff. */
  private budgetSpent(turn: Turn): boolean {
    const { dailyTokenBudget: budget, budgetAction } = this.context;
    if (budget <= 0) return false;
    const tokens = tokensToday(turn);
    if (tokens < budget) return false;
    const escalate = budgetAction === 'escalate' && this.escalationOn() && !turn.state.escalation;
    turn.state.history.push({ role: 'user', content: turn.input.text });
    this.telemetry.emit({
      type: 'budget.exhausted',
      thread: turn.input.thread,
      tokens,
      budget,
      action: escalate ? 'escalate' : 'reply',
    });
    if (!escalate) {
      turn.say(BUDGET_SPENT_REPLY);
      return true;
    }
    handToStaff(
      turn,
      'The conversation used up its daily allowance of automated answers, so it needs a person.',
      'normal',
      this.options.log,
    );
    return true;
  }

  /** Folds older turns into the running summary once history passes the token budget. */
  private async compact(turn: Turn): Promise<void> {
    const started = performance.now();
    const agent = turn.agent;
    const summarize: CompactionSummarizer =
      this.context.summaries === 'extractive'
        ? extractiveCompaction
        : async (previous, older) =>
            (
              await this.calls.aside(turn, agent, 'summary', {
                system: COMPACTION_INSTRUCTIONS,
                messages: [{ role: 'user', content: compactionPrompt(previous, older) }],
              })
            )?.trim() || extractiveCompaction(previous, older);
    const done = await compactHistory(turn.state, this.context, summarize);
    if (done)
      this.telemetry.emit({
        type: 'compaction',
        thread: turn.input.thread,
        ...done,
        ms: Math.round(performance.now() - started),
      });
  }

  private async loop(turn: Turn): Promise<void> {
    const { limits } = this.options;
    if (!turn.delegated) await this.handoffs.tryFastPath(turn);
    for (;;) {
      if (turn.modelCalls >= limits.maxModelCallsPerTurn) {
        this.options.log.warn(
          { thread: turn.input.thread, agent: turn.agent.id, calls: turn.modelCalls },
          'turn.model_call_limit',
        );
        turn.say(MODEL_CALL_LIMIT_REPLY);
        return;
      }
      const agent = turn.agent;
      const review = (this.options.reviewFor ?? agentReview)(agent);
      const stream = this.finalText.stream(turn, review);
      const response = await this.calls.reply(
        turn,
        this.systemFor(turn, agent),
        this.toolsFor(turn, agent),
        stream.onText,
      );
      if (response.toolCalls.length === 0) {
        const shown = stream.shown(response.text, true);
        const text = shown ?? (await this.finalText.of(turn, response.text, review));
        turn.state.history.push({ role: 'assistant', content: text === '' ? null : text, agent: agent.id });
        if (text === '') return;
        turn.said.push(text);
        if (shown === undefined) turn.emit({ type: 'text.delta', agent: agent.name, text });
        return;
      }
      const shown = stream.shown(response.text, false);
      turn.state.history.push({
        role: 'assistant',
        content: (shown ?? response.text) || null,
        tool_calls: response.toolCalls,
        agent: agent.id,
      });
      if (shown) turn.said.push(shown);

      const handoffCalls = turn.delegated
        ? []
        : response.toolCalls.filter((c) => (agent.handoffs ?? []).includes(transferTarget(c.function.name) ?? ''));
      const toolCalls = response.toolCalls.filter((c) => !handoffCalls.includes(c));
      const escalationCalls =
        this.escalationOn() && !turn.delegated ? toolCalls.filter((c) => c.function.name === ESCALATE_TOOL_NAME) : [];
      // Handing over to staff in the same response: the customer is not asked to confirm an action people take over.
      const escalating = escalationCalls.length > 0 && parseToolCall(escalationCalls[0]!, [escalateCallSchema]).ok;
      const approvalAsked = await this.tools.run(
        turn,
        toolCalls.filter((c) => !escalationCalls.includes(c)),
        escalating,
      );
      if (escalationCalls.length > 0 && escalate(turn, escalationCalls, this.options.log)) {
        for (const call of handoffCalls)
          turn.state.history.push({
            role: 'tool',
            tool_call_id: call.id,
            content: 'Ignored: the conversation went to the support team.',
          });
        return;
      }
      const stop = this.handoffs.apply(turn, handoffCalls, approvalAsked);
      if (approvalAsked || stop) return;
    }
  }

  /** A consulted specialist: its own turn on one part of the message, whose answer becomes the caller's tool result. */
  private async consult(turn: Turn, call: ToolCall, targetId: string): Promise<string> {
    const parsed = parseToolCall(call, [{ name: call.function.name, input: askInputSchema }]);
    if (!parsed.ok) return `Error: ${parsed.message}`;
    const target = this.options.agents.get(targetId)!;
    const { request } = parsed.input as { request: string };
    const forward: TurnEventListener = (event) => {
      if (event.type === 'tool.call' || event.type === 'tool.result') turn.emit(event);
    };
    const state: ThreadState = {
      ...turn.root.state,
      history: [{ role: 'user', content: request }],
      activeAgent: target.id,
      pendingApproval: null,
      queuedApprovals: [],
      escalation: null,
    };
    const child = new Turn(this.options, state, turn.input, forward, turn);
    // The slot is taken before the specialist runs, so answers stay in the order asked, not the order finished.
    const slot: Delegation = { agentId: target.id, answer: { agent: target.name, answer: '' } };
    turn.root.delegations.push(slot);
    const queuedBefore = new Set(turn.root.state.queuedApprovals.map((q) => q.id));
    try {
      await this.loop(child);
    } catch (err) {
      // One specialist failing must take neither the others' answers nor the caller's turn with it.
      this.options.log.warn({ thread: turn.input.thread, agent: target.id, err }, 'delegation.failed');
      const done = child.state.history.flatMap((m) => (m.role === 'tool' ? [m.content] : []));
      slot.answer.error = DELEGATE_FAILED;
      if (done.length > 0) slot.answer.done_before_error = done;
      return JSON.stringify(slot.answer);
    }
    const pending = turn.root.state.pendingApproval;
    slot.answer.answer = child.said.join('\n\n');
    if (turn.root.approvalDeferred && pending?.agent === target.id)
      slot.answer.waiting_for_confirmation = pending.question;
    else {
      const queued = turn.root.state.queuedApprovals.find((q) => q.agent === target.id && !queuedBefore.has(q.id));
      if (queued) slot.answer.confirmation_queued = queued.question;
    }
    return JSON.stringify(slot.answer);
  }

  /** After a fan-out: the agent owning the open part keeps the thread, and a specialist's confirmation question is asked. */
  private settleDelegations(turn: Turn): void {
    if (turn.delegations.length === 0) return;
    const deferred = turn.approvalDeferred && turn.state.pendingApproval !== null;
    const owner = ownerAfterDelegation(turn.delegations, deferred ? turn.state.pendingApproval!.agent : undefined);
    if (owner && owner !== turn.agent.id && !turn.state.escalation)
      handOver(turn, this.options.agents.get(owner)!, this.telemetry);
    if (deferred) this.tools.approvals.announceApproval(turn);
  }

  private systemFor(turn: Turn, agent: Agent): string {
    return this.calls.systemFor(turn, this.fixedFor(turn, agent).system);
  }

  /** The agent's tools and note_fact; at the top level also its handoffs, specialists to consult and escalation. */
  private toolsFor(turn: Turn, agent: Agent): ToolSpec[] {
    return this.fixedFor(turn, agent).tools;
  }

  /** The agent's fixed prompt and tools for this turn's role (root or consulted) and the escalation switch. */
  private fixedFor(turn: Turn, agent: Agent): FixedPrompt {
    return this.prompts.for(agent, turn.delegated, !turn.delegated && this.escalationOn());
  }

  private escalationOn(): boolean {
    return this.options.escalation?.() ?? false;
  }
}

/** What the customer is told when a question they kept passing by is let go (see Approvals.holdApproval). */
function letGoNote(question: string): string {
  return `I've left this undone, since it wasn't answered: "${question}" Just ask again if you still want it.`;
}

/** True when the message was sent before `askedAt` (an ISO time); a message without a time counts as after. */
function sentBefore(input: TurnInput, askedAt: string): boolean {
  return input.sentAt !== undefined && input.sentAt < Date.parse(askedAt);
}
