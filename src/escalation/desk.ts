import type { EscalationHooks, InboundMessage } from '../conversation/service.js';
import { DEDUPE_TTL_MS } from '../conversation/service.js';
import type { Store } from '../conversation/store.js';
import type { ThreadGate } from '../conversation/threadGate.js';
import { loadThreadState, saveThreadState, type ThreadState } from '../conversation/threadState.js';
import type { Logger } from '../log.js';
import type { Telemetry } from '../telemetry.js';
import { escalationCard, reminderText } from './card.js';
import { type Escalation, newEscalation, platformOf, type StaffMember } from './escalation.js';
import { ESCALATED_REPLY } from './escalationTool.js';
import { OpenEscalations } from './openEscalations.js';
import type { StaffOutcome, StaffRoom, ThreadChannel } from './ports.js';
import { isInternalNote, looksLikeCommand, NOT_RELAYED_COMMAND_REPLY } from './staffCommands.js';
import { handoverSummary, type Summarizer } from './summary.js';
import { Sweeper } from './sweeper.js';

export const BOT_BACK_REPLY =
  "Our support team has finished here, so you're back with the support assistant. Ask me anything else, or ask for a person again at any time.";

const staffThreadKey = (staffThread: string) => `escalation:staff:${staffThread}`;

export interface EscalationDeskOptions {
  store: Store;
  /** The per-thread lock customer turns hold too, in this process and across replicas. */
  gate: ThreadGate;
  summarize: Summarizer;
  remindAfterMs: number;
  /**
   * How long a thread's state outlives its last save (THREAD_RETENTION; undefined: forever). An escalation's records
   * are kept while it is live and expire this long after its resolve.
   */
  threadRetentionMs?: number | undefined;
  /** The first agent of a thread; it takes the conversation back after resolve. */
  defaultAgentId: string;
  agentName(id: string): string;
  log: Logger;
  telemetry?: Telemetry | undefined;
}

/**
 * Human takeover: opens escalation threads in the staff channel, relays messages both ways, and records claim and
 * resolve. Every change to a customer thread runs holding that thread's lock, so it never races a turn, here or on another replica.
 */
export class EscalationDesk implements EscalationHooks {
  private readonly channels = new Map<string, ThreadChannel>();
  private room: StaffRoom | undefined;
  private readonly sweeper: Sweeper;
  private readonly openList: OpenEscalations;

  constructor(private readonly options: EscalationDeskOptions) {
    this.openList = new OpenEscalations(options.store.sets, options.store.records);
    this.sweeper = new Sweeper({
      openList: this.openList,
      gate: options.gate,
      log: options.log,
      remindAfterMs: options.remindAfterMs,
      sweepThread: (thread, now) => this.sweepThread(thread, now),
    });
  }

  get enabled(): boolean {
    return this.room !== undefined;
  }

  /** Adds a platform whose threads can be escalated (and posted to). */
  attach(channel: ThreadChannel): void {
    this.channels.set(channel.platform, channel);
  }

  /** Sets where staff work. */
  attachStaffRoom(room: StaffRoom): void {
    this.room = room;
  }

  /** Sweeps once now (finishing work a restart interrupted), then at an interval for reminders. */
  start(): void {
    this.sweeper.start();
  }

  stop(): Promise<void> {
    return this.sweeper.stop();
  }

  // --- from the conversation service (already holding the thread's lock) ---------------------------------------

  /** Puts the thread on the sweep's list before its escalation is saved, so a crash after the save is retried. */
  register(thread: string): Promise<void> {
    return this.openList.add(thread);
  }

  async open(state: ThreadState, message?: InboundMessage): Promise<ThreadState> {
    return this.postCard(state, message?.userName);
  }

  async relayFromCustomer(state: ThreadState, message: InboundMessage): Promise<ThreadState> {
    const next = structuredClone(state);
    const escalation = next.escalation!;
    next.history.push({ role: 'user', content: message.text });
    escalation.relayed.fromCustomer += 1;
    next.updatedAt = new Date().toISOString();
    // Until the staff thread exists the message waits in history; the card's summary will include it.
    const writer =
      message.userId === escalation.customer.id
        ? (escalation.customer.name ?? 'Customer')
        : `${message.userName ?? message.userId} (not the customer)`;
    if (escalation.staffThread)
      await this.requireRoom().postToStaff(escalation.staffThread, `${writer}: ${message.text}`);
    return next;
  }

