import type { Urgency } from './escalation.js';

/* What the escalation desk needs from each platform; adapters implement these. */

export interface CustomerDetails {
  name: string;
  /** A link to the customer's thread, where the platform has one. */
  link: string | null;
}

/** How the desk reaches one platform's threads: customers' threads, and the staff threads when staff work there. */
export interface ThreadChannel {
  readonly platform: string;
  /** Posts in a thread; `from` is the staff member's display name when relaying to a customer. */
  post(thread: string, text: string, from?: string): Promise<void>;
  customer(thread: string, userId: string): Promise<CustomerDetails>;
}

/** What the staff channel shows for one escalation; each platform renders it with its own buttons. */
export interface EscalationCard {
  escalationId: string;
  customer: { name: string; platform: string; link: string | null };
  urgency: Urgency;
  reason: string;
  summary: string;
  openedBy: string;
  status: 'open' | 'claimed' | 'resolved';
  claimedBy: string | null;
  resolvedBy: string | null;
}

/** The staff channel (ESCALATION_CHANNEL) on whichever platform it is. */
export interface StaffRoom {
  readonly platform: string;
  /** Posts the card with Claim and Resolve buttons and opens a thread on it; returns the thread's key. */
  open(card: EscalationCard): Promise<string>;
  update(staffThread: string, card: EscalationCard): Promise<void>;
  /** Posts in an escalation thread; `remind` adds the configured group or role mention. */
  postToStaff(staffThread: string, text: string, options?: { remind?: boolean }): Promise<void>;
}

export type StaffActionStatus =
  | 'relayed'
  | 'note'
  | 'claimed'
  | 'resolved'
  | 'escalated'
  | 'duplicate'
  | 'stale'
  | 'unknown'
  | 'failed';

export interface StaffOutcome {
  status: StaffActionStatus;
  /** What to tell the staff member alone ('' for nothing). */
  reply: string;
}
