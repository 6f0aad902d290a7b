export const APPROVAL_HINT = 'Reply "yes" to go ahead or "no" to leave it as it is.';
/**
 * Replies that did not answer a pending question (a question back, a hesitation, something else) before it is let
 * go: each gets its answer and the question again, and the next one after this many drops it, undone.
 */
export const MAX_CONFIRMATION_REMINDERS = 2;

/** How many actions may wait behind the one being confirmed; more in one go are refused (ANOTHER_APPROVAL_WAITING). */
export const MAX_QUEUED_APPROVALS = 5;