  // --- from the staff side -----------------------------------------------------------------------------------------

  /** A message in an escalation thread: relayed to the customer, unless it is an internal note. */
  async fromStaff(message: {
    id: string;
    staffThread: string;
    staff: StaffMember;
    text: string;
  }): Promise<StaffOutcome> {
    const customerThread = await this.customerThreadOf(message.staffThread);
    if (!customerThread) return { status: 'unknown', reply: '' };
    if (isInternalNote(message.text)) return { status: 'note', reply: '' };
    if (looksLikeCommand(message.text)) return { status: 'stale', reply: NOT_RELAYED_COMMAND_REPLY };
    if (message.text.trim() === '')
      return { status: 'stale', reply: 'Not sent: only text is relayed to the customer.' };
    if (!(await this.options.store.claim(`staff:${message.id}`, DEDUPE_TTL_MS)))
      return { status: 'duplicate', reply: '' };
    return this.withEscalation(customerThread, message.staffThread, undefined, async (state, escalation) => {
      await this.channelFor(customerThread).post(customerThread, message.text, message.staff.name);
      state.history.push({
        role: 'assistant',
        content: `${message.staff.name} (support team): ${message.text}`,
        agent: 'staff',
      });
      escalation.relayed.fromStaff += 1;
      // Answering the customer is taking the escalation on.
      const claimedNow = !escalation.claimedBy;
      if (claimedNow) this.markClaimed(escalation, message.staff);
      await this.save(state);
      if (claimedNow) await this.refreshCard(state);
      this.options.log.info(
        { thread: customerThread, escalation: escalation.id, staff: message.staff.id },
        'escalation.relayed_from_staff',
      );
      return { status: 'relayed', reply: '' };
    });
  }

  /** Claim: records who owns the escalation, updates the card, and tells the customer who joined. */
  claim(staffThread: string, escalationId: string | undefined, staff: StaffMember): Promise<StaffOutcome> {
    return this.fromCard(staffThread, escalationId, async (state, escalation) => {
      if (escalation.claimedBy?.id === staff.id) return { status: 'claimed', reply: 'You already have this one.' };
      const previous = escalation.claimedBy;
      this.markClaimed(escalation, staff);
      await this.save(state);
      await this.refreshCard(state);
      const who = previous ? `${staff.name} took this over from ${previous.name}.` : `Claimed by ${staff.name}.`;
      await this.requireRoom()
        .postToStaff(staffThread, who)
        .catch((err: unknown) => this.options.log.warn({ err, staffThread }, 'escalation.post_failed'));
      await this.channelFor(state.thread)
        .post(state.thread, `${staff.name} from our support team has joined the conversation.`)
        .catch((err: unknown) => this.options.log.warn({ err, thread: state.thread }, 'escalation.post_failed'));
      this.options.log.info({ thread: state.thread, escalation: escalation.id, staff: staff.id }, 'escalation.claimed');
      this.options.telemetry?.emit({ type: 'escalation', event: 'claimed', thread: state.thread });
      return { status: 'claimed', reply: '' };
    });
  }

  /** Resolve: the customer is told the bot is back, the card shows who resolved it, and the thread returns to the bot. */
  resolve(staffThread: string, escalationId: string | undefined, staff: StaffMember): Promise<StaffOutcome> {
    return this.fromCard(staffThread, escalationId, async (state, escalation) => {
      const resolvedAt = new Date().toISOString();
      state.escalations.push({ ...escalation, resolvedBy: staff, resolvedAt });
      state.escalation = null;
      state.activeAgent = this.options.defaultAgentId;
      const staffSaid =
        escalation.relayed.fromStaff > 0
          ? 'Their messages to the customer are above.'
          : 'They sent the customer no messages through the bot.';
      state.history.push({
        role: 'system',
        content: `The support team (${staff.name}) resolved the escalation ("${escalation.reason}") and handed the conversation back to the bot. ${staffSaid}`,
      });
      state.history.push({ role: 'assistant', content: BOT_BACK_REPLY, agent: this.options.defaultAgentId });
      await this.save(state);
      await this.expireStaffThreadRecord(staffThread, state.thread);
      // The sweep prunes resolved threads from the index anyway, so a failure here must not undo the resolve.
      await this.openList
        .remove(state.thread)
        .catch((err: unknown) => this.options.log.warn({ err, thread: state.thread }, 'escalation.index_failed'));
      await this.channelFor(state.thread)
        .post(state.thread, BOT_BACK_REPLY)
        .catch((err: unknown) => this.options.log.warn({ err, thread: state.thread }, 'escalation.post_failed'));
      await this.refreshCard(state, { ...escalation, resolvedBy: staff });
      await this.requireRoom()
        .postToStaff(
          staffThread,
          `Resolved by ${staff.name}. The customer is back with the bot; messages here are no longer relayed.`,
        )
        .catch((err: unknown) => this.options.log.warn({ err, staffThread }, 'escalation.post_failed'));
      this.options.log.info(
        { thread: state.thread, escalation: escalation.id, staff: staff.id, relayed: escalation.relayed },
        'escalation.resolved',
      );
      this.options.telemetry?.emit({ type: 'escalation', event: 'resolved', thread: state.thread });
      return { status: 'resolved', reply: '' };
    });
  }

