import { type Escalation, platformOf, type StaffMember } from './escalation.js';
import type { EscalationCard } from './ports.js';

/** What the staff channel shows of an escalation: who, where, why, how urgent, the hand-over notes and its status. */
export function escalationCard(
  thread: string,
  escalation: Escalation & { resolvedBy?: StaffMember },
  agentName: (id: string) => string,
): EscalationCard {
  const opener =
    'agent' in escalation.openedBy
      ? `${agentName(escalation.openedBy.agent)} (bot)`
      : `${escalation.openedBy.staff.name} (by hand)`;
  return {
    escalationId: escalation.id,
    customer: {
      name: escalation.customer.name ?? escalation.customer.id,
      platform: platformOf(thread),
      link: escalation.customer.link,
    },
    urgency: escalation.urgency,
    reason: escalation.reason,
    summary: escalation.summary ?? '',
    openedBy: opener,
    status: escalation.resolvedBy ? 'resolved' : escalation.claimedBy ? 'claimed' : 'open',
    claimedBy: escalation.claimedBy?.name ?? null,
    resolvedBy: escalation.resolvedBy?.name ?? null,
  };
}

/** The one reminder about an escalation nobody has claimed, `waitedMs` after it opened. */
export function reminderText(escalation: Escalation, waitedMs: number): string {
  const minutes = Math.max(1, Math.round(waitedMs / 60_000));
  return `Reminder: this escalation (${escalation.urgency}) has waited ${minutes} min and nobody has claimed it yet.`;
}
