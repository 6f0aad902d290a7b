import { platformOf } from '../escalation/escalation.js';
import type { TurnEventListener } from '../orchestrator/events.js';
import type { Telemetry } from '../telemetry.js';
import { decodeInboxMessage, type InboxMessage } from './inbox.js';
import {
  apologyFor,
  type InboundMessage,
  MessageTurns,
  type MessageTurnsOptions,
  type TurnOutcome,
} from './messageTurn.js';
import type { Lease, ThreadGate } from './threadGate.js';
import { loadThreadState, type ThreadState } from './threadState.js';
import { TurnStarts } from './turnStarts.js';

export type { EscalationHooks, InboundMessage, TurnOutcome, TurnStatus } from './messageTurn.js';

/**
 * Who wrote the message, as the answering adapter looked them up when it answers (on whichever replica): their
 * display name and the email the platform vouches for. Looked up then rather than stored with the message, so the
 * inbox keeps no email and a follow-up is never held up behind the look-up.
 */
export interface WriterProfile {
  userName?: string | undefined;
  verifiedEmail?: string | undefined;
}

/** Runs one message's turn, reporting its events to `listener`; resolves with the outcome. */
export type RunTurn = (listener?: TurnEventListener, writer?: WriterProfile) => Promise<TurnOutcome>;
/** How an adapter answers one message: run the turn (rendering its events), post the outcome, resolve when posted. */
export type Respond = (run: RunTurn) => Promise<TurnOutcome>;
/** How an adapter answers a message it did not receive in this process: another replica's, or one a crash left waiting. */
export type Responder = (message: InboxMessage) => Respond;

/** How long a processed message id is remembered, so redeliveries and retries are ignored. */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;
/** Threads looked at per recovery pass. */
const RECOVERY_BATCH_THREADS = 100;
/**
 * Times a message's reply may fail in this process (to start, before its turn runs, or to post, after it) before
 * the message is dropped: a deleted channel must not be retried forever, nor crowd the oldest threads out of the
 * recovery passes.
 */
export const MAX_REPLY_FAILURES = 5;
/** An id no message has: completing it drops nothing, and so only reads the head or releases the lock. */
const NO_MESSAGE = '';

export interface ConversationServiceOptions extends MessageTurnsOptions {
  /** The per-thread lock shared with whatever else changes thread state (the escalation desk) and other replicas. */
  gate: ThreadGate;
  /** How often to look for messages nobody is answering (their replica died); see startRecovery. */
  recoveryIntervalMs: number;
  telemetry?: Telemetry | undefined;
}

/** A message received in this process, waiting for whichever drain of its thread reaches it. */
interface LocalMessage {
  message: InboxMessage;
  respond: Respond | undefined;
  outcome?: TurnOutcome;
}

const runQuietly: Respond = (run) => run();

/**
 * Inbound message → dedupe and inbox → one holder per thread → each waiting message's turn, in order.
 *
 * Every message is admitted to its thread's inbox (atomically with its dedupe mark), then whoever holds the
 * thread's lock (this process or another replica) answers everything waiting, oldest first, one turn per
 * message. A message leaves the inbox only after its turn is saved and its reply posted, so a crash at any point
 * leaves it to be answered by the next holder; the saved `lastAnswer` keeps that from running its turn twice.
 */
export class ConversationService {
  private readonly turns: MessageTurns;
  private readonly local = new Map<string, LocalMessage>();
  private readonly responders = new Map<string, Responder>();
  /** Message id → how many times its reply failed in this process (see answer). */
  private readonly replyFailures = new Map<string, number>();
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering: Promise<void> | undefined;
  private readonly starts = new TurnStarts();

  constructor(private readonly options: ConversationServiceOptions) {
    this.turns = new MessageTurns(options);
    // A staff action held the thread: customer messages may have arrived on other replicas meanwhile.
    options.gate.onRunReleased((thread) => {
      void this.drainThread(thread).catch((err: unknown) => options.log.error({ err, thread }, 'inbox.drain_failed'));
    });
  }

