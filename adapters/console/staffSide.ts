import { randomUUID } from 'node:crypto';
import type { ConversationService } from '../../src/conversation/service.js';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { StaffMember } from '../../src/escalation/escalation.js';
import type { EscalationCard, StaffOutcome, StaffRoom, ThreadChannel } from '../../src/escalation/ports.js';

/** Who plays the staff side at the terminal. */
export const CONSOLE_STAFF: StaffMember = { id: 'console-staff', name: 'Staff' };

const STAFF_HELP =
  'Play the staff side with: /staff <reply to the customer>, /staff !note <internal note>, /staff claim, /staff resolve, /staff escalate [reason]';

/**
 * The terminal as both sides of an escalation: what would go to the staff channel is printed with a `[staff]`
 * margin, and `/staff …` lines act as a member of the support team.
 */
export class ConsoleStaffSide implements StaffRoom, ThreadChannel {
  readonly platform = 'console';

  constructor(
    private readonly write: (line: string) => void,
    private readonly service: ConversationService,
    private readonly desk: EscalationDesk,
  ) {}

  // --- ThreadChannel: the customer's side of the terminal ---------------------------------------------------------

  async post(_thread: string, text: string, from?: string): Promise<void> {
    this.write(from ? `[${from} · support team] ${text}` : `[Support] ${text}`);
  }

  async customer(): Promise<{ name: string; link: null }> {
    return { name: 'you', link: null };
  }

  // --- StaffRoom: what the staff channel would show ---------------------------------------------------------------

  async open(card: EscalationCard): Promise<string> {
    const summary = card.summary.split('\n').map((line) => `  [staff] │   ${line}`);
    this.write(
      [
        `  [staff] ┌ New escalation (${card.urgency}), opened by ${card.openedBy}`,
        `  [staff] │ Customer: ${card.customer.name} on ${card.customer.platform}`,
        `  [staff] │ Reason: ${card.reason}`,
        '  [staff] │ Summary:',
        ...summary,
        `  [staff] └ ${STAFF_HELP}`,
      ].join('\n'),
    );
    return `console:staff:${card.escalationId}`;
  }

  async update(_staffThread: string, card: EscalationCard): Promise<void> {
    const status =
      card.status === 'resolved'
        ? `resolved by ${card.resolvedBy}`
        : card.status === 'claimed'
          ? `claimed by ${card.claimedBy}`
          : 'open';
    this.write(`  [staff] Escalation card: ${status}`);
  }

  async postToStaff(_staffThread: string, text: string, options: { remind?: boolean } = {}): Promise<void> {
    this.write(`  [staff] ${options.remind ? '@support-team ' : ''}${text}`);
  }

  /** Runs one `/staff …` line; resolves when its effects are printed. */
  async command(thread: string, args: string): Promise<void> {
    const [word = '', ...rest] = args.trim().split(/\s+/);
    if (word === '' || word === 'help') return this.write(`  [staff] ${STAFF_HELP}`);
    if (word === 'escalate') return this.report(await this.desk.escalateByHand(thread, CONSOLE_STAFF, rest.join(' ')));
    const staffThread = (await this.service.loadState(thread)).escalation?.staffThread;
    if (!staffThread)
      return this.write('  [staff] This conversation is not with staff. Use /staff escalate [reason] to hand it over.');
    if (word === 'claim') return this.report(await this.desk.claim(staffThread, undefined, CONSOLE_STAFF));
    if (word === 'resolve') return this.report(await this.desk.resolve(staffThread, undefined, CONSOLE_STAFF));
    const outcome = await this.desk.fromStaff({
      id: `console-${randomUUID()}`,
      staffThread,
      staff: CONSOLE_STAFF,
      text: args.trim(),
    });
    if (outcome.status === 'note')
      return this.write('  [staff] Internal note kept in the staff thread; the customer does not see it.');
    return this.report(outcome);
  }

  private report(outcome: StaffOutcome): void {
    if (outcome.reply !== '') this.write(`  [staff] ${outcome.reply}`);
  }
}
