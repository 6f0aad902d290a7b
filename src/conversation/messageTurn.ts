import type { Logger } from '../log.js';
import { ModelError } from '../model/types.js';
import type { Source } from '../orchestrator/citations.js';
import type { TurnEventListener } from '../orchestrator/events.js';
import { type ApprovalDecision, TurnError } from '../orchestrator/turn.js';
import type { TurnRunner } from '../orchestrator/turnRunner.js';
import type { InboxMessage } from './inbox.js';
import type { Store } from './store.js';
import { type LastAnswer, loadThreadState, SavedStates, saveThreadState, type ThreadState } from './threadState.js';

/** One user post, already turned from a platform event into our shape by an adapter. */
export interface InboundMessage {
  /** Platform-unique message id; the dedupe key. */
  id: string;
  /** Conversation key, e.g. `slack:T1:C1:1700000000.000100`, `discord:G:C`, `console:local`. */
  thread: string;
  userId: string;
  userName?: string | undefined;
  /**
   * An email address the platform vouches for (Slack's profile email with `users:read.email`; the terminal's
   * CONSOLE_USER_EMAIL). With it, the customer's own orders and invoices are shown without asking for the email.
   */
  verifiedEmail?: string | undefined;
  text: string;
  /** Files or images sent with it, by name and kind ("image/png"); the bot cannot open them yet. */
  attachments?: Array<{ name: string; kind?: string | undefined }> | undefined;
  /** A button press on a confirmation question; `text` then holds the button's label. */
  decision?: ApprovalDecision | undefined;
  /** When the platform says it was sent (ms since epoch); orders the thread's waiting messages. Default: now. */
  sentAt?: number | undefined;
  /** Plain strings the adapter needs to answer this message from another replica (see Responder). */
  replyContext?: Record<string, string> | undefined;
}

/**
 * `rejected`: the message was refused (too long); `stale`: a button press on a question that is already
 * answered; `not_allowed`: a button press by someone other than the person asked. `reply` says why, for the
 * presser alone; `relayed`: the thread is escalated, so the message went to staff and the bot stays quiet;
 * `handed_off`: another replica holds the thread and answers this message there.
 */
export type TurnStatus =
  | 'answered'
  | 'duplicate'
  | 'rejected'
  | 'stale'
  | 'not_allowed'
  | 'failed'
  | 'relayed'
  | 'handed_off';

export interface TurnOutcome {
  status: TurnStatus;
  /** What the user should see in full; for `failed` and `rejected` it is the apology or the reason. */
  reply: string;
  agent: string;
  /** The articles an answered reply drew on: adapters list them under it, as links where they have an address. */
  sources?: Source[];
  /**
   * The turn had already run and been saved by a process that died before its reply was surely posted: this is
   * that saved outcome. Adapters then finish the reply they find already posted (ConversationService.postedReply).
   */
  resumed?: boolean;
}

/** What the conversation service needs from human escalation; both run while the thread's lock is held. */
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

export const ESCALATED_PRESS_REPLY =
  'A member of our support team has this conversation now, so that button no longer does anything.';
/** The name a relayed message's outcome carries: staff, not an agent, answer while escalated. */
export const SUPPORT_TEAM_NAME = 'Support team';

export function apologyFor(err: unknown): string {
  const cause = err instanceof TurnError ? err.cause : err;
  if (cause instanceof ModelError) {
    if (cause.kind === 'circuit_open')
      return "Sorry, I'm temporarily unavailable because my language model is having problems. Please try again in a few minutes.";
    if (cause.kind === 'rate_limited')
      return "Sorry, I'm getting too many requests right now. Please try again in a minute.";
    if (cause.kind === 'timeout') return 'Sorry, that took too long and I had to stop. Please try again.';
    return "Sorry, I can't reach my language model right now, so I couldn't answer. Please try again shortly.";
  }
  return 'Sorry, something went wrong on my side and I could not answer that. Please try again.';
}

export interface MessageTurnsOptions {
  store: Store;
  runner: TurnRunner;
  defaultAgentId: string;
  /** Display name of an agent id. */
  agentName(id: string): string;
  maxMessageChars: number;
  /** How long a thread's state outlives its last save (THREAD_RETENTION); undefined keeps it forever. */
  threadRetentionMs?: number | undefined;
  log: Logger;
  escalations?: EscalationHooks | undefined;
}

