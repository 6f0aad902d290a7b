export type ConfirmationReply = 'approve' | 'reject' | 'other';

const APPROVE = /^(y|ya|yes|yep|yeah|yup|sure|ok|okay|confirm|confirmed|approve|approved|do it|go ahead|please do|yes please)\b/;
const REJECT = /^(n|no|nope|nah|cancel|stop|don'?t|do not|never ?mind|reject|decline|abort|keep it)\b/;

/** Reads a short reply to a confirmation question. Anything longer than a short phrase counts as a new message. */
export function classifyConfirmation(text: string): ConfirmationReply {
  const normalized = text.trim().toLowerCase().replace(/[.!\s]+$/g, '');
  if (normalized.split(/\s+/).length > 6) return 'other';
  if (REJECT.test(normalized)) return 'reject';
  if (APPROVE.test(normalized)) return 'approve';
  return 'other';
}

export const APPROVAL_HINT = 'Reply "yes" to confirm or "no" to cancel.';

/** Tool results the run loop writes when an approval is not given; the offline engine recognises them. */
export const APPROVAL_DECLINED = 'The user declined.';
export const APPROVAL_NOT_CONFIRMED = 'Not run: the user did not confirm';
/** The result of an action asked for while another waits for confirmation: one question at a time. */
export const ANOTHER_APPROVAL_WAITING = 'Not run: another action is already waiting for the user to confirm. Ask for this one afterwards.';
