export const APPROVAL_HINT = 'Reply "yes" to go ahead or "no" to leave it as it is.';
/**
 * Replies that did not answer a pending question (a question back, a hesitation, something else) before it is let
 * go: each gets its answer and the question again, and the next one after this many drops it, undone.
 */
export const MAX_CONFIRMATION_REMINDERS = 2;

/** Tool results the run loop writes when an approval is not given; the offline engine recognises them. */
export const APPROVAL_DECLINED = 'The user declined.';
export const APPROVAL_NOT_CONFIRMED = 'Not run: the user did not confirm';
/** The result of an action whose question went unanswered through several replies (MAX_CONFIRMATION_REMINDERS). */
export const APPROVAL_UNANSWERED = `${APPROVAL_NOT_CONFIRMED}: they wrote about other things instead of answering, so it was let go.`;
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
