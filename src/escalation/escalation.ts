import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** How soon staff should look; the model picks one, the staff card shows it. */
export const URGENCIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const staffMemberSchema = z.object({ id: z.string(), name: z.string() });
/** A person on the support team, as the staff platform names them. */
export type StaffMember = z.infer<typeof staffMemberSchema>;

/**
 * A conversation handed to people. It lives in the customer's thread state, so it survives restarts and moves with
 * the thread; the staff thread points back to it through a record (see EscalationDesk).
 */
export const escalationSchema = z.object({
  id: z.string(),
  reason: z.string(),
  urgency: z.enum(URGENCIES),
  /** The agent that escalated, or the staff member who did it by hand. */
  openedBy: z.union([z.object({ agent: z.string() }), z.object({ staff: staffMemberSchema })]),
  customer: z.object({ id: z.string(), name: z.string().nullable(), link: z.string().nullable() }),
  /** Written when the staff thread opens. */
  summary: z.string().nullable(),
  /** Key of the escalation thread in the staff channel; null until it has been posted (it is retried until then). */
  staffThread: z.string().nullable(),
  claimedBy: staffMemberSchema.nullable(),
  openedAt: z.string(),
  claimedAt: z.string().nullable(),
  remindedAt: z.string().nullable(),
  /** Messages relayed each way, for the record kept after resolve. */
  relayed: z.object({ fromCustomer: z.number(), fromStaff: z.number() }),
});
export type Escalation = z.infer<typeof escalationSchema>;

export const resolvedEscalationSchema = escalationSchema.extend({
  resolvedBy: staffMemberSchema,
  resolvedAt: z.string(),
});
export type ResolvedEscalation = z.infer<typeof resolvedEscalationSchema>;

/** The platform a thread key belongs to: `slack:…` → slack. */
export function platformOf(thread: string): string {
  return thread.slice(0, thread.indexOf(':'));
}

/** A new, unclaimed escalation: not yet on the staff channel, nothing relayed. */
export function newEscalation(fields: {
  reason: string;
  urgency: Urgency;
  openedBy: Escalation['openedBy'];
  customerId: string;
}): Escalation {
  return {
    id: randomUUID(),
    reason: fields.reason,
    urgency: fields.urgency,
    openedBy: fields.openedBy,
    customer: { id: fields.customerId, name: null, link: null },
    summary: null,
    staffThread: null,
    claimedBy: null,
    openedAt: new Date().toISOString(),
    claimedAt: null,
    remindedAt: null,
    relayed: { fromCustomer: 0, fromStaff: 0 },
  };
}
