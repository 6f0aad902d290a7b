import type { Logger } from '../log.js';
import type { Telemetry } from '../telemetry.js';
import { ModelError } from '../model/types.js';
import type { TurnEventListener } from '../orchestrator/events.js';
import { TurnError, type ApprovalDecision } from '../orchestrator/turn.js';
import type { TurnRunner } from '../orchestrator/turnRunner.js';
import type { Store } from './store.js';
import { ThreadQueue } from './threadQueue.js';
import { loadThreadState, type ThreadState } from './threadState.js';

/** One user post, already turned from a platform event into our shape by an adapter. */
export interface InboundMessage {
  /** Platform-unique message id; the dedupe key. */
  id: string;
  /** Conversation key, e.g. `slack:T1:C1:1700000000.000100`, `discord:G:C`, `console:local`. */
  thread: string;
  userId: string;
  userName?: string | undefined;
  text: string;
  /** A button press on a confirmation question; `text` then holds the button's label. */
  decision?: ApprovalDecision | undefined;
}

/**
 * `rejected`: the message was refused (too long); `stale`: a button press on a question that is already
 * answered; `not_allowed`: a button press by someone other than the person asked. `reply` says why, for the
 * presser alone; `relayed`: the thread is escalated, so the message went to staff and the bot stays quiet.
 */
export type TurnStatus = 'answered' | 'duplicate' | 'rejected' | 'stale' | 'not_allowed' | 'failed' | 'relayed';

export interface TurnOutcome {
  status: TurnStatus;
  /** What the user should see in full; for `failed` and `rejected` it is the apology or the reason. */
  reply: string;
  agent: string;
}

/** How long a processed message id is remembered, so redeliveries and retries are ignored. */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

export interface ConversationServiceOptions {
  store: Store;
  runner: TurnRunner;
  defaultAgentId: string;
  /** Display name of an agent id. */
  agentName(id: string): string;
  maxMessageChars: number;
  log: Logger;
  /** Shared with whatever else changes thread state (the escalation desk), so changes never overlap. */
  queue?: ThreadQueue;
  escalations?: EscalationHooks | undefined;
  telemetry?: Telemetry | undefined;
}

/** What the conversation service needs from human escalation; both run inside the thread's queue slot. */
export interface EscalationHooks {
  /** False when no staff channel is connected: escalated threads are then answered by the bot again. */
  readonly enabled: boolean;
  /** A turn just escalated; called before its state is saved, so the escalation is retried if the process dies. */
  register(thread: string): Promise<void>;
  /** A turn just escalated and its state is saved: post it to staff. Returns the state to save; never throws. */
  open(state: ThreadState, message: InboundMessage): Promise<ThreadState>;
  /** A customer wrote while staff have the thread: pass it on. Returns the state to save. */
  relayFromCustomer(state: ThreadState, message: InboundMessage): Promise<ThreadState>;
}

export const ESCALATED_PRESS_REPLY = 'A member of our support team has this conversation now, so that button no longer does anything.';
/** The name a relayed message's outcome carries: staff, not an agent, answer while escalated. */
export const SUPPORT_TEAM_NAME = 'Support team';

export function apologyFor(err: unknown): string {
  const cause = err instanceof TurnError ? err.cause : err;
  if (cause instanceof ModelError) {
    if (cause.kind === 'circuit_open') return "Sorry, I'm temporarily unavailable because my language model is having problems. Please try again in a few minutes.";
    if (cause.kind === 'rate_limited') return "Sorry, I'm getting too many requests right now. Please try again in a minute.";
    if (cause.kind === 'timeout') return 'Sorry, that took too long and I had to stop. Please try again.';
    return "Sorry, I can't reach my language model right now, so I couldn't answer. Please try again shortly.";
  }
  return 'Sorry, something went wrong on my side and I could not answer that. Please try again.';
}

/**
 * Inbound message → dedupe → one turn at a time per thread → state load/run/save.
 * A message that arrives while its thread is busy waits its turn; none is dropped.
 */
export class ConversationService {
  readonly queue: ThreadQueue;

  constructor(private readonly options: ConversationServiceOptions) {
    this.queue = options.queue ?? new ThreadQueue();
  }

  /** Resolves once this message's turn has finished (after any turns queued before it). */
  handle(message: InboundMessage, listener?: TurnEventListener): Promise<TurnOutcome> {
    return this.queue.run(message.thread, async () => {
      const started = performance.now();
      const outcome = await this.process(message, listener);
      if (outcome.status === 'duplicate') this.options.telemetry?.emit({ type: 'dedupe.hit' });
      this.options.telemetry?.emit({ type: 'turn.end', status: outcome.status, agent: outcome.agent, ms: performance.now() - started });
      return outcome;
    });
  }

  /** Messages of this thread that are running or waiting for their turn. */
  queued(thread: string): number {
    return this.queue.queued(thread);
  }

  /** Resolves when every queued turn has finished. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** True when the thread is a conversation: its state is stored, or a turn of it is running or queued. */
  async hasConversation(thread: string): Promise<boolean> {
    return this.queued(thread) > 0 || (await this.options.store.threads.get<unknown>(thread)) !== undefined;
  }

