import { MAX_REASON_CHARS } from './escalationTool.js';

/** What staff type, and what they are told: the conventions of escalation threads. */
/** Staff messages starting with this stay in the staff thread: internal notes, never relayed to the customer. */
export const INTERNAL_NOTE_PREFIX = '!note';
/** Staff type this in a customer's thread to hand it to the team by hand. */
export const MANUAL_ESCALATION_COMMAND = '!escalate';

export const STAFF_ONLY_REPLY = 'Only members of the support team can do that.';

/** Any text starting with `!note` (`!note:`, `!notes`, …): when in doubt, a note stays internal. */
export function isInternalNote(text: string): boolean {
  return text.trimStart().toLowerCase().startsWith(INTERNAL_NOTE_PREFIX);
}

/** Other `!word` messages in an escalation thread look like commands; they are not relayed either. */
export function looksLikeCommand(text: string): boolean {
  return /^!\w/.test(text.trimStart());
}

export const NOT_RELAYED_COMMAND_REPLY =
  'Not sent to the customer: messages starting with ! are commands here. Start with !note for an internal note, or write without the ! to reply.';

/** The reason typed after `!escalate` (cut to the tool's limit), or undefined when the text is not that command. */
export function manualEscalationReason(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.toLowerCase().startsWith(MANUAL_ESCALATION_COMMAND)) return undefined;
  const rest = trimmed.slice(MANUAL_ESCALATION_COMMAND.length);
  if (rest !== '' && !/^\s/.test(rest)) return undefined;
  const reason = rest.trim();
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}
