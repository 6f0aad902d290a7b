import { PERSON_OFFER } from '../../orchestrator/protocol.js';
import type { ChatMessage } from '../types.js';

/** A yes to an offer: "yes", "yes please", "ok", "sure, go ahead", "please do". */
const ACCEPTS =
  /^(?:y|yes|yep|yeah|yup|ya|sure|ok(?:ay)?|please|pls|plz|yes please|yes pls|please do|go ahead|do it|that would be (?:great|good|nice)|i'?d like that|sounds good)(?:[\s,]+(?:please|pls|thanks|thank you|go ahead|do it|that would be great))*[.!]*$/i;

/** The assistant's texts before the customer's last message, newest first. */
function earlierAnswers(messages: ChatMessage[]): string[] {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  return messages
    .slice(0, lastUser)
    .flatMap((m) => (m.role === 'assistant' && m.content ? [m.content] : []))
    .reverse();
}

/** "yes" right after the bot offered a person: the offer is taken up. */
export function acceptsPersonOffer(text: string, messages: ChatMessage[]): boolean {
  return ACCEPTS.test(text.trim()) && (earlierAnswers(messages)[0]?.includes(PERSON_OFFER) ?? false);
}

/** Whether `answer` was already given in this conversation: saying it again would not help. */
export function alreadyAnswered(answer: string, messages: ChatMessage[]): boolean {
  const said = (text: string) => text.trim();
  return answer.trim() !== '' && earlierAnswers(messages).some((earlier) => said(earlier) === said(answer));
}

/** Asking for news of something: "any update?", "check again", "still nothing?". The same answer then is news. */
const ASKS_AGAIN = /\b(?:update\w*|again|still|now|yet|latest|news|status|anything new|changed?)\b/i;

/**
 * The answer already given, asked for again: when the customer asked for news, say nothing changed; otherwise
 * (they said "so what now", or that it did not help) say so instead of repeating it, and offer a next step.
 */
export function repeatReply(answer: string, text: string, people: boolean, can: string): string {
  if (ASKS_AGAIN.test(text) && !/\bwhat now\b/i.test(text))
    return `Nothing has changed since I last checked: ${answer}`;
  const next = people
    ? `If that didn't solve it, a person from our support team can take it from here. ${PERSON_OFFER}`
    : `If that didn't solve it, tell me what's still wrong and I'll try something else.`;
  return `That's what I have on this, as above. I can also help with ${can} ${next}`;
}