  /**
   * Takes one message and resolves once it has been answered here through `respond` (with the outcome), or
   * found to be a duplicate, or left waiting (`handed_off`): to another replica that holds its thread, or for a later
   * pass because its reply could not be posted yet.
   */
  async handle(message: InboundMessage, respond?: Respond): Promise<TurnOutcome> {
    const { log, store, telemetry } = this.options;
    const entry = toInboxMessage(message);
    const base = { thread: entry.thread, message: entry.id };
    const agent = this.options.agentName(this.options.defaultAgentId);
    let admitted: boolean;
    try {
      admitted = await store.inbox.admit(entry, DEDUPE_TTL_MS);
    } catch (err) {
      log.error({ ...base, err }, 'turn.failed');
      const failed: TurnOutcome = { status: 'failed', reply: apologyFor(err), agent };
      telemetry?.emit({ type: 'turn.end', thread: entry.thread, status: 'failed', agent, ms: 0 });
      return (respond ?? runQuietly)(async (listener) => {
        listener?.({ type: 'turn.start', thread: entry.thread });
        return failed;
      });
    }
    if (!admitted) {
      log.info(base, 'dedupe.hit');
      telemetry?.emit({ type: 'dedupe.hit', thread: entry.thread });
      telemetry?.emit({ type: 'turn.end', thread: entry.thread, status: 'duplicate', agent, ms: 0 });
      return { status: 'duplicate', reply: '', agent };
    }
    const local: LocalMessage = { message: entry, respond };
    this.local.set(entry.id, local);
    try {
      // Saved in the inbox, so a crash from here on loses nothing; in a burst the turn waits its group's start.
      await this.starts.next();
      await this.drainThread(entry.thread);
    } catch (err) {
      // The store failed mid-way: the message may still be waiting, and is answered when the store is back.
      log.error({ ...base, err }, 'inbox.drain_failed');
      if (!local.outcome) {
        const failed: TurnOutcome = { status: 'failed', reply: apologyFor(err), agent };
        local.outcome = await (respond ?? runQuietly)(async () => failed).catch(() => failed);
      }
    } finally {
      this.local.delete(entry.id);
    }
    return local.outcome ?? { status: 'handed_off', reply: '', agent };
  }

  loadState(thread: string): Promise<ThreadState> {
    return loadThreadState(this.options.store.threads, thread, this.options.defaultAgentId);
  }

  /**
   * Remembers the platform id of the first message of the reply to `inboundId`, as soon as it is posted, so a
   * replica resuming that message after a crash edits it rather than posting the reply a second time.
   */
  recordReply(inboundId: string, messageRef: string): void {
    this.options.store.records
      .set(`reply:${inboundId}`, messageRef, DEDUPE_TTL_MS)
      .catch((err: unknown) => this.options.log.warn({ err, message: inboundId }, 'reply.record_failed'));
  }

  /** The first message of the reply to `inboundId`, if one was posted (see recordReply). */
  postedReply(inboundId: string): Promise<string | undefined> {
    return this.options.store.records.get<string>(`reply:${inboundId}`);
  }

  /** Registers how to answer messages of `platform` (the thread key's first part) that another process received. */
  respondVia(platform: string, responder: Responder): void {
    this.responders.set(platform, responder);
  }

  /** Messages of this thread that are running or waiting for their turn in this process. */
  queued(thread: string): number {
    return this.options.gate.queue.queued(thread);
  }

  /** Resolves when every queued turn (and a recovery pass under way) has finished. */
  async drain(): Promise<void> {
    await this.recovering;
    await this.options.gate.queue.drain();
  }

  /**
   * True when the thread is a conversation: its state is stored, or a message of it is waiting or being answered,
   * here or on another replica (a follow-up can reach this replica before the first turn's state is saved there).
   */
  async hasConversation(thread: string): Promise<boolean> {
    if (this.queued(thread) > 0) return true;
    const { store } = this.options;
    const [state, waiting] = await Promise.all([store.threads.get<unknown>(thread), store.inbox.head(thread)]);
    return state !== undefined || waiting !== undefined;
  }

  /**
   * Looks for messages nobody is answering (their process died mid-turn, or shut down before reaching them) now
   * and every `recoveryIntervalMs`, and answers them once their thread's lock is free: at once after a clean
   * shutdown, after the lock's TTL after a crash.
   */
  startRecovery(): void {
    this.recoveryTimer ??= setInterval(() => void this.recover(), this.options.recoveryIntervalMs);
    this.recoveryTimer.unref();
    void this.recover();
  }

  stopRecovery(): void {
    clearInterval(this.recoveryTimer);
    this.recoveryTimer = undefined;
  }

