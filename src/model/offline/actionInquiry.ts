/**
 * Asking about an action is not asking for it. "Has ORD-1006 been cancelled?", "did my refund go through?", "can I
 * cancel?" want an answer, and "don't cancel ORD-1002" wants nothing done: the offline engine looks things up for
 * these and never proposes the action itself, whose question a careless "yes" would then confirm.
 */

/** Words of the actions that change something, as customers write them. */
const ACTIONS =
  'cancel\\w*|refund\\w*|reimburs\\w*|money back|charge ?back|return\\w*|delet\\w*|remov\\w*|clos(?:e|es|ed|ing)|deactivat\\w*|disabl\\w*|unsubscrib\\w*|revok\\w*|suspend\\w*|archiv\\w*|eras\\w*|wip(?:e|es|ed|ing)';
const ACTION_WORD = new RegExp(`\\b(?:${ACTIONS})\\b`, 'i');

/** How a question opens (after any small talk): asking whether, why, when, or whether it is possible for me. */
const QUESTION_OPENING =
  /^(?:(?:has|have|had|did|does|do|was|were|is|are|isn'?t|wasn'?t|hasn'?t|didn'?t|when|why|what|what'?s|how|where|which|who|whose)\b|(?:can|could|may|might|am) i\b|is (?:it|there) (?:possible|too late|still)\b|(?:i (?:wonder|want to know|would like to know|was wondering)|tell me|do you know|any idea)\b)/i;

/** A request phrased as a question: "can you cancel it?", "could you please refund INV-2001?". */
const POLITE_REQUEST =
  /^(?:(?:can|could|would|will|can'?t) (?:you|u|ya|someone|somebody)|please|pls|plz|kindly|i (?:want|need|would like|'d like))\b/i;

/**
 * Not wanting it done: "don't cancel", "I do not want a refund", "I didn't ask to cancel", "no refund please". The words
 * between stop at punctuation, so "I don't want it anymore, cancel it" stays a request.
 */
const NEGATED_ACTION = new RegExp(
  `\\b(?:don'?t|dont|do not|didn'?t|didnt|did not|never|no need to|not)\\b(?:\\s+[\\w']+){0,3}?\\s+(?:${ACTIONS})\\b|\\bno (?:refund|cancellation|return)s?\\b`,
  'i',
);

/** Small talk that may open a sentence without changing what it asks: "ok thanks, has it shipped?". */
const LEADING_SMALL_TALK =
  /^(?:(?:ok(?:ay)?|so|and|but|also|thanks|thank you|thx|hi|hey|hello|um+|well|btw|quick question|sorry|alright|great|cool)\b[\s,.!:-]*)+/i;

function sentencesOf(text: string): string[] {
  return (text.match(/[^.!?;\n]+[.!?;]*/g) ?? []).map((s) => s.trim()).filter((s) => s !== '');
}

function isQuestion(sentence: string): boolean {
  const opening = sentence.replace(LEADING_SMALL_TALK, '');
  if (POLITE_REQUEST.test(opening)) return false;
  return QUESTION_OPENING.test(opening) || sentence.endsWith('?');
}

/**
 * True when the message asks about an action or asks for it not to happen, rather than asking for it. Only the
 * sentences naming an action are judged, so "please cancel ORD-1002. why is it taking so long?" is still a request.
 */
export function asksAboutAction(text: string): boolean {
  const sentences = sentencesOf(text);
  if (sentences.length === 0) return false;
  const naming = sentences.filter((sentence) => ACTION_WORD.test(sentence));
  const judged = naming.length > 0 ? naming : sentences;
  return judged.every((sentence) => NEGATED_ACTION.test(sentence) || isQuestion(sentence));
}
