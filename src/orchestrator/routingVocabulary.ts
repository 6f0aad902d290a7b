import type { Classification } from '../model/offline/intentClassifier.js';
import type { ConversationIntent } from './conversationIntents.js';

/** Conversation intents that carry no request: a hello, a thank-you, a goodbye. */
export const SMALL_TALK: readonly ConversationIntent[] = ['greeting', 'thanks', 'goodbye'];

type Ranking = Classification['ranking'];

/**
 * How people close a conversation. A goodbye needs one of these, not just goodbye words: the classifier took "not
 * good enough at all", "is that all you can do?" and "delete my data for good" for goodbyes, and a cheery "have a
 * good day" to a complaint or a deletion request is worse than any other misreading.
 */
const CLOSING =
  /\b(?:bye|goodbye|farewell|see (?:you|ya)|(?:talk|catch) (?:to )?you later|take care|good night|have a (?:good|nice|great) \w+|that'?s (?:all|everything|it)|that is (?:all|everything)|nothing else|(?:don'?t|do not) need anything else|all done|got what I needed)\b/i;

/** The stemmed words of a text; with `content`, without function words such as "and" or "have". */
export type WordsOf = (text: string, options?: { content?: boolean }) => Promise<string[]>;

/**
 * What each intent is said with, learned from the training utterances. The classifier is a bag of words over the
 * words it was trained on, so a message made of words it never saw is classified by its function words alone: it
 * sent "what is the weather like today?" to Orders (0.99) and "my cat is sick" to Billing. And it took "hey, my
 * parcel is late" for a greeting, and "need to update the card you have on file" for a goodbye (from "have a good
 * day"). So:
 * - a specialist counts only when the message uses a content word it was trained with: "weather" is none of
 *   them, so such a message is off topic. Asking for a person is not held to this: a complaint is said in words
 *   no list has ("I'm furious" went to a person, rightly, on "I'm" alone);
 * - a greeting that opens a request ("hi, my invoice is wrong": the message names a specialist's topic) gives way
 *   to the request. Thanks and goodbyes do not: "thanks, I found it" names a topic and is still a thank-you;
 * - small talk counts only when the message uses a word of its own ("bye", "thanks", "hello").
 */
export class RoutingVocabulary {
  private constructor(
    /** Per small-talk intent, the words of its utterances that no other intent is trained with. */
    private readonly own: Map<string, Set<string>>,
    /** Content words only specialists are trained with ("parcel", "invoice", "password"). */
    private readonly topics: Set<string>,
    /** Per specialist's intent, the content words of its utterances. */
    private readonly specialistVocabulary: Map<string, Set<string>>,
  ) {}

  static async learn(
    examples: Array<{ utterance: string; intent: string }>,
    wordsOf: WordsOf,
    isSpecialist: (intent: string) => boolean,
  ): Promise<RoutingVocabulary> {
    const words = new Map<string, Set<string>>();
    const contentWords = new Map<string, Set<string>>();
    const add = (vocabulary: Map<string, Set<string>>, intent: string, found: string[]) =>
      vocabulary.set(intent, new Set([...(vocabulary.get(intent) ?? []), ...found]));
    for (const { utterance, intent } of examples) {
      add(words, intent, await wordsOf(utterance));
      add(contentWords, intent, await wordsOf(utterance, { content: true }));
    }
    const usedOutside = (word: string, inside: (intent: string) => boolean) =>
      [...words].some(([intent, set]) => !inside(intent) && set.has(word));
    const isSmallTalk = (intent: string) => (SMALL_TALK as readonly string[]).includes(intent);
    const own = new Map(
      SMALL_TALK.map((intent) => [
        intent,
        new Set([...(words.get(intent) ?? [])].filter((word) => !usedOutside(word, isSmallTalk))),
      ]),
    );
    const specialistWords = [...contentWords].flatMap(([intent, set]) => (isSpecialist(intent) ? [...set] : []));
    const specialistVocabulary = new Map([...contentWords].filter(([intent]) => isSpecialist(intent)));
    return new RoutingVocabulary(
      own,
      new Set(specialistWords.filter((word) => !usedOutside(word, isSpecialist))),
      specialistVocabulary,
    );
  }

  /**
   * The classifier's ranking for `text` without the intents the message is not: small talk without a word of its
   * own, and specialists without one of their content words. `words` are the message's stemmed words, `content` those
   * of them that are not function words.
   */
  rank(ranking: Ranking, words: string[], content: string[], text: string): Ranking {
    let rest = ranking;
    if (rest[0]?.intent === 'greeting' && words.some((word) => this.topics.has(word))) {
      const total = rest.slice(1).reduce((sum, c) => sum + c.score, 0);
      rest = rest.slice(1).map((c) => ({ intent: c.intent, score: c.score / total }));
    }
    // Not renormalized: a request the classifier barely knew stays unclear rather than going to a specialist.
    return rest.filter((c) => {
      if (c.intent === 'goodbye' && !CLOSING.test(text)) return false;
      if (this.own.has(c.intent)) return words.some((word) => this.own.get(c.intent)!.has(word));
      return this.supports(c.intent, content);
    });
  }

  /**
   * True when the classifier's best guess was a specialist, and no specialist has any of the message's content
   * words: the guess came from function words alone ("what is the …", "can you …"), and the message is about
   * something else. A message without content words ("what about it?") is unclear, not off topic, and so is one
   * with a word of any specialist's ("the box was damaged": Billing guessed, but "box" is Orders').
   */
  offTopic(ranking: Ranking, content: string[]): boolean {
    const best = ranking[0]?.intent;
    if (best === undefined || !this.specialistVocabulary.has(best) || content.length === 0) return false;
    return [...this.specialistVocabulary.keys()].every((intent) => !this.supports(intent, content));
  }

  /** True when one of the message's content words is one `intent` was trained with, or it has none to tell by. */
  private supports(intent: string, content: string[]): boolean {
    const known = this.specialistVocabulary.get(intent);
    return known === undefined || content.length === 0 || content.some((word) => known.has(word));
  }
}