  /** A staff member hands a customer's thread to the team by hand (`!escalate <reason>` there, or /staff escalate). */
  escalateByHand(customerThread: string, staff: StaffMember, reason: string): Promise<StaffOutcome> {
    return this.options.gate.run(customerThread, async () => {
      try {
        const state = await loadThreadState(this.options.store.threads, customerThread, this.options.defaultAgentId);
        if (state.escalation) return { status: 'stale', reply: 'This conversation is already with the support team.' };
        state.escalation = newEscalation({
          reason: reason || `Escalated by hand by ${staff.name}`,
          urgency: 'normal',
          openedBy: { staff },
          customerId: state.startedBy ?? staff.id,
        });
        state.pendingApproval = null;
        state.queuedApprovals = [];
        state.history.push({ role: 'assistant', content: ESCALATED_REPLY, agent: this.options.defaultAgentId });
        await this.register(customerThread);
        await this.save(state);
        await this.channelFor(customerThread)
          .post(customerThread, ESCALATED_REPLY)
          .catch((err: unknown) => this.options.log.warn({ err, thread: customerThread }, 'escalation.post_failed'));
        await this.save(await this.open(state));
        this.options.log.info(
          { thread: customerThread, escalation: state.escalation.id, staff: staff.id },
          'escalation.requested_by_staff',
        );
        return { status: 'escalated', reply: '' };
      } catch (err) {
        this.options.log.error({ err, thread: customerThread }, 'escalation.failed');
        return { status: 'failed', reply: 'Sorry, that escalation could not be opened. Please try again.' };
      }
    });
  }

  /** The customer thread behind a staff thread, if it is an escalation thread. */
  customerThreadOf(staffThread: string): Promise<string | undefined> {
    return this.options.store.records.get<string>(staffThreadKey(staffThread));
  }

  /**
   * Posts what a crash or an outage left unposted, and reminds staff once about escalations nobody claimed within
   * the reminder delay. Runs at start and on an interval; one sweep at a time.
   */
  sweep(now = Date.now()): Promise<void> {
    return this.sweeper.sweep(now);
  }

  private async sweepThread(thread: string, now: number): Promise<void> {
    const state = await loadThreadState(this.options.store.threads, thread, this.options.defaultAgentId);
    const escalation = state.escalation;
    if (!escalation) {
      await this.openList.remove(thread);
      return;
    }
    if (!escalation.staffThread) {
      await this.save(await this.postCard(state));
      return;
    }
    const waited = now - Date.parse(escalation.openedAt);
    if (escalation.claimedBy || escalation.remindedAt || waited < this.options.remindAfterMs) return;
    await this.requireRoom().postToStaff(escalation.staffThread, reminderText(escalation, waited), { remind: true });
    escalation.remindedAt = new Date(now).toISOString();
    await this.save(state);
    this.options.log.info({ thread, escalation: escalation.id, waitedMs: waited }, 'escalation.reminded');
    this.options.telemetry?.emit({ type: 'escalation', event: 'reminded', thread });
  }

  // --- internals ---------------------------------------------------------------------------------------------------