/**
 * What one message does to its thread, with the thread's lock held: state load → relay to staff, refusal, or a
 * turn → state save. Every save records the outcome (`lastAnswer`), so a replica resuming this message after a
 * crash between the save and the reply posts that outcome instead of running the turn a second time.
 */
export class MessageTurns {
  private readonly saved = new SavedStates();

  constructor(private readonly options: MessageTurnsOptions) {}

  async process(
    message: InboxMessage,
    listener?: TurnEventListener,
    writer?: { userName?: string | undefined; verifiedEmail?: string | undefined },
  ): Promise<TurnOutcome> {
    const { log, store } = this.options;
    const started = performance.now();
    const base = { thread: message.thread, message: message.id };
    let state: ThreadState;
    try {
      state = await loadThreadState(store.threads, message.thread, this.options.defaultAgentId, this.saved);
    } catch (err) {
      log.error({ ...base, err }, 'turn.failed');
      listener?.({ type: 'turn.start', thread: message.thread });
      return { status: 'failed', reply: apologyFor(err), agent: this.options.agentName(this.options.defaultAgentId) };
    }
    if (state.lastAnswer?.message === message.id) {
      log.info({ ...base, status: state.lastAnswer.status }, 'turn.replayed');
      const { status, reply, agent, sources } = state.lastAnswer;
      return { status, reply, agent, sources: sources ?? [], resumed: true };
    }
    const { escalations } = this.options;
    if (state.escalation && escalations?.enabled && message.text.length <= this.options.maxMessageChars) {
      listener?.({ type: 'relay.start', thread: message.thread });
      // Staff are told what arrived when there are no words to pass on.
      const text =
        message.text.trim() === '' && message.attachments?.length
          ? `[sent ${message.attachments.map(describeFile).join(', ')}]`
          : message.text;
      return this.relay(escalations, state, { ...message, text });
    }
    state.startedBy ??= message.userId;
    if (message.decision) {
      const refusal = this.checkDecision(state, message);
      if (refusal) {
        log.info({ ...base, user: message.userId, status: refusal.status }, 'approval.refused');
        return refusal;
      }
    }
    // Only now is this a turn: refused presses never start one (no "thinking…" for them).
    listener?.({ type: 'turn.start', thread: message.thread });
    // A file or an image with no words: say what arrived and that it cannot be opened, rather than guess at it.
    if (message.text.trim() === '' && message.attachments?.length) return this.fileOnly(state, message);
    if (message.text.length > this.options.maxMessageChars) {
      log.warn({ ...base, chars: message.text.length, limit: this.options.maxMessageChars }, 'message.too_long');
      const reply = `That message is too long for me (${message.text.length} characters; the limit is ${this.options.maxMessageChars}). Could you shorten it, or send the key part?`;
      const outcome = { status: 'rejected' as const, reply, agent: this.options.agentName(state.activeAgent) };
      // The thread is a conversation from now on, so a shortened retry in it is answered without a new mention.
      if (state.history.length === 0) await this.savePartial(withAnswer(state, message, outcome));
      return outcome;
    }
    try {
      const input = {
        thread: message.thread,
        userId: message.userId,
        userName: writer?.userName ?? message.userName,
        verifiedEmail: writer?.verifiedEmail ?? message.verifiedEmail,
        text: message.text,
        decision: message.decision,
        sentAt: message.sentAt,
      };
      // The turn changes `state` in place.
      const wasEscalated = state.escalation !== null;
      const result = await this.options.runner.run(state, input, listener);
      const outcome = {
        status: 'answered' as const,
        reply: result.reply,
        agent: result.agent,
        sources: result.sources,
      };
      const saved = withAnswer(result.state, message, outcome);
      const escalated = escalations?.enabled && saved.escalation && !wasEscalated;
      if (escalated) {
        // Listed for the desk's sweep before the save, so a crash while posting to staff is finished later. Listing
        // is that safety net only: when it fails, the turn is still saved and the card still posted now.
        await escalations
          .register(message.thread)
          .catch((err: unknown) => log.error({ ...base, err }, 'escalation.register_failed'));
      }
      await this.save(saved);
      if (escalated) {
        // The turn is saved and answered: failing to record the posted card leaves the sweep to post it again, and
        // must not turn the customer's answer into an apology.
        await this.save(await escalations.open(saved, message)).catch((err: unknown) =>
          log.error({ ...base, err }, 'state.save_failed'),
        );
      }
      log.info(
        {
          ...base,
          agent: saved.activeAgent,
          ms: Math.round(performance.now() - started),
          modelCalls: result.modelCalls,
          promptTokens: result.usage.promptTokens,
          completionTokens: result.usage.completionTokens,
        },
        'turn.end',
      );
      return outcome;
    } catch (err) {
      log.error({ ...base, err, ms: Math.round(performance.now() - started) }, 'turn.failed');
      const reached = err instanceof TurnError ? err.state : state;
      const outcome = {
        status: 'failed' as const,
        reply: apologyFor(err),
        agent: this.options.agentName(reached.activeAgent),
      };
      if (err instanceof TurnError) await this.savePartial(withAnswer(err.state, message, outcome));
      return outcome;
    }
  }

