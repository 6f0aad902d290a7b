import type { Classification } from '../model/offline/intentClassifier.js';
import type { ConversationIntent } from './conversationIntents.js';

/** Conversation intents that carry no request: a hello, a thank-you, a goodbye. */
export const SMALL_TALK: readonly ConversationIntent[] = ['greeting', 'thanks', 'goodbye'];

type Ranking = Classification['ranking'];

const CHITCHAT: ConversationIntent = 'chitchat';

/**
 * How people close a conversation. A goodbye needs one of these, not just goodbye words: the classifier took "not
 * good enough at all", "is that all you can do?" and "delete my data for good" for goodbyes, and a cheery "have a
 * good day" to a complaint or a deletion request is worse than any other misreading.
 */
const CLOSING =
  /\b(?:bye|goodbye|farewell|see (?:you|ya)|(?:talk|catch) (?:to )?you later|take care|good night|have a (?:good|nice|great) \w+|that'?s (?:all|everything|it)|that is (?:all|everything)|nothing else|(?:don'?t|do not) need anything else|all done|got what I needed|cya|ttyl|later)\b/i;

/** The stemmed words of a text; with `content`, without function words such as "and" or "have". */
export type WordsOf = (text: string, options?: { content?: boolean }) => Promise<string[]>;

/**
 * What each specialist is said with, learned from the training utterances, and the rules the classifier's ranking
 * must pass:
 * - a goodbye needs a closing phrase (CLOSING);
 * - a message the classifier is unsure of, that uses none of any specialist's words ("my cat is sick"), is off
 *   topic rather than unclear.
 *
 * This once also dropped small talk without a word of its own and specialists without one of theirs: the NLP.js
 * network it guarded classified a message of unknown words by its function words alone. The letter n-gram
 * classifier that replaced it does not, and with the wide training phrases those rules turned "hi" into "unclear".
 */
export class RoutingVocabulary {
  private constructor(
    /** Per specialist's intent, the content words of its utterances. */
    private readonly specialistVocabulary: Map<string, Set<string>>,
    /** The content words of the chit-chat utterances. */
    private readonly chitchat: Set<string>,
  ) {}

  static async learn(
    examples: Array<{ utterance: string; intent: string }>,
    wordsOf: WordsOf,
    isSpecialist: (intent: string) => boolean,
  ): Promise<RoutingVocabulary> {
    const vocabulary = new Map<string, Set<string>>();
    for (const { utterance, intent } of examples) {
      if (!isSpecialist(intent) && intent !== CHITCHAT) continue;
      const known = vocabulary.get(intent) ?? new Set<string>();
      for (const word of await wordsOf(utterance, { content: true })) known.add(word);
      vocabulary.set(intent, known);
    }
    const chitchat = vocabulary.get(CHITCHAT) ?? new Set<string>();
    vocabulary.delete(CHITCHAT);
    return new RoutingVocabulary(vocabulary, chitchat);
  }

  /**
   * The classifier's ranking for `text` without a goodbye that closes nothing (not renormalized), and without
   * chit-chat when the message names a specialist's topic in words chit-chat never uses: "is it going to arrive
   * today" read as small talk on "today", but "arrive" is Orders' (renormalized, so the specialist can win).
   */
  rank(ranking: Ranking, text: string, content: string[]): Ranking {
    const rest = ranking.filter((c) => c.intent !== 'goodbye' || CLOSING.test(text));
    if (rest[0]?.intent !== CHITCHAT || !content.some((word) => this.isTopicWord(word))) return rest;
    const total = rest.slice(1).reduce((sum, c) => sum + c.score, 0);
    return total > 0 ? rest.slice(1).map((c) => ({ intent: c.intent, score: c.score / total })) : rest;
  }

  /**
   * The one specialist the message's words point to when the classifier is unsure: some of its content words are
   * that specialist's alone (trained with no other specialist, nor with chit-chat), and none are another's alone.
   * "getting a new phone next week, what happens to my 2fa?" scored 0.36 for Technical Support; "2fa" is only its.
   */
  ownerOf(content: string[]): string | undefined {
    const owners = new Set<string>();
    for (const word of content) {
      if (this.chitchat.has(word)) continue;
      const having = [...this.specialistVocabulary].filter(([, known]) => known.has(word)).map(([intent]) => intent);
      if (having.length === 1) owners.add(having[0]!);
    }
    return owners.size === 1 ? [...owners][0] : undefined;
  }

  private isTopicWord(word: string): boolean {
    return !this.chitchat.has(word) && [...this.specialistVocabulary.values()].some((known) => known.has(word));
  }

  /**
   * True when the classifier's best guess was a specialist, and no specialist has any of the message's content
   * words: the guess came from function words alone ("what is the …", "can you …"), and the message is about
   * something else. So is one the classifier, unsure, thought most like chit-chat ("my cat is sick"). A message
   * without content words ("what about it?") is unclear, not off topic.
   */
  offTopic(ranking: Ranking, content: string[]): boolean {
    const best = ranking[0]?.intent;
    if (best === undefined || content.length === 0) return false;
    if (best === CHITCHAT) return true;
    if (!this.specialistVocabulary.has(best)) return false;
    return [...this.specialistVocabulary.values()].every((known) => !content.some((word) => known.has(word)));
  }
}
