/**
 * Reading a typed answer to a confirmation question ("Cancel order ORD-1002?"). The rule is deliberately strict,
 * because a wrong yes cancels an order and a wrong "unclear" only asks again:
 *
 * - `approve`: a yes and nothing else, apart from politeness, filler ("it", "that", "now") and words that restate the
 *   question itself ("yes, cancel ORD-1002"). One stray word of anything else makes it unclear.
 * - `reject`: a no (or "don't", "leave it", "never mind", 👎), with or without a reason ("no, I still want it"),
 *   as long as it names no other action or id and holds no yes.
 * - `unclear`: everything else. That includes a question ("ok wait, which order is that?"), a hesitation ("sure...
 *   actually hold on", "not sure", "let me think"), a contradiction ("yeah no", "yes I mean no"), another id or
 *   another action than the one asked about, and a new request ("yes and where is ORD-1001?").
 *
 * The decision is made here, in code, so it is the same whichever model runs and can be tested on its own.
 */

import {
  ACTION_WORDS,
  AMBIGUOUS_PHRASES,
  FILLER,
  HESITATION_PHRASES,
  NEGATIONS,
  NO_PHRASES,
  NO_SYMBOLS,
  NO_WORDS,
  UNDECIDED_PHRASES,
  WEAK_YES_WORDS,
  YES_PHRASES,
  YES_WORDS,
} from './confirmationWords.js';

export type ConfirmationReply = 'approve' | 'reject' | 'unclear';

/** Longer replies are not a bare yes: they say something else too. */
const MAX_YES_WORDS = 12;
/** A no may give its reason at more length: reading one as a no is always safe. */
const MAX_NO_WORDS = 30;

/**
 * What names an order, an invoice or a person in a reply or a question: a number of three or more digits (ORD-1002,
 * "order 1002" and "#1002" all name 1002) or an email address.
 */
const REFERENCE_PATTERN = /[^\s@]+@[^\s@]+\.[a-z]{2,}|\d{3,}/gi;
/** The letters of an id written before its number ("ORD-" of ORD-1002): they go with the number. */
const ID_PREFIX = /\b[a-z]{2,5}[-_#]?(?=\d{3,}\b)|#(?=\d)/gi;

/** Lowercases and squeezes letters typed three or more times ("yesss", "okkkk"). */
function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/([a-z])\1{2,}/g, '$1$1')
    .replace(/\b(ye|no)s{2,}\b/g, '$1s')
    .trim();
}

function referencesIn(text: string): string[] {
  return text.match(REFERENCE_PATTERN) ?? [];
}

/** Whole-word phrase test on normalized text with single spaces. */
function hasPhrase(words: string, phrase: string): boolean {
  return ` ${words} `.includes(` ${phrase} `);
}

/**
 * Classifies `text` as the answer to `question`, the confirmation question asked (it tells which words restate it
 * and which id it is about). See the module comment for the rule.
 */
export function classifyConfirmation(text: string, question = ''): ConfirmationReply {
  const raw = normalize(text);
  if (raw === '') return 'unclear';
  const compact = raw.replace(/\s+/g, '');
  if (NO_SYMBOLS.test(compact)) return 'reject';
  // Asking something is not answering: "yes?" and "ok, which order is that?" wait for the answer first.
  if (raw.includes('?')) return 'unclear';
  const asked = normalize(question);
  const askedReferences = new Set(referencesIn(asked));
  // Another order, invoice or address than the one asked about is a different request, whatever else it says.
  if (referencesIn(raw).some((reference) => !askedReferences.has(reference))) return 'unclear';
  const words = raw
    .replace(ID_PREFIX, ' ')
    .replace(REFERENCE_PATTERN, ' ')
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/'(?!\p{L})|(?<!\p{L})'/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0 || words.length > MAX_NO_WORDS) return 'unclear';
  const joined = words.join(' ');
  if ([...AMBIGUOUS_PHRASES, ...UNDECIDED_PHRASES].some((phrase) => hasPhrase(joined, phrase))) return 'unclear';
  // "don't do it" holds "do it", but negated.
  const negated = (phrase: string) => NEGATIONS.some((negation) => hasPhrase(joined, `${negation} ${phrase}`));
  const yesPhrases = YES_PHRASES.filter((phrase) => hasPhrase(joined, phrase) && !negated(phrase));
  const noPhrases = NO_PHRASES.filter((phrase) => hasPhrase(joined, phrase));
  const phraseWords = new Set([...yesPhrases, ...noPhrases].flatMap((phrase) => phrase.split(' ')));
  const strongYes = yesPhrases.length > 0 || words.some((w) => YES_WORDS.has(w) && !phraseWords.has(w));
  const no = noPhrases.length > 0 || words.some((w) => NO_WORDS.has(w));
  // "yeah no", "yes I mean no", "ok don't": both at once is no answer.
  if (strongYes && no) return 'unclear';
  const questionWords = new Set(
    asked
      .replace(ID_PREFIX, ' ')
      .replace(REFERENCE_PATTERN, ' ')
      .split(/[^\p{L}']+/u)
      .filter(Boolean),
  );
  if (no) {
    // A reason is fine ("no, I still want it", "actually no, I'll keep it"); another action instead is not a plain no.
    const otherAction = words.some((w) => ACTION_WORDS.has(w) && !questionWords.has(w));
    return otherAction ? 'unclear' : 'reject';
  }
  const yes = strongYes || words.some((w) => WEAK_YES_WORDS.has(w));
  if (!yes || words.length > MAX_YES_WORDS) return 'unclear';
  if (HESITATION_PHRASES.some((phrase) => hasPhrase(joined, phrase))) return 'unclear';
  // A yes may carry only politeness, filler and the question's own words: anything else is something more.
  const known = (w: string) =>
    YES_WORDS.has(w) || WEAK_YES_WORDS.has(w) || FILLER.has(w) || phraseWords.has(w) || questionWords.has(w);
  return words.every(known) ? 'approve' : 'unclear';
}

/** A yes, a no, or neither: from the button pressed, or else from the words typed. */
export function confirmationOf(
  input: { text: string; decision?: { approve: boolean } | undefined },
  question: string,
): ConfirmationReply {
  if (input.decision) return input.decision.approve ? 'approve' : 'reject';
  return classifyConfirmation(input.text, question);
}