  loadState(thread: string): Promise<ThreadState> {
    return loadThreadState(this.options.store.threads, thread, this.options.defaultAgentId);
  }

  private async process(message: InboundMessage, listener?: TurnEventListener): Promise<TurnOutcome> {
    const { log, store } = this.options;
    const started = performance.now();
    const base = { thread: message.thread, message: message.id };
    const defaultName = this.options.agentName(this.options.defaultAgentId);
    let state: ThreadState;
    try {
      // The claim is atomic in the store, so a redelivery racing this one (another event, another replica,
      // or after a restart) loses it. The state read is independent and shares the round trip.
      const [first, loaded] = await Promise.all([store.claim(message.id, DEDUPE_TTL_MS), this.loadState(message.thread)]);
      if (!first) {
        log.info(base, 'dedupe.hit');
        return { status: 'duplicate', reply: '', agent: defaultName };
      }
      state = loaded;
    } catch (err) {
      log.error({ ...base, err }, 'turn.failed');
      listener?.({ type: 'turn.start', thread: message.thread });
      return { status: 'failed', reply: apologyFor(err), agent: defaultName };
    }
    const { escalations } = this.options;
    if (state.escalation && escalations?.enabled && message.text.length <= this.options.maxMessageChars) {
      listener?.({ type: 'relay.start', thread: message.thread });
      return this.relay(escalations, state, message);
    }
    state.startedBy ??= message.userId;
    if (message.decision) {
      const refusal = this.checkDecision(state, message);
      if (refusal) {
        log.info({ ...base, user: message.userId, status: refusal.status }, 'approval.refused');
        return refusal;
      }
    }
    // Only now is this a turn: duplicates and refused presses never start one (no "thinking…" for them).
    listener?.({ type: 'turn.start', thread: message.thread });
    if (message.text.length > this.options.maxMessageChars) {
      log.warn({ ...base, chars: message.text.length, limit: this.options.maxMessageChars }, 'message.too_long');
      // The thread is a conversation from now on, so a shortened retry in it is answered without a new mention.
      if (state.history.length === 0) await this.savePartial(state);
      const reply = `That message is too long for me (${message.text.length} characters; the limit is ${this.options.maxMessageChars}). Could you shorten it, or send the key part?`;
      return { status: 'rejected', reply, agent: this.options.agentName(state.activeAgent) };
    }
    try {
      const input = { thread: message.thread, userId: message.userId, text: message.text, decision: message.decision };
      const result = await this.options.runner.run(state, input, listener);
      const escalated = escalations?.enabled && result.state.escalation && !state.escalation;
      if (escalated) await escalations.register(message.thread);
      await store.threads.set(message.thread, result.state);
      if (escalated) {
        // Saved first, so a crash while posting to staff leaves an escalation the desk's sweep finishes later.
        await store.threads.set(message.thread, await escalations.open(result.state, message));
      }
      log.info(
        { ...base, agent: result.state.activeAgent, ms: Math.round(performance.now() - started), modelCalls: result.modelCalls, promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens },
        'turn.end',
      );
      return { status: 'answered', reply: result.reply, agent: result.agent };
    } catch (err) {
      log.error({ ...base, err, ms: Math.round(performance.now() - started) }, 'turn.failed');
      const reached = err instanceof TurnError ? err.state : state;
      if (err instanceof TurnError) await this.savePartial(err.state);
      return { status: 'failed', reply: apologyFor(err), agent: this.options.agentName(reached.activeAgent) };
    }
  }

  private async relay(escalations: EscalationHooks, state: ThreadState, message: InboundMessage): Promise<TurnOutcome> {
    const base = { thread: message.thread, message: message.id };
    if (message.decision) return { status: 'stale', reply: ESCALATED_PRESS_REPLY, agent: SUPPORT_TEAM_NAME };
    try {
      await this.options.store.threads.set(message.thread, await escalations.relayFromCustomer(state, message));
      this.options.log.info({ ...base, escalation: state.escalation?.id }, 'escalation.relayed_from_customer');
      return { status: 'relayed', reply: '', agent: SUPPORT_TEAM_NAME };
    } catch (err) {
      this.options.log.error({ ...base, err }, 'escalation.relay_failed');
      return { status: 'failed', reply: "Sorry, I couldn't pass that on to our support team. Please try sending it again.", agent: SUPPORT_TEAM_NAME };
    }
  }

  /** A button press counts only on the question still pending, and only from the person it was asked of. */
  private checkDecision(state: ThreadState, message: InboundMessage): TurnOutcome | undefined {
    const pending = state.pendingApproval;
    const agent = this.options.agentName(state.activeAgent);
    if (!pending || pending.id !== message.decision?.approvalId) {
      return { status: 'stale', reply: 'That request has already been answered.', agent };
    }
    if (pending.requestedBy !== message.userId) {
      return { status: 'not_allowed', reply: 'Only the person who made this request can confirm or cancel it.', agent };
    }
    return undefined;
  }

  /** Keeps what a failed turn already did (tool results, the user's message) so it is not lost or repeated. */
  private async savePartial(state: ThreadState): Promise<void> {
    try {
      await this.options.store.threads.set(state.thread, state);
    } catch (err) {
      this.options.log.error({ thread: state.thread, err }, 'state.save_failed');
    }
  }
}
