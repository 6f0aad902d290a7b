/**
 * Who a turn is for, and whose data they may see. Orders, invoices and accounts belong to the customer whose email
 * is on them; a tool shows their details, or acts on them, only for that customer. The requester counts as the
 * owner when the platform vouches for their email (Slack's verified profile email, the terminal's configured
 * identity), or when they wrote the email on the record in this conversation ("order number and email", as online
 * shops ask). The framework hands every tool this requester; tools never look people up themselves.
 */

/** How many different email addresses one person may offer in one conversation: enough for a typo, not for guessing. */
export const MAX_GIVEN_EMAILS_PER_PERSON = 3;

const EMAIL_PATTERN = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

export interface Requester {
  /** The thread key's platform: `slack`, `discord`, `console`. */
  platform: string;
  userId: string;
  displayName?: string | undefined;
  /** An address the platform vouches for, lowercased; absent when it vouches for none. */
  verifiedEmail?: string | undefined;
  /** Addresses this person wrote in this conversation, lowercased, oldest first (at most MAX_GIVEN_EMAILS_PER_PERSON). */
  givenEmails: readonly string[];
}

/** True when `email` (a record's owner) is the requester's: verified by the platform, or given in this conversation. */
export function isOwner(requester: Requester, email: string): boolean {
  const owner = email.trim().toLowerCase();
  return requester.verifiedEmail === owner || requester.givenEmails.includes(owner);
}

/**
 * Adds the addresses in `text` to what `userId` has given in the thread (`given`, changed in place); past the limit
 * new ones are not taken, so one conversation cannot try address after address against an order.
 */
export function noteGivenEmails(given: Record<string, string[]>, userId: string, text: string): void {
  const found = [...new Set((text.match(EMAIL_PATTERN) ?? []).map((email) => email.toLowerCase()))];
  if (found.length === 0) return;
  given[userId] ??= [];
  const known = given[userId];
  for (const email of found) {
    if (!known.includes(email) && known.length < MAX_GIVEN_EMAILS_PER_PERSON) known.push(email);
  }
}

/** The key of a tool result that withholds a record until the requester shows it is theirs. */
export const IDENTITY_REQUIRED = 'identity_required';

/** What a tool returns instead of someone else's record: no detail of it, only what to ask for. */
export interface IdentityRequired {
  [IDENTITY_REQUIRED]: true;
  /** What is withheld, as the customer would name it: "order ORD-1001". */
  record: string;
  /** `ask`: nothing given yet; `mismatch`: the addresses given are not the one on it; `exhausted`: no more are taken. */
  reason: 'ask' | 'mismatch' | 'exhausted';
  instructions: string;
}

export function isIdentityRequired(value: unknown): value is IdentityRequired {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[IDENTITY_REQUIRED] === true;
}

/** The result that withholds `record` from `requester`, and says what to ask them. */
export function identityRequired(record: string, requester: Requester): IdentityRequired {
  const given = requester.givenEmails.length;
  const reason = given >= MAX_GIVEN_EMAILS_PER_PERSON ? 'exhausted' : given > 0 ? 'mismatch' : 'ask';
  const ask =
    reason === 'exhausted'
      ? `no more email addresses are checked in this conversation; offer a person from the support team instead`
      : `ask for the email address on ${record}, then call this tool again`;
  return {
    [IDENTITY_REQUIRED]: true,
    record,
    reason,
    instructions: `Say nothing about ${record} (not even its status or whether an address matched someone) until the customer shows it is theirs: ${ask}.`,
  };
}

/**
 * What a tool returns instead of `record` (named as the customer would, "order ORD-1003") when it is someone else's;
 * undefined when the requester may see it, or when there is no such record (saying so tells nobody anything).
 */
export function withheldFrom(
  requester: Requester,
  record: { customerEmail: string } | undefined,
  name: string,
): IdentityRequired | undefined {
  return record && !isOwner(requester, record.customerEmail) ? identityRequired(name, requester) : undefined;
}

/** The question that asks for it, naming the record: "To look up order ORD-1001, … what's the email address on it?" */
export function identityQuestion(action: string, withheld: IdentityRequired): string {
  const kind = withheld.record.split(' ')[0];
  if (withheld.reason === 'exhausted') {
    return `I can't check any more email addresses in this conversation, so I can't ${action} ${withheld.record}. If it's yours, a person from our support team can help: just ask for one.`;
  }
  if (withheld.reason === 'mismatch') {
    return `That email address isn't the one on ${withheld.record}. What's the email address on the ${kind}?`;
  }
  return `To ${action} ${withheld.record}, what's the email address on the ${kind}? I need it to check it's yours.`;
}