  private async postCard(state: ThreadState, fallbackName?: string): Promise<ThreadState> {
    const next = structuredClone(state);
    const escalation = next.escalation!;
    const summaryBefore = escalation.summary;
    try {
      if (!escalation.customer.name) {
        const details = await this.channelFor(next.thread)
          .customer(next.thread, escalation.customer.id)
          .catch((err: unknown) => {
            this.options.log.warn({ err, thread: next.thread }, 'escalation.customer_lookup_failed');
            return { name: fallbackName ?? escalation.customer.id, link: null };
          });
        escalation.customer = { id: escalation.customer.id, name: details.name, link: details.link };
      }
      escalation.summary ??= await handoverSummary(next, this.options.summarize, this.options.telemetry);
      const staffThread = await this.requireRoom().open(
        escalationCard(next.thread, escalation, this.options.agentName),
      );
      await this.options.store.records.set(staffThreadKey(staffThread), next.thread);
      escalation.staffThread = staffThread;
      this.options.log.info(
        { thread: next.thread, escalation: escalation.id, staffThread, urgency: escalation.urgency },
        'escalation.opened',
      );
      this.options.telemetry?.emit({ type: 'escalation', event: 'opened', thread: next.thread });
    } catch (err) {
      // Written again on the retry, so it includes what the customer says meanwhile.
      escalation.summary = summaryBefore;
      this.options.log.error({ err, thread: next.thread, escalation: escalation.id }, 'escalation.open_failed');
    }
    return next;
  }

  /** Runs a card action (claim or resolve) on the escalation behind a staff thread, checking it is still that one. */
  private async fromCard(
    staffThread: string,
    escalationId: string | undefined,
    action: (state: ThreadState, escalation: Escalation) => Promise<StaffOutcome>,
  ): Promise<StaffOutcome> {
    const customerThread = await this.customerThreadOf(staffThread);
    if (!customerThread) return { status: 'unknown', reply: 'This is not an open escalation.' };
    return this.withEscalation(customerThread, staffThread, escalationId, action);
  }

  private withEscalation(
    customerThread: string,
    staffThread: string,
    escalationId: string | undefined,
    action: (state: ThreadState, escalation: Escalation) => Promise<StaffOutcome>,
  ): Promise<StaffOutcome> {
    return this.options.gate.run(customerThread, async () => {
      try {
        const state = await loadThreadState(this.options.store.threads, customerThread, this.options.defaultAgentId);
        const escalation = state.escalation;
        if (!escalation || escalation.staffThread !== staffThread || (escalationId && escalation.id !== escalationId)) {
          return {
            status: 'stale',
            reply: 'This escalation is already resolved, so nothing here reaches the customer any more.',
          };
        }
        return await action(state, escalation);
      } catch (err) {
        this.options.log.error({ err, thread: customerThread, staffThread }, 'escalation.failed');
        return {
          status: 'failed',
          reply: "Sorry, that didn't go through (the customer's platform or the store failed). Please try again.",
        };
      }
    });
  }

  private markClaimed(escalation: Escalation, staff: StaffMember): void {
    escalation.claimedBy = staff;
    escalation.claimedAt = new Date().toISOString();
  }

  private async refreshCard(
    state: ThreadState,
    escalation: (Escalation & { resolvedBy?: StaffMember }) | null = state.escalation,
  ): Promise<void> {
    if (!escalation?.staffThread) return;
    try {
      await this.requireRoom().update(
        escalation.staffThread,
        escalationCard(state.thread, escalation, this.options.agentName),
      );
    } catch (err) {
      this.options.log.warn({ err, staffThread: escalation.staffThread }, 'escalation.card_update_failed');
    }
  }

  private channelFor(thread: string): ThreadChannel {
    const channel = this.channels.get(platformOf(thread));
    if (!channel) throw new Error(`no ${platformOf(thread)} adapter is running to reach ${thread}`);
    return channel;
  }

  private requireRoom(): StaffRoom {
    if (!this.room) throw new Error('no staff channel is connected');
    return this.room;
  }

  private async save(state: ThreadState): Promise<void> {
    state.updatedAt = new Date().toISOString();
    await saveThreadState(this.options.store.threads, state, this.options.threadRetentionMs);
  }

  /**
   * A resolved escalation's staff thread keeps being recognised for the thread's retention, then its record expires
   * like the thread. It was written with no expiry when the card was posted, since a live escalation needs it.
   */
  private async expireStaffThreadRecord(staffThread: string, customerThread: string): Promise<void> {
    const { threadRetentionMs } = this.options;
    if (threadRetentionMs === undefined) return;
    // The resolve is saved: a failure here only leaves the record kept for good, as before retention existed.
    await this.options.store.records
      .set(staffThreadKey(staffThread), customerThread, threadRetentionMs)
      .catch((err: unknown) => this.options.log.warn({ err, staffThread }, 'escalation.record_expiry_failed'));
  }
}
