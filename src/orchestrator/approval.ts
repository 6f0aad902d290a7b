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
/** How many actions may wait behind the one being confirmed; more in one go are refused (see ANOTHER_APPROVAL_WAITING). */
export const MAX_QUEUED_APPROVALS = 5;
/** The result of an action asked for while the queue of actions to confirm is full. */
export const ANOTHER_APPROVAL_WAITING = 'Not run: several actions are already waiting for the user to confirm. Ask for this one afterwards.';
/** The result of an action asked for while another waits for confirmation: the user is asked about it next. */
export const APPROVAL_QUEUED = 'Not run yet: this action needs the user to confirm. They will be asked right after they answer about the action before it.';
/** The result of an action asked for again while it already waits for confirmation. */
export const APPROVAL_ALREADY_WAITING = 'Not run yet: this exact action is already waiting for the user to confirm.';
/** The result of an action that needs confirmation, asked for in the same response as a hand-over to staff. */
export const APPROVAL_SKIPPED_FOR_STAFF = 'Not run: the conversation went to the support team, who can do this if the customer still wants it.';

/** A yes, a no, or neither: from the button pressed, or else from the words typed. */
export function confirmationOf(input: { text: string; decision?: { approve: boolean } | undefined }): ConfirmationReply {
  if (input.decision) return input.decision.approve ? 'approve' : 'reject';
  return classifyConfirmation(input.text);
}