  /** Answers a message that is only files: no model call; the history records what was sent and what was said. */
  private async fileOnly(state: ThreadState, message: InboxMessage): Promise<TurnOutcome> {
    const files = message.attachments ?? [];
    const reply = fileOnlyReply(files);
    const outcome = { status: 'answered' as const, reply, agent: this.options.agentName(state.activeAgent) };
    state.history.push({ role: 'user', content: `[sent ${files.map(describeFile).join(', ')}, with no text]` });
    state.history.push({ role: 'assistant', content: reply, agent: state.activeAgent });
    state.updatedAt = new Date().toISOString();
    this.options.log.info({ thread: message.thread, message: message.id, files: files.length }, 'message.files_only');
    await this.save(withAnswer(state, message, outcome));
    return outcome;
  }

  private async relay(escalations: EscalationHooks, state: ThreadState, message: InboxMessage): Promise<TurnOutcome> {
    const base = { thread: message.thread, message: message.id };
    if (message.decision) return { status: 'stale', reply: ESCALATED_PRESS_REPLY, agent: SUPPORT_TEAM_NAME };
    try {
      const outcome = { status: 'relayed' as const, reply: '', agent: SUPPORT_TEAM_NAME };
      await this.save(withAnswer(await escalations.relayFromCustomer(state, message), message, outcome));
      this.options.log.info({ ...base, escalation: state.escalation?.id }, 'escalation.relayed_from_customer');
      return outcome;
    } catch (err) {
      this.options.log.error({ ...base, err }, 'escalation.relay_failed');
      return {
        status: 'failed',
        reply: "Sorry, I couldn't pass that on to our support team. Please try sending it again.",
        agent: SUPPORT_TEAM_NAME,
      };
    }
  }

  /** A button press counts only on the question still pending, and only from the person it was asked of. */
  private checkDecision(state: ThreadState, message: InboxMessage): TurnOutcome | undefined {
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

  private async save(state: ThreadState): Promise<void> {
    await saveThreadState(this.options.store.threads, state, this.options.threadRetentionMs);
    this.saved.remember(state);
  }

  /** Keeps what a failed turn already did (tool results, the user's message) so it is not lost or repeated. */
  private async savePartial(state: ThreadState): Promise<void> {
    try {
      await this.save(state);
    } catch (err) {
      this.options.log.error({ thread: state.thread, err }, 'state.save_failed');
    }
  }
}

/** "the image screenshot.png", "the file invoice.pdf". */
function describeFile(file: { name: string; kind?: string | undefined }): string {
  return `${file.kind?.startsWith('image/') ? 'the image' : 'the file'} ${file.name}`;
}

/** What the customer is told when all they sent is files. */
export function fileOnlyReply(files: Array<{ name: string; kind?: string | undefined }>): string {
  const what =
    files.length === 1 ? describeFile(files[0]!) : `${files.length} files (${files.map((f) => f.name).join(', ')})`;
  return `Thanks, I got ${what}, but I can't open files or images yet. Could you tell me in a few words what it shows, or what you need help with?`;
}

function withAnswer(state: ThreadState, message: InboxMessage, outcome: Omit<LastAnswer, 'message'>): ThreadState {
  return {
    ...state,
    lastAnswer: {
      message: message.id,
      status: outcome.status,
      reply: outcome.reply,
      agent: outcome.agent,
      ...(outcome.sources && outcome.sources.length > 0 ? { sources: outcome.sources } : {}),
    },
  };
}
