import { type Container, containerBootstrap, type Stopwords } from '@nlpjs/core';
import { LangEn } from '@nlpjs/lang-en-min';
import { NluNeural } from '@nlpjs/nlu';
import { maskEntities } from './entities.js';

export interface TrainingExample {
  utterance: string;
  intent: string;
}

export interface Classification {
  /** The best intent, or `None` when nothing fits. */
  intent: string;
  score: number;
  ranking: Array<{ intent: string; score: number }>;
}

/** The intent NLP.js reports when an utterance matches no trained intent. */
export const NO_INTENT = 'None';

let sharedContainer: Container | undefined;

function englishContainer(): Container {
  if (!sharedContainer) {
    sharedContainer = containerBootstrap();
    sharedContainer.use(LangEn);
  }
  return sharedContainer;
}

function englishStopwords(): Stopwords {
  return englishContainer().get('stopwords-en') as Stopwords;
}

/** A small neural intent classifier (NLP.js) over English utterances: stemmed bag of words with a None class. */
export class IntentClassifier {
  private constructor(private readonly nlu: NluNeural) {}

  /** `errorThresh`: training stops once the mean squared error is below it (NLP.js default 0.00005). */
  static async train(examples: TrainingExample[], options: { errorThresh?: number } = {}): Promise<IntentClassifier> {
    const nlu = new NluNeural(
      { locale: 'en', log: false, keepStopwords: true, useNoneFeature: true, ...options },
      englishContainer(),
    );
    await nlu.train(
      examples
        .filter((e) => e.utterance.trim() !== '')
        .map((e) => ({ utterance: maskEntities(e.utterance), intent: e.intent })),
    );
    return new IntentClassifier(nlu);
  }

  /** An untrained classifier, for its words(): the same normalizing, tokenizing and stemming, nothing learned. */
  static wordsOnly(): IntentClassifier {
    return new IntentClassifier(
      new NluNeural({ locale: 'en', log: false, keepStopwords: true, useNoneFeature: true }, englishContainer()),
    );
  }

  /** The stemmed words the classifier sees in a text; `content` leaves out function words ("and", "here", "have"). */
  async words(text: string, { content = false } = {}): Promise<string[]> {
    const words = Object.keys(await this.nlu.prepare(maskEntities(text)));
    return content ? this.contentOf(words) : words;
  }

  /** Of stemmed words, those that are not function words. */
  contentOf(words: string[]): string[] {
    return words.filter((word) => !englishStopwords().isStopword(word));
  }

  async classify(text: string): Promise<Classification> {
    const { classifications } = await this.nlu.process(maskEntities(text));
    const ranking = classifications.filter((c) => c.score > 0).map((c) => ({ intent: c.intent, score: c.score }));
    const best = ranking[0] ?? { intent: NO_INTENT, score: 0 };
    return { intent: best.intent, score: best.score, ranking };
  }
}
