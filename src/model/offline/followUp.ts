import { isIdentityRequired, PERSON_OFFER } from '../../orchestrator/protocol.js';
import { parseJson } from '../../parseJson.js';
import type { ChatMessage, ToolCall } from '../types.js';
import { namesEntity } from './entities.js';
import { earlierAnswers, lastUserText } from './requestHistory.js';

/**
 * A clear yes to an offer: "yes", "yes please", "sure, go ahead", "please do". Not "ok" or "please" alone: "ok" after
 * an answer is as often an acknowledgement.
 */
const ACCEPTS =
  /^(?:yes|yep|yeah|yup|sure|yes please|yes pls|please do|go ahead|do it|that would be (?:great|good|nice)|i'?d like that)(?:[\s,]+(?:please|pls|thanks|thank you|go ahead|do it|that would be great))*[.!]*$/i;

/** "no thanks, I don't need a person", "not a human, just tell me": not asking for one, whatever the words. */
const DECLINES_PERSON =
  /\b(?:don'?t|dont|do not|no need (?:for|of)?|not|never|without)\b(?:\s+\w+){0,3}?\s+(?:a |an |to (?:talk to |speak to )?(?:a |an )?)?(?:person|human|agent|someone|staff|people|manager|representative)\b/i;

/** Words that carry no request of their own around a declined person: "no thanks, I just …". */
const DECLINE_FILLER = /\b(?:no|nope|nah|thanks|thank you|thx|just|i|im|i'm|really|ok|okay|please|pls|but|and|so)\b/gi;

/**
 * For a message that declines a person, what else it says: '' when nothing ("no thanks, I don't need a person"),
 * the rest when it asks for something ("I don't want a person, just refund INV-2001"). Undefined when it declines
 * nothing.
 */
export function besidesDecliningPerson(text: string): string | undefined {
  if (!DECLINES_PERSON.test(text)) return undefined;
  const rest = text.replace(DECLINES_PERSON, ' ');
  const words = rest.replace(DECLINE_FILLER, ' ').match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.length >= 2 || namesEntity(rest) ? rest.replace(/^[\s,.;:!-]+/, '').trim() : '';
}

/** An agent's description inside a sentence: "Order status, …" → "order status, …". */
const lowerFirst = (text: string) => text.replace(/^./, (c) => c.toLowerCase());

/** "yes" or "no" and nothing else, when no question of the bot's waits for it. */
const BARE_YES_NO =
  /^(?:(y|yes|yep|yeah|yup|sure|sure thing|yes please|please do|go ahead|do it)|n|no|nope|nah|no thanks|no thank you)[.!]*$/i;

export function bareYesOrNo(text: string): 'yes' | 'no' | undefined {
  const bare = BARE_YES_NO.exec(text.trim());
  return bare ? (bare[1] ? 'yes' : 'no') : undefined;
}

/** Words that make an escalation more than routine: the customer is upset, or it is about money or safety. */
const HIGH_URGENCY =
  /\b(angry|furious|unacceptable|terrible|worst|ridiculous|useless|complain\w*|lawyer|fraud|scam|charged twice|immediately|urgent\w*|asap)\b/i;

/** The customer's words quoted as the escalation reason are cut to this. */
const QUOTED_REASON_CHARS = 300;

export const quoted = (text: string) =>
  text.length > QUOTED_REASON_CHARS ? `${text.slice(0, QUOTED_REASON_CHARS - 1)}…` : text;

/** escalate_to_human's arguments: why, and how urgent the customer's words make it. */
export function escalationArguments(reason: string, text: string): { reason: string; urgency: 'high' | 'normal' } {
  return { reason, urgency: HIGH_URGENCY.test(text) ? 'high' : 'normal' };
}

/**
 * "yes" right after the bot offered a person: the offer is taken up. Only when the answer ended with the offer, so the
 * yes can be to nothing else ("…say 'cancel ORD-1002' and I'll ask you to confirm" after it is another question).
 */
export function acceptsPersonOffer(text: string, messages: ChatMessage[]): boolean {
  return ACCEPTS.test(text.trim()) && (earlierAnswers(messages)[0]?.trimEnd().endsWith(PERSON_OFFER) ?? false);
}

/** Whether `answer` was already given in this conversation: saying it again would not help. */
function alreadyAnswered(answer: string, messages: ChatMessage[]): boolean {
  const said = (text: string) => text.trim();
  return answer.trim() !== '' && earlierAnswers(messages).some((earlier) => said(earlier) === said(answer));
}

/** A question: "what version fixes it?", "why is it stuck on that", "can I …". Answering it again is an answer. */
const QUESTION =
  /\?\s*$|^(?:(?:ok|okay|so|and|but|then|hm+|um+|haha|lol)[\s,.]+)*(?:(?:how|what|whats|where|wheres|when|why|which|who)\b|(?:can|could|would|will|is|are|do|does|did|has|have)\s+(?:you|u|i|it|my|this|that|there|the|we|they)\b)/i;

export function isQuestion(text: string): boolean {
  return QUESTION.test(text.trim());
}

/**
 * The customer says what was suggested did not solve it: "tried all of that already, still nothing", "already asked
 * the neighbours, nothing", "did all 4 steps, still broken".
 */
const NOT_SOLVED =
  /\b(?:still (?:nothing|not\b|no\b|doesn'?t|isn'?t|broken|the same|crashes|crashing|happening)|nothing(?:\s+(?:happened|changed|works?))?$|no luck|(?:did|does) ?n[o']?t (?:help|work|fix)|didnt (?:help|work|fix)|doesnt (?:help|work|fix)|not (?:solved|fixed|helpful)|tried (?:that|it|all|everything|those)|same (?:problem|issue|thing))\b/i;

/** Asking for something as well ("still crashes. can you report it?") is a request, not only a report of failure. */
const ALSO_ASKS = /\b(?:can you|could you|please|pls|report|file|bug|person|human|someone)\b/i;

/** "tried it, works now": solved after all. */
const SOLVED = /\b(?:works? now|working now|worked|fixed|solved|sorted|that did it|all good now)\b/i;

export function saysNotSolved(text: string): boolean {
  return NOT_SOLVED.test(text.trim()) && !ALSO_ASKS.test(text) && !SOLVED.test(text);
}

/** "so what now", "now what?", "what should I do": asking for the next step. */
const WHAT_NOW =
  /^(?:(?:so|ok|okay|and|well|hmm+|um+)[\s,.]+)*(?:what now|now what|what next|what should i do(?: now)?|what do i do(?: now)?|what can i do(?: now)?|what happens now)[\s?!.]*$/i;

export function asksWhatNow(text: string): boolean {
  return WHAT_NOW.test(text.trim());
}

/** The next steps there are, when the customer asks what now. */
export function nextStepReply(people: boolean, description: string): string {
  const can = lowerFirst(description);
  const person = people
    ? ` If it's something else, or this didn't solve it, a person from our support team can take it from here. ${PERSON_OFFER}`
    : " If it's something else, tell me what you need.";
  return `From here I can help with ${can}${person}`;
}

/** What was suggested did not help: no more of the same, but the next steps there are. */
export function notSolvedReply(people: boolean, canReport: boolean): string {
  const report = canReport
    ? ' I can file a bug report for our engineers: tell me your device and app version, and say "file a bug".'
    : '';
  const person = people ? ` A person from our support team can take it from here. ${PERSON_OFFER}` : '';
  return `Sorry that didn't solve it.${report}${person}${report || person ? '' : ' Could you tell me what happens when you try?'}`;
}

/** Asking for news of something: "any update?", "check again", "still nothing?". The same answer then is news. */
const ASKS_AGAIN = /\b(?:update\w*|again|still|now|yet|latest|news|status|anything new|changed?)\b/i;

/**
 * The answer already given, asked for again: when the customer asked for news, say nothing changed; otherwise
 * (they said "so what now", or that it did not help) say so instead of repeating it, and offer a next step.
 */
export function repeatReply(answer: string, text: string, people: boolean, description: string): string {
  const can = lowerFirst(description);
  if (ASKS_AGAIN.test(text) && !/\bwhat now\b/i.test(text))
    return `Nothing has changed since I last checked: ${answer}`;
  const next = people
    ? `If that didn't solve it, a person from our support team can take it from here. ${PERSON_OFFER}`
    : `If that didn't solve it, tell me what's still wrong and I'll try something else.`;
  return `That's what I have on this, as above. I can also help with ${can} ${next}`;
}

/** "no", "nah leave it", "no its fine, keep it": nothing wanted, when no question of the bot's waits for it. */
const NO_THANKS =
  /^(?:no|nah|nope|no thanks)\b(?:[\s,.!]+(?:it'?s|its|is)?\s*(?:fine|ok(?:ay)?|all good|thanks|thank you|leave it|keep it|never ?mind|nvm|forget it|as it is))*[\s,.!]*$/i;

export function declinesAll(text: string): boolean {
  return NO_THANKS.test(text.trim());
}

/**
 * Whether the answer only says again what this conversation already heard, to a message that did not ask for it:
 * "so what now" after an order's status, or "I don't have the backup codes either" after the 2FA article. A
 * question the same look-up or article answers ("and when will it arrive?", "what version fixes it?", "ORD-1002?")
 * gets it again, and so does a record withheld until the customer shows it is theirs.
 */
export function repeatsItself(results: string[], answer: string, messages: ChatMessage[]): boolean {
  if (!alreadyAnswered(answer, messages)) return false;
  if (results.some((content) => isIdentityRequired(parseJson(content)))) return false;
  const text = lastUserText(messages);
  return !namesEntity(text) && !isQuestion(text);
}

/**
 * A search's arguments again, with the customer's previous message before this one: a follow-up ("is there anything
 * cheaper?" after the Pro plan's price) searched with what it follows. Undefined unless the query was the message.
 */
export function withPreviousMessage(
  call: ToolCall,
  text: string,
  messages: ChatMessage[],
): Record<string, unknown> | undefined {
  const args = parseJson(call.function.arguments) as Record<string, unknown> | undefined;
  const [name, query] = Object.entries(args ?? {}).find(([, value]) => value === text) ?? [];
  const previous = messages.filter((m) => m.role === 'user').at(-2)?.content;
  if (name === undefined || typeof query !== 'string' || previous === undefined) return undefined;
  return { ...args, [name]: `${previous} ${query}` };
}