  /** One recovery pass; concurrent calls share it. */
  recover(): Promise<void> {
    this.recovering ??= this.recoverOnce().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private async recoverOnce(): Promise<void> {
    const { log, store } = this.options;
    let threads: string[];
    try {
      threads = await store.inbox.waitingThreads(RECOVERY_BATCH_THREADS);
    } catch (err) {
      log.error({ err }, 'inbox.recovery_failed');
      return;
    }
    // A thread with work queued here is being answered already.
    const orphaned = threads.filter((thread) => this.queued(thread) === 0);
    await Promise.all(
      orphaned.map((thread) =>
        this.drainThread(thread).catch((err: unknown) => log.error({ err, thread }, 'inbox.recovery_failed')),
      ),
    );
  }

  /** Answers the thread's waiting messages if no other process holds it; that process answers them otherwise. */
  private async drainThread(thread: string): Promise<void> {
    await this.options.gate.tryRun(thread, (lease) => this.answerWaiting(thread, lease));
  }

  private async answerWaiting(thread: string, lease: Lease): Promise<void> {
    const { inbox } = this.options.store;
    const { log } = this.options;
    // The oldest waiting message: a plain read, since only the lock's holder takes messages off the thread. With
    // none, atomically look again or let go of the thread; a separate read and release would leave a gap in which
    // another replica's message, finding the thread held, waits for recovery.
    let stored = await inbox.head(thread);
    if (!stored) {
      stored = await inbox.complete(thread, NO_MESSAGE, lease.token);
      if (!stored) lease.released = true;
    }
    while (stored) {
      // A message received here is the one admitted; only another process's is read back from the store.
      const local = this.local.get(stored.id);
      const message = local?.message ?? decodeInboxMessage(stored.body);
      if (message) {
        const respond = local ? (local.respond ?? runQuietly) : this.responders.get(platformOf(thread))?.(message);
        if (!respond) {
          log.warn({ thread, message: message.id, platform: platformOf(thread) }, 'inbox.no_responder');
          return;
        }
        const outcome = await this.answer(message, respond);
        // The reply did not get out (the platform refused the channel, or was down): it waits for the next pass.
        if (!outcome) return;
        if (local) local.outcome = outcome;
      } else {
        log.error({ thread, message: stored.id }, 'inbox.unreadable');
      }
      // Atomically: drop it, and either get the next message or, with none left, let go of the thread.
      stored = await inbox.complete(thread, stored.id, lease.token);
      if (!stored) lease.released = true;
      // A holder that lost its lock (it stalled past the TTL) stops; the new holder answers the rest.
      if (lease.lost) return;
    }
  }

  /**
   * Runs the message's turn through `respond`. Undefined when the reply did not get out, so the message stays
   * waiting for the next pass over its thread: either `respond` failed before it ran the turn (nothing changed), or
   * the turn ran and was saved but posting its reply failed (after the adapter's own retries). The next pass then
   * posts the saved outcome (`lastAnswer`, `resumed`) without running the turn again, finishing whatever part was
   * posted. After MAX_REPLY_FAILURES failures in this process the message is dropped.
   */
  private async answer(message: InboxMessage, respond: Respond): Promise<TurnOutcome | undefined> {
    const { log, telemetry } = this.options;
    const started = performance.now();
    let ran = false;
    let outcome: TurnOutcome | undefined;
    telemetry?.emit({ type: 'turn.start', thread: message.thread, message: message.id });
    try {
      await respond(async (listener, writer) => {
        ran = true;
        outcome = await this.turns.process(message, listener, writer);
        return outcome;
      });
    } catch (err) {
      const failures = (this.replyFailures.get(message.id) ?? 0) + 1;
      const base = { thread: message.thread, message: message.id, err, failures, stage: ran ? 'post' : 'start' };
      if (failures < MAX_REPLY_FAILURES) {
        this.replyFailures.set(message.id, failures);
        log.error(base, ran ? 'reply.deferred' : 'reply.start_failed');
        const agent = outcome?.agent ?? this.options.agentName(this.options.defaultAgentId);
        telemetry?.emit({
          type: 'turn.end',
          thread: message.thread,
          status: 'failed',
          agent,
          ms: performance.now() - started,
        });
        return undefined;
      }
      log.error(base, 'reply.given_up');
    }
    this.replyFailures.delete(message.id);
    outcome ??= {
      status: 'failed',
      reply: apologyFor(undefined),
      agent: this.options.agentName(this.options.defaultAgentId),
    };
    telemetry?.emit({
      type: 'turn.end',
      thread: message.thread,
      status: outcome.status,
      agent: outcome.agent,
      ms: performance.now() - started,
    });
    return outcome;
  }
}

let lastArrival = 0;
/** Now in ms, but always later than the last call: messages without a platform time keep their arrival order. */
function arrivalTime(): number {
  lastArrival = Math.max(Date.now(), lastArrival + 1);
  return lastArrival;
}

function toInboxMessage(message: InboundMessage): InboxMessage {
  const entry: InboxMessage = {
    id: message.id,
    thread: message.thread,
    userId: message.userId,
    text: message.text,
    sentAt: message.sentAt ?? arrivalTime(),
  };
  if (message.userName !== undefined) entry.userName = message.userName;
  if (message.verifiedEmail !== undefined) entry.verifiedEmail = message.verifiedEmail;
  if (message.decision) entry.decision = message.decision;
  if (message.attachments?.length)
    entry.attachments = message.attachments.map((a) => (a.kind ? { name: a.name, kind: a.kind } : { name: a.name }));
  if (message.replyContext) entry.replyContext = message.replyContext;
  return entry;
}
